"""``attributes``: binary face attributes with a linear logistic head (one output per attribute) on pooled
features; a NaN label is unlabelled and left out. Metrics per attribute (``accuracy_<name>``,
``balanced_accuracy_<name>``) and their means over attributes (``mean_accuracy``, ``mean_balanced_accuracy``,
primary; balanced accuracy = mean recall over the classes present, so a constant predictor scores 0.5).

Decisions: attribute j is predicted present where the head's log-odds exceed logit(π_j), π_j its base rate in
the training split, i.e. where the estimated P(present | face) exceeds π_j -- the Bayes decision for balanced
accuracy (it weighs both classes equally: predict present iff p(x | present) > p(x | absent)). At logit 0 (P >
0.5), the rule for plain accuracy, a rare attribute is almost never predicted: on real CelebA faces 8 of 40
attributes (Mustache, Double_Chin, Blurry, Chubby …; base rates 4-12 %) scored balanced accuracy
0.499-0.503."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .. import metrics as M
from ..heads import linear_head
from . import register_task
from ._base import BinaryLabelsTask, HeadSpec, nanmean0, to_numpy
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
        rate = nanmean0(torch.as_tensor(train["attributes"], dtype=torch.float64))
        # an attribute absent (or present) in every training face keeps the plain threshold 0
        self.threshold = torch.where((rate > 0) & (rate < 1), torch.logit(rate.clamp(1e-6, 1 - 1e-6)),
                                     0.0).numpy()

    def decode(self, out: torch.Tensor, batch: dict[str, Any]) -> np.ndarray:
        """Head-space log-odds [N, A] -> 0/1 decisions at each attribute's training base rate (above)."""
        return (to_numpy(out).astype(np.float64) >= self.threshold).astype(np.int64)

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
