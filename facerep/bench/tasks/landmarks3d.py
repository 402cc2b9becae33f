"""``landmarks3d``: K×3 landmarks (68 for AFLW2000-3D style data) by linear regression on the dense grid, like
``landmarks2d``. x, y are mapped back to original pixels through the inverse crop affine, z is divided by the
crop scale (the crop scales z like x and y).

Metrics: ``nme_box`` -- the AFLW2000-3D convention (3DDFA, Zhu et al. 2017): mean 2D (x, y) point error
normalised by sqrt(w·h) of the ground-truth 2D landmark box (primary); ``nme_box_3d`` -- the same with the x,
y, z error.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .. import metrics as M
from ..heads import spatial_linear_head
from . import register_task
from ._base import HeadSpec, Task, crop_to_original, stack_orig, to_numpy


@register_task("landmarks3d",
               description="3D landmarks: NME by sqrt(w*h) of the 2D box (AFLW2000-3D), 2D and 3D")
class Landmarks3d(Task):
    name = "landmarks3d"
    needs = frozenset({"landmarks3d"})
    primary = ("nme_box", "min")
    input = "dense"
    probe = "ridge"
    knn = "none"

    def setup(self, info: Any, train: dict[str, Any]) -> None:
        self.info, self.k = info, int(train["landmarks3d"].shape[1])

    def build_head(self, spec: HeadSpec) -> torch.nn.Module:
        return spatial_linear_head(spec.dense_channels, spec.dense_grid, self.k * 3)

    def targets(self, batch: dict[str, Any]) -> torch.Tensor:
        """[N, K*3]: crop pixels (x, y, z) scaled by 2 / image size (x, y then lie in [-1, 1])."""
        lm = batch["landmarks3d"].clone()
        lm[..., :2] = lm[..., :2] / self.settings.image_size * 2.0 - 1.0
        lm[..., 2] = lm[..., 2] / self.settings.image_size * 2.0
        return lm.reshape(len(lm), -1)

    def decode(self, out: torch.Tensor, batch: dict[str, Any]) -> np.ndarray:
        pts = to_numpy(out).reshape(len(out), self.k, 3).astype(np.float64)
        pts[..., :2] = (pts[..., :2] + 1.0) / 2.0 * self.settings.image_size
        pts[..., 2] = pts[..., 2] / 2.0 * self.settings.image_size
        return crop_to_original(pts, batch["affine"])

    def truth(self, batch: dict[str, Any]) -> np.ndarray:
        return stack_orig(batch, "landmarks3d")

    def metrics(self, pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
        norm = M.norm_box_size(target[..., :2])
        return {"nme_box": float(M.nme(pred[..., :2], target[..., :2], norm).mean()),
                "nme_box_3d": float(M.nme(pred, target, norm).mean())}
