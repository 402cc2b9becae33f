"""``haar`` — OpenCV's frontal-face Haar cascade (ships with opencv; no download).

Haar gives boxes only. The 5 landmarks come from OpenCV's eye cascade run in the upper half of the box
when it finds two eyes (``landmarks_source="eye-cascade"``: eyes detected, nose and mouth placed from the
eyes with the template's proportions); otherwise all 5 are placed in the box by the template's mean
proportions (``"box-estimate"``). The score is a monotone map of the cascade's level weight to [0, 1].
"""
from __future__ import annotations

import cv2
import numpy as np

from ...data.geometry import TEMPLATE_112
from ..detect import Detection, register_detector, sort_largest_first

# where the template points sit in a detector box, as fractions of box width/height (box = the
# template's central square, the same convention as a tight frontal face box)
_BOX_FRACTIONS = (TEMPLATE_112 - np.array([8.0, 16.0])) / np.array([96.0, 96.0])


def box_landmarks(box: np.ndarray) -> np.ndarray:
    """box (x0, y0, x1, y1) -> [5, 2] landmarks at the template's proportions."""
    x0, y0, x1, y1 = box
    return (np.array([x0, y0]) + _BOX_FRACTIONS * np.array([x1 - x0, y1 - y0])).astype(np.float32)


def eyes_landmarks(eyes: np.ndarray) -> np.ndarray:
    """eyes [2, 2] (image-left, image-right) -> [5, 2]: nose and mouth placed by a similarity from the
    template's eye pair."""
    src, dst = TEMPLATE_112[:2].astype(np.float64), eyes.astype(np.float64)
    s_vec, d_vec = src[1] - src[0], dst[1] - dst[0]
    scale = np.linalg.norm(d_vec) / np.linalg.norm(s_vec)
    ang = np.arctan2(d_vec[1], d_vec[0]) - np.arctan2(s_vec[1], s_vec[0])
    rot = scale * np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
    return ((TEMPLATE_112 - src[0]) @ rot.T + dst[0]).astype(np.float32)


class HaarDetector:
    name = "haar"

    def __init__(self, min_face: int = 20) -> None:
        root = cv2.data.haarcascades  # type: ignore[attr-defined]  # cv2's stubs leave out cv2.data
        self.faces = cv2.CascadeClassifier(root + "haarcascade_frontalface_default.xml")
        self.eyes = cv2.CascadeClassifier(root + "haarcascade_eye.xml")
        self.min_face = min_face

    def _eyes(self, grey: np.ndarray, box: np.ndarray) -> np.ndarray | None:
        x0, y0, x1, y1 = box.astype(int)
        roi = grey[y0:y0 + (y1 - y0) // 2 + 1, x0:x1]
        found = self.eyes.detectMultiScale(roi, scaleFactor=1.1, minNeighbors=3,
                                           minSize=(max(4, (x1 - x0) // 10),) * 2)
        if len(found) < 2:
            return None
        found = sorted(found, key=lambda r: -r[2] * r[3])[:2]
        centres = np.array([[x0 + x + w / 2.0, y0 + y + h / 2.0] for x, y, w, h in found])
        centres = centres[np.argsort(centres[:, 0])]
        if centres[1, 0] - centres[0, 0] < (x1 - x0) * 0.2:
            return None
        return centres

    def detect(self, image: np.ndarray) -> list[Detection]:
        """image: [H, W, 3] uint8 RGB -> faces (landmarks from the eye cascade or the box), largest first."""
        grey = cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))
        rects, _, weights = self.faces.detectMultiScale3(grey, scaleFactor=1.1, minNeighbors=5,
                                                          minSize=(self.min_face, self.min_face),
                                                          outputRejectLevels=True)
        dets = []
        for (x, y, w, h), wt in zip(rects, np.asarray(weights).reshape(-1)):
            box = np.array([x, y, x + w, y + h], np.float32)
            eyes = self._eyes(grey, box)
            if eyes is not None:
                lm, src = eyes_landmarks(eyes), "eye-cascade"
            else:
                lm, src = box_landmarks(box), "box-estimate"
            dets.append(Detection(box=box, score=float(1.0 / (1.0 + np.exp(-float(wt)))), landmarks=lm,
                                  landmarks_source=src))
        return sort_largest_first(dets)


@register_detector("haar", description="OpenCV Haar cascade; 5 landmarks from the eye cascade or "
                                       "estimated from the box")
def create_haar() -> HaarDetector:
    return HaarDetector()
