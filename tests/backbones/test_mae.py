"""mae:PATH — an MAE-layout checkpoint ({"model": encoder + decoder}) written by the test."""
from __future__ import annotations

import argparse

import pytest
import torch
from published_ckpt import random_state, ref_vit, tokens_to_map, vit_block_shapes

from facerep.backbones import create_backbone
from facerep.errors import DataError

TIMM_NAMES = {"n1": "norm1", "qkv_w": "attn.qkv.weight", "qkv_b": "attn.qkv.bias", "proj": "attn.proj",
              "n2": "norm2", "fc1": "mlp.fc1", "fc2": "mlp.fc2"}
DIM, DEPTH, PATCH, GRID, DEC = 128, 2, 8, 4, 64  # ViT-B/16 has 768, 12, 16, 14; decoder 512


def mae_shapes(dim=DIM, depth=DEPTH, patch=PATCH, grid=GRID, dec=DEC, dec_depth=1) -> dict:
    s = {"cls_token": (1, 1, dim), "pos_embed": (1, 1 + grid * grid, dim),
         "patch_embed.proj.weight": (dim, 3, patch, patch), "patch_embed.proj.bias": (dim,)}
    for i in range(depth):
        s.update(vit_block_shapes(f"blocks.{i}.", dim, 4 * dim, TIMM_NAMES))
    s.update({"norm.weight": (dim,), "norm.bias": (dim,), "mask_token": (1, 1, dec),
              "decoder_embed.weight": (dec, dim), "decoder_embed.bias": (dec,),
              "decoder_pos_embed": (1, 1 + grid * grid, dec)})
    for i in range(dec_depth):
        s.update(vit_block_shapes(f"decoder_blocks.{i}.", dec, 4 * dec, TIMM_NAMES))
    s.update({"decoder_norm.weight": (dec,), "decoder_norm.bias": (dec,),
              "decoder_pred.weight": (patch * patch * 3, dec), "decoder_pred.bias": (patch * patch * 3,)})
    return s


@pytest.fixture
def mae_file(tmp_path):
    state = random_state(mae_shapes(), seed=1)
    torch.save({"model": state, "epoch": 399}, tmp_path / "checkpoint-399.pth")
    return tmp_path / "checkpoint-399.pth", state


def test_mae_loads_exactly_and_matches_reference(mae_file):
    path, state = mae_file
    m = create_backbone(f"mae:{path}")
    assert m.num_features == DIM and m.pretrained_cfg.input_size == 224
    assert m.pretrained_cfg.extra["source"] == "mae" and m.arch == f"mae:{path}"
    x = torch.randn(2, 3, GRID * PATCH, GRID * PATCH)
    with torch.no_grad():
        out = m.forward_features(x)
        cls, tokens = ref_vit(x, state, depth=DEPTH, heads=DIM // 64)
    torch.testing.assert_close(out["pooled"], cls, atol=1e-5, rtol=0)
    torch.testing.assert_close(out["maps"][-1], tokens_to_map(tokens), atol=1e-5, rtol=0)
    assert len(out["maps"]) == DEPTH


def test_mae_other_sizes_interpolate(mae_file):
    m = create_backbone(f"mae:{mae_file[0]}", image_size=48)
    assert m.pretrained_cfg.input_size == 48
    with torch.no_grad():
        out = m.forward_features(torch.randn(1, 3, 48, 48))
    assert out["maps"][-1].shape == (1, DIM, 6, 6)


def test_mae_check_lists_decoder_as_ignored(mae_file, cli):
    code, out, _ = cli("backbones", "--check", mae_file[0])
    assert code == 0, out
    assert "layout: mae" in out and "MAE decoder" in out
    assert "dinov2: no" in out  # the top-level mask_token does not fool the DINOv2 layout


def test_mae_with_args_namespace_needs_trust(tmp_path, cli):
    """MAE's training script also saves ``args`` (an argparse.Namespace): weights_only refuses it."""
    state = random_state(mae_shapes(), seed=2)
    torch.save({"model": state, "args": argparse.Namespace(lr=1.0)}, tmp_path / "ck.pth")
    with pytest.raises(DataError, match="trust-checkpoint"):
        create_backbone(f"mae:{tmp_path / 'ck.pth'}")
    code, out, _ = cli("backbones", "--check", tmp_path / "ck.pth")
    assert code == 0 and "needs --trust-checkpoint" in out and "argparse.Namespace" in out and "layout: mae" in out
    m = create_backbone(f"mae:{tmp_path / 'ck.pth'}", trust_checkpoint=True)
    assert m.num_features == DIM


def test_mae_with_extra_encoder_key_is_refused(tmp_path):
    state = random_state(mae_shapes(), seed=3)
    state["blocks.0.attn.q_norm.weight"] = torch.ones(64)
    torch.save({"model": state}, tmp_path / "odd.pth")
    with pytest.raises(DataError, match="unexpected 1: blocks.0.attn.q_norm.weight"):
        create_backbone(f"mae:{tmp_path / 'odd.pth'}")
