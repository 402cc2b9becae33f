"""Heads on backbone features and how they are fitted.

- :class:`ProbeHead`: input standardisation (statistics of the training features) + a linear core:
  ``linear_head`` on ``pooled`` [N, D], ``spatial_linear_head`` on a dense grid [N, C, G, G] flattened
  (landmark regression), :class:`EmbeddingHead` (projection + cosine classifier, ArcFace margin when
  fine-tuning); the per-pixel probe of parsing is :class:`facerep.bench.pixels.PixelProbe`.
- :func:`fit_ridge`: closed-form ridge regression (regression tasks, linear mode) with the penalty chosen by
  exact leave-one-identity-out (or leave-one-out) error over a fixed grid -- no learning rate, no steps,
  deterministic.
- :func:`fit_gradient`: full-batch (or mini-batch) AdamW on the task's loss (embedding heads, dense
  classification, fine-tuning); classification tasks whose ``probe`` is "ridge_classifier" use a ridge
  classifier in linear mode instead (:func:`fit_head` returns the fitted predictor).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .settings import HeadSettings

if TYPE_CHECKING:
    from .tasks._base import Task

RIDGE_GRID = tuple(10.0 ** k for k in range(-3, 5))  # × mean squared singular value


class HeldOut(NamedTuple):
    """A task's held-out criterion of one penalty (:data:`CVLoss`): the ``loss`` and the loss of the predictor
    that ignores the inputs (``baseline``, e.g. 1 - the majority class's share of the training rows). A
    penalty must beat ``baseline`` to be chosen over the heaviest shrinkage."""

    loss: float
    baseline: float = float("inf")


# (targets [N, T], held-out predictions [N, T]) -> loss (float), or a HeldOut
CVLoss = Callable[[torch.Tensor, torch.Tensor], "float | HeldOut"]


class Standardize(nn.Module):
    """x -> (x - mean) / std with statistics per feature ([N, D]) or per channel ([N, C, H, W])."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(0))
        self.register_buffer("std", torch.ones(0))
        self.identity = False  # inputs arrive standardised (a shared :class:`facerep.bench.design.Design`)

    @torch.no_grad()
    def fit(self, x: torch.Tensor) -> None:
        dims = (0,) if x.dim() == 2 else (0, 2, 3)
        self.mean = x.mean(dims, keepdim=True)[0].float()
        std = x.std(dims, keepdim=True, unbiased=False)[0].float()
        # a (nearly) constant feature is not blown up: floor at 1 % of the mean spread
        self.std = std.clamp(min=float(std.mean()) * 1e-2 + 1e-8)
        if len(x) < 2:  # one sample: no spread to estimate
            self.std = torch.ones_like(self.std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.identity or self.mean.numel() == 0:
            return x
        return (x - self.mean) / self.std

    @property
    def fitted(self) -> bool:
        return self.identity or self.mean.numel() > 0


class ProbeHead(nn.Module):
    """Standardisation followed by a linear ``core``; ``last`` is the core's final Linear layer."""

    def __init__(self, core: nn.Module, last: nn.Linear) -> None:
        super().__init__()
        self.norm, self.core = Standardize(), core
        self.last: nn.Linear = last

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.core(self.norm(x))

    def rows(self, x: torch.Tensor) -> torch.Tensor:
        """The design (or target) rows ``last`` sees: [N, ...] -> [N, D]."""
        return x.reshape(len(x), -1)


def linear_head(in_dim: int, out_dim: int) -> ProbeHead:
    """[N, D] -> [N, out_dim]."""
    layer = nn.Linear(in_dim, out_dim)
    return ProbeHead(layer, layer)


def spatial_linear_head(channels: int, grid: int, out_dim: int) -> ProbeHead:
    """[N, C, G, G] -> flattened -> [N, out_dim] (keeps where things are: landmark regression)."""
    layer = nn.Linear(channels * grid * grid, out_dim)
    return ProbeHead(nn.Sequential(nn.Flatten(1), layer), layer)


class EmbeddingHead(ProbeHead):
    """Linear projection to an embedding (forward) plus a cosine classifier over training identities (logits).
    With ``margin`` > 0 the training logits carry ArcFace's additive angular margin (Deng et al., CVPR 2019):
    the target identity's logit is s·cos(θ + m) instead of s·cos θ (past θ = π - m, the monotonic extension
    s·(cos θ - m·sin m) keeps the logit decreasing)."""

    def __init__(self, in_dim: int, emb_dim: int, n_classes: int, scale: float = 16.0,
                 margin: float = 0.0) -> None:
        layer = nn.Linear(in_dim, emb_dim)
        super().__init__(layer, layer)
        self.weight = nn.Parameter(torch.randn(n_classes, emb_dim) / emb_dim ** 0.5)
        self.scale, self.margin = scale, margin

    def logits(self, emb: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """emb: [N, E] -> [N, n_classes] scaled cosine similarities; with the labels y [N] (training) the
        target logits get the angular margin."""
        cos = F.normalize(emb, dim=1) @ F.normalize(self.weight, dim=1).T
        if y is None or self.margin <= 0:
            return self.scale * cos
        m = self.margin
        target = cos.gather(1, y.long()[:, None]).clamp(-1 + 1e-7, 1 - 1e-7)
        shifted = torch.where(target > np.cos(np.pi - m), torch.cos(torch.acos(target) + m),
                              target - m * np.sin(m))
        return self.scale * cos.scatter(1, y.long()[:, None], shifted)


def _cv_lambda(u: torch.Tensor, s2: torch.Tensor, yc: torch.Tensor, groups: np.ndarray | None = None,
               loss: CVLoss | None = None, y: torch.Tensor | None = None) -> float:
    """The ridge penalty of RIDGE_GRID with the smallest exact held-out loss: leave-one-*group*-out when
    ``groups`` [N] (identity / subject / video ids) has at least two groups, else leave-one-out. The loss is
    the mean squared error, or ``loss(y, held_out_prediction)``: a task's own criterion (e.g. minus the ICC)
    on the uncentred targets ``y`` [N, T] (NaN = missing; required with ``loss``) and the held-out
    predictions. u: [N, r] left singular vectors and s2: [r] squared singular values of the centred design;
    yc: [N, T].

    The fit has an unpenalised intercept, so its hat matrix is H = 11ᵀ/N + U diag(s²/(s²+λ)) Uᵀ (the centred
    design is orthogonal to the constant column); the residuals of the fit without group g are (I - H_gg)⁻¹
    (y_g - ŷ_g) (the block form of the PRESS identity), so no refit is needed. Leaving the 11ᵀ/N term out
    would be wrong: the centred rows sum to zero, so a held-out group is a linear combination of the others.
    Holding out whole identities matters: with several images per person, leave-one-out rewards memorising
    identities and picks a penalty that is far too small for unseen people.

    A criterion that returns a :class:`HeldOut` with a ``baseline`` (expression: the error of always
    predicting the majority class) keeps the heaviest shrinkage unless the best penalty beats that baseline.
    With a few faces per class the held-out estimate is biased against the input-blind predictor itself:
    holding a face out makes its class the rarer one, so the class prior predicts another class nearly every
    time (held-out error 0.94 where its real error is 0.78), and a penalty that fitted noise won and predicted
    noise (accuracy 0.08-0.12 vs 0.22 for the majority class on 18-35 faces without signal)."""
    base = float(s2.mean()) if s2.numel() else 1.0
    blocks = _group_blocks(groups, len(yc))  # the same held-out groups for every penalty
    errors: dict[float, HeldOut] = {}
    for k in RIDGE_GRID:
        held = _held_out_residuals(u, s2, yc, blocks, k * base)
        if loss is None or y is None:
            errors[k * base] = HeldOut(float((held ** 2).mean()))
        else:  # held = y - prediction (centring cancels); NaN where y is missing, never scored
            value = loss(y, y - held)
            errors[k * base] = value if isinstance(value, HeldOut) else HeldOut(float(value))
    best = min(errors, key=lambda lam: (errors[lam].loss, -lam))  # ties: the larger penalty
    if errors[best].loss >= errors[best].baseline:
        return max(errors)  # no penalty beats ignoring the inputs: the heaviest shrinkage
    return best


def _held_out_residuals(u: torch.Tensor, s2: torch.Tensor, yc: torch.Tensor,
                        blocks: list[torch.Tensor] | None,
                        lam: float) -> torch.Tensor:
    """[N, T] residuals of each row predicted by ridge (penalty ``lam``) fitted without its group (see
    :func:`_cv_lambda`); ``blocks``: row indices of each held-out group (:func:`_group_blocks`), None for
    leave-one-out."""
    n = len(yc)
    shrink = s2 / (s2 + lam)  # eigenvalues of the penalised part of the hat matrix
    resid = yc - u @ (shrink[:, None] * (u.T @ yc))
    if blocks is None:
        h = (u ** 2) @ shrink + 1.0 / n
        return resid / (1.0 - h).clamp(min=1e-6)[:, None]
    held = torch.empty_like(resid)
    for rows in blocks:  # one batched solve per group size: rows [G_s, s]
        ug = u[rows]  # [G_s, s, r]
        a = torch.eye(rows.shape[1], dtype=u.dtype) - (ug * shrink) @ ug.transpose(1, 2) - 1.0 / n
        held[rows] = torch.linalg.solve(a, resid[rows])
    return held


def _group_blocks(groups: np.ndarray | None, n: int) -> list[torch.Tensor] | None:
    """Row indices of the groups, stacked per group size ([G_s, s] for each size s, so that the held-out
    solves are batched), or None (leave-one-out) without groups or with fewer than two."""
    if groups is None:
        return None
    g = np.asarray(groups)
    if len(g) != n:
        raise ValueError(f"groups has {len(g)} entries for {n} samples")
    uniq, inv = np.unique(g, return_inverse=True)
    if len(uniq) < 2 or len(uniq) == n:
        return None
    order = np.argsort(inv, kind="stable")
    sizes = np.bincount(inv)
    members = np.split(order, np.cumsum(sizes)[:-1])
    return [torch.from_numpy(np.stack([m for m, k in zip(members, sizes) if k == size]))
            for size in np.unique(sizes)]


@torch.no_grad()
def fit_ridge(head: ProbeHead, x: torch.Tensor, y: torch.Tensor, groups: np.ndarray | None = None,
              loss: CVLoss | None = None, gram: torch.Tensor | None = None) -> float:
    """Closed-form ridge regression (unpenalised intercept) of ``y`` on the standardised ``x``, one row per
    sample ([N, ...] flattened). NaN targets are missing and filled with the column mean.
    Sets ``head.last``; returns the chosen penalty.

    The penalty is chosen over RIDGE_GRID (× the mean squared singular value) by held-out error, holding out
    whole ``groups`` (identities, subjects or videos; [N]) when given: with at most as many rows as features,
    exactly (:func:`_cv_lambda`, through the eigendecomposition of the Gram matrix); with more rows, by 5-fold
    cross-validation from per-fold sufficient statistics (:func:`_kfold_lambda`), so memory stays O(D²).
    ``loss``: the held-out criterion of the exact path (default: squared error; the k-fold path always uses
    it). The standardisation is fitted on ``x`` unless the head already has one
    (:class:`facerep.bench.design.Design`); ``gram`` [N, N]: the Gram matrix of the standardised rows of ``x``
    when already known."""
    if not head.norm.fitted:
        head.norm.fit(x)
    xs, yt = head.rows(head.norm(x)).float(), head.rows(y).double()
    mean_y = torch.nan_to_num(torch.nanmean(yt, 0), nan=0.0) if len(yt) \
        else torch.zeros(yt.shape[1], dtype=yt.dtype)
    yc = torch.where(torch.isnan(yt), torch.zeros_like(yt), yt - mean_y)
    # float32 accumulation (pairwise, ~1e-8 relative here) is an order of magnitude faster than dtype=float64
    mean_x = xs.mean(0).double() if len(xs) else torch.zeros(xs.shape[1], dtype=torch.float64)
    w, lam = torch.zeros(xs.shape[1], yt.shape[1], dtype=torch.float64), float("inf")
    if len(xs) >= 2 and len(xs) <= xs.shape[1]:
        w, lam = _dual_fit(xs, mean_x, yc, yt, groups, loss, gram)
    elif len(xs) >= 2:
        w, lam = _primal_fit(xs, mean_x, yc, groups)
    head.last.weight.copy_(w.T.float())
    head.last.bias.copy_((mean_y - mean_x @ w).float())
    return lam


def _dual_fit(xs: torch.Tensor, mean_x: torch.Tensor, yc: torch.Tensor, yt: torch.Tensor,
              groups: np.ndarray | None,
              loss: CVLoss | None, gram: torch.Tensor | None) -> tuple[torch.Tensor, float]:
    """Ridge with N <= D rows through the eigendecomposition of the centred N×N Gram matrix: (weights [D, T]
    float64, penalty). xs: [N, D] float32 rows (centred by ``mean_x`` [D]); yc / yt: centred / raw targets [N,
    T]; ``gram``: the uncentred Gram matrix of ``xs`` when known."""
    if gram is None:
        xc = xs - mean_x.float()  # float32: the wide product runs at twice the float64 speed
        gram_c = (xc @ xc.T).double()
    else:  # centre the given Gram matrix: (I - 11ᵀ/N) G (I - 11ᵀ/N)
        r = gram.mean(1)
        gram_c = gram - r[:, None] - r[None, :] + r.mean()
    # float32 eigendecomposition (twice the speed): the Gram matrix comes from float32 products, so
    # eigenvalues
    # below ~1e-6 of the largest are rounding noise either way, and the penalties (>= 1e-3 × the mean)
    # dominate them
    s2, vecs = (t.double() for t in torch.linalg.eigh(gram_c.float()))
    keep = s2 > s2.max() * 1e-6
    s2, u = s2[keep], vecs[:, keep]  # u: left singular vectors [N, r], orthogonal to the constant vector
    lam = _cv_lambda(u, s2, yc, groups, loss, yt)
    # w = Xcᵀ U diag(1 / (s² + λ)) Uᵀ y  (= V diag(s / (s² + λ)) Uᵀ y); as 1ᵀU = 0, Xcᵀ a = Xsᵀ a: no centred
    # copy
    a = (u @ ((u.T @ yc) / (s2 + lam)[:, None])).float()
    return (xs.T @ a).double(), lam


ROW_CHUNK = 4096  # rows per float64 block of the primal sums: memory O(chunk·D + D²), no N×D float64 copy


def _folds(groups: np.ndarray | None, n: int, folds: int = 5) -> torch.Tensor:
    """[N] fold of each row (:func:`_kfold_lambda`): every fifth group in sorted order, or every fifth row."""
    key = np.unique(np.asarray(groups), return_inverse=True)[1] if groups is not None else np.arange(n)
    return torch.from_numpy(key % folds)


class Stats(NamedTuple):
    """Sums over a set of rows: xᵀx [D, D], x [D], xᵀy [D, T], y [T], ‖y‖², count."""

    sxx: torch.Tensor
    sx: torch.Tensor
    sxy: torch.Tensor
    sy: torch.Tensor
    yy: float
    n: int


def _blocks(xs: torch.Tensor, mean_x: torch.Tensor, yc: torch.Tensor, rows: torch.Tensor | None = None,
            ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(centred float64 rows [<= ROW_CHUNK, D], their targets) over ``rows`` (a bool mask [N]; None: all) of
    ``xs`` [N, D] float32 minus ``mean_x`` [D] and ``yc`` [N, T]: no centred float64 copy of the whole
    matrix exists."""
    index = torch.arange(len(xs)) if rows is None else torch.nonzero(rows).flatten()
    for start in range(0, len(index), ROW_CHUNK):
        i = index[start:start + ROW_CHUNK]
        yield xs[i].double() - mean_x, yc[i]


def _sums(xs: torch.Tensor, mean_x: torch.Tensor, yc: torch.Tensor, rows: torch.Tensor | None = None,
          minus_from: torch.Tensor | None = None) -> Stats:
    """Sufficient statistics of the centred rows and targets of :func:`_blocks`, accumulated in float64. With
    ``minus_from`` [D, D] the ``sxx`` field is ``minus_from`` less the rows' xᵀx, computed in place in it (a
    fold's training Gram matrix without another D×D matrix)."""
    d, t = xs.shape[1], yc.shape[1]
    sxx = torch.zeros(d, d, dtype=torch.float64) if minus_from is None else minus_from
    sign = 1.0 if minus_from is None else -1.0
    sx, sxy = torch.zeros(d, dtype=torch.float64), torch.zeros(d, t, dtype=torch.float64)
    sy, yy, n = torch.zeros(t, dtype=torch.float64), 0.0, 0
    for xb, yb in _blocks(xs, mean_x, yc, rows):
        sxx.addmm_(xb.T, xb, alpha=sign)
        sxy.addmm_(xb.T, yb)
        sx += xb.sum(0)
        sy += yb.sum(0)
        yy += float((yb ** 2).sum())
        n += len(xb)
    return Stats(sxx, sx, sxy, sy, yy, n)


def _eigh_overwrite(gram: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(eigenvalues [D], eigenvectors [D, D]) of the symmetric float64 ``gram``, which is overwritten:
    LAPACK's syevr (scipy) works in place with O(D) workspace, where ``torch.linalg.eigh`` (syevd) copies the
    input and takes 2·D² more (at D = 12 544, 3.8 GB saved)."""
    from scipy.linalg import eigh  # deferred: scipy is not needed to import the bench

    # .T: the Fortran-order view LAPACK overwrites (the matrix is symmetric)
    evals, vecs = eigh(gram.numpy().T, overwrite_a=True, driver="evr", check_finite=False)
    return torch.from_numpy(evals), torch.from_numpy(vecs)


def _primal_fit(xs: torch.Tensor, mean_x: torch.Tensor, yc: torch.Tensor,
                groups: np.ndarray | None) -> tuple[torch.Tensor, float]:
    """Ridge with more rows than features from the D×D sums (:func:`_sums`): (weights [D, T] float64,
    penalty chosen by :func:`_kfold_lambda`). xs: [N, D] float32 rows (centred by ``mean_x``); yc: [N, T]
    centred targets."""
    total = _sums(xs, mean_x, yc)
    lam = _kfold_lambda(xs, mean_x, yc, groups, total)
    gram = total.sxx
    gram.diagonal().add_(lam)  # in place: the total sums are not needed any more
    return torch.linalg.solve(gram, total.sxy), lam


def _kfold_lambda(xs: torch.Tensor, mean_x: torch.Tensor, yc: torch.Tensor, groups: np.ndarray | None,
                  total: Stats) -> float:
    """The penalty of :func:`_kfold_errors` with the smallest held-out error (ties: the larger penalty)."""
    errors = _kfold_errors(xs, mean_x, yc, groups, total)
    return min(errors, key=lambda lam: (errors[lam], -lam))


def _kfold_errors(xs: torch.Tensor, mean_x: torch.Tensor, yc: torch.Tensor, groups: np.ndarray | None,
                  total: Stats, folds: int = 5) -> dict[float, float]:
    """{RIDGE_GRID penalty (× the mean eigenvalue of the centred Gram matrix ``total.sxx``): 5-fold held-out
    sum of squared errors}, folds made of whole groups (:func:`_folds`). Each fold's fit (with its own
    unpenalised intercept, i.e. on data centred by the fold's training mean) comes from one eigendecomposition
    of its centred Gram matrix (one fold's at a time, so the memory is two or three D×D matrices), and its
    held-out error from the fold's rows or its sums. xs: [N, D] float32 (centred by ``mean_x``); yc: [N, T];
    ``total``: the sums over all rows."""
    # the mean eigenvalue of the PSD Gram matrix is its trace / D: no eigendecomposition (O(D³)) needed
    base = float(total.sxx.diagonal().sum()) / len(total.sxx)
    fold = _folds(groups, len(xs), folds)
    errors = dict.fromkeys((k * base for k in RIDGE_GRID), 0.0)
    # a fold's held-out error from its rows costs N_f·D·T per penalty, from its D×D sums D²·T: the rows when
    # there are few targets (no fold Gram matrix besides the training one), the sums for many (identities)
    from_rows = len(RIDGE_GRID) * yc.shape[1] <= xs.shape[1]
    for f in range(folds):
        m = fold == f
        n_f = int(m.sum())
        n_t = total.n - n_f
        if n_f == 0 or n_t < 2:
            continue
        if from_rows:
            sxx_f = None
            gram, sx_f, sxy_f, sy_f, yy_f, _ = _sums(xs, mean_x, yc, m, minus_from=total.sxx.clone())
        else:
            sxx_f, sx_f, sxy_f, sy_f, yy_f, _ = _sums(xs, mean_x, yc, m)
            gram = total.sxx - sxx_f
        mx, my = (total.sx - sx_f) / n_t, (total.sy - sy_f) / n_t
        gram.sub_(torch.outer(mx, mx), alpha=n_t)  # centred training Gram matrix
        cross = total.sxy - sxy_f - n_t * torch.outer(mx, my)
        evals, vecs = _eigh_overwrite(gram)
        del gram
        proj = vecs.T @ cross
        fits = []  # (penalty, weights [D, T], intercept [T]) fitted on the rows outside the fold
        for lam in errors:
            w = vecs @ (proj / (evals.clamp(min=0) + lam)[:, None])
            fits.append((lam, w, my - mx @ w))
        del vecs
        if sxx_f is None:  # ‖y_f - x_f w - c‖² from the fold's rows
            for xb, yb in _blocks(xs, mean_x, yc, m):
                for lam, w, c in fits:
                    errors[lam] += float(((yb - xb @ w - c) ** 2).sum())
        else:  # ... or from its sums
            for lam, w, c in fits:
                errors[lam] += (yy_f - 2 * float((w * sxy_f).sum()) - 2 * float(c @ sy_f)
                                + float((w * (sxx_f @ w)).sum()) + 2 * float(c @ (sx_f @ w))
                                + n_f * float(c @ c))
    return errors


def fit_gradient(head: nn.Module, loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                 x: torch.Tensor,
                 y: torch.Tensor, *, steps: int, lr: float, weight_decay: float, batch: int = 0,
                 seed: int = 0,
                 bias: torch.Tensor | None = None) -> None:
    """AdamW on ``loss_fn(head(x_b), y_b)``: full batch when ``batch`` is 0 or >= N, else seeded mini-batches.
    x: [N, ...] features; y: [N, ...] targets. ``bias`` (optional) initialises ``head.last.bias``."""
    forward: Callable[[torch.Tensor], torch.Tensor] = head
    if isinstance(head, ProbeHead):
        if not head.norm.fitted:
            head.norm.fit(x)
        if bias is not None:
            with torch.no_grad():
                head.last.bias.copy_(bias)
        with torch.no_grad():
            x = head.norm(x)  # the statistics are fixed: standardise once, train the core
        forward = head.core
    opt = torch.optim.AdamW([p for p in head.parameters() if p.requires_grad], lr=lr,
                            weight_decay=weight_decay)
    gen = torch.Generator().manual_seed(seed)
    n = len(x)
    full = batch <= 0 or batch >= n
    head.train()
    for _ in range(steps):
        idx = None if full else torch.randperm(n, generator=gen)[:batch]
        xb, yb = (x, y) if idx is None else (x[idx], y[idx])
        loss = loss_fn(forward(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    head.eval()


class ScoredHead(nn.Module):
    """A fitted ridge classifier mapped to head space: ``from_scores(head(x))`` (:meth:`Task.from_scores`)."""

    def __init__(self, head: nn.Module, from_scores: Callable[[torch.Tensor], torch.Tensor]) -> None:
        super().__init__()
        self.head, self.from_scores = head, from_scores

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.from_scores(self.head(x))


def fit_head(task: Task, head: nn.Module, x: torch.Tensor, y: torch.Tensor, *, settings: HeadSettings,
             seed: int,
             groups: np.ndarray | None = None, gram: torch.Tensor | None = None,
             ridge_classifier: bool = True) -> nn.Module:
    """Fit a task's head on features and return the fitted predictor (features -> head-space outputs). x: [N,
    ...] features; y: [N, ...] head-space targets; ``groups`` [N]: the identity (subject, video) of each
    sample, for leave-one-group-out penalty selection; ``gram``: see :func:`fit_ridge`.

    - ``task.probe`` "ridge": ridge in closed form on the targets (penalty by :meth:`Task.penalty_loss`);
    - "ridge_classifier" with ``ridge_classifier`` (the linear mode): ridge on ``task.vote_targets(y)``
      (one-hot / 0-1 columns); the predictor maps the fitted scores to head space with ``task.from_scores``;
    - otherwise AdamW on the task's loss (``head_steps``, ``head_lr``, ``head_weight_decay``,
      ``head_batch``)."""
    torch.manual_seed(seed)
    loss = task.penalty_loss()
    if task.probe == "ridge" and isinstance(head, ProbeHead):
        fit_ridge(head, x, y, groups, loss, gram)
    elif task.probe == "ridge_classifier" and ridge_classifier and isinstance(head, ProbeHead):
        fit_ridge(head, x, task.vote_targets(y), groups, loss, gram)
        head.eval()
        return ScoredHead(head, task.from_scores).eval()
    else:
        fit_gradient(head, lambda o, t: task.loss(o, t, head), x, y, steps=settings.head_steps,
                     lr=settings.head_lr,
                     weight_decay=settings.head_weight_decay, batch=settings.head_batch, seed=seed)
    head.eval()
    return head


def as_tensor(x: np.ndarray | torch.Tensor, idx: Sequence[int] | np.ndarray | None = None) -> torch.Tensor:
    """float32 tensor of ``x[idx]`` (reads only those rows of a memmap)."""
    if isinstance(x, torch.Tensor):
        return (x if idx is None else x[torch.as_tensor(np.asarray(idx))]).float()
    rows = x if idx is None else x[np.asarray(idx)]
    return torch.from_numpy(np.ascontiguousarray(rows, dtype=np.float32))
