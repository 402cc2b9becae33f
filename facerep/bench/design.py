"""What every linear head of one task shares across fractions and seeds: the standardisation of its inputs and
the Gram matrix of the standardised training rows.

Inputs are standardised with the statistics of **all training-split features** (images only, no labels), so a
1 % subset is not standardised by the noisy statistics of a handful of faces, and every subset's design matrix
is a row selection of one matrix. The ridge fits of :func:`facerep.bench.heads.fit_ridge` with at most as many
rows as features work from the rows' Gram matrix; here it is computed once (one N×N product over the whole
training split, shared by the tasks that read the same inputs) and each subset takes its block, instead of a
product over all features for every fit.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .features import rows_of_positions
from .heads import ProbeHead, Standardize

GRAM_MAX_ROWS = 4096  # larger training splits: no shared Gram matrix (N² memory); each fit computes its own


class Design:
    """The standardisation of a task's inputs, fitted on the training positions ``positions``, their
    standardised rows, and on first use the Gram matrix [kN, kN] (float64) of those rows flattened. With
    ``copies`` (e.g. the features of the mirrored crops at the same positions) each training face has k = 1 +
    len(copies) rows: a subset's rows are its faces' rows in every copy, clean first. Heads attached to a
    design receive standardised inputs (:meth:`standardize` the test inputs once)."""

    def __init__(self, x: torch.Tensor, positions: np.ndarray, copies: tuple[torch.Tensor, ...] = ()) -> None:
        """x: [N, ...] the task's inputs at ``positions`` (sorted dataset indices of the training split);
        copies: [N, ...] each, more inputs of the same faces. The statistics are those of every row the heads
        train on, copies included: standardised by the clean rows' statistics alone, a feature that is nearly
        constant in the clean crops (say, a border cell on one side) but not in their mirror images was blown
        up by up to 100x in the mirrored rows, dominated the Gram matrix and left the fit blind to the clean
        test faces (measured on CK+48: every test face predicted as one class, accuracy 0.20 at 100 % labels
        vs 0.23 for the majority)."""
        if np.any(np.diff(positions) <= 0):
            raise ValueError("positions must be sorted and distinct")
        self.positions = np.asarray(positions)
        self.norm = Standardize()
        self.norm.fit(torch.cat([x, *copies]) if copies else x)
        self.k = 1 + len(copies)
        self.x = torch.cat([self.standardize(c) for c in (x, *copies)])
        self._gram: torch.Tensor | None = None

    @torch.no_grad()
    def standardize(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x)

    def _at(self, idx: np.ndarray) -> torch.Tensor:
        """Rows of the dataset indices ``idx``: in the clean inputs, then in each copy."""
        at = rows_of_positions(self.positions, idx, "the training split of this design")
        n = len(self.positions)
        return torch.from_numpy(np.concatenate([at + c * n for c in range(self.k)]))

    def rows_of(self, idx: np.ndarray) -> torch.Tensor:
        """Standardised inputs of the dataset indices ``idx`` (in their order; k rows per index, copy by
        copy)."""
        return self.x[self._at(idx)]

    def attach(self, head: Any) -> None:
        """Tell a probe head that its inputs are already standardised (its fit keeps it so)."""
        if isinstance(head, ProbeHead):
            head.norm.identity = True

    @torch.no_grad()
    def gram_of(self, idx: np.ndarray) -> torch.Tensor | None:
        """The Gram block of the dataset indices ``idx`` (in their order), or None when the split is too large
        or has more rows than features (such fits do not work from the Gram matrix)."""
        n = len(self.x)
        if n > GRAM_MAX_ROWS or n > self.x[0].numel():
            return None
        if self._gram is None:
            rows = self.x.reshape(n, -1)
            self._gram = (rows @ rows.T).double()
        if len(idx) * self.k == n and np.array_equal(idx, self.positions):
            return self._gram
        at = self._at(idx)
        return self._gram.index_select(0, at).index_select(1, at)
