"""Metric functions against references: scikit-learn, SciPy, Shrout & Fleiss 1979, Lin 1989, hand cases."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as skm

from facerep.bench import metrics as M

RNG = np.random.default_rng(0)
# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges.
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
)


# ----------------------------------------------------------------------------- landmarks
def _face68() -> np.ndarray:
    lm = RNG.uniform(20, 40, size=(68, 2))
    lm[36], lm[45] = (0.0, 0.0), (10.0, 0.0)  # outer eye corners 10 px apart
    return lm


def test_nme_hand_computed_interocular():
    target = _face68()[None]
    pred = target.copy()
    pred[0, 3] += (3.0, 4.0)  # error 5 px
    pred[0, 50] += (-6.0, 8.0)  # error 10 px
    norm = M.norm_interocular(target)
    assert norm == pytest.approx([10.0], abs=1e-12)
    assert M.nme(pred, target, norm) == pytest.approx([15.0 / 68 / 10.0], abs=1e-12)
    vis = np.zeros((1, 68), bool)
    vis[0, [3, 50, 10, 11]] = True  # two wrong + two exact visible points
    assert M.nme(pred, target, norm, vis) == pytest.approx([15.0 / 4 / 10.0], abs=1e-12)


def test_nme_invisible_nan_target_ok_visible_nan_rejected():
    target = np.stack([_face68(), _face68()])
    target[1, 5] = np.nan
    vis = np.ones((2, 68), bool)
    vis[1, 5] = False
    out = M.nme(target + 1.0, target, np.array([1.0, 2.0]), vis)
    assert out == pytest.approx([np.sqrt(2), np.sqrt(2) / 2], abs=1e-12)
    with pytest.raises(ValueError, match="NaN"):
        M.nme(target + 1.0, target, np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="no visible"):
        M.nme(target, target, np.ones(2), np.zeros((2, 68), bool))
    with pytest.raises(ValueError, match="positive"):
        M.nme(target, target, np.array([1.0, 0.0]), vis)


def test_interocular_indices_by_k():
    for k, (i, j) in {98: (60, 72), 29: (8, 9)}.items():
        lm = np.zeros((k, 2))
        lm[i], lm[j] = (1.0, 1.0), (4.0, 5.0)
        assert M.norm_interocular(lm) == pytest.approx(5.0)
    with pytest.raises(ValueError, match="K=19"):
        M.norm_interocular(np.zeros((2, 19, 2)))


def test_interpupil_68_and_98():
    lm = np.zeros((68, 2))
    ring = np.array([[1, 0], [-1, 0], [0, 2], [0, -2], [3, 1], [-3, -1]], float)
    lm[36:42] = ring  # centre (0, 0)
    lm[42:48] = ring + (6.0, 8.0)  # centre (6, 8)
    assert M.norm_interpupil(lm[None]) == pytest.approx([10.0])
    lm98 = np.zeros((98, 3))
    lm98[96], lm98[97] = (0, 0, 7), (3, 4, -7)  # z ignored
    assert M.norm_interpupil(lm98) == pytest.approx(5.0)


def test_box_normalisers():
    lm = np.array([[[1.0, 1.0], [4.0, 2.0], [2.0, 5.0]]])  # box w=3, h=4
    assert M.norm_box_diag(lm) == pytest.approx([5.0])
    assert M.norm_box_size(lm) == pytest.approx([np.sqrt(12.0)])
    boxes = np.array([[1.0, 1.0, 4.0, 5.0], [0.0, 0.0, 6.0, 8.0]])
    assert M.norm_box_diag(boxes) == pytest.approx([5.0, 10.0])
    assert M.norm_box_size(boxes) == pytest.approx([np.sqrt(12.0), np.sqrt(48.0)])
    lm3d = np.concatenate([lm, np.array([[[100.0], [-50.0], [0.0]]])], axis=-1)
    assert M.norm_box_size(lm3d) == pytest.approx([np.sqrt(12.0)])  # 2D box of 3D points


def test_failure_rate_and_auc_exact_and_vs_fine_trapezoid():
    e = np.array([0.0, 0.05, 0.1, 0.2])
    assert M.failure_rate(e, 0.1) == pytest.approx(0.25)  # strictly greater fails
    assert M.auc_ced(e, 0.1) == pytest.approx((1.0 + 0.5 + 0.0 + 0.0) / 4)
    errs = RNG.uniform(0, 0.15, size=200)
    x, y = M.ced_curve(errs, 0.1, n=20001)
    assert x[0] == 0.0 and x[-1] == pytest.approx(0.1) and np.all(np.diff(y) >= 0)
    assert y[-1] == pytest.approx(1 - M.failure_rate(errs, 0.1))
    assert M.auc_ced(errs, 0.1) == pytest.approx(np.trapezoid(y, x) / 0.1, abs=1e-3)


# ----------------------------------------------------------------------------- regression
def _icc31_fractions(x: np.ndarray) -> float:
    """Independent exact ANOVA with rational arithmetic (Shrout & Fleiss Table 1 formulas)."""
    n, k = x.shape
    v = [[Fraction(int(a)) for a in row] for row in x]
    g = sum(sum(r) for r in v) / (n * k)
    rows = [sum(r) / k for r in v]
    cols = [sum(v[i][j] for i in range(n)) / n for j in range(k)]
    bss = k * sum((r - g) ** 2 for r in rows)
    jss = n * sum((c - g) ** 2 for c in cols)
    ess = sum((v[i][j] - g) ** 2 for i in range(n) for j in range(k)) - bss - jss
    bms, ems = bss / (n - 1), ess / ((n - 1) * (k - 1))
    assert float(bms) == pytest.approx(11.24, abs=0.005) and float(ems) == pytest.approx(1.02, abs=0.005)
    return float((bms - ems) / (bms + (k - 1) * ems))


def test_icc31_shrout_fleiss_worked_example():
    icc = M.icc_3_1_ratings(SHROUT_FLEISS)
    assert round(icc, 2) == 0.71
    assert icc == pytest.approx(_icc31_fractions(SHROUT_FLEISS), abs=1e-6)
    two = SHROUT_FLEISS[:, [0, 3]]
    assert M.icc_3_1(two[:, 0], two[:, 1]) == pytest.approx(_icc31_fractions_no_ms(two), abs=1e-6)


def _icc31_fractions_no_ms(x: np.ndarray) -> float:
    n, k = x.shape
    g = x.mean()
    bms = k * np.sum((x.mean(1) - g) ** 2) / (n - 1)
    resid = x - x.mean(1, keepdims=True) - x.mean(0, keepdims=True) + g
    ems = np.sum(resid**2) / ((n - 1) * (k - 1))
    return (bms - ems) / (bms + (k - 1) * ems)


def test_icc_consistency_ignores_offset_and_constant_is_nan():
    y = np.array([0.0, 1, 2, 3, 4, 5])
    assert M.icc_3_1(y, y + 2.0) == pytest.approx(1.0)  # consistency: a rater bias does not count
    assert np.isnan(M.icc_3_1(np.ones(5), np.ones(5)))
    assert M.icc_3_1(y, np.full(6, 2.5)) == pytest.approx(0.0, abs=1e-12)  # mean-intensity baseline: BMS = EMS


def test_pearson_matches_scipy_and_constant_is_nan():
    a, b = RNG.normal(size=50), RNG.normal(size=50)
    b = a * 0.3 + b
    assert M.pearson(a, b) == pytest.approx(stats.pearsonr(a, b)[0], abs=1e-6)
    assert np.isnan(M.pearson(a, np.full(50, 2.0)))
    with pytest.raises(ValueError, match="NaN"):
        M.pearson(np.array([1.0, np.nan, 3.0]), np.array([1.0, 2.0, 3.0]))


def test_ccc_lin_hand_cases():
    assert M.ccc([1, 2, 3, 4], [2, 3, 4, 5]) == pytest.approx(5 / 7, abs=1e-12)  # cov 1.25/(1.25+1.25+1)
    assert M.ccc([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0, abs=1e-12)
    assert M.ccc([1, 2, 3], [2, 2, 2]) == 0.0
    assert np.isnan(M.ccc([2, 2], [2, 2]))


def test_mae_rmse():
    assert M.mae([1, 2, 3], [2, 2, 5]) == pytest.approx(1.0)
    assert M.rmse([1, 2, 3], [2, 2, 5]) == pytest.approx(np.sqrt(5 / 3))
    assert M.mae(np.zeros((2, 3)), np.ones((2, 3))) == 1.0
    with pytest.raises(ValueError, match="differ in size"):
        M.mae([1, 2], [1, 2, 3])


# ----------------------------------------------------------------------------- classification
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_classification_vs_sklearn(seed):
    r = np.random.default_rng(seed)
    t = r.integers(0, 5, size=80)
    p = np.where(r.random(80) < 0.5, t, r.integers(0, 4, size=80))  # class 4 never predicted
    assert M.accuracy(t, p) == pytest.approx(skm.accuracy_score(t, p), abs=1e-6)
    assert M.macro_f1(t, p) == pytest.approx(skm.f1_score(t, p, average="macro", zero_division=0), abs=1e-6)
    labels = [0, 1, 2, 3, 4, 5]  # 5 absent everywhere
    assert M.macro_f1(t, p, labels) == pytest.approx(
        skm.f1_score(t, p, labels=labels, average="macro", zero_division=0), abs=1e-6
    )
    assert M.balanced_accuracy(t, p) == pytest.approx(skm.balanced_accuracy_score(t, p), abs=1e-6)
    np.testing.assert_array_equal(M.confusion(t, p, 6), skm.confusion_matrix(t, p, labels=range(6)))
    tb, pb = t % 2, p % 2
    assert M.binary_f1(tb, pb) == pytest.approx(skm.f1_score(tb, pb), abs=1e-6)


def test_classification_edge_cases():
    t = np.array([0, 1, 1, 2])
    const = np.zeros(4, int)
    assert M.macro_f1(t, const) == pytest.approx(skm.f1_score(t, const, average="macro", zero_division=0))
    assert M.balanced_accuracy(t, const) == pytest.approx(1 / 3)
    assert M.binary_f1([0, 0], [0, 0]) == 0.0
    with pytest.raises(ValueError, match="class ids"):
        M.confusion([0, 1], [0, 3], 3)
    with pytest.raises(ValueError, match="NaN"):
        M.accuracy([0, np.nan], [0, 1])


# ----------------------------------------------------------------------------- parsing
def test_parsing_scores_vs_sklearn_and_incremental():
    t = RNG.integers(0, 4, size=(3, 16, 16))
    p = np.where(RNG.random(t.shape) < 0.7, t, RNG.integers(0, 4, size=t.shape))
    t[0, :2] = 255  # ignored pixels
    valid = t != 255
    out = M.parsing_scores(p, t, n_classes=5)  # class 4 absent from both
    ref_f1 = skm.f1_score(t[valid], p[valid], labels=range(4), average=None)
    ref_iou = skm.jaccard_score(t[valid], p[valid], labels=range(4), average=None)
    np.testing.assert_allclose(out["f1"][:4], ref_f1, atol=1e-6)
    np.testing.assert_allclose(out["iou"][:4], ref_iou, atol=1e-6)
    assert np.isnan(out["f1"][4]) and np.isnan(out["iou"][4])
    assert out["mean_f1"] == pytest.approx(ref_f1[1:].mean(), abs=1e-6)  # background 0 and absent 4 left out
    assert out["miou"] == pytest.approx(ref_iou.mean(), abs=1e-6)
    assert out["pixel_accuracy"] == pytest.approx(np.mean(t[valid] == p[valid]))
    acc = M.ConfusionAccumulator(5)
    for i in range(3):
        acc.update(p[i], t[i])
    np.testing.assert_array_equal(acc.matrix, out["confusion"])
    assert acc.scores(foreground=[1, 2])["mean_f1"] == pytest.approx(ref_f1[1:3].mean(), abs=1e-6)


def test_parsing_class_never_predicted_counts_zero():
    t = np.array([[0, 1, 2, 2]])
    p = np.array([[0, 1, 1, 1]])
    out = M.parsing_scores(p, t, n_classes=3)
    assert out["f1"][2] == 0.0
    assert out["mean_f1"] == pytest.approx((2 * 1 / (2 + 2) + 0.0) / 2)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        M.parsing_scores(np.array([[0, 7]]), np.array([[0, 1]]), n_classes=3)


# ----------------------------------------------------------------------------- recognition
def _brute_verification(s, y, n_folds):
    folds = np.array_split(np.arange(s.size), n_folds)
    accs = []
    for k, test in enumerate(folds):
        tr = np.concatenate([f for j, f in enumerate(folds) if j != k])
        u = np.unique(s[tr])
        cands = np.concatenate([[u[0] - 1.0], (u[:-1] + u[1:]) / 2, [u[-1]]])
        best = max(cands, key=lambda c: (np.mean((s[tr] > c) == y[tr]), -c))
        accs.append(np.mean((s[test] > best) == y[test]))
    return np.mean(accs), np.std(accs, ddof=1)


def test_verification_accuracy_vs_brute_force():
    y = RNG.random(300) < 0.5
    s = np.round(RNG.normal(size=300) + 1.2 * y, 1)  # rounding creates ties
    mean, std = M.verification_accuracy(s, y, 10)
    ref = _brute_verification(s, y, 10)
    assert mean == pytest.approx(ref[0], abs=1e-9) and std == pytest.approx(ref[1], abs=1e-9)
    assert 0.6 < mean < 0.9
    sep = np.where(y, 1.0, 0.0) + RNG.uniform(0, 0.5, 300)
    assert M.verification_accuracy(sep, y) == (1.0, 0.0)


def test_roc_auc_vs_sklearn_with_ties():
    y = RNG.random(200) < 0.4
    s = np.round(RNG.normal(size=200) + y, 1)
    assert M.roc_auc(s, y) == pytest.approx(skm.roc_auc_score(y, s), abs=1e-6)
    with pytest.raises(ValueError, match="both"):
        M.roc_auc(s, np.ones(200, bool))


def test_tar_at_far_hand_case():
    neg = np.arange(100) / 100.0
    pos = np.array([0.985, 0.99, 0.5, 0.97])
    s = np.concatenate([neg, pos])
    y = np.concatenate([np.zeros(100, bool), np.ones(4, bool)])
    assert M.tar_at_far(s, y, 0.01) == pytest.approx(0.5)  # t = 0.98: 1 % of negatives above
    assert M.tar_at_far(s, y, 0.1) == pytest.approx(0.75)  # t = 0.89
    assert M.tar_at_far(s, y, 1e-3) == 0.0  # t = max negative 0.99 -> FAR 0; no positive above 0.99


def test_rank1_cosine():
    g = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    gid = np.array([7, 8, 9])
    probe = np.array([[10.0, 1.0], [0.1, 2.0], [-1.0, 1.1], [0.9, 1.0]])  # scale-free: cosine
    pid = np.array([7, 8, 9, 7])
    assert M.rank1(g, gid, probe, pid) == pytest.approx(0.5)  # 3rd -> id 8 (cos 1.1 > 1.0), 4th -> 8
    with pytest.raises(ValueError, match="not in the gallery"):
        M.rank1(g, gid, probe, np.array([7, 8, 9, 99]))


# ----------------------------------------------------------------------------- over seeds
def test_mean_ci95():
    m, sd, hw = M.mean_ci95(np.array([1.0, 2.0, 3.0]))
    lo, hi = stats.t.interval(0.95, 2, loc=2.0, scale=1.0 / np.sqrt(3))
    assert (m, sd) == (2.0, 1.0) and hw == pytest.approx((hi - lo) / 2, abs=1e-9)
    m, sd, hw = M.mean_ci95([0.5])
    assert (m, sd) == (0.5, 0.0) and np.isnan(hw)
    with pytest.raises(ValueError, match="empty"):
        M.mean_ci95([])


def test_a_constant_score_verifies_at_chance():
    """Regression: the 10-fold threshold learnt from constant scores picked the training folds' majority, which is
    the held-out fold's minority; 600 balanced pairs then read 0.443. Chance is 0.5."""
    y = np.zeros(600, bool)
    y[RNG.permutation(600)[:300]] = True
    assert M.verification_accuracy(np.ones(600), y, 10)[0] == 0.5
    assert M.roc_auc(np.ones(600), y) == 0.5
