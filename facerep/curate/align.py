"""5-point alignment: a similarity transform (rotation, uniform scale, translation) that maps the detected
landmarks onto the canonical ArcFace-style template, estimated by least squares
(``cv2.estimateAffinePartial2D``), then ``cv2.warpAffine`` to a square crop.

The fit weighs each eye ``eye_weight`` times (default 3) as much as the nose and mouth points: eyes are
the most reliable landmarks and fix roll and scale, while mouth height varies most between faces (with
equal weights, an average face's eyes already miss the template by 2-3 px at 112 px). Weights are applied
by repeating the eye points in an all-inlier least-squares fit.

The template is the 112×112 ArcFace one (image-left eye, image-right eye, nose tip, image-left and
image-right mouth corners). For a crop of ``size`` pixels and ``margin`` m, template points t (in 0..1
units of the 112 crop) go to ``(t + m) / (1 + 2 m) * size``: m = 0 is the ArcFace crop, m > 0 shows more
context around the same face.
"""
from __future__ import annotations

import numpy as np

from ..errors import DataError

TEMPLATE_112 = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                         [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float64)


def template(size: int = 112, margin: float = 0.0) -> np.ndarray:
    """The 5 template points [5, 2] for a ``size``×``size`` crop with ``margin`` (fraction per side)."""
    if size <= 0 or margin < 0:
        raise ValueError(f"template needs size > 0 and margin >= 0, got size={size}, margin={margin}")
    return (TEMPLATE_112 / 112.0 + margin) / (1.0 + 2.0 * margin) * size


def similarity(landmarks: np.ndarray, size: int = 112, margin: float = 0.0, eye_weight: int = 3) -> np.ndarray:
    """The 2×3 similarity matrix that maps ``landmarks`` [5, 2] (image pixels) to the template
    (weighted least squares, eyes weighted ``eye_weight``)."""
    import cv2

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


def align_face(image: np.ndarray, landmarks: np.ndarray, size: int = 112, margin: float = 0.0,
               eye_weight: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Warp ``image`` [H, W, 3] so ``landmarks`` [5, 2] land on the template.

    Returns (crop [size, size, 3] uint8, matrix 2×3, aligned landmarks [5, 2] in crop pixels).
    Pixels from outside the image are filled by edge reflection.
    """
    import cv2

    matrix = similarity(landmarks, size, margin, eye_weight)
    crop = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    return crop, matrix, apply(matrix, landmarks).astype(np.float32)
