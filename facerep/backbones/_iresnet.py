"""The improved ResNet (iresnet) of insightface's ``arcface_torch``, with the same module names so its
released ``backbone.pth`` files load unchanged. Inference only (no fp16 autocast, no dropout).

Stem: conv 3x3 (stride 1) -> BN -> PReLU. Each stage starts with a stride-2 block; a block is
BN -> conv3x3 -> BN -> PReLU -> conv3x3(stride) -> BN, plus the (downsampled) input. Head:
BN -> flatten (512 x 7 x 7 at 112 px) -> fc -> BatchNorm1d = the face embedding.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

BN_EPS = 1e-5
DEPTHS = {"iresnet18": (2, 2, 2, 2), "iresnet34": (3, 4, 6, 3), "iresnet50": (3, 4, 14, 3),
          "iresnet100": (3, 13, 30, 3), "iresnet200": (6, 26, 60, 6)}


class IBasicBlock(nn.Module):
    def __init__(self, inplanes: int, planes: int, stride: int) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes, eps=BN_EPS)
        self.conv1 = nn.Conv2d(inplanes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, eps=BN_EPS)
        self.prelu = nn.PReLU(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes, eps=BN_EPS)
        self.downsample: nn.Module | None = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes, eps=BN_EPS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        return out + (x if self.downsample is None else self.downsample(x))


class IResNet(nn.Module):
    """iresnet with stage depths ``layers`` and stage widths ``widths`` (64, 128, 256, 512 released).

    ``fc_grid`` is the side of the last feature map the ``fc`` layer was trained on (7 at 112 px);
    other input sizes are average-pooled to it (exact identity at the trained size)."""

    def __init__(self, layers: tuple[int, ...], widths: tuple[int, ...] = (64, 128, 256, 512), *,
                 stem: int = 64, num_features: int = 512, fc_grid: int = 7) -> None:
        super().__init__()
        self.fc_grid = fc_grid
        self.conv1 = nn.Conv2d(3, stem, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem, eps=BN_EPS)
        self.prelu = nn.PReLU(stem)
        inplanes = stem
        for i, (n, w) in enumerate(zip(layers, widths), start=1):
            blocks = [IBasicBlock(inplanes if j == 0 else w, w, 2 if j == 0 else 1) for j in range(n)]
            setattr(self, f"layer{i}", nn.Sequential(*blocks))
            inplanes = w
        self.n_stages = len(layers)
        self.bn2 = nn.BatchNorm2d(inplanes, eps=BN_EPS)
        self.fc = nn.Linear(inplanes * fc_grid * fc_grid, num_features)
        self.features = nn.BatchNorm1d(num_features, eps=BN_EPS)

    def stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        """x: [B, 3, H, W] -> stage outputs [B, C_i, H / 2^i, W / 2^i], i = 1..4."""
        x = self.prelu(self.bn1(self.conv1(x)))
        outs = []
        for i in range(1, self.n_stages + 1):
            x = getattr(self, f"layer{i}")(x)
            outs.append(x)
        return outs

    def embed(self, last: torch.Tensor) -> torch.Tensor:
        """last stage [B, C, h, w] -> embedding [B, num_features]."""
        x = self.bn2(last)
        if x.shape[-2:] != (self.fc_grid, self.fc_grid):
            x = F.adaptive_avg_pool2d(x, self.fc_grid)
        return self.features(self.fc(torch.flatten(x, 1)))
