"""``mtcnn`` — MTCNN from facenet-pytorch, with the P/R/O-net weights shipped inside that package.

facenet-pytorch pins an old torch: install it with ``pip install --no-deps facenet-pytorch requests``.
It is imported only when this detector is built.
"""
from __future__ import annotations

import numpy as np

from ...errors import ConfigError
from ..detect import Detection, register_detector, sort_largest_first


class MtcnnDetector:
    name = "mtcnn"

    def __init__(self, min_face: int = 20, thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7)) -> None:
        try:
            from facenet_pytorch import MTCNN  # deferred: optional (installed with --no-deps, see install.sh)
        except ImportError as e:
            raise ConfigError(f"detector 'mtcnn' needs facenet-pytorch ({e}); "
                              "pip install --no-deps facenet-pytorch requests, "
                              "or use --detector haar") from None
        self.model = MTCNN(keep_all=True, min_face_size=min_face, thresholds=list(thresholds), device="cpu")

    def detect(self, image: np.ndarray) -> list[Detection]:
        """image: [H, W, 3] uint8 RGB -> faces with detected 5 landmarks, largest first."""
        boxes, probs, points = self.model.detect(np.ascontiguousarray(image), landmarks=True)
        if boxes is None:
            return []
        dets = [Detection(box=np.asarray(b, np.float32), score=float(p), landmarks=np.asarray(lm, np.float32))
                for b, p, lm in zip(boxes, probs, points)]
        return sort_largest_first(dets)


@register_detector("mtcnn",
                   description="MTCNN (facenet-pytorch, shipped weights): boxes + 5 detected landmarks")
def create_mtcnn() -> MtcnnDetector:
    return MtcnnDetector()
