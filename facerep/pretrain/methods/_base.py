"""The method contract and the small helpers every method shares."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from ...backbones.base import Backbone
from ...config import PretrainConfig
from ...data.sample import FaceDataset
from ...errors import ConfigError

if TYPE_CHECKING:  # timm is imported where a backbone is built (seconds to import)
    from timm.models.vision_transformer import VisionTransformer

ViewFn = Callable[[Any], list[Tensor]]


class Method(nn.Module):
    """Base of every method. Subclasses implement :meth:`build`, :meth:`views` and :meth:`training_step`;
    ``cfg.options`` is the options dataclass registered with the method (``@register_method(…, options=…)``).

    The engine sets ``step``/``max_steps`` before each step and calls :meth:`before_optimizer_step`
    (after gradients are reduced) and :meth:`after_optimizer_step` (momentum encoders, …).
    """

    name: str = ""
    needs_identity: bool = False
    vit_only: bool = False

    def __init__(self, backbone: Backbone, cfg: PretrainConfig) -> None:
        super().__init__()
        self.backbone = backbone
        self.cfg = cfg
        self.step, self.max_steps = 0, max(1, cfg.steps)
        self.channels_last = cfg.channels_last

    @classmethod
    def options_from_data(cls, options: Any, dataset: FaceDataset) -> Any:
        """``options`` with the values that come from the data filled in (e.g. the number of identities);
        called before :meth:`build`, and the saved config records the result. Default: unchanged."""
        return options

    @classmethod
    def build(cls, backbone: Backbone, cfg: PretrainConfig) -> Method:
        return cls(backbone, cfg)

    @classmethod
    def views(cls, cfg: PretrainConfig) -> ViewFn:  # pragma: no cover - abstract
        """The augmentation: H×W×3 uint8 RGB -> list of [3, h, w] float views in [0, 1]."""
        raise NotImplementedError

    def training_step(self, batch: dict[str, Any]) -> dict[str, Tensor]:  # pragma: no cover - abstract
        """``batch["views"]``: list of [B, 3, h, w] in [0, 1]. Returns losses; ``"loss"`` is optimised."""
        raise NotImplementedError

    def before_optimizer_step(self) -> None:
        """Hook after the backward pass (gradients already reduced across processes)."""

    def after_optimizer_step(self) -> None:
        """Hook after the optimizer step (e.g. momentum-encoder update)."""

    def embed(self, x: Tensor, backbone: nn.Module | None = None) -> Tensor:
        """x: [B, 3, h, w] in [0, 1] -> pooled features [B, D] of ``backbone`` (default: the student)."""
        net = self.backbone if backbone is None else backbone
        x = self.backbone.normalize(x)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return net(x)

    def momentum_value(self, start: float) -> float:
        """Cosine schedule of the momentum from ``start`` to 1 over the run (BYOL / DINO / MoCo v3)."""
        progress = min(1.0, self.step / self.max_steps)
        return 1.0 - (1.0 - start) * (math.cos(math.pi * progress) + 1) / 2


def momentum_copy(module: nn.Module) -> nn.Module:
    """A frozen deep copy of ``module`` (the momentum / teacher branch)."""
    # deferred: lightly loads timm and torchvision (seconds); looking up any method imports this module
    from lightly.models.utils import deactivate_requires_grad

    twin = copy.deepcopy(module)
    deactivate_requires_grad(twin)
    return twin


def require_vit(backbone: Backbone, method: str) -> VisionTransformer:
    """The timm VisionTransformer inside ``backbone``; a CNN raises a clear ConfigError."""
    vit = getattr(backbone, "model", None)
    if vit is None or not all(hasattr(vit, a) for a in ("patch_embed", "blocks", "pos_embed")):
        raise ConfigError(
            f"method {method!r} needs a ViT backbone (e.g. timm:vit_small_patch16_224); "
            f"{getattr(backbone, 'arch', type(backbone).__name__)} is not a vision transformer"
        )
    return vit
