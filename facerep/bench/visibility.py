"""Visible vs occluded metrics under the occlusion corruptions (``--corruptions
occlusion:sunglasses,mask,hand``).

An occluder (:mod:`facerep.bench.corruptions`) returns the region it covers, [S, S] bool in crop pixels. The
labels are *amodal*: they still describe the face under the occluder, so a dense task can be scored separately
on what the backbone can see and on what it has to infer. The split follows the per-point occlusion evaluation
of COFW (Burgos-Artizzu, Perona & Dollár, "Robust face landmark estimation under occlusion", ICCV 2013), which
reports landmark error on visible and occluded points separately, carried over to pixels for parsing:

- ``landmarks2d``: a point is *occluded* when its ground-truth position (crop pixels) falls inside the region.
  ``nme_<norm>_visible`` / ``nme_<norm>_occluded`` = mean over faces of
  ``mean_{k in part} ||pred_k - target_k|| / d_face`` (the usual normalisers ``d``: inter-ocular, inter-pupil,
  box diagonal, sqrt(w·h) of the full ground-truth landmark set), over the faces with at least one point in
  that part (:func:`facerep.bench.metrics.nme` with its ``visible`` mask); ``points_occluded`` = share of
  points occluded.
- ``parsing``: the region is warped back to original pixels (nearest, like the predicted mask); TP/FP/FN are
  summed over the pixels inside (``occluded``) or outside (``visible``) the region of every face, giving
  ``f1_<class>_<part>``, ``mean_f1_<part>`` (foreground classes), ``miou_<part>`` and
  ``pixel_accuracy_<part>`` exactly as the whole-image metrics of :mod:`facerep.bench.tasks.parsing`;
  ``pixels_occluded`` = share of labelled pixels occluded.

Tasks without a registered split get no extra metrics. A part with no point or pixel in any face is NaN.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from ..registry import Registry
from . import metrics as M

PartsFn = Callable[[Any, Any, Any, dict[str, Any], np.ndarray], dict[str, float]]
PARTS: Registry[PartsFn] = Registry("visible/occluded metric split")
PART_NAMES = ("visible", "occluded")


def part_metrics(
    task: Any, pred: Any, truth: Any, batch: dict[str, Any], regions: np.ndarray) -> dict[str, float]:
    """The visible / occluded metrics of ``task`` (empty when the task has none). regions: [N, S, S] bool
    (crop)."""
    if task.name not in PARTS:
        return {}
    return PARTS.get(task.name)(task, pred, truth, batch, regions)


def occluded_points(points: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """[N, K] bool: points (crop pixels, [N, K, 2]) that fall inside their face's region ([N, S, S] bool)."""
    n = points.shape[0]
    s = regions.shape[1]
    xy = np.nan_to_num(np.round(points[..., :2]), nan=-1).astype(np.int64)
    inside = (xy[..., 0] >= 0) & (xy[..., 0] < s) & (xy[..., 1] >= 0) & (xy[..., 1] < s)
    x, y = np.clip(xy[..., 0], 0, s - 1), np.clip(xy[..., 1], 0, s - 1)
    return inside & regions[np.arange(n)[:, None], y, x]


@PARTS.register("landmarks2d", description="NME over visible and over occluded landmarks")
def _landmarks(task: Any, pred: np.ndarray, truth: np.ndarray, batch: dict[str, Any],
               regions: np.ndarray) -> dict[str, float]:
    crop_pts = np.asarray(batch["landmarks2d"], dtype=np.float64)
    occluded = occluded_points(crop_pts, regions) & np.isfinite(truth).all(-1)
    norms: dict[str, np.ndarray] = {}
    for name, fn in (("interocular", M.norm_interocular), ("interpupil", M.norm_interpupil),
                     ("box_diag", M.norm_box_diag), ("box", M.norm_box_size)):
        try:
            norms[name] = fn(truth)
        except ValueError:  # not defined for this landmark scheme
            pass
    out: dict[str, float] = {}
    for part, mask in (("visible", ~occluded & np.isfinite(truth).all(-1)), ("occluded", occluded)):
        rows = mask.any(1)
        for name, d in norms.items():
            out[f"nme_{name}_{part}"] = (float(M.nme(pred[rows], truth[rows], d[rows],
                                                     visible=mask[rows]).mean())
                                         if rows.any() else math.nan)
    out["points_occluded"] = float(occluded.mean())
    return out


def regions_to_original(regions: np.ndarray, batch: dict[str, Any]) -> list[np.ndarray]:
    """Crop-pixel regions [N, S, S] -> original-pixel regions (list of H_i × W_i bool), nearest, outside =
    False."""
    out = []
    for r, a, (h, w) in zip(regions, batch["affine"], batch["orig_size"]):
        out.append(cv2.warpAffine(r.astype(np.uint8), np.asarray(a, np.float64), (int(w), int(h)),
                                  flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=0).astype(bool))
    return out


@PARTS.register("parsing", description="per-class F1, mean F1, mIoU over visible and over occluded pixels")
def _parsing(task: Any, pred: list[np.ndarray], truth: list[np.ndarray], batch: dict[str, Any],
             regions: np.ndarray) -> dict[str, float]:
    accs = {part: M.ConfusionAccumulator(task.n, ignore_index=255) for part in PART_NAMES}
    labelled = occluded = 0
    for p, t, r in zip(pred, truth, regions_to_original(regions, batch)):
        t = np.asarray(t).astype(np.int64)
        accs["visible"].update(p.astype(np.int64), np.where(r, 255, t))
        accs["occluded"].update(p.astype(np.int64), np.where(r, t, 255))
        labelled += int((t != 255).sum())
        occluded += int(((t != 255) & r).sum())
    out: dict[str, float] = {}
    for part, acc in accs.items():
        if acc.matrix.sum() == 0:
            s: dict[str, Any] = {"f1": [math.nan] * task.n, "mean_f1": math.nan, "miou": math.nan,
                                     "pixel_accuracy": math.nan}
        else:
            s = acc.scores(task.foreground)
        out.update({f"f1_{name}_{part}": float(v) for name, v in zip(task.names, s["f1"])})
        out.update({f"mean_f1_{part}": float(s["mean_f1"]), f"miou_{part}": float(s["miou"]),
                    f"pixel_accuracy_{part}": float(s["pixel_accuracy"])})
    out["pixels_occluded"] = occluded / labelled if labelled else math.nan
    return out
