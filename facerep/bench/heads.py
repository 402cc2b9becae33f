"""Heads on backbone features and how they are fitted.

- :class:`ProbeHead`: input standardisation (statistics of the training features) + a linear core:
  ``linear_head`` on ``pooled`` [N, D], ``spatial_linear_head`` on a dense grid [N, C, G, G] flattened (landmark
  regression), ``conv1x1_head`` (per-cell classifier on the grid; a 1×1 conv commutes with bilinear upsampling,
  so this is the "1×1 conv on upsampled maps"), :class:`EmbeddingHead` (projection + cosine classifier).
- :func:`fit_ridge`: closed-form ridge regression (regression tasks, linear mode) with the penalty chosen by
  exact leave-one-out error over a fixed grid -- no learning rate, no steps, deterministic.
- :func:`fit_gradient`: full-batch (or mini-batch) AdamW on the task's loss (classification tasks, fine-tuning).
- :func:`knn_vote`: cosine kNN with temperature-weighted votes (``--mode knn``).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

RIDGE_GRID = tuple(10.0 ** k for k in range(-3, 5))  # × mean squared singular value


class Standardize(nn.Module):
    """x -> (x - mean) / std with statistics per feature ([N, D]) or per channel ([N, C, H, W])."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(0))
        self.register_buffer("std", torch.ones(0))

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
        if self.mean.numel() == 0:
            return x
        return (x - self.mean) / self.std


class ProbeHead(nn.Module):
    """Standardisation followed by a linear ``core``; ``last`` is the core's final Linear / Conv layer."""

    def __init__(self, core: nn.Module, last: nn.Module) -> None:
        super().__init__()
        self.norm, self.core, self.last = Standardize(), core, last

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.core(self.norm(x))


def linear_head(in_dim: int, out_dim: int) -> ProbeHead:
    """[N, D] -> [N, out_dim]."""
    layer = nn.Linear(in_dim, out_dim)
    return ProbeHead(layer, layer)


def spatial_linear_head(channels: int, grid: int, out_dim: int) -> ProbeHead:
    """[N, C, G, G] -> flattened -> [N, out_dim] (keeps where things are: landmark regression)."""
    layer = nn.Linear(channels * grid * grid, out_dim)
    return ProbeHead(nn.Sequential(nn.Flatten(1), layer), layer)


def conv1x1_head(channels: int, n_classes: int) -> ProbeHead:
    """[N, C, G, G] -> logits [N, n_classes, G, G]."""
    layer = nn.Conv2d(channels, n_classes, kernel_size=1)
    return ProbeHead(layer, layer)


class EmbeddingHead(ProbeHead):
    """Linear projection to an embedding (forward) plus a cosine classifier over training identities (logits)."""

    def __init__(self, in_dim: int, emb_dim: int, n_classes: int, scale: float = 16.0) -> None:
        layer = nn.Linear(in_dim, emb_dim)
        super().__init__(layer, layer)
        self.weight = nn.Parameter(torch.randn(n_classes, emb_dim) / emb_dim ** 0.5)
        self.scale = scale

    def logits(self, emb: torch.Tensor) -> torch.Tensor:
        """emb: [N, E] -> [N, n_classes] scaled cosine similarities."""
        return self.scale * F.normalize(emb, dim=1) @ F.normalize(self.weight, dim=1).T


def _loo_lambda(u: torch.Tensor, s2: torch.Tensor, yc: torch.Tensor) -> float:
    """The ridge penalty of RIDGE_GRID with the smallest exact leave-one-out squared error.
    u: [N, r] left singular vectors and s2: [r] squared singular values of the centred design; yc: [N, T]."""
    uty = u.T @ yc
    base = float(s2.mean()) if s2.numel() else 1.0
    best, best_err = RIDGE_GRID[-1] * base, float("inf")
    for k in RIDGE_GRID:
        lam = k * base
        shrink = s2 / (s2 + lam)  # eigenvalues of the hat matrix
        fitted = u @ (shrink[:, None] * uty)
        h = (u ** 2) @ shrink
        err = float((((yc - fitted) / (1.0 - h).clamp(min=1e-6)[:, None]) ** 2).mean())
        if err < best_err:
            best, best_err = lam, err
    return best


@torch.no_grad()
def fit_ridge(head: ProbeHead, x: torch.Tensor, y: torch.Tensor) -> float:
    """Closed-form ridge regression of ``y`` [N, T] (NaN = missing, filled with the column mean) on the
    standardised, flattened ``x`` [N, ...]; sets ``head.last`` (a Linear). Returns the chosen penalty.
    Solved through the eigendecomposition of the N×N Gram matrix (or the D×D covariance when D < N)."""
    head.norm.fit(x)
    xs = head.norm(x).reshape(len(x), -1).double()
    yt = y.reshape(len(y), -1).double()
    mean_y = torch.nan_to_num(torch.nanmean(yt, 0), nan=0.0)
    yc = torch.where(torch.isnan(yt), torch.zeros_like(yt), yt - mean_y)
    mean_x = xs.mean(0)
    xc = xs - mean_x
    w, lam = torch.zeros(xs.shape[1], yt.shape[1], dtype=torch.float64), float("inf")
    if len(x) >= 2:
        dual = xc.shape[0] <= xc.shape[1]
        s2, vecs = torch.linalg.eigh(xc @ xc.T if dual else xc.T @ xc)
        keep = s2 > s2.max() * 1e-10
        s2, vecs = s2[keep], vecs[:, keep]
        u = vecs if dual else xc @ vecs / s2.sqrt()  # left singular vectors [N, r]
        lam = _loo_lambda(u, s2, yc)
        w = xc.T @ (u @ ((u.T @ yc) / (s2 + lam)[:, None]))  # = V diag(s / (s² + λ)) Uᵀ y
    head.last.weight.copy_(w.T.float())
    head.last.bias.copy_((mean_y - mean_x @ w).float())
    return lam


def fit_gradient(head: nn.Module, loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x: torch.Tensor,
                 y: torch.Tensor, *, steps: int, lr: float, weight_decay: float, batch: int = 0, seed: int = 0,
                 bias: torch.Tensor | None = None) -> None:
    """AdamW on ``loss_fn(head(x_b), y_b)``: full batch when ``batch`` is 0 or >= N, else seeded mini-batches.
    x: [N, ...] features; y: [N, ...] targets. ``bias`` (optional) initialises ``head.last.bias``."""
    if isinstance(head, ProbeHead):
        head.norm.fit(x)
        if bias is not None:
            with torch.no_grad():
                head.last.bias.copy_(bias)
    opt = torch.optim.AdamW([p for p in head.parameters() if p.requires_grad], lr=lr, weight_decay=weight_decay)
    gen = torch.Generator().manual_seed(seed)
    n = len(x)
    full = batch <= 0 or batch >= n
    head.train()
    for _ in range(steps):
        idx = None if full else torch.randperm(n, generator=gen)[:batch]
        xb, yb = (x, y) if idx is None else (x[idx], y[idx])
        loss = loss_fn(head(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    head.eval()


def fit_head(task: Any, head: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: Any, seed: int) -> None:
    """Fit a task's head on features: ridge in closed form for regression tasks, else AdamW on the task's loss.
    x: [N, ...] features; y: [N, ...] head-space targets."""
    torch.manual_seed(seed)
    if task.regression and isinstance(head, ProbeHead):
        fit_ridge(head, x, y)
    else:
        fit_gradient(head, lambda o, t: task.loss(o, t, head), x, y, steps=cfg.head_steps, lr=cfg.head_lr,
                     weight_decay=cfg.head_weight_decay, batch=cfg.head_batch, seed=seed)
    head.eval()


def fan_in(head: nn.Module) -> int:
    """Inputs per output unit of the head's last layer (scales its fine-tuning learning rate)."""
    last = getattr(head, "last", None)
    w = getattr(last, "weight", None)
    return int(w[0].numel()) if w is not None else 1


@torch.no_grad()
def knn_vote(x_train: torch.Tensor, v_train: torch.Tensor, x_test: torch.Tensor, k: int,
             temperature: float) -> torch.Tensor:
    """Cosine kNN: each test row averages the ``v_train`` rows of its k most similar training rows, weighted by
    exp(similarity / temperature); NaN votes are left out. x_*: [N, D]; v_train: [N, T] -> [M, T]."""
    a, b = F.normalize(x_train.float(), dim=1), F.normalize(x_test.float(), dim=1)
    k = min(k, len(a))
    out = []
    for start in range(0, len(b), 2048):  # bound the [chunk, N] similarity block
        sim, idx = (b[start:start + 2048] @ a.T).topk(k, dim=1)
        w = torch.exp((sim - sim[:, :1]) / temperature)[:, :, None]  # [M, k, 1], stable
        v = v_train[idx]  # [M, k, T]
        valid = ~torch.isnan(v)
        num = (torch.where(valid, v, torch.zeros_like(v)) * w).sum(1)
        den = (valid * w).sum(1)
        out.append(num / den.clamp(min=1e-12))
    return torch.cat(out)


def param_groups(backbone: nn.Module, head: nn.Module, lr_backbone: float, lr_head: float) -> list[dict[str, Any]]:
    """AdamW parameter groups with separate learning rates for the backbone and the head (fine-tuning). The head's
    rate is ``lr_head × min(1, 512 / fan_in)``: Adam moves every weight by about lr, so a wide layer (a landmark
    head on a flattened grid has ~25k inputs) would otherwise move its outputs by hundreds per step."""
    lr_head = lr_head * min(1.0, 512.0 / fan_in(head))
    return [{"params": [p for p in backbone.parameters() if p.requires_grad], "lr": lr_backbone},
            {"params": [p for p in head.parameters() if p.requires_grad], "lr": lr_head}]


def as_tensor(x: np.ndarray | torch.Tensor, idx: Sequence[int] | np.ndarray | None = None) -> torch.Tensor:
    """float32 tensor of ``x[idx]`` (reads only those rows of a memmap)."""
    if isinstance(x, torch.Tensor):
        return (x if idx is None else x[torch.as_tensor(np.asarray(idx))]).float()
    rows = x if idx is None else x[np.asarray(idx)]
    return torch.from_numpy(np.ascontiguousarray(rows, dtype=np.float32))
