"""farl:PATH — a FaRL-layout file ({"state_dict": whole OpenAI-CLIP ViT-B/16 model}) written by the test.

The tower has FaRL's real width, patch, heads and 224 px position table; only the depth is cut to 2
blocks (of 12) to keep the test fast."""
from __future__ import annotations

import pytest
import torch
from published_ckpt import random_state
from test_clip import assert_matches_reference, clip_file_state, reference_tower

from facerep.backbones import create_backbone
from facerep.errors import DataError


@pytest.fixture(scope="module")
def farl_file(tmp_path_factory):
    ref = reference_tower("quick_gelu", width=768, patch=16, grid=14, depth=2, embed=512, seed=11)
    path = tmp_path_factory.mktemp("farl") / "FaRL-Base-Patch16-LAIONFace20M-ep64.pth"
    torch.save({"state_dict": clip_file_state(ref)}, path)
    return path, ref


def test_farl_loads_exactly_and_matches_open_clip(farl_file):
    path, ref = farl_file
    m = create_backbone(f"farl:{path}")
    assert m.num_features == 768 and m.proj.shape == (768, 512)
    cfg = m.pretrained_cfg
    assert cfg.input_size == 224 and cfg.std == (0.26862954, 0.26130258, 0.27577711) and cfg.crop == "face-box"
    assert cfg.extra["source"] == "farl" and "FaRL" in cfg.extra["layout"]
    assert_matches_reference(m, ref, 224)
    with torch.no_grad():
        out = m.forward_features(torch.randn(1, 3, 224, 224))
    assert [tuple(t.shape) for t in out["maps"]] == [(1, 768, 14, 14)] * 2


def test_farl_check_names_farl_first(farl_file, cli):
    code, out, _ = cli("backbones", "--check", farl_file[0])
    assert code == 0, out
    assert "under 'state_dict'" in out and "layout: farl" in out and "also loads as: clip, openclip" in out
    assert "ignored 9 keys [text tower" in out


def test_farl_refuses_other_widths(tmp_path):
    ref = reference_tower("quick_gelu")  # width 128, patch 8
    torch.save({"state_dict": clip_file_state(ref)}, tmp_path / "small.pth")
    with pytest.raises(DataError, match="FaRL releases are ViT-B/16.*load it with clip"):
        create_backbone(f"farl:{tmp_path / 'small.pth'}")


def test_farl_rejects_image_only_keys_of_another_model(tmp_path):
    torch.save({"state_dict": random_state({"conv1.weight": (64, 3, 7, 7)})}, tmp_path / "r.pth")
    with pytest.raises(DataError, match="not a farl checkpoint: no key 'visual.conv1.weight'"):
        create_backbone(f"farl:{tmp_path / 'r.pth'}")
