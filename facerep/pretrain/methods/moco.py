"""MoCo: v3 (Chen et al. 2021; predictor, symmetric in-batch InfoNCE) and v2 (queue of negative keys)."""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import Tensor, nn

from ...backbones.base import Backbone
from ...config import PretrainConfig
from ...errors import ConfigError
from ..views import ColorAugConfig, two_views
from . import register_method
from ._base import Method, ViewFn, momentum_copy


@dataclasses.dataclass
class MocoOptions:
    version: int = 3  # 3: symmetric InfoNCE with predictor, in-batch keys; 2: queue of keys
    proj_hidden_dim: int = 4096
    proj_dim: int = 256
    temperature: float = 0.2
    momentum: float = 0.99  # start of the cosine schedule to 1.0 (v3); constant for v2
    queue_length: int = 65536  # v2 only
    scale: list[float] = dataclasses.field(default_factory=lambda: [0.3, 1.0])
    color: ColorAugConfig = dataclasses.field(default_factory=ColorAugConfig)


def infonce(q: Tensor, k: Tensor, temperature: float) -> Tensor:
    """MoCo v3 loss: q, k [B, D] (k from the momentum branch); positives on the diagonal.

    Keys of every process are gathered so each query sees the global batch as negatives."""
    # deferred: lightly loads timm and torchvision (seconds); listing the methods imports this file
    from lightly.utils import dist

    q = nn.functional.normalize(q, dim=1)
    k = nn.functional.normalize(k, dim=1)
    offset = 0
    if dist.world_size() > 1:
        offset = dist.rank() * q.shape[0]
        k = torch.cat(dist.gather(k), 0)
    logits = q @ k.t() / temperature
    labels = torch.arange(q.shape[0], device=q.device) + offset
    return nn.functional.cross_entropy(logits, labels) * (2 * temperature)


@register_method(
    "moco",
    options=MocoOptions,
    description="MoCo v3 (predictor, in-batch keys) or v2 (moco.version=2: queue of keys)",
)
class MoCo(Method):
    name = "moco"

    def __init__(self, backbone: Backbone, cfg: PretrainConfig) -> None:
        # deferred: lightly loads timm and torchvision (seconds); listing the methods imports this file
        from lightly.loss import NTXentLoss
        from lightly.models.modules import MoCoProjectionHead

        super().__init__(backbone, cfg)
        self.opts: MocoOptions = cfg.options
        c = self.opts
        if c.version not in (2, 3):
            raise ConfigError(f"moco.version must be 2 or 3, got {c.version}")
        v3 = c.version == 3
        self.projection_head = MoCoProjectionHead(
            backbone.num_features, c.proj_hidden_dim, c.proj_dim, num_layers=3 if v3 else 2, batch_norm=v3
        )
        self.prediction_head = (
            MoCoProjectionHead(c.proj_dim, c.proj_hidden_dim, c.proj_dim, num_layers=2, batch_norm=True)
            if v3
            else None
        )
        self.backbone_momentum = momentum_copy(backbone)
        self.projection_head_momentum = momentum_copy(self.projection_head)
        self.criterion = (
            None
            if v3
            else NTXentLoss(
                temperature=c.temperature,
                memory_bank_size=(c.queue_length, c.proj_dim),
                gather_distributed=True,
            )
        )

    @classmethod
    def views(cls, cfg: PretrainConfig) -> ViewFn:
        c: MocoOptions = cfg.options
        return two_views(cfg.image_size, c.scale, c.color)

    def query(self, x: Tensor) -> Tensor:
        z = self.projection_head(self.embed(x))
        return self.prediction_head(z) if self.prediction_head is not None else z

    @torch.no_grad()
    def key(self, x: Tensor) -> Tensor:
        return self.projection_head_momentum(self.embed(x, self.backbone_momentum)).detach()

    def training_step(self, batch: dict[str, Any]) -> dict[str, Tensor]:
        x0, x1 = batch["views"][:2]
        t = self.opts.temperature
        if self.criterion is None:  # v3
            loss = infonce(self.query(x0), self.key(x1), t) + infonce(self.query(x1), self.key(x0), t)
        else:  # v2: query of view 0 against key of view 1 and the queue
            loss = self.criterion(self.query(x0), self.key(x1))
        return {"loss": loss}

    def after_optimizer_step(self) -> None:
        # deferred: lightly loads timm and torchvision (seconds); listing the methods imports this file
        from lightly.models.utils import update_momentum

        m = self.momentum_value(self.opts.momentum) if self.opts.version == 3 else self.opts.momentum
        update_momentum(self.backbone, self.backbone_momentum, m)
        update_momentum(self.projection_head, self.projection_head_momentum, m)
