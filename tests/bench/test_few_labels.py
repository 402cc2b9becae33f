"""Few labelled faces per class: the penalty search must not pick a head that predicts noise below the majority
class, and the input-blind fallback must not cost a head that has signal."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from facerep.bench.api import evaluate
from facerep.bench.heads import RIDGE_GRID, HeldOut, _cv_lambda
from facerep.data.synth import SynthDataset


@pytest.fixture(scope="module")
def takes_folder(tmp_path_factory) -> str:
    """JAFFE-like: each embedded face saved as three near-identical takes, in expression folders, no ids (the
    takes are kept together by near-duplicate grouping)."""
    root = tmp_path_factory.mktemp("takes")
    ds, rng = SynthDataset(ids=20, per_id=4, size=48, seed=11), np.random.default_rng(0)
    names = ds.info.expression_classes
    for i in range(len(ds)):
        s = ds[i]
        folder = root / names[s.expression]
        folder.mkdir(exist_ok=True)
        for k in range(3):
            noisy = np.clip(s.image.astype(int) + rng.integers(-4, 5, s.image.shape), 0, 255).astype(np.uint8)
            Image.fromarray(noisy).save(folder / f"id{s.identity:03d}_{i}_take{k}.png")
    return f"imagefolder:{root}?label=expression"


def test_few_faces_without_signal_fall_back_to_the_majority(takes_folder, bench_cache):
    """Regression (JAFFE, 14 training faces over 7 classes: accuracy 0.09, chance 0.14): with 18-35 training faces
    and box crops of cartoon faces (no expression signal), a penalty that fitted noise won the held-out search,
    because holding a face out makes its class the rarer one and the class prior then looks worse than it is."""
    df = evaluate(backbone="timm:resnet18", tasks="expression", data=takes_folder,
                  protocol=dict(fractions=[0.1, 0.2], seeds=[0, 1, 2], image_size=48, mirror=False, align="off",
                                cache_dir=str(bench_cache)))
    acc = df[df.metric == "accuracy"].groupby(["mode", "fraction"])["value"].mean()
    for f in (0.1, 0.2):
        assert acc["linear", f] >= acc["trivial", f] - 1e-9, acc


def test_the_input_blind_fallback_needs_a_baseline_and_keeps_a_real_signal():
    """_cv_lambda keeps the heaviest shrinkage unless the best penalty beats the criterion's baseline."""
    gen = torch.Generator().manual_seed(0)
    n, r = 40, 10
    x = torch.randn(n, r, generator=gen, dtype=torch.float64)
    u, _ = torch.linalg.qr(x - x.mean(0))  # orthogonal to the constant vector, as the centred design's
    s2 = torch.ones(r, dtype=torch.float64)
    y = torch.randn(n, 1, generator=gen, dtype=torch.float64)
    yc = y - y.mean()
    losses = iter([])

    def crit(baseline: float):
        def loss(target: torch.Tensor, pred: torch.Tensor) -> HeldOut:
            return HeldOut(next(losses), baseline)
        return loss

    grid = [k * float(s2.mean()) for k in RIDGE_GRID]
    losses = iter([0.50, 0.40, 0.45, 0.60, 0.70, 0.70, 0.70, 0.70])  # best: the second penalty
    assert _cv_lambda(u, s2, yc, None, crit(0.41), y) == pytest.approx(grid[1])  # 0.40 < 0.41
    losses = iter([0.50, 0.40, 0.45, 0.60, 0.70, 0.70, 0.70, 0.70])
    assert _cv_lambda(u, s2, yc, None, crit(0.40), y) == pytest.approx(grid[-1])  # does not beat 0.40
    losses = iter([0.50, 0.40, 0.45, 0.60, 0.70, 0.70, 0.70, 0.70])
    assert _cv_lambda(u, s2, yc, None, lambda t, p: next(losses), y) == pytest.approx(grid[1])  # a plain float
