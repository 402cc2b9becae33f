"""Supervised identity classification with a softmax, CosFace or ArcFace head (face-specific margins)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import torch
from torch import Tensor, nn

from ...backbones.base import Backbone
from ...config import PretrainConfig
from ...data.sample import FaceDataset
from ...errors import ConfigError
from ...progress import track
from ..views import crop_flip_views
from . import register_method
from ._base import Method, ViewFn

HEADS = ("softmax", "cosface", "arcface")
DEFAULT_MARGIN = {"softmax": 0.0, "cosface": 0.35, "arcface": 0.5}


class MarginHead(nn.Module):
    """Logits over identities. softmax: a linear layer. cosface: s·(cos θ − m) on the true class.
    arcface: s·cos(θ + m) on the true class (with the usual fallback when θ + m > π)."""

    def __init__(self, dim: int, num_classes: int, kind: str, scale: float, margin: float) -> None:
        super().__init__()
        if kind not in HEADS:
            raise ConfigError(f"supervised.head must be one of {', '.join(HEADS)}, got {kind!r}")
        self.kind, self.scale, self.margin = kind, scale, margin
        self.weight = nn.Parameter(torch.empty(num_classes, dim))
        nn.init.normal_(self.weight, std=0.01)
        self.bias = nn.Parameter(torch.zeros(num_classes)) if kind == "softmax" else None

    def forward(self, x: Tensor, labels: Tensor) -> Tensor:
        """x: [B, D] features, labels: [B] -> logits [B, C]."""
        if self.kind == "softmax":
            return nn.functional.linear(x, self.weight, self.bias)
        cos = nn.functional.linear(nn.functional.normalize(x), nn.functional.normalize(self.weight)).clamp(
            -1, 1
        )
        true = cos.gather(1, labels[:, None])
        if self.kind == "cosface":
            target = true - self.margin
        else:
            theta = torch.acos(true.clamp(-1 + 1e-7, 1 - 1e-7))
            th, mm = math.cos(math.pi - self.margin), math.sin(math.pi - self.margin) * self.margin
            target = torch.where(true > th, torch.cos(theta + self.margin), true - mm)
        return self.scale * cos.scatter(1, labels[:, None], target)


@dataclasses.dataclass
class SupervisedOptions:
    head: str = "arcface"  # softmax | cosface | arcface
    scale: float = 64.0  # logit scale s of the margin heads
    margin: float = -1.0  # < 0: the head's usual margin (CosFace 0.35, ArcFace 0.5)
    num_classes: int = 0  # 0: from the data (largest identity + 1)
    crop_scale: list[float] = dataclasses.field(default_factory=lambda: [0.8, 1.0])
    hflip_prob: float = 0.5


@register_method(
    "supervised",
    options=SupervisedOptions,
    description="identity classification: softmax, CosFace or ArcFace margin head",
)
class Supervised(Method):
    name = "supervised"
    needs_identity = True

    def __init__(self, backbone: Backbone, cfg: PretrainConfig) -> None:
        super().__init__(backbone, cfg)
        c: SupervisedOptions = cfg.options
        if c.num_classes < 2:
            raise ConfigError("supervised: num_classes must be >= 2 (it is read from the data's identities)")
        margin = DEFAULT_MARGIN[c.head] if c.head in DEFAULT_MARGIN and c.margin < 0 else c.margin
        self.head = MarginHead(backbone.num_features, c.num_classes, c.head, c.scale, margin)

    @classmethod
    def options_from_data(cls, options: SupervisedOptions, dataset: FaceDataset) -> SupervisedOptions:
        """``num_classes`` <= 0: the number of identities of ``dataset`` (its metadata, else the largest
        id + 1)."""
        if options.num_classes > 0:
            return options
        extra = dataset.info.extra
        n = extra.get("num_identities") or (len(extra["classes"]) if extra.get("classes") else None)
        if n is None:
            samples = (dataset[i] for i in range(len(dataset)))
            n = 1 + max(int(s.identity) for s in track(samples, "reading identities", total=len(dataset))
                        if s.identity is not None)
        return dataclasses.replace(options, num_classes=int(n))

    @classmethod
    def views(cls, cfg: PretrainConfig) -> ViewFn:
        c: SupervisedOptions = cfg.options
        return crop_flip_views(cfg.image_size, c.crop_scale, c.hflip_prob)

    def training_step(self, batch: dict[str, Any]) -> dict[str, Tensor]:
        labels: Tensor = batch["identity"]
        logits = self.head(self.embed(batch["views"][0]), labels)
        loss = nn.functional.cross_entropy(logits, labels)
        acc = (logits.argmax(1) == labels).float().mean()
        return {"loss": loss, "accuracy": acc.detach()}
