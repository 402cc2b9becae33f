"""The fine-tuning heads (facerep.bench.finetune_heads, the ArcFace margin of heads.EmbeddingHead) and the
comparison the issue asks for: heatmap fine-tuning beats the coordinate-regression head on landmarks2d."""
from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional as F

from facerep.bench.api import bench, make_config
from facerep.bench.finetune_heads import FPNNeck, HeatmapHead, cell_centres, gaussian_targets, soft_argmax
from facerep.bench.heads import EmbeddingHead


def test_soft_argmax_recovers_sub_pixel_positions_of_sharp_gaussians():
    """A heatmap that is the log of a Gaussian centred between cells decodes to that centre (sub-pixel)."""
    size, h = 64, 16  # stride 4
    points = torch.tensor([[[22.3, 40.7], [33.0, 21.6]]])  # crop pixels [1, 2, 2], >= 5 σ from the borders
    g = gaussian_targets(points, h, h, size, sigma=1.0)
    got = soft_argmax(torch.log(g.clamp(min=1e-30)), size)
    assert torch.allclose(got, points, atol=0.02)
    assert g.flatten(2).max(-1).values.min() > 0.6  # the peak sits next to the point: centres are right
    assert torch.allclose(cell_centres(4, 8), torch.tensor([0.5, 2.5, 4.5, 6.5]))


def test_fpn_neck_output_at_the_finest_resolution():
    neck = FPNNeck([8, 16, 32], width=12)
    out = neck([torch.randn(2, 8, 12, 12), torch.randn(2, 16, 6, 6), torch.randn(2, 32, 3, 3)])
    assert out.shape == (2, 12, 12, 12)
    with pytest.raises(ValueError, match="built for 3 maps"):
        neck([torch.randn(2, 8, 12, 12)])


def test_heatmap_head_learns_points_and_leaves_unlabelled_points_out():
    """A heatmap head fitted on fixed maps that mark where each point is learns to put the points there; a NaN
    (unlabelled) point neither breaks the loss nor receives gradient."""
    torch.manual_seed(0)
    size, k = 32, 3
    pts = torch.rand(24, k, 2) * 24 + 4  # crop pixels
    maps = [gaussian_targets(pts, 8, 8, size, 1.0), F.avg_pool2d(gaussian_targets(pts, 8, 8, size, 1.0), 2)]
    y = (pts / size * 2 - 1).reshape(24, -1)
    head = HeatmapHead([k, k], k, size, width=16)
    y_nan = y.clone()
    y_nan[0, :2] = float("nan")
    assert torch.isfinite(head.train_loss(maps, y_nan))
    def pixel_error() -> float:
        with torch.no_grad():
            return float(((head(maps) - y).reshape(24, k, 2) * size / 2).norm(dim=-1).mean())

    before = pixel_error()
    opt = torch.optim.Adam(head.parameters(), lr=1e-2)
    for _ in range(150):
        loss = head.train_loss(maps, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = pixel_error()
    assert after < 2.0 and after < 0.3 * before, (before, after)  # within 2 of 32 pixels


def test_arcface_margin_lowers_only_the_target_logit():
    torch.manual_seed(0)
    head = EmbeddingHead(8, 4, 5, scale=10.0, margin=0.3)
    emb, y = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 4, 0])
    plain, margin = head.logits(emb), head.logits(emb, y)
    target = F.one_hot(y, 5).bool()
    assert torch.allclose(plain[~target], margin[~target])
    cos = plain[target] / 10.0
    assert torch.allclose(margin[target] / 10.0, torch.cos(torch.acos(cos) + 0.3), atol=1e-5)
    assert math.isclose(float(EmbeddingHead(8, 4, 5, margin=0.0).margin), 0.0)


def _finetune_nme(bench_cache, linear_heads: bool) -> float:
    cfg = make_config(dict(tasks=["landmarks2d"], mode="finetune", backbone="timm:resnet10t", image_size=48,
                           synth="synth:ids=16,per_id=6,size=64,seed=0", fractions=[1.0], seeds=[0],
                           finetune_epochs=20, batch_size=8, finetune_linear_heads=linear_heads,
                           cache_dir=str(bench_cache)))
    df, _ = bench(cfg, write=False)
    rows = df[(df["mode"] == "finetune") & (df["metric"] == "nme_interocular")]
    return float(rows["value"].item())


def test_heatmap_finetuning_beats_the_coordinate_regression_head(bench_cache):
    """Same data (66 training faces of 48 px), same epochs (20), same seed, a random-init ResNet-10t: the
    heatmap head with a soft-argmax decode ends with a lower inter-ocular NME than the coordinate-regression
    head (LP-FT) (measured 0.112 vs 0.128)."""
    heatmap, regression = _finetune_nme(bench_cache, False), _finetune_nme(bench_cache, True)
    assert heatmap < 0.95 * regression, (heatmap, regression)
