"""``torchvision:resnet18|34|50|101|152`` — torchvision ResNets; maps are layer1–layer4 outputs."""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..errors import ConfigError, FacerepError
from . import register_backbone
from .base import Backbone, PretrainedCfg

RESNETS = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152")


class TorchvisionResNet(Backbone):
    def __init__(self, name: str, *, pretrained: bool = False, image_size: int | None = None) -> None:
        super().__init__()
        import torchvision  # deferred: seconds to import; listing the adapters imports this module

        if name not in RESNETS:
            raise ConfigError(f"torchvision:{name}: only ResNets are adapted ({', '.join(RESNETS)})")
        try:
            self.model = torchvision.models.get_model(name, weights="DEFAULT" if pretrained else None)
        except (OSError, RuntimeError) as e:
            raise FacerepError(f"torchvision:{name}: cannot download pretrained weights ({e}); offline, "
                               "place them in the torch hub cache or use a local checkpoint") from None
        self.model.fc = nn.Identity()
        self.arch = f"torchvision:{name}"
        self.num_features = 512 if name in ("resnet18", "resnet34") else 2048
        self.pretrained_cfg = PretrainedCfg(input_size=image_size or 224, extra={"torchvision_name": name})

    def forward_features(self, x: torch.Tensor) -> dict[str, Any]:
        """x: [B, 3, H, W] -> pooled [B, D] and maps at strides 4, 8, 16, 32."""
        m = self.model
        x = m.maxpool(m.relu(m.bn1(m.conv1(x))))
        maps = []
        for layer in (m.layer1, m.layer2, m.layer3, m.layer4):
            x = layer(x)
            maps.append(x)
        return {"pooled": torch.flatten(m.avgpool(x), 1), "maps": maps}


@register_backbone("torchvision", description="torchvision ResNets: torchvision:resnet50")
def create_torchvision(name: str, *, pretrained: bool = False, **kwargs: Any) -> Backbone:
    kwargs.pop("trust_checkpoint", None)  # loads no pickles
    return TorchvisionResNet(name, pretrained=pretrained, **kwargs)
