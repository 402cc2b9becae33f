"""``pose``: head pose (yaw, pitch, roll) in degrees by linear regression on pooled features (targets / 45°).
The crop is a scale + shift, so angles need no mapping back. Metrics: MAE per angle and their mean
(``mae``)."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .. import metrics as M
from ..heads import linear_head
from . import register_task
from ._base import HeadSpec, Task, to_numpy

SCALE = 45.0  # degrees per unit of the regression target
ANGLES = ("yaw", "pitch", "roll")


@register_task("pose", description="head pose: yaw / pitch / roll MAE in degrees")
class Pose(Task):
    name = "pose"
    needs = frozenset({"pose"})
    primary = ("mae", "min")
    probe = "ridge"

    def build_head(self, spec: HeadSpec) -> torch.nn.Module:
        return linear_head(spec.pooled_dim, 3)

    def targets(self, batch: dict[str, Any]) -> torch.Tensor:
        return batch["pose"] / SCALE

    def decode(self, out: torch.Tensor, batch: dict[str, Any]) -> np.ndarray:
        return to_numpy(out).astype(np.float64) * SCALE

    def truth(self, batch: dict[str, Any]) -> np.ndarray:
        return to_numpy(batch["pose"]).astype(np.float64)

    def metrics(self, pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
        out = {f"mae_{a}": M.mae(target[:, i], pred[:, i]) for i, a in enumerate(ANGLES)}
        out["mae"] = float(np.mean([out[f"mae_{a}"] for a in ANGLES]))
        return out
