"""Landmarkers: 68 points for each detected face, from which curation takes its 5 alignment points.

A landmarker (``--landmarker NAME``, one file per landmarker in :mod:`facerep.curate.landmarkers`) reads each
detector box and returns the 68 iBUG points; :func:`refine` stores them on the detection (``landmarks68``) and
replaces its 5 points by the ones derived from the 68 (eye centres = mean of each eye's 6 points, nose tip,
mouth corners: :func:`facerep.data.transforms.five_points`), which the crop is then aligned by.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from .._plugins import import_submodules
from ..data.transforms import five_points
from ..registry import Registry
from .detect import Detection


class Landmarker(Protocol):
    name: str

    def landmarks(self, image: np.ndarray, boxes: list[np.ndarray]) -> list[np.ndarray]:
        """image [H, W, 3] uint8 RGB, boxes (x0, y0, x1, y1) pixels -> [68, 2] points per box (image
        pixels)."""
        ...


LANDMARKERS: Registry[Callable[[], Landmarker]] = Registry("landmarker")
register_landmarker = LANDMARKERS.register


def create_landmarker(name: str) -> Landmarker | None:
    """The landmarker ``name``; None for ``none``."""
    import_submodules("facerep.curate.landmarkers")
    return None if name == "none" else LANDMARKERS.get(name)()


def refine(landmarker: Landmarker, image: np.ndarray, dets: list[Detection]) -> list[Detection]:
    """Give each detection its 68 points and the 5 alignment points derived from them
    (``landmarks_source = "<landmarker>-68"``); a detection whose 68 points are not finite keeps its own 5."""
    todo = [d for d in dets if d.landmarks68 is None]
    for det, pts in zip(todo, landmarker.landmarks(image, [d.box for d in todo]) if todo else []):
        five = five_points(pts)
        if five is not None:
            det.landmarks68 = np.asarray(pts, np.float32)
            det.landmarks, det.landmarks_source = five.astype(np.float32), f"{landmarker.name}-68"
    return dets
