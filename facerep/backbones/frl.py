"""``frl:PATH`` — the ResNet-50 checkpoints released with the FRL paper (Bulat et al., ECCV 2022).

The released torch files hold a ``state_dict`` whose backbone keys start with ``module.base_net.``
(the DDP wrapper, then the network) on a torchvision-layout ResNet-50; other keys (projection
heads, prototypes) are ignored. Loaded with ``weights_only=True`` unless ``trust_checkpoint``.
"""
from __future__ import annotations

from typing import Any

from ..errors import DataError
from . import register_backbone
from .base import Backbone, PretrainedCfg
from .checkpoint import load_checkpoint, state_dict_of
from .torchvision_models import TorchvisionResNet

PREFIX = "module.base_net."


@register_backbone("frl", description="FRL paper ResNet-50 checkpoints (keys module.base_net.*)")
def create_frl(path: str, *, pretrained: bool = False, trust_checkpoint: bool = False,
               **kwargs: Any) -> Backbone:
    state = state_dict_of(load_checkpoint(path, trust=trust_checkpoint), path)
    base = {k[len(PREFIX):]: v for k, v in state.items() if k.startswith(PREFIX)
            and not k[len(PREFIX):].startswith("fc.")}
    if not base:
        raise DataError(f"no keys start with {PREFIX!r}: not an FRL checkpoint (first keys: "
                        f"{list(state)[:3]})", path)
    model = TorchvisionResNet("resnet50", **kwargs)
    missing, unexpected = model.model.load_state_dict(base, strict=False)
    if missing or unexpected:
        raise DataError(f"not a ResNet-50 under {PREFIX!r}: missing {missing[:5]}, unexpected "
                        f"{unexpected[:5]}", path)
    model.arch = "torchvision:resnet50"
    model.pretrained_cfg = PretrainedCfg(input_size=kwargs.get("image_size") or 224, crop="face-box",
                                         extra={"source": "frl", "path": path})
    return model
