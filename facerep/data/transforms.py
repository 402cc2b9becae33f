"""Label-consistent geometry: a horizontal flip that swaps left/right landmark indices and mask
classes, and the face crops (face box + margin, or 5-point alignment) that map landmarks, masks and boxes
through the same affine.

Affines are 2×3 matrices ``A`` mapping original pixel coordinates to output pixels: ``p' = A @ [x, y, 1]``.
"""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from ..errors import ConfigError
from .geometry import similarity
from .sample import DatasetInfo, FaceSample

MASK_IGNORE = 255  # mask value for pixels a crop takes from outside the image


def _pairs_to_perm(n: int, pairs: list[tuple[int, int]]) -> np.ndarray:
    perm = np.arange(n)
    for a, b in pairs:
        perm[a], perm[b] = b, a
    return perm


# iBUG/300W 68 points (0-based): jaw, brows, nostrils, eyes, outer and inner lips mirror; the
# nose bridge (27-30) and the lip midline points (51, 57, 62, 66) map to themselves.
_PAIRS_68 = (
    [(i, 16 - i) for i in range(8)]
    + [(17 + i, 26 - i) for i in range(5)]
    + [(31, 35), (32, 34)]
    + [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]
    + [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58)]
    + [(60, 64), (61, 63), (65, 67)]
)
FLIP_PERMUTATIONS: dict[int, np.ndarray] = {68: _pairs_to_perm(68, _PAIRS_68)}


def flip_landmark_permutation(n_points: int) -> np.ndarray:
    """Index permutation that re-labels landmarks after a horizontal flip (``flipped[perm]``)."""
    if n_points not in FLIP_PERMUTATIONS:
        raise ConfigError(f"no left/right landmark correspondence known for {n_points} points "
                          f"(known: {sorted(FLIP_PERMUTATIONS)})")
    return FLIP_PERMUTATIONS[n_points]


def _mirror_name(name: str) -> str:
    for a, b in (("left_", "right_"), ("l_", "r_")):
        if name.startswith(a):
            return b + name[len(a):]
        if name.startswith(b):
            return a + name[len(b):]
    return name


def flip_mask_permutation(class_names: tuple[str, ...] | list[str]) -> np.ndarray:
    """Class-id map for a flipped mask: ``left_*``↔``right_*`` and ``l_*``↔``r_*`` swap (so in
    CelebAMask-HQ ``l_eye``↔``r_eye`` swap while ``ear_r`` (earring) and ``neck_l`` (necklace) stay)."""
    index = {n: i for i, n in enumerate(class_names)}
    return np.array([index.get(_mirror_name(n), i) for i, n in enumerate(class_names)], dtype=np.int64)


def hflip(sample: FaceSample, info: DatasetInfo) -> FaceSample:
    """Mirror a sample left-right with every label kept consistent (indices, classes, yaw/roll, box)."""
    w = sample.image.shape[1]
    out = dataclasses.replace(sample, image=np.ascontiguousarray(sample.image[:, ::-1]))
    for kind in ("landmarks2d", "landmarks3d"):
        pts = getattr(sample, kind)
        if pts is not None:
            pts = pts.copy()
            pts[:, 0] = (w - 1) - pts[:, 0]
            setattr(out, kind, pts[flip_landmark_permutation(len(pts))])
    if sample.mask is not None:
        lut = flip_mask_permutation(info.mask_classes) if info.mask_classes else None
        m = np.ascontiguousarray(sample.mask[:, ::-1])
        if lut is not None:
            full = np.arange(256, dtype=m.dtype)
            full[: len(lut)] = lut
            m = full[m]
        out.mask = m
    if sample.pose is not None:
        out.pose = sample.pose * np.array([-1.0, 1.0, -1.0], dtype=sample.pose.dtype)
    if sample.box is not None:
        x0, y0, x1, y1 = sample.box
        out.box = ((w - 1) - x1, y0, (w - 1) - x0, y1)
    return out


def face_box(sample: FaceSample) -> tuple[float, float, float, float]:
    """The face box: the format's own box, else the labelled landmarks' bounding box, else the bounding box of
    the mask's non-background pixels, else the whole image. (x0, y0, x1, y1) in pixels."""
    if sample.box is not None:
        return tuple(float(v) for v in sample.box)  # type: ignore[return-value]
    lm = sample.landmarks2d
    labelled = None if lm is None else lm[np.isfinite(lm).all(1)]
    if labelled is not None and len(labelled):  # unlabelled (NaN) points are left out
        lo, hi = labelled.min(0), labelled.max(0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])
    if sample.mask is not None:
        ys, xs = np.nonzero((sample.mask != 0) & (sample.mask != MASK_IGNORE))
        if len(xs):
            return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())
    h, w = sample.image.shape[:2]
    return 0.0, 0.0, float(w - 1), float(h - 1)


def box_affine(box: tuple[float, float, float, float], size: int, margin: float) -> np.ndarray:
    """2×3 affine taking the square around ``box`` (side = longer box side × (1 + margin), same
    centre) onto a ``size``×``size`` output."""
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0, 1.0) * (1.0 + margin)
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    s = size / side
    return np.array([[s, 0.0, size / 2.0 - s * cx], [0.0, s, size / 2.0 - s * cy]], dtype=np.float64)


def apply_affine(points: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """points: [..., 2] -> [..., 2] through ``affine`` (2×3)."""
    return points @ affine[:, :2].T + affine[:, 2]


def invert_affine(affine: np.ndarray) -> np.ndarray:
    return cv2.invertAffineTransform(affine)


def crop_resize(sample: FaceSample, size: int, margin: float = 0.2,
                box: tuple[float, float, float, float] | None = None) -> tuple[FaceSample, np.ndarray]:
    """Crop the face (``box`` or :func:`face_box`) with ``margin`` and resize to ``size``×``size``; the labels
    go through the same affine, which is returned (original -> crop). See :func:`warp_sample`."""
    a = box_affine(box or face_box(sample), size, margin)
    return warp_sample(sample, a, size), a


def affine_scale(affine: np.ndarray) -> float:
    """The uniform scale of a similarity (or axis-aligned scaling) affine: sqrt(|det|) of its 2×2 part."""
    return float(np.sqrt(abs(np.linalg.det(np.asarray(affine, np.float64)[:, :2]))))


def warp_sample(sample: FaceSample, affine: np.ndarray, size: int) -> FaceSample:
    """The sample seen through ``affine`` (original -> output pixels) in a ``size``×``size`` image: landmarks,
    3D landmarks (z scaled by the affine's scale, like x and y), the mask (nearest; outside-image pixels
    become ``MASK_IGNORE``) and the box (the bounding box of its warped corners) go through the same
    affine."""
    a = affine
    image = cv2.warpAffine(sample.image, a, (size, size), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT)
    out = dataclasses.replace(sample, image=image)
    if sample.landmarks2d is not None:
        out.landmarks2d = apply_affine(sample.landmarks2d.astype(np.float64), a).astype(np.float32)
    if sample.landmarks3d is not None:
        p = sample.landmarks3d.astype(np.float64)
        xy = apply_affine(p[:, :2], a)
        out.landmarks3d = np.concatenate([xy, p[:, 2:3] * affine_scale(a)], axis=1).astype(np.float32)
    if sample.mask is not None:
        out.mask = cv2.warpAffine(sample.mask.astype(np.uint8), a, (size, size), flags=cv2.INTER_NEAREST,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=MASK_IGNORE)
    if sample.box is not None:
        x0, y0, x1, y1 = sample.box
        corners = apply_affine(np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], dtype=np.float64), a)
        (bx0, by0), (bx1, by1) = corners.min(0), corners.max(0)
        out.box = (float(bx0), float(by0), float(bx1), float(by1))
    return out


# 5 alignment points (image-left eye centre, image-right eye centre, nose tip, image-left and image-right
# mouth corners: the order of facerep.data.geometry's template) from the landmark schemes the formats use:
# 0-based indices, or index groups whose mean is the point
_FIVE_POINTS: dict[int, tuple[tuple[int, ...], ...]] = {
    5: ((0,), (1,), (2,), (3,), (4,)),  # CelebA / MTCNN order
    68: (tuple(range(36, 42)), tuple(range(42, 48)), (30,), (48,), (54,)),  # 300W (iBUG 68)
    98: ((96,), (97,), (54,), (76,), (82,)),  # WFLW: pupils 96/97, nose tip 54, mouth corners 76/82
}


def five_points(landmarks: np.ndarray | None) -> np.ndarray | None:
    """[5, 2] alignment points from 5-, 68- (300W) or 98-point (WFLW) landmarks; None when the scheme is
    another or a point it needs is unlabelled (NaN)."""
    if landmarks is None or len(landmarks) not in _FIVE_POINTS:
        return None
    pts = np.asarray(landmarks, np.float64)[:, :2]
    five = np.stack([pts[list(group)].mean(0) for group in _FIVE_POINTS[len(pts)]])
    return five if np.isfinite(five).all() else None


def align_resize(sample: FaceSample, size: int, margin: float = 0.0,
                 points: np.ndarray | None = None) -> tuple[FaceSample, np.ndarray] | None:
    """The face aligned by a similarity transform of its 5 points (:func:`five_points`) onto the ArcFace-style
    template (:func:`facerep.data.geometry.similarity`; ``margin`` m shows more context, m = 0 is the 112-px
    ArcFace crop scaled to ``size``), with its labels warped alike; None when the sample has no usable 5
    points. ``points`` [5, 2]: alignment points found for a sample without landmarks (they do not become
    labels)."""
    five = five_points(sample.landmarks2d)
    if five is None and points is not None:
        five = np.asarray(points, np.float64)
    if five is None:
        return None
    a = similarity(five, size, margin)
    return warp_sample(sample, a, size), a
