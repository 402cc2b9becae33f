"""Face detectors: a registry of detectors, each returning boxes, scores and 5 landmarks per face.

The 5 landmarks are in image pixels, ordered as the ArcFace template: image-left eye, image-right eye,
nose tip, image-left mouth corner, image-right mouth corner. Detectors live one per file in
:mod:`facerep.curate.detectors` and register themselves with :func:`register_detector`.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .._plugins import import_submodules
from ..registry import Registry


@dataclass
class Detection:
    """One face: ``box`` (x0, y0, x1, y1) pixels, ``score`` in [0, 1], ``landmarks`` [5, 2] pixels,
    ``landmarks_source`` says where the landmarks came from ("detector", "eye-cascade", "box-estimate", or
    "<landmarker>-68": derived from ``landmarks68`` [68, 2] pixels, set by a landmarker)."""

    box: np.ndarray
    score: float
    landmarks: np.ndarray
    landmarks_source: str = "detector"
    landmarks68: np.ndarray | None = None

    @property
    def size(self) -> float:
        """Shorter side of the box, pixels."""
        return float(min(self.box[2] - self.box[0], self.box[3] - self.box[1]))


class Detector(Protocol):
    name: str

    def detect(self, image: np.ndarray) -> list[Detection]:
        """image: [H, W, 3] uint8 RGB -> faces, largest first."""
        ...


DETECTORS: Registry[Callable[[], Detector]] = Registry("face detector")
register_detector = DETECTORS.register


def _ensure_loaded() -> None:
    import_submodules("facerep.curate.detectors")


def mtcnn_available() -> bool:
    """Whether facenet-pytorch (and its runtime imports) can be imported."""
    try:
        import facenet_pytorch  # noqa: F401
    except ImportError:
        return False
    return True


def create_detector(name: str = "auto") -> Detector:
    """Build a detector by name. ``auto`` is MTCNN when facenet-pytorch imports, else OpenCV's Haar
    cascade (with a warning: Haar gives no landmarks, they are estimated)."""
    _ensure_loaded()
    if name == "auto":
        if mtcnn_available():
            name = "mtcnn"
        else:
            warnings.warn("facenet-pytorch is not importable (pip install --no-deps facenet-pytorch "
                          "requests); using OpenCV's Haar cascade, whose 5 landmarks are estimated, not "
                          "detected", stacklevel=2)
            name = "haar"
    return DETECTORS.get(name)()


def sort_largest_first(dets: list[Detection]) -> list[Detection]:
    return sorted(dets, key=lambda d: -float((d.box[2] - d.box[0]) * (d.box[3] - d.box[1])))


def list_detectors() -> list[str]:
    _ensure_loaded()
    return DETECTORS.list()
