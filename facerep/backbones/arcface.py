"""``arcface:PATH`` — insightface ``arcface_torch`` recognition backbones (``backbone.pth`` of iresnet18 …
200, e.g. the ms1mv3 / glint360k iresnet50 and iresnet100 releases).

The file is the flat ``state_dict`` of the iresnet in :mod:`facerep.backbones._iresnet`::

    conv1.weight [64, 3, 3, 3]  bn1.*  prelu.weight
    layerS.N.{bn1, conv1, bn2, prelu, conv2, bn3, downsample.0, downsample.1}   S = 1..4
    bn2.*  fc.{weight [512, 512*7*7], bias}  features.* (BatchNorm1d)

Stage depths, widths and the embedding size are read off the keys and shapes. ``pooled`` is the
512-d face embedding (what ArcFace verification compares); ``maps`` are the four stage outputs.
Inputs as insightface trains them: 112x112 faces aligned to the 5-point ArcFace template, RGB scaled
to [-1, 1] (mean = std = 0.5).
"""
from __future__ import annotations

import math
from typing import Any

import torch

from . import register_backbone
from ._iresnet import DEPTHS, IResNet
from ._layout import LayoutMismatch, Plan, count_indexed, create_from_file, need, register_layout
from .base import Backbone, PretrainedCfg

N_STAGES = 4


class ArcFaceBackbone(Backbone):
    def __init__(self, net: IResNet, cfg: PretrainedCfg) -> None:
        super().__init__()
        self.net = net
        self.num_features = int(net.features.num_features)
        self.pretrained_cfg = cfg

    def forward_features(self, x: torch.Tensor) -> dict[str, Any]:
        """x: [B, 3, H, W] in [-1, 1] -> {"pooled": [B, 512], "maps": 4 x [B, C_i, H/2^i, W/2^i]}."""
        maps = self.net.stages(x)
        return {"pooled": self.net.embed(maps[-1]), "maps": maps}


def _name(layers: tuple[int, ...]) -> str:
    return next((n for n, d in DEPTHS.items() if d == layers), f"iresnet{list(layers)}")


@register_layout("arcface", description="insightface arcface_torch iresnet backbone.pth")
def plan_arcface(state: dict[str, torch.Tensor]) -> Plan:
    stem = int(need(state, "conv1.weight", 4).shape[0])
    need(state, "prelu.weight", 1)
    layers = tuple(count_indexed(state, f"layer{s}.") for s in range(1, N_STAGES + 1))
    if 0 in layers:
        raise LayoutMismatch(f"expected blocks in layer1..layer{N_STAGES}, found depths {list(layers)}")
    widths = tuple(int(need(state, f"layer{s}.0.conv1.weight", 4).shape[0]) for s in range(1, N_STAGES + 1))
    fc = need(state, "fc.weight", 2)
    num_features, fc_in = int(fc.shape[0]), int(fc.shape[1])
    fc_grid = math.isqrt(fc_in // widths[-1])
    if fc_grid * fc_grid * widths[-1] != fc_in:
        raise LayoutMismatch(f"fc.weight takes {fc_in} inputs, not {widths[-1]} x a square grid")
    size = fc_grid * 2 ** N_STAGES
    cfg = PretrainedCfg(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), input_size=size, crop="aligned-5pt",
                        margin=0.0, extra={"arch": _name(layers), "paper": "Deng et al., ArcFace, CVPR 2019"})

    def build(image_size: int | None = None, **kwargs: Any) -> Backbone:
        net = IResNet(layers, widths, stem=stem, num_features=num_features, fc_grid=fc_grid)
        c = PretrainedCfg(**{**cfg.__dict__, "extra": dict(cfg.extra)})
        c.input_size = image_size or size
        return ArcFaceBackbone(net, c)

    summary = f"{_name(layers)}, widths {list(widths)}, embedding {num_features}, {size} px"
    return Plan(build, {"net." + k: v for k, v in state.items()}, {}, summary)


@register_backbone("arcface",
                   description="insightface iresnet50/100 backbone.pth (ArcFace) from a local file")
def create_arcface(path: str, *, pretrained: bool = False, trust_checkpoint: bool = False,
                   image_size: int | None = None, **kwargs: Any) -> Backbone:
    return create_from_file("arcface", path, trust_checkpoint=trust_checkpoint, image_size=image_size,
                            **kwargs)
