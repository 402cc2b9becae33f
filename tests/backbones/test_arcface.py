"""arcface:PATH — insightface arcface_torch iresnet ``backbone.pth`` files written by the test."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from published_ckpt import random_state

from facerep.backbones import create_backbone
from facerep.errors import DataError

WIDTHS = (64, 128, 256, 512)


def bn_shapes(prefix: str, c: int) -> dict:
    return {f"{prefix}.{n}": (c,) for n in ("weight", "bias", "running_mean", "running_var")} | {
        f"{prefix}.num_batches_tracked": ()}


def iresnet_shapes(layers=(1, 1, 1, 1), widths=WIDTHS, emb=512, grid=7) -> dict:
    """Key names and shapes of insightface's iresnet state_dict (iresnet50: layers (3, 4, 14, 3))."""
    s = {"conv1.weight": (64, 3, 3, 3), **bn_shapes("bn1", 64), "prelu.weight": (64,)}
    cin = 64
    for i, (n, w) in enumerate(zip(layers, widths), start=1):
        for j in range(n):
            p, c = f"layer{i}.{j}", cin if j == 0 else w
            s.update(bn_shapes(f"{p}.bn1", c))
            s[f"{p}.conv1.weight"] = (w, c, 3, 3)
            s.update(bn_shapes(f"{p}.bn2", w))
            s[f"{p}.prelu.weight"] = (w,)
            s[f"{p}.conv2.weight"] = (w, w, 3, 3)
            s.update(bn_shapes(f"{p}.bn3", w))
            if j == 0:
                s[f"{p}.downsample.0.weight"] = (w, c, 1, 1)
                s.update(bn_shapes(f"{p}.downsample.1", w))
        cin = w
    s.update(bn_shapes("bn2", cin))
    s["fc.weight"], s["fc.bias"] = (emb, cin * grid * grid), (emb,)
    s.update(bn_shapes("features", emb))
    return s


def reference_iresnet(x: torch.Tensor, sd: dict, layers) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """insightface's iresnet forward (eval mode), written out with torch.nn.functional."""
    def bn(t, p):
        return F.batch_norm(t, sd[p + ".running_mean"], sd[p + ".running_var"], sd[p + ".weight"], sd[p + ".bias"],
                            False, 0.0, 1e-5)

    x = F.prelu(bn(F.conv2d(x, sd["conv1.weight"], padding=1), "bn1"), sd["prelu.weight"])
    stages = []
    for i, n in enumerate(layers, start=1):
        for j in range(n):
            p, stride = f"layer{i}.{j}", 2 if j == 0 else 1
            out = F.conv2d(bn(x, p + ".bn1"), sd[p + ".conv1.weight"], padding=1)
            out = F.prelu(bn(out, p + ".bn2"), sd[p + ".prelu.weight"])
            out = bn(F.conv2d(out, sd[p + ".conv2.weight"], stride=stride, padding=1), p + ".bn3")
            short = bn(F.conv2d(x, sd[p + ".downsample.0.weight"], stride=stride), p + ".downsample.1") if j == 0 else x
            x = out + short
        stages.append(x)
    emb = F.linear(bn(x, "bn2").flatten(1), sd["fc.weight"], sd["fc.bias"])
    return bn(emb, "features"), stages


@pytest.mark.parametrize("layers,grid", [((1, 1, 1, 1), 7), ((2, 1, 2, 1), 2)], ids=["112px", "32px-deeper"])
def test_arcface_loads_exactly_and_matches_reference(tmp_path, layers, grid, cli):
    state = random_state(iresnet_shapes(layers, grid=grid), seed=12)
    torch.save(state, tmp_path / "backbone.pth")
    m = create_backbone(f"arcface:{tmp_path / 'backbone.pth'}")
    cfg = m.pretrained_cfg
    assert cfg.input_size == 16 * grid and cfg.crop == "aligned-5pt" and cfg.mean == cfg.std == (0.5, 0.5, 0.5)
    x = torch.randn(2, 3, 16 * grid, 16 * grid)
    with torch.no_grad():
        out = m.forward_features(x)
        emb, stages = reference_iresnet(x, state, layers)
    torch.testing.assert_close(out["pooled"], emb, atol=1e-5, rtol=0)
    for a, b in zip(out["maps"], stages, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)
    assert [t.shape[1] for t in out["maps"]] == list(WIDTHS) and m.num_features == 512
    code, text, _ = cli("backbones", "--check", tmp_path / "backbone.pth")
    assert code == 0 and "layout: arcface" in text


def test_arcface_iresnet50_layout_is_recognised_by_check():
    """The full iresnet50 key set (3, 4, 14, 3 blocks, 112 px), shapes only (meta tensors: no 170 MB file)."""
    from facerep.backbones.check import match_layout

    state = {k: torch.empty(s, device="meta") for k, s in iresnet_shapes((3, 4, 14, 3)).items()}
    r = match_layout("arcface", state)
    assert r.fits and "iresnet50" in r.summary and "112 px" in r.summary
    del state["layer3.13.bn3.weight"]
    r = match_layout("arcface", state)
    assert not r.fits and r.missing == ["net.layer3.13.bn3.weight"]
    assert not match_layout("dinov2", state).fits


def test_arcface_other_input_sizes_pool_to_fc_grid(tmp_path):
    torch.save(random_state(iresnet_shapes(), seed=13), tmp_path / "backbone.pth")
    m = create_backbone(f"arcface:{tmp_path / 'backbone.pth'}", image_size=64)
    assert m.pretrained_cfg.input_size == 64
    with torch.no_grad():
        out = m.forward_features(torch.randn(1, 3, 64, 64))
    assert out["pooled"].shape == (1, 512) and out["maps"][-1].shape == (1, 512, 4, 4)


def test_arcface_missing_stage_block_is_named(tmp_path):
    state = random_state(iresnet_shapes((2, 1, 1, 1)), seed=14)
    del state["layer1.1.conv2.weight"]
    torch.save(state, tmp_path / "backbone.pth")
    with pytest.raises(DataError, match="missing 1: layer1.1.conv2.weight"):
        create_backbone(f"arcface:{tmp_path / 'backbone.pth'}")
