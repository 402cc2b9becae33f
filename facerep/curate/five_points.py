"""Five alignment points (eye centres, nose tip, mouth corners) found by a face detector, for faces that come
without landmarks: folders of expression faces, AU frames, any image set. The benchmark aligns the faces of
its facial-motion tasks with them (:mod:`facerep.bench.prepare`).

Only points that are *detected* qualify: MTCNN's, or the 5 derived from face-api's 68-point landmark net
(``landmarker=faceapi``); points estimated from a box (Haar) would not align anything. Datasets of tight face
crops (FER's 48-px faces, CK+48) leave the detector no context, so each image is padded by a quarter of its
side (edge pixels repeated) and enlarged to at least :data:`MIN_SIDE` pixels before detection; the largest
face's points are mapped back. Measured on 150 FER2013 test faces: MTCNN found points on 115 as they are, on
124 padded and enlarged (all 150 of CK+48).

Found points are cached on disk by image content (``<cache>/five-points-<detector>.npz``), so a rerun of a
bench does not detect again.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np

from ..backbones.faceapi.weights import in_cache
from ..errors import ConfigError
from ..io import atomic_write
from .detect import Detection, Detector, create_detector, mtcnn_available
from .landmark import Landmarker, create_landmarker, refine

PAD = 0.25  # border added on each side, as a fraction of the longer image side
MIN_SIDE = 160  # padded images are enlarged to at least this side before detection


LANDMARKERS = ("auto", "mtcnn", "faceapi", "none")


def resolve_landmarker(name: str) -> str | None:
    """The landmarker a bench uses: ``mtcnn`` (MTCNN's 5 detected points), ``faceapi`` (face-api's 68-point
    net on the detected box, its 5 points derived from the 68; the box from MTCNN, else face-api's SSD, else
    the whole image of a tight crop), ``none`` -> None, ``auto`` -> mtcnn when facenet-pytorch imports, else
    faceapi when its weights are in the cache, else None. A named one that cannot load is a ConfigError saying
    how to fix it."""
    if name not in LANDMARKERS:
        raise ConfigError(f"landmarker {name!r} is not one of {', '.join(LANDMARKERS)}")
    if name == "none":
        return None
    if name == "auto":
        return "mtcnn" if mtcnn_available() else "faceapi" if in_cache() else None
    if name == "mtcnn" and not mtcnn_available():
        raise ConfigError("landmarker 'mtcnn' needs facenet-pytorch: "
                          "pip install --no-deps facenet-pytorch requests")
    if name == "faceapi" and not in_cache():
        raise ConfigError("landmarker 'faceapi' needs face-api's weights: run `facerep weights faceapi`")
    return name


class FivePointFinder:
    """Callable: image [H, W, 3] uint8 -> [5, 2] float64 points in image pixels (ArcFace order), or None when
    no face is found. ``cache``: a folder for the on-disk cache (None: no cache)."""

    def __init__(self, name: str, cache: str | Path | None = None) -> None:
        self.name = name  # a landmarker of :func:`resolve_landmarker`
        self.detector: Detector | None = None  # built on first use: datasets with landmarks never need it
        self.landmarker: Landmarker | None = None
        self.path = None if cache is None else Path(cache) / f"five-points-{name}.npz"
        self.known: dict[str, np.ndarray] = {}
        self.new = 0
        if self.path is not None and self.path.is_file():
            with np.load(self.path) as z:
                self.known = dict(zip(z["keys"].tolist(), z["points"]))

    def __call__(self, image: np.ndarray) -> np.ndarray | None:
        key = hashlib.sha1(np.ascontiguousarray(image).tobytes() + str(image.shape).encode()).hexdigest()
        if key not in self.known:
            self.known[key] = self._detect(image)
            self.new += 1
        pts = self.known[key]
        return None if np.isnan(pts).any() else pts.astype(np.float64)

    def _detect(self, image: np.ndarray) -> np.ndarray:
        """[5, 2] points, NaN when no face is found."""
        h, w = image.shape[:2]
        pad = round(PAD * max(h, w))
        big = cv2.copyMakeBorder(np.ascontiguousarray(image), pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        scale = max(1.0, MIN_SIDE / min(big.shape[:2]))
        if scale > 1.0:
            big = cv2.resize(big, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        if self.detector is None:
            self.detector = create_detector("mtcnn" if mtcnn_available() else "faceapi-ssd")
            self.landmarker = create_landmarker("faceapi") if self.name == "faceapi" else None
        found = self.detector.detect(big)[:1]
        if not found and self.landmarker is not None:  # a tight crop: the whole image is the face
            h, w = big.shape[:2]
            found = [Detection(box=np.array([pad * scale, pad * scale, w - pad * scale, h - pad * scale]),
                               score=0.0, landmarks=np.zeros((5, 2), np.float32), landmarks_source="none")]
        if self.landmarker is not None:
            found = refine(self.landmarker, big, found)
        found = [d for d in found if d.landmarks_source == "detector" or d.landmarks_source.endswith("-68")]
        if not found:
            return np.full((5, 2), np.nan, np.float32)
        return (found[0].landmarks / scale - pad).astype(np.float32)

    def save(self) -> None:
        """Write the cache (atomically) when this run found new points."""
        if self.path is None or not self.new:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys, points = np.array(list(self.known)), np.stack(list(self.known.values()))
        atomic_write(self.path, lambda tmp: np.savez(tmp, keys=keys, points=points))
        self.new = 0
