"""``faceapi`` — face-api's 68-point landmark net (``faceapi:landmarks68``; weights: ``facerep weights``).

As face-api does (``extractFaceTensors`` + ``detectLandmarks``): the detector box is clipped to the image and
floored to whole pixels, cut out, padded to a square with black (centred) and resized to 112 px; the 68 points
come back in the pixels of the cut and are shifted by its corner (face-api shifts by the unrounded box corner,
up to one pixel away).
"""
from __future__ import annotations

import math

import numpy as np

from ...backbones.faceapi.predict import FaceApi
from ..landmark import register_landmarker


class FaceApiLandmarker:
    name = "faceapi"

    def __init__(self, tiny: bool = False) -> None:
        self.api, self.tiny = FaceApi(), tiny
        self.api.net("landmarks68-tiny" if tiny else "landmarks68")  # loads now: a missing cache fails here

    def landmarks(self, image: np.ndarray, boxes: list[np.ndarray]) -> list[np.ndarray]:
        """image [H, W, 3] uint8 RGB, boxes (x0, y0, x1, y1) -> [68, 2] points per box, image pixels."""
        h, w = image.shape[:2]
        cuts, corners = [], []
        for x0, y0, x1, y1 in boxes:
            cx, cy = max(float(x0), 0.0), max(float(y0), 0.0)
            cw, ch = min(float(x1) - cx, w - cx), min(float(y1) - cy, h - cy)
            ix, iy, iw, ih = math.floor(cx), math.floor(cy), math.floor(cw), math.floor(ch)
            cut = image[iy:iy + max(ih, 1), ix:ix + max(iw, 1)]
            cuts.append(cut if cut.size else np.zeros((1, 1, 3), np.uint8))
            corners.append((ix, iy))
        pts = self.api.landmarks(cuts, tiny=self.tiny) if cuts else np.zeros((0, 68, 2), np.float32)
        return [p + np.array(c, np.float32) for p, c in zip(pts, corners)]


@register_landmarker("faceapi", description="face-api's 68-point landmark net (`facerep weights faceapi`)")
def create_faceapi_landmarker() -> FaceApiLandmarker:
    return FaceApiLandmarker()
