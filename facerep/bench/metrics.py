"""Benchmark metrics with reference-exact definitions (numpy in, floats / arrays out).

Every function checks its inputs: mismatched shapes, empty inputs and NaN / inf values raise ``ValueError``
naming the argument. Groups: landmarks (NME + normalisers, FR, CED, AUC), regression (ICC(3,1), Pearson,
CCC, MAE, RMSE), parsing (F1 / IoU from a confusion matrix accumulated with ``np.bincount``),
classification (accuracy, macro-F1, balanced accuracy, confusion), recognition (LFW 10-fold verification
accuracy, ROC AUC, TAR@FAR, rank-1) and seed statistics (mean, std, Student-t 95 % CI).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

# 0-based inter-ocular index pairs per landmark count: 68 = 300W / Multi-PIE markup, 98 = WFLW (outer eye
# corners), 29 = COFW. Same pairs as the HRNet facial-landmark evaluation (Wang et al., TPAMI 2020).
_INTEROCULAR = {68: (36, 45), 98: (60, 72), 29: (8, 9)}
# Eye centres: 68 -> mean of the six contour points of each eye (36-41, 42-47); 98 -> WFLW pupils 96, 97.
_PUPILS = {68: (np.arange(36, 42), np.arange(42, 48)), 98: (np.array([96]), np.array([97]))}


# ----------------------------------------------------------------------------- input checks
def _finite(x: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains {int(np.sum(~np.isfinite(a)))} NaN/inf value(s)")
    return a


def _pair(
    a: np.ndarray, b: np.ndarray, na: str = "y_true", nb: str = "y_pred"
) -> tuple[np.ndarray, np.ndarray]:
    x, y = _finite(a, na).ravel(), _finite(b, nb).ravel()
    if x.shape != y.shape:
        raise ValueError(f"{na} and {nb} differ in size: {x.size} vs {y.size}")
    return x, y


def _label_pair(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t, p = _pair(y_true, y_pred)
    if np.any(t != np.round(t)) or np.any(p != np.round(p)) or min(t.min(), p.min()) < 0:
        raise ValueError("y_true and y_pred must hold non-negative integer class ids")
    return t.astype(np.int64), p.astype(np.int64)


# ----------------------------------------------------------------------------- landmarks
def nme(
    pred: np.ndarray, target: np.ndarray, norm: np.ndarray, visible: np.ndarray | None = None
) -> np.ndarray:
    """Per-sample normalised mean error (the NME of 300W / WFLW / COFW / AFLW papers, not in %).

    ``NME_i = mean_k ||pred_ik - target_ik||_2 / norm_i`` over the visible points of sample i (all points
    when ``visible`` is None). Distances use every coordinate given (2 or 3); AFLW2000-3D's NME is 2D
    (the 3DDFA ``benchmark_aflw2000.calc_nme`` compares x, y only), so pass
    ``pred[..., :2], target[..., :2]`` for it.
    pred, target: [N, K, 2|3]; norm: [N] (> 0); visible: [N, K] bool. Returns [N] float64.
    NaN in ``target`` is allowed only at invisible points (missing annotations); a sample with no visible
    point raises ``ValueError``.
    """
    p, t = np.asarray(pred, dtype=np.float64), np.asarray(target, dtype=np.float64)
    if p.ndim != 3 or p.shape != t.shape or p.shape[-1] not in (2, 3):
        raise ValueError(f"pred and target must both be [N, K, 2|3]; got {p.shape} and {t.shape}")
    d = _finite(norm, "norm").ravel()
    if d.shape[0] != p.shape[0] or np.any(d <= 0):
        raise ValueError(
            f"norm must be [N={p.shape[0]}] positive values; got shape {d.shape}, min {d.min():g}"
        )
    vis = np.ones(p.shape[:2], bool) if visible is None else np.asarray(visible, dtype=bool)
    if vis.shape != p.shape[:2]:
        raise ValueError(f"visible must be [N, K] = {p.shape[:2]}; got {vis.shape}")
    if np.any(vis.sum(1) == 0):
        raise ValueError(f"sample(s) {np.flatnonzero(vis.sum(1) == 0)[:5].tolist()} have no visible landmark")
    dist = np.linalg.norm(p - t, axis=-1)  # [N, K]
    if not np.all(np.isfinite(dist[vis])):
        raise ValueError("pred/target contain NaN/inf at visible landmarks")
    dist = np.where(vis, dist, 0.0)
    return dist.sum(1) / vis.sum(1) / d


def _as_batch(lm: np.ndarray) -> tuple[np.ndarray, bool]:
    a = np.asarray(lm, dtype=np.float64)
    single = a.ndim == 2
    a = a[None] if single else a
    if a.ndim != 3 or a.shape[-1] not in (2, 3):
        raise ValueError(f"landmarks must be [N, K, 2|3] or [K, 2|3]; got {np.shape(lm)}")
    return a, single


def _out(v: np.ndarray, single: bool) -> np.ndarray:
    return v[0] if single else v


def norm_interocular(lm: np.ndarray) -> np.ndarray:
    """Inter-ocular distance of ground-truth landmarks, selected by K.

    68 points (300W): outer eye corners, 0-based 36 and 45; 98 points (WFLW): outer eye corners 60 and 72;
    29 points (COFW): points 8 and 9 -- the pairs of the HRNet evaluation (``compute_nme``, Wang et al.
    TPAMI 2020), so COFW numbers are comparable to HRNet's table. Uses x, y only.
    lm: [N, K, 2|3] -> [N] (or [K, 2|3] -> scalar array). Other K raise ``ValueError``.
    """
    a, single = _as_batch(lm)
    if a.shape[1] not in _INTEROCULAR:
        raise ValueError(
            f"inter-ocular distance is defined for K in {sorted(_INTEROCULAR)}; got K={a.shape[1]}"
        )
    i, j = _INTEROCULAR[a.shape[1]]
    return _out(np.linalg.norm(a[:, i, :2] - a[:, j, :2], axis=-1), single)


def norm_interpupil(lm: np.ndarray) -> np.ndarray:
    """Inter-pupil distance (eye centres) of ground-truth landmarks, selected by K.

    68 points: centre = mean of points 36-41 and of 42-47 (0-based), as in 300W inter-pupil NME;
    98 points (WFLW): pupils 96 and 97. Uses x, y only. lm: [N, K, 2|3] -> [N].
    """
    a, single = _as_batch(lm)
    if a.shape[1] not in _PUPILS:
        raise ValueError(f"inter-pupil distance is defined for K in {sorted(_PUPILS)}; got K={a.shape[1]}")
    left, right = _PUPILS[a.shape[1]]
    lc, rc = a[:, left, :2].mean(1), a[:, right, :2].mean(1)
    return _out(np.linalg.norm(lc - rc, axis=-1), single)


def _box_wh(lm_or_box: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    a = np.asarray(lm_or_box, dtype=np.float64)
    if a.shape[-1] == 4 and a.ndim in (1, 2):  # boxes (x0, y0, x1, y1)
        single = a.ndim == 1
        b = a[None] if single else a
        w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    else:
        pts, single = _as_batch(a)
        w = pts[:, :, 0].max(1) - pts[:, :, 0].min(1)
        h = pts[:, :, 1].max(1) - pts[:, :, 1].min(1)
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(h))) or np.any(w < 0) or np.any(h < 0):
        raise ValueError("boxes must be finite (x0, y0, x1, y1) with x1 >= x0 and y1 >= y0")
    return w, h, single


def norm_box_diag(lm_or_box: np.ndarray) -> np.ndarray:
    """Box diagonal sqrt(w^2 + h^2): the AFLW-19 ``NME_diag`` normaliser.

    The AFLW-19 protocol (Zhu et al., CVPR 2016; as evaluated by FaRL, CVPR 2022, ``NormalizeByBoxDiag``)
    uses the diagonal of the dataset's annotated *face box*: pass boxes [N, 4] (x0, y0, x1, y1) when the
    format has them. Given landmarks [N, K, 2|3] the tight box of the ground-truth landmarks is used instead,
    which is smaller than AFLW's face box -- numbers are then not comparable to published AFLW-19
    NME_diag. -> [N].
    """
    w, h, single = _box_wh(lm_or_box)
    return _out(np.sqrt(w * w + h * h), single)


def norm_box_size(lm: np.ndarray) -> np.ndarray:
    """sqrt(w * h) of the ground-truth landmark bounding box (x, y only): the AFLW2000-3D convention
    (3DDFA, Zhu et al. TPAMI 2017, ``benchmark_aflw2000.py``: the 68 points' 2D box). Also accepts
    boxes [N, 4] (x0, y0, x1, y1), which
    gives AFLW-19 ``NME_box`` when given AFLW's face box. lm: [N, K, 2|3] -> [N].
    """
    w, h, single = _box_wh(lm)
    return _out(np.sqrt(w * h), single)


def failure_rate(errors: np.ndarray, threshold: float) -> float:
    """Fraction of samples whose NME is strictly greater than ``threshold`` (FR@0.08 / FR@0.10 of WFLW/300W).
    errors: [N]."""
    e = _finite(errors, "errors").ravel()
    return float(np.mean(e > threshold))


def ced_curve(errors: np.ndarray, threshold: float, n: int = 1001) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative error distribution: x = linspace(0, threshold, n), y[i] = fraction of errors <= x[i].
    errors: [N] -> (x [n], y [n])."""
    e = np.sort(_finite(errors, "errors").ravel())
    if threshold <= 0 or n < 2:
        raise ValueError(f"threshold must be > 0 and n >= 2; got {threshold}, {n}")
    x = np.linspace(0.0, float(threshold), int(n))
    return x, np.searchsorted(e, x, side="right") / e.size


def auc_ced(errors: np.ndarray, threshold: float) -> float:
    """Area under the CED curve on [0, threshold], divided by threshold (in [0, 1]); AUC@0.08 / AUC@0.10.

    Integration rule: the exact integral of the empirical CED step function,
    ``(1/t) * int_0^t F(x) dx = mean_i max(0, 1 - e_i / t)``. This is the limit of the trapezoid / Simpson
    rule on a fine grid used by the WFLW / HRNet scripts (step 1e-4), which differ from it by at
    most ~step / t.
    errors: [N].
    """
    e = _finite(errors, "errors").ravel()
    if threshold <= 0:
        raise ValueError(f"threshold must be > 0; got {threshold}")
    return float(np.mean(np.clip(1.0 - e / threshold, 0.0, None)))


# ----------------------------------------------------------------------------- regression
def icc_3_1_ratings(ratings: np.ndarray) -> float:
    """ICC(3,1) of Shrout & Fleiss (1979): two-way mixed model, consistency, single rater.

    ``ICC(3,1) = (BMS - EMS) / (BMS + (k - 1) EMS)`` with BMS the between-targets mean square and EMS the
    residual mean square of the two-way ANOVA (targets x judges). ratings: [n targets, k judges], n, k >= 2.
    Returns NaN when the denominator is 0 (e.g. every rating equal). Their worked example gives 0.71.
    """
    x = _finite(ratings, "ratings")
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2:
        raise ValueError(f"ratings must be [n targets >= 2, k judges >= 2]; got {x.shape}")
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * np.sum((x.mean(1) - grand) ** 2)
    ss_cols = n * np.sum((x.mean(0) - grand) ** 2)
    ss_err = np.sum((x - grand) ** 2) - ss_rows - ss_cols
    bms, ems = ss_rows / (n - 1), ss_err / ((n - 1) * (k - 1))
    den = bms + (k - 1) * ems
    return float((bms - ems) / den) if den > 0 else float("nan")


def icc_3_1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """ICC(3,1) between labels and predictions, taken as k = 2 judges rating n targets (the AU-intensity
    convention of DISFA / BP4D-FERA papers, per AU). y_true, y_pred: [n]. See :func:`icc_3_1_ratings`."""
    t, p = _pair(y_true, y_pred)
    return icc_3_1_ratings(np.stack([t, p], axis=1))


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation r (as ``scipy.stats.pearsonr``). a, b: [n], n >= 2.
    A constant input has no correlation: NaN is returned (as SciPy), never a made-up 0."""
    x, y = _pair(a, b, "a", "b")
    if x.size < 2:
        raise ValueError("pearson needs at least 2 values")
    dx, dy = x - x.mean(), y - y.mean()
    den = np.sqrt(np.sum(dx * dx) * np.sum(dy * dy))
    return float(np.clip(np.sum(dx * dy) / den, -1.0, 1.0)) if den > 0 else float("nan")


def ccc(a: np.ndarray, b: np.ndarray) -> float:
    """Lin's (1989) concordance correlation coefficient with population (1/n) moments:
    ``2 s_ab / (s_a^2 + s_b^2 + (mean_a - mean_b)^2)``. a, b: [n]. NaN when both inputs are the same constant
    (0 / 0); 0 when one is constant and the other not."""
    x, y = _pair(a, b, "a", "b")
    mx, my = x.mean(), y.mean()
    sxy = np.mean((x - mx) * (y - my))
    den = x.var() + y.var() + (mx - my) ** 2
    return float(2.0 * sxy / den) if den > 0 else float("nan")


def mae(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute error, mean |a - b| over all elements. a, b: same shape."""
    x, y = _pair(a, b, "a", "b")
    return float(np.mean(np.abs(x - y)))


def rmse(a: np.ndarray, b: np.ndarray) -> float:
    """Root mean squared error, sqrt(mean (a - b)^2) over all elements. a, b: same shape."""
    x, y = _pair(a, b, "a", "b")
    return float(np.sqrt(np.mean((x - y) ** 2)))


# ----------------------------------------------------------------------------- confusion-based scores
def _bincount_confusion(t: np.ndarray, p: np.ndarray, n_classes: int) -> np.ndarray:
    if t.size and (t.max() >= n_classes or p.max() >= n_classes):
        raise ValueError(f"class ids must be < n_classes={n_classes}; got max {max(t.max(), p.max())}")
    return np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Confusion matrix C[i, j] = #samples with true class i predicted j (``sklearn.metrics.confusion_matrix``
    with labels=range(n_classes)).
    y_true, y_pred: [n] int in [0, n_classes) -> [n_classes, n_classes] int64."""
    t, p = _label_pair(y_true, y_pred)
    return _bincount_confusion(t, p, int(n_classes))


def _f1_iou(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-class F1 = 2TP / (2TP + FP + FN) and IoU = TP / (TP + FP + FN); NaN where TP + FP + FN = 0."""
    tp = np.diag(cm).astype(np.float64)
    fp, fn = cm.sum(0) - tp, cm.sum(1) - tp
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), np.nan)
        iou = np.where(tp + fp + fn > 0, tp / (tp + fp + fn), np.nan)
    return f1, iou


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of exact matches (``sklearn.metrics.accuracy_score``). y_true, y_pred: [n]."""
    t, p = _pair(y_true, y_pred)
    return float(np.mean(t == p))


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, labels: list[int] | None = None) -> float:
    """Unweighted mean of per-class F1 (``sklearn f1_score(average='macro', zero_division=0)``).

    Classes: ``labels`` when given, else every class seen in y_true or y_pred. A class never predicted (or
    never true) scores F1 = 0 and still counts. y_true, y_pred: [n] int class ids."""
    t, p = _label_pair(y_true, y_pred)
    classes = np.union1d(t, p) if labels is None else np.asarray(labels, dtype=np.int64)
    n = int(max(classes.max(), t.max(), p.max())) + 1
    f1, _ = _f1_iou(_bincount_confusion(t, p, n))
    return float(np.mean(np.nan_to_num(f1[classes], nan=0.0)))


def balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean per-class recall over the classes present in y_true (``sklearn balanced_accuracy_score``).
    y_true, y_pred: [n] int class ids (binary attributes: 0/1)."""
    t, p = _label_pair(y_true, y_pred)
    cm = _bincount_confusion(t, p, int(max(t.max(), p.max())) + 1)
    support = cm.sum(1)
    present = support > 0
    return float(np.mean(np.diag(cm)[present] / support[present]))


def binary_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """F1 of the positive class 1 (``sklearn f1_score(average='binary', zero_division=0)``): AU occurrence F1.
    y_true, y_pred: [n] in {0, 1}. 0 when there are neither true nor predicted positives."""
    t, p = _label_pair(y_true, y_pred)
    if t.max() > 1 or p.max() > 1:
        raise ValueError("binary_f1 needs y_true and y_pred of the same size with values in {0, 1}")
    tp = float(np.sum((t == 1) & (p == 1)))
    den = tp * 2 + np.sum((t == 0) & (p == 1)) + np.sum((t == 1) & (p == 0))
    return float(2 * tp / den) if den > 0 else 0.0


# ----------------------------------------------------------------------------- face parsing
class ConfusionAccumulator:
    """Dataset-level pixel confusion matrix, updated image by image with ``np.bincount`` (O(pixels), no
    per-class loop), so any number of masks can be scored without holding them.

    ``update(pred, target)`` adds pixels whose target is not ``ignore_index``; ``scores()`` gives the
    numbers of :func:`parsing_scores`.
    """

    def __init__(self, n_classes: int, ignore_index: int | None = 255) -> None:
        if n_classes < 1:
            raise ValueError(f"n_classes must be >= 1; got {n_classes}")
        self.n_classes, self.ignore_index = int(n_classes), ignore_index
        self.matrix = np.zeros((self.n_classes, self.n_classes), dtype=np.int64)  # [true, pred]

    def update(self, pred: np.ndarray, target: np.ndarray) -> None:
        """pred, target: [..., H, W] integer class maps of the same shape (e.g. [B, H, W])."""
        p, t = np.asarray(pred), np.asarray(target)
        if p.shape != t.shape:
            raise ValueError(f"pred and target masks differ in shape: {p.shape} vs {t.shape}")
        if not (np.issubdtype(p.dtype, np.integer) and np.issubdtype(t.dtype, np.integer)):
            raise ValueError(f"masks must hold integer class ids; got {p.dtype} and {t.dtype}")
        p, t = p.ravel().astype(np.int64), t.ravel().astype(np.int64)
        if self.ignore_index is not None:
            keep = t != self.ignore_index
            p, t = p[keep], t[keep]
        if t.size == 0:
            return
        lo, hi = min(t.min(), p.min()), max(t.max(), p.max())
        if lo < 0 or hi >= self.n_classes:
            raise ValueError(
                f"mask class ids must be in [0, {self.n_classes}) (or ignore_index="
                f"{self.ignore_index}); found {lo if lo < 0 else hi}"
            )
        self.matrix += _bincount_confusion(t, p, self.n_classes)

    def scores(self, foreground: list[int] | None = None) -> dict[str, object]:
        """Scores of the accumulated pixels; :func:`parsing_scores` gives the keys and which classes enter."""
        cm = self.matrix
        if cm.sum() == 0:
            raise ValueError("no labelled pixel was accumulated (every target pixel is ignore_index?)")
        fg = list(range(1, self.n_classes)) if foreground is None else [int(c) for c in foreground]
        if not fg or min(fg) < 0 or max(fg) >= self.n_classes:
            raise ValueError(
                f"foreground classes must be a non-empty subset of [0, {self.n_classes}); got {fg}"
            )
        f1, iou = _f1_iou(cm)
        fg_f1 = f1[fg]
        return {
            "f1": f1,
            "iou": iou,
            "foreground": fg,
            "confusion": cm.copy(),
            "mean_f1": float(np.nanmean(fg_f1)) if np.any(np.isfinite(fg_f1)) else float("nan"),
            "miou": float(np.nanmean(iou)),
            "pixel_accuracy": float(np.trace(cm) / cm.sum()),
        }


def parsing_scores(
    pred: np.ndarray,
    target: np.ndarray,
    n_classes: int,
    ignore_index: int | None = 255,
    foreground: list[int] | None = None,
) -> dict[str, object]:
    """Face-parsing scores, dataset-level: TP / FP / FN summed over all pixels of all images, then per class
    ``F1 = 2TP / (2TP + FP + FN)`` and ``IoU = TP / (TP + FP + FN)`` (as the LaPa (Liu et al., AAAI 2020) and
    CelebAMask-HQ (Lee et al., CVPR 2020) results are reported, e.g. by AGRNet and FaRL).

    pred, target: [N, H, W] (or [H, W]) int class ids; pixels with target == ignore_index are skipped.
    Returns ``f1`` [C] and ``iou`` [C] (NaN for a class absent from both target and prediction),
    ``mean_f1`` = mean F1 over the foreground classes (default: every class but 0 = background; e.g. LaPa's 10
    non-background classes, CelebAMask-HQ's 18; pass ``foreground`` to choose; foreground classes absent from
    both target and prediction are left out, a class present but never predicted counts as 0),
    ``miou`` = mean IoU over all classes present in target or prediction (background included),
    ``pixel_accuracy``, ``foreground`` (the class ids used) and ``confusion`` [C, C] (rows = true class).
    """
    acc = ConfusionAccumulator(n_classes, ignore_index)
    acc.update(pred, target)
    return acc.scores(foreground)


# ----------------------------------------------------------------------------- recognition
def _scores_same(scores: np.ndarray, same: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = _finite(scores, "scores").ravel()
    y = np.asarray(same).ravel()
    if y.shape != s.shape:
        raise ValueError(f"scores and same differ in size: {s.size} vs {y.size}")
    return s, y.astype(bool)


def _best_threshold(s: np.ndarray, y: np.ndarray) -> float:
    """Threshold t maximising the accuracy of ``score > t`` on (s, y); ties -> the smallest such t."""
    order = np.argsort(s, kind="stable")
    s, y = s[order], y[order]
    # cut at position c: samples [0, c) predicted different, [c, n) predicted same
    neg_below = np.concatenate([[0], np.cumsum(~y)])
    pos_above = y.sum() - np.concatenate([[0], np.cumsum(y)])
    cuts = np.concatenate([[0], np.flatnonzero(np.diff(s) > 0) + 1, [s.size]])  # only between distinct scores
    correct = neg_below[cuts] + pos_above[cuts]
    c = int(cuts[np.argmax(correct)])
    if c == 0:
        return float(s[0] - 1.0)
    if c == s.size:
        return float(s[-1])
    return float((s[c - 1] + s[c]) / 2.0)


def verification_accuracy(scores: np.ndarray, same: np.ndarray, n_folds: int = 10) -> tuple[float, float]:
    """LFW verification accuracy (Huang et al. 2007, "unrestricted" 10-fold protocol).

    Folds are *contiguous* equal blocks of the pairs in the given order (``np.array_split``), as LFW's
    pairs.txt is laid out in 10 sets; shuffle the pairs first (e.g.
    :func:`facerep.data.splits.recognition_pairs` does) if their order is meaningful. For each fold, the
    threshold with the best accuracy of ``score > t`` on the other folds (searched exactly over all midpoints
    of distinct scores; ties -> the smallest threshold) is applied to the held-out fold. When every score of
    the other folds is equal no threshold can be learnt, and the held-out fold scores 0.5, the expected
    accuracy of a random decision: chance is 0.5 (scoring the constant rule "all same" or "all different" that
    the training folds' majority picks would read as the held-out fold's minority share, e.g. 0.443 on 600
    balanced pairs).
    scores: [P] similarities (higher = same person); same: [P] bool.
    Returns (mean, std) of the fold accuracies, std with ddof=1 (LFW's sigma-hat; its standard error is
    std / sqrt(n_folds)).
    """
    s, y = _scores_same(scores, same)
    if n_folds < 2 or s.size < n_folds:
        raise ValueError(
            f"need n_folds >= 2 and at least n_folds pairs; got n_folds={n_folds}, {s.size} pairs"
        )
    folds = np.array_split(np.arange(s.size), n_folds)
    accs = []
    for k, test in enumerate(folds):
        train = np.concatenate([f for j, f in enumerate(folds) if j != k])
        if np.ptp(s[train]) == 0:  # nothing to learn a threshold from: a random decision
            accs.append(0.5)
            continue
        t = _best_threshold(s[train], y[train])
        accs.append(np.mean((s[test] > t) == y[test]))
    a = np.asarray(accs)
    return float(a.mean()), float(a.std(ddof=1))


def roc_auc(scores: np.ndarray, same: np.ndarray) -> float:
    """Area under the ROC curve = P(score_pos > score_neg) + 0.5 P(tie) (Mann-Whitney U / (n_pos n_neg)),
    equal to ``sklearn.metrics.roc_auc_score``. scores: [P]; same: [P] bool, both classes present."""
    s, y = _scores_same(scores, same)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"roc_auc needs both same and different pairs; got {n_pos} same, {n_neg} different")
    ranks = stats.rankdata(s)  # average ranks for ties
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def tar_at_far(scores: np.ndarray, same: np.ndarray, far: float) -> float:
    """True accept rate at a false accept rate (IJB-style): the threshold t is the smallest score such that
    the fraction of different-identity (negative) scores > t is <= ``far`` (t = the floor(far * n_neg)-th
    largest negative score); TAR = fraction of same-identity scores > t. With fewer than 1 / far negatives the
    achieved FAR is 0 (t = the largest negative), so the TAR is a lower bound. scores: [P]; same: [P] bool."""
    s, y = _scores_same(scores, same)
    if not 0.0 < far < 1.0:
        raise ValueError(f"far must be in (0, 1); got {far}")
    neg, pos = np.sort(s[~y])[::-1], s[y]
    if neg.size == 0 or pos.size == 0:
        raise ValueError(f"tar_at_far needs both same and different pairs; got {pos.size} and {neg.size}")
    k = int(np.floor(far * neg.size + 1e-9))
    t = neg[min(k, neg.size - 1)]
    return float(np.mean(pos > t))


def _l2n(x: np.ndarray, name: str) -> np.ndarray:
    a = _finite(x, name)
    if a.ndim != 2:
        raise ValueError(f"{name} must be [n, D]; got {a.shape}")
    norm = np.linalg.norm(a, axis=1, keepdims=True)
    if np.any(norm == 0):
        raise ValueError(f"{name} has all-zero feature rows (cosine undefined)")
    return a / norm


def rank1(
    gallery_feats: np.ndarray, gallery_ids: np.ndarray, probe_feats: np.ndarray, probe_ids: np.ndarray
) -> float:
    """Closed-set rank-1 identification rate: each probe takes the identity of its most cosine-similar gallery
    feature (ties -> the first gallery row). gallery_feats: [G, D]; gallery_ids: [G]; probe_feats: [P, D];
    probe_ids: [P]; every probe identity must appear in the gallery."""
    g, p = _l2n(gallery_feats, "gallery_feats"), _l2n(probe_feats, "probe_feats")
    gid, pid = np.asarray(gallery_ids).ravel(), np.asarray(probe_ids).ravel()
    if g.shape[1] != p.shape[1] or gid.size != g.shape[0] or pid.size != p.shape[0]:
        raise ValueError(
            f"shape mismatch: gallery {g.shape} / {gid.size} ids, probe {p.shape} / {pid.size} ids"
        )
    missing = np.setdiff1d(pid, gid)
    if missing.size:
        raise ValueError(
            f"{missing.size} probe identities are not in the gallery (e.g. {missing[:3].tolist()})"
        )
    hits = 0
    for start in range(0, p.shape[0], 4096):  # bound the [chunk, G] similarity block
        sim = p[start : start + 4096] @ g.T
        hits += int(np.sum(gid[np.argmax(sim, axis=1)] == pid[start : start + 4096]))
    return hits / p.shape[0]


# ----------------------------------------------------------------------------- over seeds
def mean_ci95(values: np.ndarray) -> tuple[float, float, float]:
    """(mean, std, half width of the 95 % confidence interval of the mean) over seeds.

    std is the sample std (ddof=1); half width = t_{0.975, n-1} * std / sqrt(n) (Student t). With a single
    value, std = 0.0 and the half width is NaN (no interval can be estimated). values: [n]."""
    v = _finite(values, "values").ravel()
    if v.size == 1:
        return float(v[0]), 0.0, float("nan")
    sd = float(v.std(ddof=1))
    return float(v.mean()), sd, float(stats.t.ppf(0.975, v.size - 1) * sd / np.sqrt(v.size))
