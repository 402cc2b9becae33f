"""BYOL (Grill et al. 2020): predict the momentum target's projection of the other view."""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import Tensor

from ...backbones.base import Backbone
from ...config import PretrainConfig
from ..views import ColorAugConfig, two_views
from . import register_method
from ._base import Method, ViewFn, momentum_copy


@dataclasses.dataclass
class ByolOptions:
    proj_hidden_dim: int = 4096
    proj_dim: int = 256
    momentum: float = 0.99  # start of the cosine schedule to 1.0
    scale: list[float] = dataclasses.field(default_factory=lambda: [0.3, 1.0])
    color: ColorAugConfig = dataclasses.field(default_factory=lambda: ColorAugConfig(blur_prob=1.0))


@register_method(
    "byol", options=ByolOptions, description="BYOL: online network predicts a momentum target, no negatives"
)
class BYOL(Method):
    name = "byol"

    def __init__(self, backbone: Backbone, cfg: PretrainConfig) -> None:
        # deferred: lightly loads timm and torchvision (seconds); listing the methods imports this file
        from lightly.loss import NegativeCosineSimilarity
        from lightly.models.modules import BYOLPredictionHead, BYOLProjectionHead

        super().__init__(backbone, cfg)
        self.opts: ByolOptions = cfg.options
        c = self.opts
        self.projection_head = BYOLProjectionHead(backbone.num_features, c.proj_hidden_dim, c.proj_dim)
        self.prediction_head = BYOLPredictionHead(c.proj_dim, c.proj_hidden_dim, c.proj_dim)
        self.backbone_momentum = momentum_copy(backbone)
        self.projection_head_momentum = momentum_copy(self.projection_head)
        self.criterion = NegativeCosineSimilarity()

    @classmethod
    def views(cls, cfg: PretrainConfig) -> ViewFn:
        c: ByolOptions = cfg.options
        return two_views(cfg.image_size, c.scale, c.color)

    def online(self, x: Tensor) -> Tensor:
        return self.prediction_head(self.projection_head(self.embed(x)))

    @torch.no_grad()
    def target(self, x: Tensor) -> Tensor:
        return self.projection_head_momentum(self.embed(x, self.backbone_momentum)).detach()

    def training_step(self, batch: dict[str, Any]) -> dict[str, Tensor]:
        x0, x1 = batch["views"][:2]
        loss = 0.5 * (
            self.criterion(self.online(x0), self.target(x1))
            + self.criterion(self.online(x1), self.target(x0))
        )
        return {"loss": loss}

    def after_optimizer_step(self) -> None:
        # deferred: lightly loads timm and torchvision (seconds); listing the methods imports this file
        from lightly.models.utils import update_momentum

        m = self.momentum_value(self.opts.momentum)
        update_momentum(self.backbone, self.backbone_momentum, m)
        update_momentum(self.projection_head, self.projection_head_momentum, m)
