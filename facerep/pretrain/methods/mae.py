"""MAE (He et al. 2022): reconstruct the pixels of masked patches from the visible ones (ViT only)."""

from __future__ import annotations

import dataclasses
from typing import Any

from torch import Tensor, nn

from ...backbones.base import Backbone
from ...config import PretrainConfig
from ..views import crop_flip_views
from . import register_method
from ._base import Method, ViewFn, require_vit


@dataclasses.dataclass
class MaeOptions:
    mask_ratio: float = 0.75
    decoder_dim: int = 512
    decoder_depth: int = 8
    decoder_heads: int = 16
    norm_pix_loss: bool = True
    scale: list[float] = dataclasses.field(default_factory=lambda: [0.5, 1.0])


@register_method(
    "mae", options=MaeOptions, description="MAE: masked-patch pixel reconstruction (ViT backbones only)"
)
class MAE(Method):
    name = "mae"
    vit_only = True

    def __init__(self, backbone: Backbone, cfg: PretrainConfig) -> None:
        # deferred: lightly loads timm and torchvision (seconds); listing the methods imports this file
        from lightly.models.modules import MaskedVisionTransformerDecoderTIMM, MaskedVisionTransformerTIMM

        super().__init__(backbone, cfg)
        vit = require_vit(backbone, "mae")
        self.opts: MaeOptions = cfg.options
        c = self.opts
        self.encoder = MaskedVisionTransformerTIMM(vit=vit)  # shares the backbone's weights
        self.patch_size = int(vit.patch_embed.patch_size[0])
        self.seq_length = int(vit.patch_embed.num_patches) + vit.num_prefix_tokens
        self.decoder_embed = nn.Linear(vit.embed_dim, c.decoder_dim)
        self.decoder = MaskedVisionTransformerDecoderTIMM(
            num_patches=int(vit.patch_embed.num_patches),
            embed_dim=c.decoder_dim,
            depth=c.decoder_depth,
            num_heads=c.decoder_heads,
            num_prefix_tokens=vit.num_prefix_tokens,
        )
        self.decoder_pred = nn.Linear(c.decoder_dim, self.patch_size**2 * 3)

    @classmethod
    def build(cls, backbone: Backbone, cfg: PretrainConfig) -> MAE:
        require_vit(backbone, "mae")
        return cls(backbone, cfg)

    @classmethod
    def views(cls, cfg: PretrainConfig) -> ViewFn:
        c: MaeOptions = cfg.options
        return crop_flip_views(cfg.image_size, c.scale, hflip_prob=0.5)

    def training_step(self, batch: dict[str, Any]) -> dict[str, Tensor]:
        # deferred: lightly loads timm and torchvision (seconds); listing the methods imports this file
        from lightly.models import utils

        images = self.backbone.normalize(batch["views"][0])
        b = images.shape[0]
        idx_keep, idx_mask = utils.random_token_mask(
            size=(b, self.seq_length), mask_ratio=self.opts.mask_ratio, device=images.device
        )
        encoded = self.decoder_embed(self.encoder.encode(images, idx_keep=idx_keep))  # [B, keep, Dd]
        tokens = utils.repeat_token(self.decoder.mask_token, (b, self.seq_length))
        tokens = utils.set_at_index(tokens, idx_keep, encoded.type_as(tokens))
        decoded = self.decoder(tokens)  # [B, seq, Dd]
        pred = self.decoder_pred(utils.get_at_index(decoded, idx_mask))  # [B, n_mask, p*p*3]
        target = utils.get_at_index(utils.patchify(images, self.patch_size), idx_mask - 1)
        if self.opts.norm_pix_loss:
            target = (target - target.mean(-1, keepdim=True)) / (target.var(-1, keepdim=True) + 1e-6).sqrt()
        return {"loss": nn.functional.mse_loss(pred, target)}
