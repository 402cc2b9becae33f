"""What every linear head of one task shares across fractions and seeds: the standardisation of its inputs and the
Gram matrix of the standardised training rows.

Inputs are standardised with the statistics of **all training-split features** (images only, no labels), so a
1 % subset is not standardised by the noisy statistics of a handful of faces, and every subset's design matrix is
a row selection of one matrix. The ridge fits of :func:`facerep.bench.heads.fit_ridge` with at most as many rows
as features work from the rows' Gram matrix; here it is computed once per task (one N×N product over the whole
training split) and each subset takes its block, instead of a product over all features for every fit.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .heads import ProbeHead, Standardize

GRAM_MAX_ROWS = 4096  # larger training splits: no shared Gram matrix (N² memory); each fit computes its own


class Design:
    """Standardisation (``norm``) of a task's inputs over the training positions ``positions`` and, on first use,
    the Gram matrix [N, N] (float64) of their standardised, flattened rows."""

    def __init__(self, x: torch.Tensor, positions: np.ndarray) -> None:
        """x: [N, ...] the task's inputs at ``positions`` (sorted dataset indices of the training split)."""
        if np.any(np.diff(positions) <= 0):
            raise ValueError("positions must be sorted and distinct")
        self.positions = np.asarray(positions)
        self.norm = Standardize()
        self.norm.fit(x)
        self._x: torch.Tensor | None = x if len(x) <= GRAM_MAX_ROWS and len(x) <= x[0].numel() else None
        self._gram: torch.Tensor | None = None

    def attach(self, head: Any) -> None:
        """Give a probe head the shared standardisation (its fit then keeps it)."""
        if isinstance(head, ProbeHead):
            head.norm.mean, head.norm.std = self.norm.mean.clone(), self.norm.std.clone()

    @torch.no_grad()
    def gram_of(self, idx: np.ndarray) -> torch.Tensor | None:
        """The Gram block of the dataset indices ``idx`` (in their order), or None when the split is too large
        or has more rows than features (the fit is then not made from the Gram matrix)."""
        if self._gram is None and self._x is not None:
            rows = self.norm(self._x).reshape(len(self._x), -1)
            self._gram, self._x = (rows @ rows.T).double(), None
        if self._gram is None:
            return None
        at = torch.from_numpy(np.searchsorted(self.positions, idx))
        return self._gram[at][:, at]
