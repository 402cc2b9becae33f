"""``faceapi:landmarks68`` and ``faceapi:landmarks68-tiny`` — face-api's 68-point landmark nets
(``face_landmark_68_model``, ``face_landmark_68_tiny_model``; ``src/faceLandmarkNet``): the dense feature
extractor (4 blocks, 256-d; tiny: 3 blocks, 128-d) and one fully connected layer to 136 numbers, the 68 (x, y)
pairs interleaved in units of the 112 x 112 input (face-api multiplies by the input size and undoes the
square padding in ``FaceLandmark68NetBase.postProcess``). The points follow the iBUG 68 order.
"""
from __future__ import annotations

import torch

from ._dense import DenseNet


class FaceLandmark68Net(DenseNet):
    network = "landmarks68"
    manifest = "face_landmark_68_model"
    blocks = 4
    outputs = 136

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """x: [B, 3, S, S] normalised -> 68 points [B, 68, 2] (x, y) as fractions of the input side."""
        return self.logits(x).view(-1, 68, 2)


class FaceLandmark68TinyNet(FaceLandmark68Net):
    network = "landmarks68-tiny"
    manifest = "face_landmark_68_tiny_model"
    blocks = 3
