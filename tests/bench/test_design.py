"""The shared design of a task's linear heads: standardisation over the whole training split and Gram blocks."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from facerep.bench.design import Design
from facerep.bench.heads import fit_ridge, linear_head, spatial_linear_head


def _data(n=60, d=200, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=gen) * torch.linspace(0.5, 3, d) + 2.0
    y = x[:, :3] @ torch.randn(3, 4, generator=gen) + 0.5 * torch.randn(n, 4, generator=gen)
    return x, y


def test_gram_block_gives_the_same_fit_as_computing_it():
    """A subset's fit from the shared Gram block equals the fit that forms the Gram matrix itself, for an
    unordered subset with identity groups."""
    x, y = _data()
    positions = np.arange(100, 160)  # dataset indices of the training split
    design = Design(x, positions)
    idx = np.array([101, 150, 103, 104, 120, 121, 122, 140, 141, 142, 143, 110, 111, 112, 113, 159])
    groups = np.repeat(np.arange(8), 2)
    heads = []
    for gram in (design.gram_of(idx), None):
        head = linear_head(200, 4)
        design.attach(head)
        lam = fit_ridge(head, design.rows_of(idx), y[idx - 100], groups, gram=gram)
        heads.append((lam, head))
    (lam_a, a), (lam_b, b) = heads
    assert lam_a == pytest.approx(lam_b, rel=1e-6)
    with torch.no_grad():
        torch.testing.assert_close(a(design.x), b(design.x), rtol=1e-4, atol=1e-4)


def test_standardisation_comes_from_the_whole_split():
    """Rows are standardised with the whole split's statistics, not the subset's; attached heads take them as
    they are and a fit does not re-standardise."""
    x, y = _data()
    design = Design(x, np.arange(60))
    whole = (x - x.mean(0)) / x.std(0, unbiased=False)
    torch.testing.assert_close(design.rows_of(np.arange(5)), whole[:5], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(design.standardize(x[7:9]), whole[7:9], rtol=1e-4, atol=1e-4)
    head = linear_head(200, 4)
    design.attach(head)
    fit_ridge(head, design.rows_of(np.arange(5)), y[:5])
    assert head.norm.fitted and head.norm.mean.numel() == 0
    torch.testing.assert_close(head.norm(x), x)


def test_no_gram_when_rows_outnumber_features_or_positions_unsorted():
    x, _ = _data(n=60, d=20)
    assert Design(x, np.arange(60)).gram_of(np.arange(10)) is None
    with pytest.raises(ValueError):
        Design(x, np.arange(60)[::-1].copy())
    with pytest.raises(ValueError, match="outside the training split"):
        Design(x, np.arange(0, 120, 2)).rows_of(np.array([3]))


def test_spatial_head_gram_matches_flattened_rows():
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(30, 4, 3, 3, generator=gen)
    design = Design(x, np.arange(30))
    rows = (x - x.mean((0, 2, 3), keepdim=True)) / x.std((0, 2, 3), unbiased=False, keepdim=True)
    rows = rows.reshape(30, -1).double()
    torch.testing.assert_close(design.gram_of(np.array([3, 7])), (rows @ rows.T)[[3, 7]][:, [3, 7]],
                               rtol=1e-4, atol=1e-4)
    head = spatial_linear_head(4, 3, 2)
    design.attach(head)
    assert head.norm.fitted


def test_copies_give_each_face_one_row_per_copy_standardised_like_the_rows_they_train_with():
    """With a copy (the mirrored crops' features), a subset's rows are its clean rows then its copy rows, clean and
    copy rows share the statistics of all of them, and the Gram block is that of those rows."""
    x, _ = _data()
    mirror = x.flip(1) + 0.1
    positions = np.arange(10, 70)
    design = Design(x, positions, (mirror,))
    idx = np.array([12, 40, 11])
    rows = design.rows_of(idx)
    both = torch.cat([x, mirror])
    mean, std = both.mean(0), both.std(0, unbiased=False)
    torch.testing.assert_close(rows[:3], (x[idx - 10] - mean) / std, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(rows[3:], (mirror[idx - 10] - mean) / std, rtol=1e-4, atol=1e-4)
    flat = rows.reshape(len(rows), -1).double()
    torch.testing.assert_close(design.gram_of(idx), flat @ flat.T, rtol=1e-5, atol=1e-3)
    assert design.gram_of(positions).shape == (120, 120)
    with pytest.raises(ValueError, match="outside the training split"):
        design.rows_of(np.array([5]))


def test_a_feature_constant_in_the_clean_rows_is_not_blown_up_in_the_copies():
    """Regression: standardised by the clean rows' statistics alone, a feature nearly constant in the clean crops
    but not in their mirror images came out ~100x larger in the mirrored rows."""
    x, _ = _data()
    x[:, 0] = 1.0  # constant in the clean rows (a border on one side)
    mirror = x.clone()
    mirror[:, 0] = torch.linspace(-3, 3, len(x))  # varies once mirrored
    design = Design(x, np.arange(len(x)), (mirror,))
    assert float(design.x.abs().max()) < 5.0


def test_a_fit_on_clean_and_mirrored_rows_predicts_clean_test_faces():
    """Regression (CK+48: every clean test face predicted as one class at 100 % labels with mirror=true): features
    constant in the clean crops but not in their mirror images must not decide the fit. 4 classes planted in 40
    of 400 features; 80 features constant in the clean rows vary in the mirrored rows."""
    gen = torch.Generator().manual_seed(0)
    n, d = 240, 400
    cls = torch.arange(n) % 4
    centres = torch.randn(4, 40, generator=gen)
    x = torch.randn(n, d, generator=gen)
    x[:, :40] += 1.5 * centres[cls]
    mirror = x + 0.3 * torch.randn(n, d, generator=gen)
    x[:, 320:] = 1.0 + 1e-4 * torch.randn(n, 80, generator=gen)  # a border on one side of the clean crops ...
    mirror[:, 320:] = torch.randn(n, 80, generator=gen)  # ... holds face content once mirrored
    train, test = np.arange(160), np.arange(160, n)
    design = Design(x[train], train, (mirror[train],))
    head = linear_head(d, 4)
    design.attach(head)
    onehot = torch.nn.functional.one_hot(cls[train], 4).float().repeat(2, 1)
    fit_ridge(head, design.rows_of(train), onehot, np.tile(train, 2), gram=design.gram_of(train))
    with torch.no_grad():
        pred = head(design.standardize(x[test])).argmax(1)
    assert float((pred == cls[test]).float().mean()) > 0.8
