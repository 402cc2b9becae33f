"""A timm ViT sized from a checkpoint's shapes, shared by the ViT file adapters (clip, farl, dinov2, mae).

The model is built at the checkpoint's own grid (so ``pos_embed`` loads unchanged) with
``dynamic_img_size``: other input sizes interpolate the position embedding at forward time, and
``dynamic_img_pad`` pads inputs that are not a multiple of the patch size.
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from ._layout import LayoutMismatch
from .base import PretrainedCfg
from .timm_models import TimmBackbone

HEADS = {1280: 16, 1408: 16, 1664: 16}  # widths whose heads are not 64 wide (ViT-H, ViT-g/14, ViT-bigG)


def heads_of(dim: int) -> int:
    """Attention heads for width ``dim`` (the file does not record them): 64-wide heads except
    :data:`HEADS`."""
    if dim in HEADS:
        return HEADS[dim]
    if dim % 64:
        raise LayoutMismatch(f"width {dim} is not a multiple of the 64-wide heads these models use")
    return dim // 64


def grid_of(n_pos: int, n_prefix: int) -> int:
    """Side of the square patch grid of a position table with ``n_pos`` rows (``n_prefix`` for cls/regs)."""
    side = math.isqrt(n_pos - n_prefix)
    if side * side != n_pos - n_prefix:
        raise LayoutMismatch(f"position table of {n_pos} rows is not {n_prefix} + a square grid")
    return side


def build_vit(timm_name: str, *, patch: int, dim: int, depth: int, grid: int, cfg: PretrainedCfg,
              image_size: int | None = None, cls: type[TimmBackbone] = TimmBackbone,
              **timm_kwargs: Any) -> TimmBackbone:
    """timm ``timm_name`` resized to (patch, dim, depth, heads from :func:`heads_of`, grid) with no
    classifier.

    Returns a backbone whose ``forward_features(x)`` gives pooled [B, dim] and the last 4 blocks'
    patch tokens as maps [B, dim, H/patch, W/patch]."""
    model = cls(timm_name, patch_size=patch, embed_dim=dim, depth=depth, num_heads=heads_of(dim),
                         img_size=grid * patch, dynamic_img_size=True, dynamic_img_pad=True, **timm_kwargs)
    model.pretrained_cfg = PretrainedCfg(mean=cfg.mean, std=cfg.std, input_size=image_size or cfg.input_size,
                                         crop=cfg.crop, margin=cfg.margin,
                                         extra=dict(cfg.extra, timm_name=timm_name))
    return model


def prefixed(state: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """Keys of a timm ViT state as they sit in a :class:`TimmBackbone` (under ``model.``)."""
    return {prefix + k: v for k, v in state.items()}


class ProjectedVit(TimmBackbone):
    """A CLIP-style tower: the timm ViT plus the released projection ``proj`` [D, E] onto the joint
    image-text space. ``pooled`` stays the pre-projection feature (what linear probes use);
    :meth:`embed` gives the projected embedding."""

    def __init__(self, name: str, *, out_dim: int, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.proj = nn.Parameter(torch.zeros(self.num_features, out_dim))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """x: [B, 3, H, W] normalised -> [B, E] image embedding (pooled @ proj)."""
        return self.forward_features(x)["pooled"] @ self.proj
