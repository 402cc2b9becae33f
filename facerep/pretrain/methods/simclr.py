"""SimCLR (Chen et al. 2020): NT-Xent over two views, negatives from the (global) batch."""

from __future__ import annotations

import dataclasses
from typing import Any

from torch import Tensor

from ...backbones.base import Backbone
from ...config import PretrainConfig
from ..views import ColorAugConfig, two_views
from . import register_method
from ._base import Method, ViewFn


@dataclasses.dataclass
class SimclrOptions:
    proj_hidden_dim: int = 2048
    proj_dim: int = 128
    temperature: float = 0.2
    scale: list[float] = dataclasses.field(default_factory=lambda: [0.3, 1.0])
    color: ColorAugConfig = dataclasses.field(default_factory=lambda: ColorAugConfig(cj_strength=1.0))


@register_method(
    "simclr",
    options=SimclrOptions,
    description="SimCLR: NT-Xent contrast of two views against the rest of the batch",
)
class SimCLR(Method):
    name = "simclr"

    def __init__(self, backbone: Backbone, cfg: PretrainConfig) -> None:
        # deferred: lightly loads timm and torchvision (seconds); listing the methods imports this file
        from lightly.loss import NTXentLoss
        from lightly.models.modules import SimCLRProjectionHead

        super().__init__(backbone, cfg)
        c: SimclrOptions = cfg.options
        self.projection_head = SimCLRProjectionHead(backbone.num_features, c.proj_hidden_dim, c.proj_dim)
        self.criterion = NTXentLoss(temperature=c.temperature, gather_distributed=True)

    @classmethod
    def views(cls, cfg: PretrainConfig) -> ViewFn:
        c: SimclrOptions = cfg.options
        return two_views(cfg.image_size, c.scale, c.color)

    def training_step(self, batch: dict[str, Any]) -> dict[str, Tensor]:
        x0, x1 = batch["views"][:2]
        z0 = self.projection_head(self.embed(x0))
        z1 = self.projection_head(self.embed(x1))
        return {"loss": self.criterion(z0, z1)}
