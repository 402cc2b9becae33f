"""``faceapi:expression`` — face-api's expression net (``face_expression_model``; ``src/faceExpressionNet``):
the landmark net's dense feature extractor design (4 blocks, 256-d, its own weights) and one fully connected
layer to 7 logits; face-api reports their softmax over ``EXPRESSIONS``.
"""
from __future__ import annotations

import torch

from ._dense import DenseNet

EXPRESSIONS = ("neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised")


class FaceExpressionNet(DenseNet):
    network = "expression"
    manifest = "face_expression_model"
    blocks = 4
    outputs = len(EXPRESSIONS)

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """x: [B, 3, S, S] normalised -> expression probabilities [B, 7] in ``EXPRESSIONS`` order."""
        return torch.softmax(self.logits(x), dim=-1)
