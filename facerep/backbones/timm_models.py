"""``timm:NAME`` — any timm model. Maps come from ``forward_intermediates`` (CNN stages, or ViT
patch tokens reshaped to a grid); pooled features from ``forward_head(pre_logits=True)``."""
from __future__ import annotations

from typing import Any

import torch

from ..errors import ConfigError, FacerepError
from ..registry import close_names
from . import register_backbone
from .base import Backbone, PretrainedCfg

N_MAPS = 4  # the last N feature levels are exposed as maps


class TimmBackbone(Backbone):
    # Any: timm types create_model as nn.Module, whose __getattr__ types the timm API used here
    # (num_features, pretrained_cfg, forward_intermediates, forward_head) as Tensor | Module
    model: Any

    def __init__(self, name: str, *, pretrained: bool = False, image_size: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__()
        # deferred: seconds to import; listing the adapters (facerep backbones) imports this module
        import timm

        if not timm.list_models(name) and not timm.list_models(name.split(".")[0]):
            close = close_names(name.split(".")[0], timm.list_models())
            raise ConfigError(f"unknown timm model {name!r}; similar: {', '.join(close)} "
                              "(list them with: facerep backbones WORD)")
        extra = dict(kwargs)
        if image_size is not None and _is_vit_like(name):
            extra["img_size"] = image_size
        try:
            self.model = timm.create_model(name, pretrained=pretrained, num_classes=0, **extra)
        except (OSError, RuntimeError) as e:  # hub unreachable, no cached file
            if pretrained:
                raise FacerepError(
                    f"timm:{name}: cannot load pretrained weights ({type(e).__name__}: "
                    f"{str(e).splitlines()[0][:200]}). Weights come from the Hugging Face hub; offline, put "
                    "them in the HF cache or pass a local checkpoint directory instead."
                ) from None
            raise
        self.arch = f"timm:{name}"
        self.num_features = int(self.model.num_features)
        cfg = self.model.pretrained_cfg or {}
        size = image_size or int(cfg.get("input_size", (3, 224, 224))[-1])
        self.pretrained_cfg = PretrainedCfg(
            mean=tuple(cfg.get("mean", (0.485, 0.456, 0.406))),
            std=tuple(cfg.get("std", (0.229, 0.224, 0.225))), input_size=size, extra={"timm_name": name},
        )
        self._n_maps = min(N_MAPS, len(getattr(self.model, "feature_info", [])) or N_MAPS)

    def forward_features(self, x: torch.Tensor) -> dict[str, Any]:
        """x: [B, 3, H, W] normalised -> {"pooled": [B, D], "maps": [[B, C_i, H_i, W_i]]}."""
        final, maps = self.model.forward_intermediates(x, indices=self._n_maps)
        pooled = self.model.forward_head(final, pre_logits=True)
        return {"pooled": pooled, "maps": list(maps)}


def _is_vit_like(name: str) -> bool:
    return any(k in name for k in ("vit", "deit", "eva", "beit", "swin", "cait", "xcit"))


@register_backbone("timm", description="any timm model: timm:resnet50, timm:vit_small_patch16_224 …")
def create_timm(name: str, *, pretrained: bool = False, **kwargs: Any) -> Backbone:
    kwargs.pop("trust_checkpoint", None)  # loads no pickles
    return TimmBackbone(name, pretrained=pretrained, **kwargs)
