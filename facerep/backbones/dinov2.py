"""``dinov2:PATH`` — the official DINOv2 backbones (``dinov2_vit{s,b,l,g}14[_reg4]_pretrain.pth``).

The files are flat state dicts of the DINOv2 ``DinoVisionTransformer``::

    patch_embed.proj.{weight [D, 3, 14, 14], bias}   cls_token [1, 1, D]   pos_embed [1, 1 + 37*37, D]
    mask_token [1, D]   (register_tokens [1, R, D] for *_reg4*)
    blocks.N.{norm1, attn.qkv, attn.proj, ls1.gamma, norm2, mlp.fc1, mlp.fc2 | mlp.w12, mlp.w3, ls2.gamma}
    norm.{weight,bias}

Width, depth, grid, register count and the SwiGLU MLP of ViT-g are read off the shapes; timm's own
``checkpoint_filter_fn`` (the conversion timm uses for these weights) maps them onto timm's
``vit_*_patch14_dinov2`` models. ``mask_token`` (used only by masked pre-training) is ignored.
DINOv2 evaluates at 224 px with ImageNet mean/std, interpolating the 37x37 position table.
"""
from __future__ import annotations

from typing import Any

import torch

from . import register_backbone
from ._layout import LayoutMismatch, Plan, count_indexed, create_from_file, need, register_layout
from ._vit import build_vit, grid_of, prefixed
from .base import IMAGENET_MEAN, IMAGENET_STD, Backbone, PretrainedCfg

PATCH = 14


def _mlp_ratio(state: dict[str, torch.Tensor], dim: int, swiglu: bool) -> float:
    hidden = int(need(state, "blocks.0.mlp.w12.weight" if swiglu else "blocks.0.mlp.fc1.weight", 2).shape[0])
    ratio = hidden / dim
    return ratio if int(dim * ratio) == hidden else ratio + 1e-9  # timm sizes the MLP as int(dim * ratio)


@register_layout("dinov2", description="official DINOv2 ViT-S/B/L/g 14 (+reg4) pretrain files")
def plan_dinov2(state: dict[str, torch.Tensor]) -> Plan:
    need(state, "mask_token", 2)
    need(state, "blocks.0.ls1.gamma", 1)
    dim = int(need(state, "cls_token", 3).shape[-1])
    proj = need(state, "patch_embed.proj.weight", 4)
    if int(proj.shape[-1]) != PATCH:
        raise LayoutMismatch(f"patch_embed.proj.weight has patch {proj.shape[-1]}, DINOv2 uses {PATCH}")
    grid = grid_of(int(need(state, "pos_embed", 3).shape[1]), 1)
    depth = count_indexed(state, "blocks.")
    swiglu = "blocks.0.mlp.w12.weight" in state
    regs = int(state["register_tokens"].shape[1]) if "register_tokens" in state else 0
    timm_kwargs: dict[str, Any] = {"mlp_ratio": _mlp_ratio(state, dim, swiglu)}
    if regs:
        timm_kwargs.update(reg_tokens=regs, no_embed_class=True)
    name = "vit_giant_patch14_dinov2" if swiglu else "vit_small_patch14_dinov2"
    cfg = PretrainedCfg(mean=IMAGENET_MEAN, std=IMAGENET_STD, input_size=224, crop="face-box",
                        extra={"paper": "Oquab et al., DINOv2, TMLR 2024", "trained_grid": grid})

    def build(image_size: int | None = None, **kwargs: Any) -> Backbone:
        return build_vit(name, patch=PATCH, dim=dim, depth=depth, grid=grid, cfg=cfg, image_size=image_size,
                         **timm_kwargs, **kwargs)

    # deferred: timm takes seconds to import; listing the adapters (facerep backbones) imports this module
    from timm.models.vision_transformer import VisionTransformer, checkpoint_filter_fn

    with torch.device("meta"):
        ref = build()
    vit: VisionTransformer = ref.model  # type: ignore[assignment]
    converted = checkpoint_filter_fn(dict(state), vit)  # it detects DINOv2 by mask_token, then drops it
    summary = (f"ViT/14, width {dim}, {depth} blocks, {grid * PATCH} px grid, {regs} registers"
               + (", SwiGLU" if swiglu else ""))
    return Plan(build, prefixed(converted, "model."),
                {"mask_token": "masked-modelling token (pre-training only)"}, summary)


@register_backbone("dinov2", description="official DINOv2 dinov2_vit*14*_pretrain.pth from a local file")
def create_dinov2(path: str, *, pretrained: bool = False, trust_checkpoint: bool = False,
                  image_size: int | None = None, **kwargs: Any) -> Backbone:
    return create_from_file("dinov2", path, trust_checkpoint=trust_checkpoint, image_size=image_size,
                            **kwargs)
