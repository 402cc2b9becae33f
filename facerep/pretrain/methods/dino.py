"""DINO (Caron et al. 2021): self-distillation from a momentum teacher with multi-crop and centring."""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import Tensor

from ...backbones.base import Backbone
from ...config import PretrainConfig
from ..views import ColorAugConfig, multi_crop_views_of
from . import register_method
from ._base import Method, ViewFn, momentum_copy


@dataclasses.dataclass
class DinoOptions:
    out_dim: int = 65536
    proj_hidden_dim: int = 2048
    bottleneck_dim: int = 256
    teacher_temp: float = 0.04
    warmup_teacher_temp: float = 0.04
    warmup_teacher_temp_steps: int = 0
    student_temp: float = 0.1
    center_momentum: float = 0.9
    momentum: float = 0.996  # start of the cosine schedule to 1.0
    freeze_last_layer_steps: int = 0
    global_crops: int = 2
    local_crops: int = 6
    global_scale: list[float] = dataclasses.field(default_factory=lambda: [0.35, 1.0])
    local_scale: list[float] = dataclasses.field(default_factory=lambda: [0.1, 0.35])
    local_size_ratio: float = 96 / 224
    color: ColorAugConfig = dataclasses.field(default_factory=ColorAugConfig)


@register_method(
    "dino",
    options=DinoOptions,
    description="DINO: student matches a momentum teacher's centred, sharpened outputs",
)
class DINO(Method):
    name = "dino"

    def __init__(self, backbone: Backbone, cfg: PretrainConfig) -> None:
        # deferred: lightly loads timm and torchvision (seconds); listing the methods imports this file
        from lightly.loss import DINOLoss
        from lightly.models.modules import DINOProjectionHead
        from lightly.models.utils import deactivate_requires_grad

        super().__init__(backbone, cfg)
        self.opts: DinoOptions = cfg.options
        c = self.opts

        def head() -> DINOProjectionHead:
            return DINOProjectionHead(
                backbone.num_features,
                c.proj_hidden_dim,
                c.bottleneck_dim,
                c.out_dim,
                freeze_last_layer=c.freeze_last_layer_steps,
            )

        self.student_head = head()
        self.teacher_backbone = momentum_copy(backbone)
        self.teacher_head = head()  # weight-normed heads cannot be deep-copied: copy the state instead
        self.teacher_head.load_state_dict(self.student_head.state_dict())
        deactivate_requires_grad(self.teacher_head)
        self.criterion = DINOLoss(
            output_dim=c.out_dim,
            teacher_temp=c.teacher_temp,
            student_temp=c.student_temp,
            warmup_teacher_temp=c.warmup_teacher_temp,
            center_momentum=c.center_momentum,
            warmup_teacher_temp_epochs=max(1, c.warmup_teacher_temp_steps),
        )
        self.n_global = c.global_crops

    @classmethod
    def views(cls, cfg: PretrainConfig) -> ViewFn:
        return multi_crop_views_of(cfg.options, cfg.image_size)

    def teacher_temperature(self) -> float:
        """Linear warm-up of the teacher temperature over ``warmup_teacher_temp_steps``."""
        c = self.opts
        if self.step >= c.warmup_teacher_temp_steps:
            return c.teacher_temp
        return (
            c.warmup_teacher_temp
            + (c.teacher_temp - c.warmup_teacher_temp) * self.step / c.warmup_teacher_temp_steps
        )

    def training_step(self, batch: dict[str, Any]) -> dict[str, Tensor]:
        views: list[Tensor] = batch["views"]
        with torch.no_grad():
            teacher = [
                self.teacher_head(self.embed(v, self.teacher_backbone)) for v in views[: self.n_global]
            ]
        student = [self.student_head(self.embed(v)) for v in views]
        loss = self.criterion(teacher, student, teacher_temp=self.teacher_temperature())
        return {"loss": loss}

    def before_optimizer_step(self) -> None:
        self.student_head.cancel_last_layer_gradients(self.step)

    def after_optimizer_step(self) -> None:
        # deferred: lightly loads timm and torchvision (seconds); listing the methods imports this file
        from lightly.models.utils import update_momentum

        m = self.momentum_value(self.opts.momentum)
        update_momentum(self.backbone, self.teacher_backbone, m)
        update_momentum(self.student_head, self.teacher_head, m)
