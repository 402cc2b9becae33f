"""``attributes``: binary face attributes with a linear logistic head (one output per attribute) on pooled
features; a NaN label is unlabelled and left out. Metrics per attribute (``accuracy_<name>``,
``balanced_accuracy_<name>``) and their means over attributes (``mean_accuracy``, ``mean_balanced_accuracy``,
primary; balanced accuracy = mean recall over the classes present, so a constant predictor scores 0.5)."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .. import metrics as M
from ..heads import linear_head
from . import register_task
from ._base import BinaryLabelsTask, HeadSpec, to_numpy
from .au import nanmean


@register_task("attributes",
               description="binary attributes: accuracy and balanced accuracy per attribute, means")
class Attributes(BinaryLabelsTask):
    name = "attributes"
    needs = frozenset({"attributes"})
    primary = ("mean_balanced_accuracy", "max")

    def setup(self, info: Any, train: dict[str, Any]) -> None:
        self.info, self.n = info, int(train["attributes"].shape[1])
        self.names = list(info.attribute_names) or [f"attr{i}" for i in range(self.n)]

    def build_head(self, spec: HeadSpec) -> torch.nn.Module:
        return linear_head(spec.pooled_dim, self.n)

    def targets(self, batch: dict[str, Any]) -> torch.Tensor:
        return batch["attributes"]

    def truth(self, batch: dict[str, Any]) -> np.ndarray:
        return to_numpy(batch["attributes"]).astype(np.float64)

    def metrics(self, pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
        out: dict[str, float] = {}
        accs, baccs = [], []
        for j, name in enumerate(self.names):
            ok = np.isfinite(target[:, j])
            if not ok.any():
                continue
            t, p = target[ok, j].astype(np.int64), pred[ok, j]
            out[f"accuracy_{name}"] = M.accuracy(t, p)
            out[f"balanced_accuracy_{name}"] = M.balanced_accuracy(t, p)
            accs.append(out[f"accuracy_{name}"])
            baccs.append(out[f"balanced_accuracy_{name}"])
        out["mean_accuracy"], out["mean_balanced_accuracy"] = nanmean(accs), nanmean(baccs)
        return out
