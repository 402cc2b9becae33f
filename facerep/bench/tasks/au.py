"""``au``: action-unit intensity (0-5) per AU by linear regression on the global features of 5-point aligned
crops (pooled + the finest maps, :class:`facerep.bench.sources.CropView`; targets / 5; a NaN label is an
unlabelled AU and is left out). Predictions are clipped to [0, 5].

Metrics per AU (``<metric>_au<code>``) and their mean over AUs: ``icc`` = ICC(3,1) of Shrout & Fleiss between
label and prediction (the DISFA / FERA convention, primary), ``pearson``, ``mae``, and ``f1`` -- the
occurrence F1 with both label and prediction binarised at intensity >= 1. An AU with fewer than 2 labelled
test samples is skipped. For datasets labelled with occurrence only, use the ``au_occurrence`` task.
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch

from .. import metrics as M
from ..heads import CVLoss, linear_head
from . import register_task
from ._base import Crop, HeadSpec, Task, to_numpy

MAX_INTENSITY = 5.0


def au_names(info: Any, n: int) -> list[str]:
    return [f"au{c}" for c in info.au_codes] if info.au_codes else [f"au{i}" for i in range(n)]


def nanmean(values: list[float]) -> float:
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")


class AUHead:
    """Shared by the AU tasks: one linear output per AU of the dataset (``info.au_codes``), read from 5-point
    aligned crops (an AU is a deformation at a fixed place of the aligned face; DISFA and BP4D are aligned
    so)."""

    crop: ClassVar[Crop] = "aligned"
    mirror_invariant: ClassVar[bool] = True  # AU intensities and occurrences do not depend on the image side
    info: Any
    n: int

    def setup(self, info: Any, train: dict[str, Any]) -> None:
        self.info, self.n = info, int(train["au"].shape[1])
        self.names = au_names(info, self.n)

    def build_head(self, spec: HeadSpec) -> torch.nn.Module:
        return linear_head(spec.pooled_dim, self.n)


@register_task("au", description="AU intensity: ICC(3,1), Pearson r, MAE per AU (+ occurrence F1 at >= 1)")
class ActionUnits(AUHead, Task):
    name = "au"
    needs = frozenset({"au"})
    primary = ("icc", "max")
    probe = "ridge"

    def targets(self, batch: dict[str, Any]) -> torch.Tensor:
        return batch["au"] / MAX_INTENSITY

    def decode(self, out: torch.Tensor, batch: dict[str, Any]) -> np.ndarray:
        return np.clip(to_numpy(out).astype(np.float64) * MAX_INTENSITY, 0.0, MAX_INTENSITY)

    def truth(self, batch: dict[str, Any]) -> np.ndarray:
        return to_numpy(batch["au"]).astype(np.float64)

    def penalty_loss(self) -> CVLoss:
        """:meth:`cv_loss`."""
        return self.cv_loss

    def cv_loss(self, y: torch.Tensor, pred: torch.Tensor) -> float:
        """The ridge penalty's held-out criterion: minus the mean ICC(3,1) over AUs (the primary metric).
        Squared error would prefer the heavily shrunk near-constant predictor whenever the signal is weak,
        whose ICC is ~0. Only the ICC is computed: this runs for every penalty of every fit."""
        per = self._per_au(self.decode(pred, {}), y.numpy() * MAX_INTENSITY, {"icc": M.icc_3_1})
        icc = nanmean(list(per["icc"].values()))
        return -icc if np.isfinite(icc) else 0.0

    def metrics(self, pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
        per = self._per_au(pred, target, {
            "icc": M.icc_3_1, "pearson": M.pearson, "mae": M.mae,
            "f1": lambda t, p: M.binary_f1((t >= 1).astype(int), (p >= 1).astype(int))})
        out = {f"{metric}_{name}": float(v) for metric, vals in per.items() for name, v in vals.items()}
        out.update({metric: nanmean(list(vals.values())) for metric, vals in per.items()})
        return out

    def _per_au(self, pred: np.ndarray, target: np.ndarray,
                fns: dict[str, Any]) -> dict[str, dict[str, float]]:
        """{metric: {AU name: fn(labels, predictions)}} over the labelled test samples of each AU; an AU with
        fewer than 2 labelled samples is skipped. pred, target: [N, n AUs] intensities (NaN = unlabelled)."""
        per: dict[str, dict[str, float]] = {m: {} for m in fns}
        for j, name in enumerate(self.names):
            ok = np.isfinite(target[:, j])
            if ok.sum() < 2:
                continue
            for metric, fn in fns.items():
                per[metric][name] = fn(target[ok, j], pred[ok, j])
        return per
