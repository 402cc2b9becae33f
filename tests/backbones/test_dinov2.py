"""dinov2:PATH — files in the official DINOv2 layout (dinov2_vit*14[_reg4]_pretrain.pth), written by the test."""
from __future__ import annotations

import pytest
import timm
import torch
from published_ckpt import random_state, ref_vit, tokens_to_map, vit_block_shapes

from facerep.backbones import create_backbone
from facerep.errors import DataError

NAMES = {"n1": "norm1", "qkv_w": "attn.qkv.weight", "qkv_b": "attn.qkv.bias", "proj": "attn.proj",
         "n2": "norm2", "fc1": "mlp.fc1", "fc2": "mlp.fc2"}
DIM, DEPTH, GRID = 128, 2, 2  # ViT-S/14 has 384, 12 and a 37x37 grid (518 px)


def dinov2_shapes(dim=DIM, depth=DEPTH, grid=GRID, regs=0, swiglu=False) -> dict:
    """Key names and shapes of DinoVisionTransformer.state_dict() (swiglu: the fused SwiGLU MLP of ViT-g)."""
    s = {"cls_token": (1, 1, dim), "pos_embed": (1, 1 + grid * grid, dim), "mask_token": (1, dim),
         "patch_embed.proj.weight": (dim, 3, 14, 14), "patch_embed.proj.bias": (dim,)}
    if regs:
        s["register_tokens"] = (1, regs, dim)
    hidden = (int(4 * dim * 2 / 3) + 7) // 8 * 8 if swiglu else 4 * dim
    for i in range(depth):
        p = f"blocks.{i}."
        block = vit_block_shapes(p, dim, hidden, NAMES)
        if swiglu:
            for k in [k for k in block if ".mlp." in k]:
                del block[k]
            block.update({p + "mlp.w12.weight": (2 * hidden, dim), p + "mlp.w12.bias": (2 * hidden,),
                          p + "mlp.w3.weight": (dim, hidden), p + "mlp.w3.bias": (dim,)})
        s.update(block)
        s[p + "ls1.gamma"], s[p + "ls2.gamma"] = (dim,), (dim,)
    s["norm.weight"], s["norm.bias"] = (dim,), (dim,)
    return s


def timm_reference(path, base: str, regs: int = 0) -> torch.nn.Module:
    """The same file loaded the way timm loads DINOv2 weights: its checkpoint_filter_fn, strict."""
    extra = {"reg_tokens": regs, "no_embed_class": True} if regs else {}
    if base == "vit_giant_patch14_dinov2":
        extra["mlp_ratio"] = 2 * ((int(4 * DIM * 2 / 3) + 7) // 8 * 8) / DIM
    m = timm.create_model(base, pretrained=True, pretrained_cfg_overlay={"file": str(path)}, num_classes=0,
                          embed_dim=DIM, depth=DEPTH, num_heads=DIM // 64, img_size=GRID * 14, **extra)
    return m.eval()


@pytest.mark.parametrize("regs,swiglu", [(0, False), (4, True)], ids=["vits14", "vitg14_reg4"])
def test_dinov2_loads_exactly_and_matches_timm(tmp_path, regs, swiglu, cli):
    state = random_state(dinov2_shapes(regs=regs, swiglu=swiglu), seed=4)
    path = tmp_path / "dinov2_vits14_pretrain.pth"
    torch.save(state, path)
    m = create_backbone(f"dinov2:{path}")
    assert m.num_features == DIM and m.pretrained_cfg.input_size == 224
    assert m.pretrained_cfg.mean == (0.485, 0.456, 0.406)
    ref = timm_reference(path, "vit_giant_patch14_dinov2" if swiglu else "vit_small_patch14_dinov2", regs)
    x = torch.randn(2, 3, GRID * 14, GRID * 14)
    with torch.no_grad():
        out = m.forward_features(x)
        feats = ref.forward_features(x)
        pooled = ref.forward_head(feats, pre_logits=True)
        _, inter = ref.forward_intermediates(x, indices=1)
    torch.testing.assert_close(out["pooled"], pooled, atol=1e-5, rtol=0)
    torch.testing.assert_close(out["maps"][-1], inter[-1], atol=1e-5, rtol=0)
    code, text, _ = cli("backbones", "--check", path)
    assert code == 0 and "layout: dinov2" in text and f"{regs} registers" in text


def test_dinov2_matches_independent_vit(tmp_path):
    """The plain (non-register) layout against a ViT written out in the test (layer scale, eps 1e-6)."""
    state = random_state(dinov2_shapes(), seed=5)
    torch.save(state, tmp_path / "d.pth")
    m = create_backbone(f"dinov2:{tmp_path / 'd.pth'}")
    x = torch.randn(2, 3, GRID * 14, GRID * 14)
    with torch.no_grad():
        out = m.forward_features(x)
        cls, tokens = ref_vit(x, state, depth=DEPTH, heads=DIM // 64, layer_scale=True)
    torch.testing.assert_close(out["pooled"], cls, atol=1e-5, rtol=0)
    torch.testing.assert_close(out["maps"][-1], tokens_to_map(tokens), atol=1e-5, rtol=0)


def test_dinov2_runs_at_224_and_odd_sizes(tmp_path):
    torch.save(random_state(dinov2_shapes(), seed=6), tmp_path / "d.pth")
    m = create_backbone(f"dinov2:{tmp_path / 'd.pth'}")
    with torch.no_grad():
        assert m.forward_features(torch.randn(1, 3, 224, 224))["maps"][-1].shape == (1, DIM, 16, 16)
        assert m.forward_features(torch.randn(1, 3, 64, 64))["maps"][-1].shape == (1, DIM, 5, 5)  # padded


def test_dinov2_refuses_missing_block_key(tmp_path):
    state = random_state(dinov2_shapes(), seed=7)
    del state["blocks.1.ls2.gamma"]
    torch.save(state, tmp_path / "d.pth")
    with pytest.raises(DataError, match="missing 1: blocks.1.ls2.gamma"):
        create_backbone(f"dinov2:{tmp_path / 'd.pth'}")
