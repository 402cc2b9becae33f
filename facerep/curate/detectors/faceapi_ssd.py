"""``faceapi-ssd`` — face-api's SSD MobileNet v1 face detector (weights from `facerep weights faceapi`),
ported in :mod:`facerep.backbones.faceapi.ssd` (min confidence 0.5, NMS at IoU 0.5). Its 5 landmarks come from
face-api's 68-point net on each box (``landmarks_source="faceapi-68"``), as
``detectAllFaces().withFaceLandmarks()`` does.
"""
from __future__ import annotations

import numpy as np

from ...backbones.faceapi.ssd import SsdFaceDetector
from ..detect import Detection, register_detector, sort_largest_first
from ..landmark import refine
from ..landmarkers.faceapi import FaceApiLandmarker
from .haar import box_landmarks


class FaceApiSsdDetector:
    name = "faceapi-ssd"

    def __init__(self, min_confidence: float = 0.5) -> None:
        self.ssd = SsdFaceDetector(min_confidence=min_confidence)
        self.landmarker = FaceApiLandmarker()

    def detect(self, image: np.ndarray) -> list[Detection]:
        """image: [H, W, 3] uint8 RGB -> faces with 68 and 5 landmarks, largest first."""
        dets = []
        for face in self.ssd.detect(image):
            x, y, w, h = face.box
            box = np.array([x, y, x + w, y + h], np.float32)
            dets.append(Detection(box=box, score=face.score, landmarks=box_landmarks(box),
                                  landmarks_source="box-estimate"))
        return sort_largest_first(refine(self.landmarker, image, dets))


@register_detector("faceapi-ssd", description="face-api's SSD MobileNet v1 (`facerep weights faceapi`); "
                   "5 landmarks from its 68-point net")
def create_faceapi_ssd() -> FaceApiSsdDetector:
    return FaceApiSsdDetector()
