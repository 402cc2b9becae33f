"""Near-duplicate faces found from the pixels alone, for leakage-safe splits of data without identity, subject
or video ids (e.g. folders of video frames) and for counting the near-duplicate pairs that cross a train/test
split.

The descriptor is backbone-independent, so every backbone benchmarked on a dataset gets the same split: the
image in grey, area-resized to 16×16, mean-centred and L2-normalised (256 values). Two faces are
near-duplicates when the cosine of their descriptors is at least a threshold; groups are the connected
components of the thresholded k-nearest-neighbour graph (:func:`facerep.curate.redundancy.duplicate_groups`).
Measured on real faces (CK+48: 981 frames of 327 sequences, 3 frames each; JAFFE: 213 posed photos of 10
women): at 0.95, 99.1 % of the pairs of frames of one sequence are near-duplicates and the groups split no
sequence (254 groups), while 16 of 476k pairs of different CK+ subjects and none of JAFFE's different women
reach it. Photos of one person with other expressions are mostly not near-duplicates (JAFFE: 38 % of
same-person pairs reach 0.95): name the subjects (e.g. ``imagefolder:…?subject=REGEX``) when they are known.
"""
from __future__ import annotations

import cv2
import numpy as np

from ..config import RedundancyConfig
from .redundancy import duplicate_groups

THUMB = 16  # descriptor side in pixels
CROSS_K = 20  # near-duplicates are counted among each test face's CROSS_K most similar training faces


def thumbnail(image: np.ndarray) -> np.ndarray:
    """image: [H, W, 3] or [H, W] uint8 -> [THUMB²] float32 unit vector (zero for a flat image)."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    t = cv2.resize(grey.astype(np.float32), (THUMB, THUMB), interpolation=cv2.INTER_AREA).ravel()
    t -= t.mean()
    norm = float(np.linalg.norm(t))
    return t / norm if norm > 1e-6 else t


def near_duplicate_groups(thumbs: np.ndarray, threshold: float) -> np.ndarray:
    """thumbs: [N, THUMB²] -> group id per face [N] (numbered by first face)."""
    if len(thumbs) < 2:
        return np.zeros(len(thumbs), np.int64)
    return duplicate_groups(thumbs, RedundancyConfig(threshold=threshold, k=10))


def cross_pairs(train: np.ndarray, test: np.ndarray, threshold: float) -> int:
    """Near-duplicate pairs (train face, test face) at ``threshold``, found among each test face's CROSS_K
    most similar training faces (exact search, blockwise). train: [N, THUMB²]; test: [M, THUMB²]."""
    if not len(train) or not len(test):
        return 0
    a = np.ascontiguousarray(train, dtype=np.float32)
    k = min(CROSS_K, len(a))
    count = 0
    for start in range(0, len(test), 2048):  # bound the [block, N] similarity matrix
        sims = np.ascontiguousarray(test[start:start + 2048], dtype=np.float32) @ a.T
        top = np.partition(sims, len(a) - k, axis=1)[:, len(a) - k:] if k < len(a) else sims
        count += int((top >= threshold).sum())
    return count
