"""``landmarks2d``: K×2 landmarks by **linear regression on the dense grid** (the cached stride-8/16 maps
pooled to G×G, flattened; ridge in closed form for the linear mode). Targets are crop pixels scaled to [-1,
1]; predictions are mapped back to original pixels through the inverse crop affine before any metric.

Metrics (300W / WFLW / AFLW conventions, see :mod:`facerep.bench.metrics`): NME normalised by the inter-ocular
distance (68 points: outer eye corners 36 and 45), the inter-pupil distance, the box diagonal (AFLW-19 style,
of the ground-truth landmarks' box) and sqrt(w·h) of that box; FR and AUC at 0.08 and 0.10 and the cumulative
error curve (``ced_X`` = fraction of faces with NME <= X, X = 0 … 0.10) on the inter-ocular NME (the box NME
when the landmark scheme has no eye corners).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .. import metrics as M
from ..heads import spatial_linear_head
from . import register_task
from ._base import HeadSpec, Task, crop_to_original, stack_orig, to_numpy

CED_POINTS = 21  # x = 0, 0.005, …, 0.10


def landmark_scores(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """NME under every normaliser defined for K, FR/AUC@0.08/0.10 and the CED curve. pred, target: [N, K, 2].

    A target point that is NaN is *not labelled* (COCO ``v = 0``): it is left out of every NME and of the box
    normalisers. A normaliser needing an unlabelled point on some face (an eye corner, a pupil) is not
    reported."""
    visible = np.isfinite(target).all(-1)  # [N, K]
    norms: dict[str, np.ndarray] = {}
    for name, fn in (("interocular", M.norm_interocular), ("interpupil", M.norm_interpupil)):
        try:
            d = fn(target)
        except ValueError:  # not defined for this landmark scheme
            continue
        if np.isfinite(d).all():
            norms[name] = d
    boxed = labelled_only(target, visible)
    norms["box_diag"], norms["box"] = M.norm_box_diag(boxed), M.norm_box_size(boxed)
    errors = {name: M.nme(pred, target, d, visible) for name, d in norms.items()}
    out = {f"nme_{name}": float(e.mean()) for name, e in errors.items()}
    main = errors.get("interocular", errors["box"])
    for t in (0.08, 0.10):
        out[f"fr_{t:.2f}"] = M.failure_rate(main, t)
        out[f"auc_{t:.2f}"] = M.auc_ced(main, t)
    xs, ys = M.ced_curve(main, 0.10, n=CED_POINTS)
    out.update({f"ced_{x:.3f}": float(y) for x, y in zip(xs, ys)})
    return out


def labelled_only(target: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """``target`` [N, K, D] with each unlabelled point replaced by a labelled point of the same face, so that
    bounding boxes of the result are the boxes of the labelled points. visible: [N, K] bool, >= 1 per face."""
    out = np.array(target, dtype=np.float64, copy=True)
    for i in np.flatnonzero(~visible.all(1)):
        out[i, ~visible[i]] = out[i, int(np.argmax(visible[i]))]
    return out


@register_task("landmarks2d",
               description="2D landmarks: NME (inter-ocular, inter-pupil, box diag, sqrt(wh)), FR/AUC, CED")
class Landmarks2d(Task):
    name = "landmarks2d"
    needs = frozenset({"landmarks2d"})
    primary = ("nme_interocular", "min")
    input = "dense"
    probe = "ridge"
    knn = "none"

    def setup(self, info: Any, train: dict[str, Any]) -> None:
        self.info, self.k = info, int(train["landmarks2d"].shape[1])

    def build_head(self, spec: HeadSpec) -> torch.nn.Module:
        return spatial_linear_head(spec.dense_channels, spec.dense_grid, self.k * 2)

    def targets(self, batch: dict[str, Any]) -> torch.Tensor:
        """[N, K*2]: crop pixels scaled to [-1, 1]."""
        lm = batch["landmarks2d"]
        return (lm / self.settings.image_size * 2.0 - 1.0).reshape(len(lm), -1)

    def decode(self, out: torch.Tensor, batch: dict[str, Any]) -> np.ndarray:
        pts = (to_numpy(out).reshape(len(out), self.k,
                                     2).astype(np.float64) + 1.0) / 2.0 * self.settings.image_size
        return crop_to_original(pts, batch["affine"])

    def truth(self, batch: dict[str, Any]) -> np.ndarray:
        return stack_orig(batch, "landmarks2d")

    def metrics(self, pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
        return landmark_scores(pred, target)
