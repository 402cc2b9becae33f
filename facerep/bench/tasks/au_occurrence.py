"""``au_occurrence``: AU occurrence (binary labels, or intensity labels binarised at >= 1) by a linear
logistic head on the global features of aligned crops (as ``au``). Metrics: F1 of the positive class per AU
(``f1_au<code>``) and its mean over AUs (``f1``, primary), as BP4D / DISFA occurrence results are reported.
Not part of ``--tasks all`` (which has the intensity task ``au``); run it by name."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .. import metrics as M
from . import register_task
from ._base import BinaryLabelsTask, to_numpy
from .au import AUHead, nanmean


@register_task("au_occurrence", description="AU occurrence: F1 per AU and mean F1")
class ActionUnitOccurrence(AUHead, BinaryLabelsTask):
    name = "au_occurrence"
    needs = frozenset({"au"})
    primary = ("f1", "max")

    def targets(self, batch: dict[str, Any]) -> torch.Tensor:
        au = batch["au"]
        return torch.where(torch.isnan(au), au, (au >= 1).float())

    def trivial(self, y_train: torch.Tensor, n: int) -> torch.Tensor:
        """The better of the two constant predictions per AU by the primary metric, F1 of the positive class,
        on the training labels: "present" for every AU that occurs in training (F1 = 2p / (1 + p) > 0 at base
        rate p), "absent" only for an AU that never does (predicting "absent" always scores F1 = 0)."""
        occurs = torch.nan_to_num(y_train, nan=0.0).sum(0) > 0
        return torch.where(occurs, 10.0, -10.0).expand(n, -1).clone()

    def truth(self, batch: dict[str, Any]) -> np.ndarray:
        return to_numpy(self.targets(batch)).astype(np.float64)

    def metrics(self, pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
        out: dict[str, float] = {}
        for j, name in enumerate(self.names):
            ok = np.isfinite(target[:, j])
            if ok.any():
                out[f"f1_{name}"] = M.binary_f1(target[ok, j].astype(int), pred[ok, j])
        out["f1"] = nanmean(list(out.values()))
        return out
