"""face-api's original predictions through facerep: descriptors, 68 landmarks, expressions, age and gender.

    from facerep.backbones.faceapi.predict import FaceApi
    api = FaceApi()                      # weights from the cache (`facerep weights faceapi`)
    res = api.analyse(faces)             # faces: face crops, [H, W, 3] uint8 RGB arrays of any size
    res.descriptor, res.landmarks68, res.expression_labels(), res.age, res.gender_labels()

Each face is padded to a square (black, centred) and resized to the network's input with TF's bilinear resize,
as face-api does for tensor inputs; landmarks are mapped back to the pixels of each face image as face-api's
``FaceLandmark68NetBase.postProcess`` does. face-api compares descriptors by Euclidean distance (same person
below about 0.6).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import create_faceapi_network
from ._image import face_input
from ._net import FaceApiBackbone
from .agegender import GENDERS, AgeGenderNet
from .expression import EXPRESSIONS


@dataclass
class FaceApiResult:
    """Per face: ``descriptor`` [N, 128], ``landmarks68`` [N, 68, 2] (x, y pixels of each face image),
    ``expression`` [N, 7] probabilities (``EXPRESSIONS`` order), ``age`` [N] years, ``gender`` [N, 2]
    probabilities (``GENDERS``: male, female)."""

    descriptor: np.ndarray
    landmarks68: np.ndarray
    expression: np.ndarray
    age: np.ndarray
    gender: np.ndarray

    def expression_labels(self) -> list[str]:
        return [EXPRESSIONS[i] for i in self.expression.argmax(1)]

    def gender_labels(self) -> list[str]:
        return [GENDERS[i] for i in self.gender.argmax(1)]


class FaceApi:
    """The five face-api networks with their weights (``weights``: a folder holding the package's model files;
    default: facerep's cache). Networks are built on first use."""

    def __init__(self, weights: str | Path | None = None, *, batch_size: int = 32) -> None:
        self.weights, self.batch_size = weights, batch_size
        self._nets: dict[str, FaceApiBackbone] = {}

    def net(self, network: str) -> FaceApiBackbone:
        if network not in self._nets:
            self._nets[network] = create_faceapi_network(network, weights=self.weights)
        return self._nets[network]

    def _run(self, network: str, faces: Sequence[np.ndarray]) -> list:
        """The network's ``predict`` on each batch of faces (face-api's input preparation)."""
        net = self.net(network)
        size = net.native_size
        outs = []
        with torch.no_grad():
            for start in range(0, len(faces), self.batch_size):
                x = torch.stack([face_input(f, size) for f in faces[start:start + self.batch_size]]) / 255.0
                outs.append(net.predict(net.normalize(x)))
        return outs

    def descriptors(self, faces: Sequence[np.ndarray]) -> np.ndarray:
        """faces -> [N, 128] face descriptors."""
        return torch.cat(self._run("recognition", faces)).numpy()

    def landmarks(self, faces: Sequence[np.ndarray], *, tiny: bool = False) -> np.ndarray:
        """faces -> [N, 68, 2] iBUG points in pixels of each face image."""
        net = "landmarks68-tiny" if tiny else "landmarks68"
        rel = torch.cat(self._run(net, faces)).numpy().astype(np.float64)
        size = self.net(net).native_size
        out = np.empty_like(rel)
        for i, face in enumerate(faces):
            h, w = face.shape[:2]
            scale = size / max(h, w)
            pad = np.array([max(h - w, 0), max(w - h, 0)]) * scale / 2  # face-api assumes half on each side
            out[i] = (rel[i] * size - pad) / scale
        return out.astype(np.float32)

    def expressions(self, faces: Sequence[np.ndarray]) -> np.ndarray:
        """faces -> [N, 7] expression probabilities (``EXPRESSIONS`` order)."""
        return torch.cat(self._run("expression", faces)).numpy()

    def age_gender(self, faces: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """faces -> (age [N] years, gender [N, 2] probabilities of male, female)."""
        outs = self._run(AgeGenderNet.network, faces)
        return torch.cat([o.age for o in outs]).numpy(), torch.cat([o.gender for o in outs]).numpy()

    def analyse(self, faces: Sequence[np.ndarray]) -> FaceApiResult:
        """Every original prediction for each face."""
        age, gender = self.age_gender(faces)
        return FaceApiResult(self.descriptors(faces), self.landmarks(faces), self.expressions(faces), age,
                             gender)
