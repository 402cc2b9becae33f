"""Face quality measures and the ``--min-*`` filters.

- ``sharpness``: variance of the Laplacian of the grey aligned crop (higher = sharper; comparable across
  inputs because every crop has the same size);
- ``face_size``: shorter side of the detector box in source pixels;
- ``score``: the detector's confidence;
- ``frontal``: a frontal-ness proxy in [0, 1] from the 5 landmarks: 1 when the nose sits midway between
  the eyes and between the mouth corners (yaw ~ 0), 0 when it is in line with an eye (see :func:`frontal`).
"""
from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np

from ..errors import ConfigError

MEASURES: tuple[str, ...] = ("sharpness", "face_size", "score", "frontal")


def sharpness(crop: np.ndarray) -> float:
    """crop: [H, W, 3] uint8 RGB -> variance of the Laplacian of its grey image."""
    grey = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def frontal(landmarks: np.ndarray) -> float:
    """landmarks [5, 2] (ArcFace order) -> frontal-ness in [0, 1].

    The nose's offset from the eye midpoint and from the mouth midpoint, measured along the eye axis
    (so roll does not count) in units of half the inter-ocular distance, averaged: 1 - that offset,
    clipped. 1 = nose centred (yaw ~ 0); 0 = nose in line with an eye (a near profile)."""
    lm = np.asarray(landmarks, np.float64)
    axis = lm[1] - lm[0]
    half = max(float(np.linalg.norm(axis)) / 2.0, 1e-6)
    u = axis / (2.0 * half)
    offsets = [abs(float(np.dot(lm[2] - (lm[a] + lm[b]) / 2.0, u))) / half for a, b in ((0, 1), (3, 4))]
    return float(np.clip(1.0 - float(np.mean(offsets)), 0.0, 1.0))


def measure(crop: np.ndarray, landmarks: np.ndarray, face_size: float, score: float) -> dict[str, float]:
    """All quality measures of one face (see the module docstring)."""
    return {"sharpness": sharpness(crop), "face_size": float(face_size), "score": float(score),
            "frontal": frontal(landmarks)}


def failed_filter(measures: Mapping[str, float], minimums: Mapping[str, float]) -> str | None:
    """The first measure below its minimum (``None`` when the face passes every filter)."""
    for key, low in minimums.items():
        if low > 0 and measures[key] < low:
            return key
    return None


def parse_minimums(items: list[str] | tuple[str, ...]) -> dict[str, float]:
    """``["sharpness=50", "frontal=0.6"]`` -> ``{"sharpness": 50.0, "frontal": 0.6}`` (keys checked)."""
    out: dict[str, float] = {}
    for item in items:
        key, sep, val = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep:
            raise ConfigError(f"quality filter {item!r} is not of the form key=value (keys: "
                              f"{', '.join(MEASURES)})")
        try:
            out[key] = float(val)
        except ValueError:
            raise ConfigError(f"quality filter {item!r}: {val!r} is not a number") from None
    return out
