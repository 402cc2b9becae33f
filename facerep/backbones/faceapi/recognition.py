"""``faceapi:recognition`` — face-api's face recognition network (``face_recognition_model``): a
ResNet-34-like residual net derived from dlib's face recognition ResNet, 150 x 150 input, 128-d descriptor
(face-api compares descriptors by Euclidean distance, 0.6 being its usual threshold).

Written from ``src/faceRecognitionNet/*.ts`` of the package. Each conv layer is conv + bias, then a learned
per-channel scale and shift (``scale/weights``, ``scale/biases``, dlib's affine layer), then ReLU::

    conv32_down   7x7 stride 2 'valid' (32) -> maxPool 3x3 stride 2 'valid'
    conv32_1..3   residual blocks (two 3x3 'same' convs + identity)  maps[0]     stride 4
    conv64_down, conv64_1..3  |  conv128_down, conv128_1..2  |  conv256_down, conv256_1..2
                                                             maps[1..3]  strides 8, 16, 32
    conv256_down_out  -> mean over H, W (256, ``pooled``) -> fc 256 x 128, no bias (the descriptor)

A down block's first conv is 3x3 stride 2 'valid'; its shortcut is a 2x2 stride-2 average pool padded with
zero channels, and where the two differ in size the conv output gets a zero row at the bottom and a zero
column at the right (``residualDown``).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ...errors import ConfigError
from ._layers import TfConv, TfLinear
from ._net import FaceApiBackbone


class ConvScale(nn.Module):
    """conv + bias, times ``scale/weights`` plus ``scale/biases``, optional ReLU."""

    def __init__(self, prefix: str, c_in: int, c_out: int, k: int, stride: int = 1, padding: str = "same",
                 relu: bool = True) -> None:
        super().__init__()
        self.prefix, self.relu = prefix, relu
        self.conv = TfConv(f"{prefix}/conv", c_in, c_out, k, stride, padding)
        self.scale = nn.Parameter(torch.ones(c_out))
        self.shift = nn.Parameter(torch.zeros(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: [B, C_in, H, W] -> [B, C_out, H', W']."""
        out = self.conv(x) * self.scale.view(1, -1, 1, 1) + self.shift.view(1, -1, 1, 1)
        return F.relu(out) if self.relu else out

    def tf_params(self) -> Iterator[tuple[str, nn.Parameter, str]]:
        yield f"{self.prefix}/scale/weights", self.scale, "vector"
        yield f"{self.prefix}/scale/biases", self.shift, "vector"


class Residual(nn.Module):
    """``residual`` (same size) or ``residualDown`` (stride 2, more channels) of face-api."""

    def __init__(self, prefix: str, c_in: int, c_out: int, down: bool = False) -> None:
        super().__init__()
        self.down = down
        stride, padding = (2, "valid") if down else (1, "same")
        self.conv1 = ConvScale(f"{prefix}/conv1", c_in, c_out, 3, stride, padding)
        self.conv2 = ConvScale(f"{prefix}/conv2", c_out, c_out, 3, relu=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: [B, C_in, H, W] -> [B, C_out, H or about H/2, W or about W/2]."""
        out = self.conv2(self.conv1(x))
        if not self.down:
            return F.relu(out + x)
        short = F.avg_pool2d(x, 2, 2)
        dh, dw = short.shape[2] - out.shape[2], short.shape[3] - out.shape[3]
        if dh or dw:
            out = F.pad(out, (0, max(dw, 0), 0, max(dh, 0)))
        if short.shape[1] != out.shape[1]:
            short = F.pad(short, (0, 0, 0, 0, 0, out.shape[1] - short.shape[1]))
        return F.relu(short + out)


# (name, c_in, c_out, down) of the residual blocks, in order; the stage ends are the maps
BLOCKS = [("conv32_1", 32, 32, False), ("conv32_2", 32, 32, False), ("conv32_3", 32, 32, False),
          ("conv64_down", 32, 64, True), ("conv64_1", 64, 64, False), ("conv64_2", 64, 64, False),
          ("conv64_3", 64, 64, False), ("conv128_down", 64, 128, True), ("conv128_1", 128, 128, False),
          ("conv128_2", 128, 128, False), ("conv256_down", 128, 256, True), ("conv256_1", 256, 256, False),
          ("conv256_2", 256, 256, False)]
MAP_AFTER = ("conv32_3", "conv64_3", "conv128_2", "conv256_2")


class FaceRecognitionNet(FaceApiBackbone):
    network = "recognition"
    manifest = "face_recognition_model"
    native_size = 150
    min_size = 103  # conv256_down_out's 3x3 'valid' conv needs a 3x3 map

    def __init__(self, image_size: int | None = None) -> None:
        super().__init__(image_size)
        self.stem = ConvScale("conv32_down", 3, 32, 7, 2, "valid")
        self.blocks = nn.ModuleDict({name: Residual(name, ci, co, down) for name, ci, co, down in BLOCKS})
        self.out_block = Residual("conv256_down_out", 256, 256, down=True)
        self.fc = TfLinear("fc", 256, 128, bias=False)
        self.num_features = 256

    def forward_features(self, x: torch.Tensor) -> dict[str, Any]:
        """x: [B, 3, S, S] normalised -> {"pooled": [B, 256], "maps": 4 x [B, C, ~S/4 … ~S/32, …]}."""
        if min(x.shape[-2:]) < self.min_size:
            raise ConfigError(f"faceapi:recognition takes inputs of at least {self.min_size} px, got "
                              f"{list(x.shape[-2:])} (face-api feeds it 150 px)")
        out = F.max_pool2d(self.stem(x), 3, 2)
        maps = []
        for name, block in self.blocks.items():
            out = block(out)
            if name in MAP_AFTER:
                maps.append(out)
        return {"pooled": self.out_block(out).mean(dim=(2, 3)), "maps": maps}

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """x: [B, 3, 150, 150] normalised -> the 128-d face descriptors [B, 128]."""
        return self.fc(self.forward_features(x)["pooled"])
