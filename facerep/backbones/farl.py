"""``farl:PATH`` — FaRL (Zheng et al., CVPR 2022), ``FaRL-Base-Patch16-LAIONFace20M-ep{16,64}.pth``.

The released file is ``{"state_dict": …}`` holding a whole OpenAI-CLIP model (its README loads it into
``clip.load("ViT-B/16")`` with ``load_state_dict``), so the image tower sits under ``visual.`` in the
OpenAI layout: it is converted onto timm's CLIP ViT-B/16 exactly like ``clip:`` (QuickGELU, as in the
OpenAI code FaRL trains with). Text-tower keys are ignored. Preprocessing is CLIP's: 224 px, CLIP
mean/std, bicubic resize; FaRL pre-trains on face crops of LAION-Face images (``crop="face-box"``).
"""
from __future__ import annotations

from typing import Any

import torch

from . import register_backbone
from ._layout import LayoutMismatch, Plan, create_from_file, need, register_layout, strip_prefix
from .base import Backbone, PretrainedCfg
from .clip import CLIP_MEAN, CLIP_STD, plan_openai_tower

FARL_WIDTH, FARL_PATCH = 768, 16  # the released FaRL backbones are ViT-B/16


def farl_cfg() -> PretrainedCfg:
    return PretrainedCfg(mean=CLIP_MEAN, std=CLIP_STD, input_size=224, crop="face-box", margin=0.2,
                         extra={"activation": "quick_gelu", "resize": "bicubic, shorter side, center crop",
                                "paper": "Zheng et al., General Facial Representation Learning in a "
                                         "Visual-Linguistic Manner, CVPR 2022"})


@register_layout("farl", description="FaRL ViT-B/16 (OpenAI-CLIP keys under visual.)")
def plan_farl(state: dict[str, torch.Tensor]) -> Plan:
    plan = plan_openai_tower(state, act="quick_gelu", cfg=farl_cfg())
    conv = need(strip_prefix(state, ("module.",)), "visual.conv1.weight", 4)
    if int(conv.shape[0]) != FARL_WIDTH or int(conv.shape[-1]) != FARL_PATCH:
        raise LayoutMismatch(f"FaRL releases are ViT-B/16 (width {FARL_WIDTH}, patch {FARL_PATCH}); "
                             f"this tower has width {conv.shape[0]}, patch {conv.shape[-1]}: load it with "
                             "clip: instead")
    plan.summary = "FaRL " + plan.summary
    return plan


@register_backbone("farl", description="FaRL ViT-B/16 .pth (face CLIP, LAION-Face) from a local file")
def create_farl(path: str, *, pretrained: bool = False, trust_checkpoint: bool = False,
                image_size: int | None = None, **kwargs: Any) -> Backbone:
    return create_from_file("farl", path, trust_checkpoint=trust_checkpoint, image_size=image_size, **kwargs)
