"""5-point alignment of a face image for curation: ``cv2.warpAffine`` of the image by the similarity transform
of :mod:`facerep.data.geometry` (template, weighted least-squares fit) to a square crop.
"""
from __future__ import annotations

import cv2
import numpy as np

# the geometry is re-exported: tests/bench imports ``template`` from here
from ..data.geometry import TEMPLATE_112, apply, similarity, template

__all__ = ["TEMPLATE_112", "align_face", "apply", "similarity", "template"]


def align_face(image: np.ndarray, landmarks: np.ndarray, size: int = 112, margin: float = 0.0,
               eye_weight: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Warp ``image`` [H, W, 3] so ``landmarks`` [5, 2] land on the template.

    Returns (crop [size, size, 3] uint8, matrix 2×3, aligned landmarks [5, 2] in crop pixels).
    Pixels from outside the image are filled by edge reflection.
    """
    matrix = similarity(landmarks, size, margin, eye_weight)
    crop = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT_101)
    return crop, matrix, apply(matrix, landmarks).astype(np.float32)
