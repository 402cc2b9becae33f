"""``faceapi:age-gender`` — face-api's age and gender net (``age_gender_model``; ``src/ageGenderNet``,
``src/xception``): a tiny Xception with 2 middle blocks, then an average pool (512-d, ``pooled``) read by two
fully connected layers: age (one number, years) and gender (2 logits, softmax; index 0 = male, 1 = female)::

    conv_in 3x3 stride 2 (32) + ReLU
    reduction blocks 0, 1 (64, 128): [ReLU] sep3x3, ReLU, sep3x3, maxPool 3x3 stride 2 'same'
                                     + 1x1 stride-2 conv of the input                  maps[0] stride 4
    main blocks 0, 1 (128): 3 x (ReLU, sep3x3) + identity                             maps[1] stride 8
    exit reduction block (256), sep3x3 (512) + ReLU                                   maps[2] stride 16
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._layers import TfConv, TfLinear, TfSeparable, max_pool_same
from ._net import FaceApiBackbone, global_mean

GENDERS = ("male", "female")


class Reduction(nn.Module):
    def __init__(self, prefix: str, c_in: int, c_out: int, activate_input: bool = True) -> None:
        super().__init__()
        self.activate_input = activate_input
        self.sep0 = TfSeparable(f"{prefix}/separable_conv0", c_in, c_out)
        self.sep1 = TfSeparable(f"{prefix}/separable_conv1", c_out, c_out)
        self.expand = TfConv(f"{prefix}/expansion_conv", c_in, c_out, 1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: [B, C_in, H, W] -> [B, C_out, ceil(H/2), ceil(W/2)]."""
        out = self.sep0(F.relu(x) if self.activate_input else x)
        out = max_pool_same(self.sep1(F.relu(out)), 3, 2)
        return out + self.expand(x)


class Main(nn.Module):
    def __init__(self, prefix: str, c: int) -> None:
        super().__init__()
        self.seps = nn.ModuleList([TfSeparable(f"{prefix}/separable_conv{i}", c, c) for i in range(3)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: [B, C, H, W] -> [B, C, H, W]."""
        out = x
        for sep in self.seps:
            out = sep(F.relu(out))
        return out + x


@dataclass
class AgeGender:
    """``age``: [B] years; ``gender``: [B, 2] probabilities of ``GENDERS`` (male, female)."""

    age: torch.Tensor
    gender: torch.Tensor


class AgeGenderNet(FaceApiBackbone):
    network = "age-gender"
    manifest = "age_gender_model"
    native_size = 112

    def __init__(self, image_size: int | None = None, main_blocks: int = 2) -> None:
        super().__init__(image_size)
        self.conv_in = TfConv("entry_flow/conv_in", 3, 32, 3, 2)
        self.entry = nn.ModuleList([Reduction("entry_flow/reduction_block_0", 32, 64, activate_input=False),
                                    Reduction("entry_flow/reduction_block_1", 64, 128)])
        self.middle = nn.ModuleList([Main(f"middle_flow/main_block_{i}", 128) for i in range(main_blocks)])
        self.exit = Reduction("exit_flow/reduction_block", 128, 256)
        self.exit_sep = TfSeparable("exit_flow/separable_conv", 256, 512)
        self.fc_age = TfLinear("fc/age", 512, 1)
        self.fc_gender = TfLinear("fc/gender", 512, 2)
        self.num_features = 512

    def forward_features(self, x: torch.Tensor) -> dict[str, Any]:
        """x: [B, 3, S, S] normalised -> {"pooled": [B, 512], "maps": [B, 64, S/4, …], [B, 128, S/8, …],
        [B, 512, S/16, …]}."""
        s4 = self.entry[0](F.relu(self.conv_in(x)))
        out = self.entry[1](s4)
        for block in self.middle:
            out = block(out)
        last = F.relu(self.exit_sep(self.exit(out)))
        return {"pooled": global_mean(last), "maps": [s4, out, last]}

    def predict(self, x: torch.Tensor) -> AgeGender:
        """x: [B, 3, S, S] normalised -> age [B] and gender probabilities [B, 2]."""
        pooled = self.forward_features(x)["pooled"]
        return AgeGender(self.fc_age(pooled)[:, 0], torch.softmax(self.fc_gender(pooled), dim=-1))
