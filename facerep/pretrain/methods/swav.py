"""SwAV (Caron et al. 2020), the paper's default: multi-crop, online clustering with Sinkhorn codes."""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import Tensor, nn

from ...backbones.base import Backbone
from ...config import PretrainConfig
from ..views import ColorAugConfig, multi_crop_views_of
from . import register_method
from ._base import Method, ViewFn


@dataclasses.dataclass
class SwavOptions:
    n_prototypes: int = 3000
    proj_hidden_dim: int = 2048
    proj_dim: int = 128
    temperature: float = 0.1
    sinkhorn_epsilon: float = 0.05
    sinkhorn_iterations: int = 3
    freeze_prototypes_steps: int = 313  # the paper's "freeze_prototypes_niters"
    queue_length: int = 0  # 0 = no queue
    queue_start_step: int = 0
    global_crops: int = 2
    local_crops: int = 6
    global_scale: list[float] = dataclasses.field(default_factory=lambda: [0.35, 1.0])
    local_scale: list[float] = dataclasses.field(default_factory=lambda: [0.1, 0.35])
    local_size_ratio: float = 96 / 224  # local crop side / image side
    color: ColorAugConfig = dataclasses.field(default_factory=ColorAugConfig)


@register_method(
    "swav",
    options=SwavOptions,
    description="SwAV: multi-crop swapped prediction of Sinkhorn cluster codes (paper default)",
)
class SwAV(Method):
    name = "swav"

    def __init__(self, backbone: Backbone, cfg: PretrainConfig) -> None:
        # deferred: lightly loads timm and torchvision (seconds); listing the methods imports this file
        from lightly.loss import SwaVLoss
        from lightly.models.modules import SwaVProjectionHead, SwaVPrototypes
        from lightly.models.modules.memory_bank import MemoryBankModule

        super().__init__(backbone, cfg)
        self.opts: SwavOptions = cfg.options
        c = self.opts
        self.projection_head = SwaVProjectionHead(backbone.num_features, c.proj_hidden_dim, c.proj_dim)
        # freezing is done on the gradients (before_optimizer_step), which keeps DDP's parameter set fixed
        self.prototypes = SwaVPrototypes(c.proj_dim, n_prototypes=c.n_prototypes, n_steps_frozen_prototypes=0)
        self.criterion = SwaVLoss(
            temperature=c.temperature,
            sinkhorn_iterations=c.sinkhorn_iterations,
            sinkhorn_epsilon=c.sinkhorn_epsilon,
            sinkhorn_gather_distributed=torch.distributed.is_available()
            and torch.distributed.is_initialized(),
        )
        self.n_global = c.global_crops
        self.queues = (
            nn.ModuleList(
                [MemoryBankModule(size=(c.queue_length, c.proj_dim)) for _ in range(c.global_crops)]
            )
            if c.queue_length > 0
            else None
        )

    @classmethod
    def views(cls, cfg: PretrainConfig) -> ViewFn:
        return multi_crop_views_of(cfg.options, cfg.image_size)

    def project(self, x: Tensor) -> Tensor:
        """x: [B, 3, h, w] -> L2-normalised projection [B, proj_dim]."""
        return nn.functional.normalize(self.projection_head(self.embed(x)), dim=1, p=2)

    def training_step(self, batch: dict[str, Any]) -> dict[str, Tensor]:
        self.prototypes.normalize()
        views: list[Tensor] = batch["views"]
        feats = self._project_views(views)
        logits = [self.prototypes(f) for f in feats]
        high, low = logits[: self.n_global], logits[self.n_global :]
        queue_logits = self._queue_logits(feats[: self.n_global])
        loss = self.criterion(high, low, queue_logits)
        return {"loss": loss.reshape(())}

    def _project_views(self, views: list[Tensor]) -> list[Tensor]:
        """One backbone pass per crop resolution (as SwAV does), split back per view."""
        out: list[Tensor] = []
        i = 0
        while i < len(views):
            j = i
            while j < len(views) and views[j].shape[-2:] == views[i].shape[-2:]:
                j += 1
            out.extend(self.project(torch.cat(views[i:j])).chunk(j - i))
            i = j
        return out

    def _queue_logits(self, high_feats: list[Tensor]) -> list[Tensor] | None:
        if self.queues is None:
            return None
        out = []
        with torch.no_grad():
            for queue, f in zip(self.queues, high_feats):
                _, bank = queue(f.detach(), update=True)
                out.append(self.prototypes(bank.permute(1, 0)))
        return out if self.step >= self.opts.queue_start_step else None

    def before_optimizer_step(self) -> None:
        if self.step < self.opts.freeze_prototypes_steps:
            for p in self.prototypes.parameters():
                p.grad = None
