"""Each method on its own (no Trainer): one finite step, a falling loss on a fixed batch, analytic values."""

from __future__ import annotations

import math

import pytest
import torch
from pretrain_helpers import METHODS, random_faces
from torch import nn

from facerep.backbones import create_backbone
from facerep.pretrain.data import ViewDataset, collate_views
from facerep.pretrain.methods import get_method


def build(cfg):
    torch.manual_seed(0)
    backbone = create_backbone(cfg.backbone, image_size=cfg.image_size)
    backbone.train()
    return get_method(cfg.method).build(backbone, cfg)


def fixed_batch(cfg, n: int = 4) -> dict:
    cls = get_method(cfg.method)
    ds = ViewDataset(random_faces(n), cls.views(cfg), seed=0, need_identity=cls.needs_identity)
    batch = collate_views([ds[(i, i)] for i in range(n)])
    batch.pop("skipped")
    return batch


def train(method, batch: dict, steps: int, lr: float = 1e-3) -> list[float]:
    opt = torch.optim.AdamW([p for p in method.parameters() if p.requires_grad], lr=lr)
    losses = []
    for step in range(steps):
        method.step = step
        loss = method.training_step(batch)["loss"]
        opt.zero_grad()
        loss.backward()
        method.before_optimizer_step()
        opt.step()
        method.after_optimizer_step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("name", METHODS)
def test_one_step_finite_loss_and_views(make_cfg, name):
    cfg = make_cfg(name)
    batch = fixed_batch(cfg)
    assert len(batch["views"]) == get_method(name).views(cfg).n_views
    assert batch["views"][0].shape == (4, 3, 32, 32)
    assert 0.0 <= float(batch["views"][0].min()) and float(batch["views"][0].max()) <= 1.0
    method = build(cfg)
    out = method.training_step(batch)
    assert out["loss"].ndim == 0 and torch.isfinite(out["loss"])
    out["loss"].backward()
    grads = [p.grad for p in method.backbone.parameters() if p.grad is not None]
    assert grads and any(float(g.abs().sum()) > 0 for g in grads)


@pytest.mark.parametrize("name", METHODS)
def test_loss_falls_on_fixed_batch(make_cfg, name):
    cfg = make_cfg(name, steps=20)
    method = build(cfg)
    losses = train(method, fixed_batch(cfg), steps=20)
    assert all(math.isfinite(v) for v in losses)
    first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
    assert last < first - 1e-3, (name, losses)


def test_multi_crop_methods_make_global_then_local_views(make_cfg):
    for name in ("swav", "dino"):  # TINY_HEADS: 2 global + 2 local crops
        views = fixed_batch(make_cfg(name))["views"]
        assert [v.shape[-1] for v in views] == [32, 32, 14, 14]


def test_swav_uniform_assignments_give_log_k(make_cfg):
    """All prototypes equal: each sample scores the same on every prototype, so Sinkhorn codes and
    predictions are uniform and every cross-entropy is log K."""
    cfg = make_cfg("swav")
    method = build(cfg)
    with torch.no_grad():
        method.prototypes.heads[0].weight.copy_(
            method.prototypes.heads[0].weight[:1].expand_as(method.prototypes.heads[0].weight)
        )
        method.prototypes.heads[0].bias.zero_()
    loss = method.training_step(fixed_batch(cfg))["loss"]
    assert loss.item() == pytest.approx(math.log(cfg.options.n_prototypes), rel=1e-5)


def test_swav_prototypes_frozen_for_first_steps(make_cfg):
    cfg = make_cfg("swav", "swav.freeze_prototypes_steps=2")
    method = build(cfg)
    batch = fixed_batch(cfg)
    head = method.prototypes.heads[0]
    before = nn.functional.normalize(head.weight.detach(), dim=1).clone()
    train(method, batch, steps=2)  # steps 0 and 1: prototypes only re-normalised, never updated
    assert torch.allclose(nn.functional.normalize(head.weight.detach(), dim=1), before, atol=1e-6)
    method.step = 2
    method.training_step(batch)["loss"].backward()
    method.before_optimizer_step()
    assert head.weight.grad is not None and float(head.weight.grad.abs().sum()) > 0


def test_moco_infonce_of_identical_orthogonal_views():
    from facerep.pretrain.methods.moco import infonce

    b, t = 4, 0.2
    q = torch.eye(b, 8)
    expected = -math.log(math.exp(1 / t) / (math.exp(1 / t) + (b - 1))) * 2 * t
    assert infonce(q, q.clone(), t).item() == pytest.approx(expected, rel=1e-6)


def test_byol_identical_views_without_predictor_is_minus_one(make_cfg):
    """At init the target equals the online branch; with the predictor removed, identical views give -1."""
    cfg = make_cfg("byol")
    method = build(cfg)
    method.prediction_head = nn.Identity()
    batch = fixed_batch(cfg)
    batch["views"] = [batch["views"][0], batch["views"][0].clone()]
    assert method.training_step(batch)["loss"].item() == pytest.approx(-1.0, abs=1e-5)


def test_margin_heads_match_their_formulas():
    from facerep.pretrain.methods.supervised import MarginHead

    torch.manual_seed(0)
    x, y = torch.randn(5, 8), torch.tensor([0, 1, 2, 0, 1])
    for kind, m in (("cosface", 0.35), ("arcface", 0.5)):
        head = MarginHead(8, 3, kind, scale=10.0, margin=m)
        cos = nn.functional.normalize(x) @ nn.functional.normalize(head.weight).t()
        logits = head(x, y)
        true = cos[torch.arange(5), y]
        want = true - m if kind == "cosface" else torch.cos(torch.acos(true) + m)
        assert torch.allclose(logits[torch.arange(5), y], 10.0 * want, atol=1e-4)
        other = torch.ones_like(cos, dtype=torch.bool)
        other[torch.arange(5), y] = False
        assert torch.allclose(logits[other], 10.0 * cos[other], atol=1e-5)
    soft = MarginHead(8, 3, "softmax", scale=10.0, margin=0.0)
    assert torch.allclose(soft(x, y), x @ soft.weight.t())


def test_mae_refuses_a_cnn(make_cfg):
    from facerep.errors import ConfigError

    cfg = make_cfg("mae", backbone="timm:test_resnet")
    with pytest.raises(ConfigError, match="needs a ViT backbone"):
        build(cfg)
