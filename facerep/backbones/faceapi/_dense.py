"""face-api's densely connected feature extractors (``src/faceFeatureExtractor``), shared by the 68-point
landmark nets and the expression net, and the base of a "feature extractor + one fully connected layer" net
(``src/faceProcessor``).

A dense block (``denseBlock4``; ``denseBlock3`` without ``conv3``) halves the size with its first conv (a
plain 3x3 conv in the first block, a separable one after) and adds every earlier output before each next
conv::

    o1 = relu(conv0(x));  o2 = conv1(o1);  o3 = conv2(relu(o1 + o2));  o4 = conv3(relu(o1 + o2 + o3))
    out = relu(o1 + o2 + o3 + o4)

The full extractor has 4 blocks (32, 64, 128, 256 channels: strides 2 … 16, 7 x 7 at 112 px), the tiny one 3
(32, 64, 128: 14 x 14 at 112 px); both end with an average pool over the whole last map at 112 px.
"""
from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ._layers import TfConv, TfLinear, TfSeparable
from ._net import FaceApiBackbone, global_mean


class DenseBlock(nn.Module):
    def __init__(self, prefix: str, c_in: int, c_out: int, n_convs: int, first: bool) -> None:
        super().__init__()
        conv0: nn.Module = (TfConv(f"{prefix}/conv0", c_in, c_out, 3, 2) if first
                            else TfSeparable(f"{prefix}/conv0", c_in, c_out, 2))
        self.convs = nn.ModuleList([conv0] + [TfSeparable(f"{prefix}/conv{i}", c_out, c_out)
                                              for i in range(1, n_convs)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: [B, C_in, H, W] -> [B, C_out, ceil(H/2), ceil(W/2)]."""
        total = F.relu(self.convs[0](x))
        for i, conv in enumerate(self.convs[1:]):
            total = total + conv(F.relu(total) if i else total)
        return F.relu(total)


class DenseExtractor(nn.Module):
    """``FaceFeatureExtractor`` (``blocks=4``, 4 convs per block) or ``TinyFaceFeatureExtractor`` (3, 3)."""

    def __init__(self, blocks: int) -> None:
        super().__init__()
        widths = [32, 64, 128, 256][:blocks]
        n_convs = 4 if blocks == 4 else 3
        ins = [3, *widths[:-1]]
        self.blocks = nn.ModuleList([DenseBlock(f"dense{i}", c, w, n_convs, i == 0)
                                     for i, (c, w) in enumerate(zip(ins, widths))])
        self.width = widths[-1]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """x: [B, 3, S, S] normalised -> the block outputs, strides 2, 4, 8 (, 16)."""
        outs = []
        for block in self.blocks:
            x = block(x)
            outs.append(x)
        return outs


class DenseNet(FaceApiBackbone):
    """A dense extractor + ``fc`` (``FaceProcessor``). ``pooled`` is the averaged last map (the fc's input),
    ``maps`` the block outputs from stride 4 on."""

    blocks: ClassVar[int]
    outputs: ClassVar[int]
    native_size = 112

    def __init__(self, image_size: int | None = None) -> None:
        super().__init__(image_size)
        self.extractor = DenseExtractor(self.blocks)
        self.fc = TfLinear("fc", self.extractor.width, self.outputs)
        self.num_features = self.extractor.width

    def forward_features(self, x: torch.Tensor) -> dict[str, Any]:
        """x: [B, 3, S, S] normalised -> {"pooled": [B, C], "maps": [[B, 64, S/4, S/4], …, [B, C, S/16 (tiny:
        S/8), …]]}."""
        maps = self.extractor(x)
        return {"pooled": global_mean(maps[-1]), "maps": maps[1:]}

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """x: [B, 3, S, S] normalised -> the fc output [B, outputs]."""
        return self.fc(self.forward_features(x)["pooled"])
