"""``clip:PATH`` and ``openclip:PATH`` — CLIP image towers in the OpenAI key layout, on timm's CLIP ViT.

The layout (OpenAI's ``model.state_dict()``, open_clip's ``open_clip_pytorch_model.bin`` /
``.safetensors``, optionally under ``state_dict`` with DDP's ``module.``)::

    visual.conv1.weight [W, 3, P, P]            visual.class_embedding [W]
    visual.positional_embedding [1 + G*G, W]    visual.ln_pre.{weight,bias}
    visual.transformer.resblocks.N.{ln_1, attn.in_proj_*, attn.out_proj, ln_2, mlp.c_fc, mlp.c_proj}
    visual.ln_post.{weight,bias}                visual.proj [W, E]

Width W, depth, patch P and grid G are read off the shapes (ViT-B/32, B/16, L/14, … all fit); the
text tower is ignored. The two names differ only in the MLP activation, which the file does not
record: ``clip:`` is OpenAI's QuickGELU (OpenAI weights and models fine-tuned from them, e.g. FaRL),
``openclip:`` is the GELU of towers trained with open_clip (LAION, DataComp). OpenAI's own ``.pt``
files are TorchScript archives: loading them runs TorchScript code from the file, so they need
``--trust-checkpoint`` (or a one-off conversion to a plain state dict).
"""
from __future__ import annotations

import re
import zipfile
from typing import Any

import torch

from ..errors import DataError
from . import register_backbone
from ._layout import (
    LayoutMismatch,
    Plan,
    count_indexed,
    create_from_file,
    need,
    read_state,
    register_layout,
    strip_prefix,
)
from ._vit import ProjectedVit, build_vit, grid_of
from .base import Backbone, PretrainedCfg

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
VISUAL = "visual."
# OpenAI CLIP name -> timm VisionTransformer name (applied to keys under visual.)
RENAMES = [
    (r"^conv1\.weight$", "patch_embed.proj.weight"),
    (r"^ln_pre\.", "norm_pre."),
    (r"^ln_post\.", "norm."),
    (r"^transformer\.resblocks\.(\d+)\.ln_1\.", r"blocks.\1.norm1."),
    (r"^transformer\.resblocks\.(\d+)\.ln_2\.", r"blocks.\1.norm2."),
    (r"^transformer\.resblocks\.(\d+)\.attn\.in_proj_(weight|bias)$", r"blocks.\1.attn.qkv.\2"),
    (r"^transformer\.resblocks\.(\d+)\.attn\.out_proj\.", r"blocks.\1.attn.proj."),
    (r"^transformer\.resblocks\.(\d+)\.mlp\.c_fc\.", r"blocks.\1.mlp.fc1."),
    (r"^transformer\.resblocks\.(\d+)\.mlp\.c_proj\.", r"blocks.\1.mlp.fc2."),
]


def openai_visual_to_timm(visual: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Keys under ``visual.`` (prefix removed) -> ProjectedVit keys (timm ViT under ``model.``, ``proj``).
    Keys no rule knows keep their name, so loading reports them as unexpected."""
    out: dict[str, torch.Tensor] = {}
    for k, v in visual.items():
        if k == "class_embedding":
            out["model.cls_token"] = v.reshape(1, 1, -1)
        elif k == "positional_embedding":
            out["model.pos_embed"] = v.unsqueeze(0)
        elif k == "proj":
            out["proj"] = v
        else:
            new = k
            for pat, rep in RENAMES:
                new, n = re.subn(pat, rep, k)
                if n:
                    break
            out[("model." + new) if new != k else VISUAL + k] = v
    return out


def plan_openai_tower(state: dict[str, torch.Tensor], *, act: str, cfg: PretrainedCfg) -> Plan:
    """Plan a CLIP image tower in the OpenAI key layout (see module doc)."""
    state = strip_prefix(state, ("module.",))
    if "visual.trunk.pos_embed" in state or "visual.trunk.blocks.0.norm1.weight" in state:
        raise LayoutMismatch("visual.trunk.* is an open_clip tower wrapping a timm model: load it with timm")
    conv = need(state, "visual.conv1.weight", 4)
    dim, patch = int(conv.shape[0]), int(conv.shape[-1])
    pos = need(state, "visual.positional_embedding", 2)
    out_dim = int(need(state, "visual.proj", 2).shape[1])
    grid = grid_of(int(pos.shape[0]), 1)
    depth = count_indexed(state, "visual.transformer.resblocks.")
    if depth == 0:
        raise LayoutMismatch("no visual.transformer.resblocks.N.* keys")
    visual = {k[len(VISUAL):]: v for k, v in state.items() if k.startswith(VISUAL)}
    ignored = {k: "text tower / logit scale (not part of the image tower)" for k in state
               if not k.startswith(VISUAL)}

    def build(image_size: int | None = None, **kwargs: Any) -> Backbone:
        return build_vit("vit_base_patch16_clip_224", patch=patch, dim=dim, depth=depth, grid=grid, cfg=cfg,
                         image_size=image_size, cls=ProjectedVit, out_dim=out_dim, act_layer=act, **kwargs)

    summary = (f"ViT patch {patch}, width {dim}, {depth} blocks, {grid * patch} px grid, embedding "
               f"{out_dim}, {act}")
    return Plan(build, openai_visual_to_timm(visual), ignored, summary)


def _cfg(act: str) -> PretrainedCfg:
    return PretrainedCfg(mean=CLIP_MEAN, std=CLIP_STD, input_size=224, crop="face-box",
                         extra={"activation": act, "resize": "bicubic, shorter side, center crop"})


@register_layout("clip", description="OpenAI CLIP image tower (visual.*), QuickGELU")
def plan_clip(state: dict[str, torch.Tensor]) -> Plan:
    return plan_openai_tower(state, act="quick_gelu", cfg=_cfg("quick_gelu"))


@register_layout("openclip",
                 description="open_clip-trained image tower in the OpenAI layout (visual.*), GELU")
def plan_openclip(state: dict[str, torch.Tensor]) -> Plan:
    return plan_openai_tower(state, act="gelu", cfg=_cfg("gelu"))


def is_torchscript(path: str) -> bool:
    """A TorchScript archive (OpenAI's released ``ViT-*.pt``): a zip holding compiled ``code/``."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as z:
        return any(n.endswith("/constants.pkl") or "/code/" in n for n in z.namelist())


def read_clip_state(path: str, trust: bool) -> dict[str, torch.Tensor]:
    """Tensor dict of a CLIP file; TorchScript archives only with ``trust`` (torch.jit.load runs their
    code)."""
    if not is_torchscript(path):
        return read_state(path, trust=trust)
    if not trust:
        raise DataError("a TorchScript archive (OpenAI's clip .pt): loading it runs TorchScript code from "
                        "the file. If you trust its source pass --trust-checkpoint, or save its state_dict() "
                        "once to safetensors and load that", path)
    return dict(torch.jit.load(path, map_location="cpu").state_dict().items())


@register_backbone("clip", description="OpenAI CLIP image tower from a local file (ViT-B/32, B/16, "
                                       "L/14 …), QuickGELU")
def create_clip(path: str, *, pretrained: bool = False, trust_checkpoint: bool = False,
                image_size: int | None = None, **kwargs: Any) -> Backbone:
    return create_from_file("clip", path, image_size=image_size,
                            state=read_clip_state(path, trust_checkpoint), **kwargs)


@register_backbone("openclip",
                   description="open_clip-trained image tower in the OpenAI layout (LAION …), GELU")
def create_openclip(path: str, *, pretrained: bool = False, trust_checkpoint: bool = False,
                    image_size: int | None = None, **kwargs: Any) -> Backbone:
    return create_from_file("openclip", path, image_size=image_size,
                            state=read_clip_state(path, trust_checkpoint), **kwargs)
