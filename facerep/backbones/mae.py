"""``mae:PATH`` — ViT checkpoints in the MAE layout (He et al., 2022), as FMAE and FSFM release them.

MAE's ``main_pretrain.py`` saves ``{"model": state_dict, …}``; the encoder uses timm's ViT names::

    cls_token [1, 1, D]   pos_embed [1, 1 + G*G, D]   patch_embed.proj.{weight [D, 3, P, P], bias}
    blocks.N.{norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2}   norm.{weight,bias}
    decoder: mask_token, decoder_embed, decoder_pos_embed, decoder_blocks.N.*, decoder_norm, decoder_pred

The encoder goes onto timm's ``vit_base_patch16_224`` resized to the file's width, depth, patch and
grid; the decoder keys are ignored (and listed by ``--check``). Fine-tuned MAE checkpoints (``fc_norm``
instead of ``norm``: global average pooling) load too, their classifier ``head`` ignored.
Preprocessing as in MAE: 224 px, ImageNet mean/std.
"""
from __future__ import annotations

from typing import Any

import torch

from . import register_backbone
from ._layout import (
    LayoutMismatch,
    Plan,
    count_indexed,
    create_from_file,
    need,
    register_layout,
    strip_prefix,
)
from ._vit import build_vit, grid_of, prefixed
from .base import IMAGENET_MEAN, IMAGENET_STD, Backbone, PretrainedCfg

DECODER_PREFIXES = ("decoder_", "mask_token")


def _ignored(key: str) -> str | None:
    if key.startswith(DECODER_PREFIXES):
        return "MAE decoder (pre-training only)"
    if key.startswith("head."):
        return "classifier head of a fine-tuned model"
    return None


@register_layout("mae", description="MAE-layout ViT encoder under 'model' (MAE, FMAE, FSFM)")
def plan_mae(state: dict[str, torch.Tensor]) -> Plan:
    state = strip_prefix(state, ("module.",))
    if "blocks.0.ls1.gamma" in state:
        raise LayoutMismatch("blocks have layer scale (ls1.gamma): this is not an MAE encoder (DINOv2?)")
    dim = int(need(state, "cls_token", 3).shape[-1])
    proj = need(state, "patch_embed.proj.weight", 4)
    patch = int(proj.shape[-1])
    grid = grid_of(int(need(state, "pos_embed", 3).shape[1]), 1)
    depth = count_indexed(state, "blocks.")
    if depth == 0:
        raise LayoutMismatch("no blocks.N.* keys")
    hidden = int(need(state, "blocks.0.mlp.fc1.weight", 2).shape[0])
    avg_pool = "fc_norm.weight" in state and "norm.weight" not in state
    timm_kwargs: dict[str, Any] = {"mlp_ratio": hidden / dim}
    if avg_pool:
        timm_kwargs["global_pool"] = "avg"
    cfg = PretrainedCfg(mean=IMAGENET_MEAN, std=IMAGENET_STD, input_size=224, crop="face-box",
                        extra={"pooling": "avg" if avg_pool else "cls"})
    ignored = {k: why for k in state if (why := _ignored(k))}
    encoder = {k: v for k, v in state.items() if k not in ignored}

    def build(image_size: int | None = None, **kwargs: Any) -> Backbone:
        return build_vit("vit_base_patch16_224", patch=patch, dim=dim, depth=depth, grid=grid, cfg=cfg,
                         image_size=image_size, **timm_kwargs, **kwargs)

    summary = (f"ViT patch {patch}, width {dim}, {depth} blocks, {grid * patch} px grid, "
               f"{'avg' if avg_pool else 'cls'} pooling")
    return Plan(build, prefixed(encoder, "model."), ignored, summary)


@register_backbone("mae",
                   description="MAE-layout ViT checkpoint (MAE, FMAE, FSFM releases) from a local file")
def create_mae(path: str, *, pretrained: bool = False, trust_checkpoint: bool = False,
               image_size: int | None = None, **kwargs: Any) -> Backbone:
    return create_from_file("mae", path, trust_checkpoint=trust_checkpoint, image_size=image_size, **kwargs)
