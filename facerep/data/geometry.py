"""Plain 2D geometry of face alignment: the canonical 5-point face template and the similarity transform
(rotation, uniform scale, translation) that maps 5 landmarks onto it, estimated by least squares
(``cv2.estimateAffinePartial2D``).

The fit weighs each eye ``eye_weight`` times (default 3) as much as the nose and mouth points: eyes are
the most reliable landmarks and fix roll and scale, while mouth height varies most between faces (with
equal weights, an average face's eyes already miss the template by 2-3 px at 112 px). Weights are applied
by repeating the eye points in an all-inlier least-squares fit.

The template is the 112×112 ArcFace one (image-left eye, image-right eye, nose tip, image-left and
image-right mouth corners). For a crop of ``size`` pixels and ``margin`` m, template points t (in 0..1
units of the 112 crop) go to ``(t + m) / (1 + 2 m) * size``: m = 0 is the ArcFace crop, m > 0 shows more
context around the same face.

Used by the data transforms (aligned crops with their labels) and by curation (:mod:`facerep.curate.align`).
"""
from __future__ import annotations

import cv2
import numpy as np

from ..errors import DataError

TEMPLATE_112 = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                         [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float64)


def template(size: int = 112, margin: float = 0.0) -> np.ndarray:
    """The 5 template points [5, 2] for a ``size``×``size`` crop with ``margin`` (fraction per side)."""
    if size <= 0 or margin < 0:
        raise ValueError(f"template needs size > 0 and margin >= 0, got size={size}, margin={margin}")
    return (TEMPLATE_112 / 112.0 + margin) / (1.0 + 2.0 * margin) * size


def similarity(landmarks: np.ndarray, size: int = 112, margin: float = 0.0,
               eye_weight: int = 3) -> np.ndarray:
    """The 2×3 similarity matrix that maps ``landmarks`` [5, 2] (image pixels) to the template
    (weighted least squares, eyes weighted ``eye_weight``)."""
    src = np.asarray(landmarks, np.float64).reshape(5, 2)
    if not np.isfinite(src).all():
        raise DataError("landmarks are not finite")
    idx = [0] * max(1, eye_weight) + [1] * max(1, eye_weight) + [2, 3, 4]
    dst = template(size, margin)
    # RANSAC with an unreachable threshold keeps every point: the result is the refined least-squares fit
    matrix, _ = cv2.estimateAffinePartial2D(src[idx], dst[idx], method=cv2.RANSAC, ransacReprojThreshold=1e9,
                                            maxIters=1, refineIters=100)
    if matrix is None:
        raise DataError("cannot fit a similarity transform to these landmarks (degenerate points)")
    return matrix


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """points [K, 2] -> [K, 2] under the 2×3 affine ``matrix``."""
    pts = np.asarray(points, np.float64)
    return pts @ matrix[:, :2].T + matrix[:, 2]
