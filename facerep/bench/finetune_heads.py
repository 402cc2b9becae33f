"""The heads the field fine-tunes with (``--mode finetune``): decoders on the backbone maps at native
resolution.

- ``landmarks2d``: :class:`HeatmapHead`, FAN / HRNet style: a light FPN neck on the maps of
  ``BenchConfig.native_strides`` (4, 8, 16) produces K heatmaps at the finest map's resolution (stride 4),
  trained with the L1 error of their soft-argmax coordinates (integral regression, Sun et al. ECCV 2018) plus
  the cross-entropy between each heatmap's spatial softmax and a Gaussian centred on the landmark (σ =
  :data:`HEATMAP_SIGMA` cells, the target shape FAN and HRNet regress); decoded by soft-argmax
  (:func:`soft_argmax`: the softmax-weighted mean position, sub-pixel). The output is the coordinate head's:
  [B, K·2] crop coordinates scaled to [-1, 1].
- ``parsing``: :class:`FPNSegmentationHead`, a light FPN-style decoder (lateral 1×1 convolutions, top-down
  bilinear upsampling and sums, a 3×3 convolution) and a per-pixel classifier at stride 4, trained with the
  task's class-weighted cross-entropy; the output is packed logits of one level (:mod:`facerep.bench.pixels`).
- ``recognition``: a margin loss on the normalised classifier over training identities (ArcFace, see
  :class:`facerep.bench.heads.EmbeddingHead`), built by the task itself.

Tasks without a registered decoder fine-tune their linear-probe head (LP-FT,
:mod:`facerep.bench.modes.finetune`), as every task does with ``finetune_linear_heads``. A decoder maps the
native maps [[B, C_i, H_i, W_i], …] (finest first) to the task's head space (``forward``) and gives its
training loss (``train_loss(maps, targets)``).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ..registry import Registry
from .pixels import pack
from .tasks._base import HeadSpec

DECODER_WIDTH = 64  # channels of the FPN neck
HEATMAP_SIGMA = 1.0  # Gaussian target σ in heatmap cells (stride 4: 4 crop pixels)
HEATMAP_WEIGHT = 1.0  # weight of the heatmap term next to the coordinate L1 (normalised coordinates)

class Decoder(nn.Module):
    """A fine-tuning decoder: ``forward(maps)`` -> the task's head space, ``train_loss(maps, y)`` -> its
    loss."""

    def train_loss(self, maps: Sequence[torch.Tensor], y: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError


DecoderFactory = Callable[[Any, HeadSpec], Decoder]
DECODERS: Registry[DecoderFactory] = Registry("fine-tuning decoder")


class FPNNeck(nn.Module):
    """Lateral 1×1 convolutions to ``width`` channels, top-down pathway (each coarser sum upsampled bilinearly
    to the next finer map and added), then a 3×3 convolution + ReLU: [[B, C_i, H_i, W_i], …] -> [B, width,
    H_0, W_0]."""

    def __init__(self, channels: Sequence[int], width: int = DECODER_WIDTH) -> None:
        super().__init__()
        self.lateral = nn.ModuleList(nn.Conv2d(int(c), width, 1) for c in channels)
        self.smooth = nn.Sequential(nn.Conv2d(width, width, 3, padding=1), nn.ReLU(inplace=True))

    def forward(self, maps: Sequence[torch.Tensor]) -> torch.Tensor:
        if len(maps) != len(self.lateral):
            raise ValueError(f"the decoder was built for {len(self.lateral)} maps; got {len(maps)}")
        top = self.lateral[-1](maps[-1])
        for lateral, m in zip(reversed(self.lateral[:-1]), reversed(maps[:-1])):
            top = lateral(m) + F.interpolate(top, size=m.shape[-2:], mode="bilinear", align_corners=False)
        return self.smooth(top)


def cell_centres(n: int, size: int) -> torch.Tensor:
    """Crop-pixel coordinate of each of ``n`` cells spanning ``size`` pixels (pixel i's centre at i, as the
    landmarks are: cell j covers [j·size/n, (j+1)·size/n) in edge coordinates)."""
    return (torch.arange(n, dtype=torch.float32) + 0.5) * (size / n) - 0.5


def soft_argmax(heatmaps: torch.Tensor, size: int) -> torch.Tensor:
    """Sub-pixel landmark positions from heatmaps [B, K, h, w]: the mean cell position under the spatial
    softmax of each map (integral regression), in crop pixels -> [B, K, 2] (x, y)."""
    b, k, h, w = heatmaps.shape
    p = F.softmax(heatmaps.reshape(b, k, h * w).float(), dim=-1).reshape(b, k, h, w)
    xs, ys = cell_centres(w, size).to(p.device), cell_centres(h, size).to(p.device)
    return torch.stack([(p.sum(2) * xs).sum(-1), (p.sum(3) * ys).sum(-1)], dim=-1)


def gaussian_targets(points: torch.Tensor, h: int, w: int, size: int, sigma: float) -> torch.Tensor:
    """Heatmaps [B, K, h, w] with a Gaussian of σ cells (peak 1) at each point [B, K, 2] (crop pixels, NaN =
    none: an all-NaN map that the loss leaves out)."""
    xs, ys = cell_centres(w, size).to(points.device), cell_centres(h, size).to(points.device)
    cell_x, cell_y = size / w, size / h
    dx = (xs[None, None, None, :] - points[..., 0, None, None]) / cell_x
    dy = (ys[None, None, :, None] - points[..., 1, None, None]) / cell_y
    return torch.exp(-(dx ** 2 + dy ** 2) / (2 * sigma ** 2))


class HeatmapHead(Decoder):
    """K landmark heatmaps at the finest map's resolution from an FPN neck; output [B, K·2] in [-1, 1]."""

    def __init__(self, channels: Sequence[int], k: int, image_size: int, width: int = DECODER_WIDTH) -> None:
        super().__init__()
        self.k, self.size = int(k), int(image_size)
        self.neck = FPNNeck(channels, width)
        self.last = nn.Conv2d(width, self.k, 1)
        nn.init.normal_(self.last.weight, std=1e-3)
        nn.init.zeros_(self.last.bias)  # type: ignore[arg-type]  # a Conv2d made with bias=True has one

    def heatmaps(self, maps: Sequence[torch.Tensor]) -> torch.Tensor:
        """[B, K, H_0, W_0]."""
        return self.last(self.neck(maps))

    def forward(self, maps: Sequence[torch.Tensor]) -> torch.Tensor:
        return self.to_output(soft_argmax(self.heatmaps(maps), self.size))

    def to_output(self, points: torch.Tensor) -> torch.Tensor:
        """Crop pixels [B, K, 2] -> [B, K·2] scaled to [-1, 1] (the landmark task's head space)."""
        return (points / self.size * 2.0 - 1.0).reshape(len(points), -1)

    def train_loss(self, maps: Sequence[torch.Tensor], y: torch.Tensor) -> torch.Tensor:
        """L1 of the soft-argmax coordinates + HEATMAP_WEIGHT × the cross-entropy between the normalised
        Gaussian target heatmap and the spatial softmax of the heatmap; y: [B, K·2] in [-1, 1] (NaN =
        unlabelled point, left out of both terms)."""
        hm = self.heatmaps(maps)
        b, k, h, w = hm.shape
        truth = y.reshape(b, k, 2)
        valid = torch.isfinite(truth).all(-1)  # [B, K]
        if not valid.any():
            return hm.sum() * 0.0
        coords = self.to_output(soft_argmax(hm, self.size)).reshape(b, k, 2)
        loss = (coords - truth).abs().sum(-1)[valid].mean()
        if HEATMAP_WEIGHT > 0:
            points = (torch.nan_to_num(truth) + 1.0) / 2.0 * self.size  # crop pixels
            target = gaussian_targets(points, h, w, self.size, HEATMAP_SIGMA).reshape(b, k, h * w)
            target = target / target.sum(-1, keepdim=True).clamp(min=1e-12)
            ce = -(target * F.log_softmax(hm.reshape(b, k, h * w).float(), dim=-1)).sum(-1)  # [B, K]
            loss = loss + HEATMAP_WEIGHT * ce[valid].mean()
        return loss


class FPNSegmentationHead(Decoder):
    """Per-pixel class logits at the finest map's resolution from an FPN neck; output packed [B, K, H_0·W_0].
    The loss is the task's (class-weighted cross-entropy at the crop masks' resolution)."""

    def __init__(self, channels: Sequence[int], n_classes: int, task: Any,
                 width: int = DECODER_WIDTH) -> None:
        super().__init__()
        self.neck = FPNNeck(channels, width)
        self.last = nn.Conv2d(width, int(n_classes), 1)
        self.task = task

    def forward(self, maps: Sequence[torch.Tensor]) -> torch.Tensor:
        return pack([self.last(self.neck(maps))])

    def train_loss(self, maps: Sequence[torch.Tensor], y: torch.Tensor) -> torch.Tensor:
        return self.task.loss(self(maps), y, self)


@DECODERS.register("landmarks2d", description="heatmaps at stride 4 (FPN neck), soft-argmax decode")
def _landmarks2d(task: Any, spec: HeadSpec) -> Decoder:
    return HeatmapHead([c for c, _, _ in spec.levels], task.k, spec.image_size)


@DECODERS.register("parsing", description="FPN decoder, per-pixel classifier at stride 4, class-weighted CE")
def _parsing(task: Any, spec: HeadSpec) -> Decoder:
    task.levels = [spec.levels[0][1:]]  # one level of packed logits: the finest map's resolution
    return FPNSegmentationHead([c for c, _, _ in spec.levels], task.n, task)


def has_decoder(task: Any) -> bool:
    """Whether ``task`` fine-tunes a decoder (else its linear-probe head)."""
    return task.name in DECODERS


def build_decoder(task: Any, spec: HeadSpec) -> Decoder:
    """The registered decoder of ``task``; ``spec.levels``: (C, H, W) of the native maps it reads, finest
    first."""
    return DECODERS.get(task.name)(task, spec)
