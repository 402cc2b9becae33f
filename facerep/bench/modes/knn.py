"""``--mode knn``: no training; each test face takes the temperature-weighted vote of its ``knn_k`` most
similar training faces by cosine similarity of the raw pooled features (:func:`knn_vote`,
as DINO's k-NN evaluation). A task declares how it uses kNN (:attr:`facerep.bench.tasks._base.Task.knn`):
votes of its ``vote_targets`` mapped by ``from_votes``, the raw features as its output (recognition's
embeddings), or no kNN protocol (dense tasks: skipped with a note)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from ..design import Design
from ..tasks._base import Task
from . import register_mode
from ._base import Mode, Predictor, TaskData
from .linear import FeatureHeads, Fit


@dataclass(frozen=True)
class KnnOptions:
    """``--mode knn``: neighbours per vote and the softmax temperature of their weights."""

    knn_k: int
    knn_temperature: float


@register_mode("knn", options=KnnOptions,
               description="cosine kNN on the cached pooled features (global tasks)")
class KnnMode(Mode):
    reads = "features"
    options: KnnOptions

    def skip_reason(self, task: Task) -> str | None:
        return "has no kNN protocol (dense task)" if task.knn == "none" else None

    def predictor(self, data: TaskData) -> Predictor:
        return FeatureHeads(data, kind="pooled", fit=self._fit(data.task), standardize=False,
                            reuse_whole=False)

    def _fit(self, task: Task) -> Fit:
        k, temperature = self.options.knn_k, self.options.knn_temperature

        def fit(x: torch.Tensor, y: torch.Tensor, x_tests: list[torch.Tensor], *, seed: int,
                groups: np.ndarray | None, design: Design | None,
                rows: np.ndarray | None) -> list[torch.Tensor]:
            if task.knn == "features":
                return list(x_tests)
            votes = task.vote_targets(y)
            return [task.from_votes(knn_vote(x, votes, x_te, k, temperature)) for x_te in x_tests]

        return fit


@torch.no_grad()
def knn_vote(x_train: torch.Tensor, v_train: torch.Tensor, x_test: torch.Tensor, k: int,
             temperature: float) -> torch.Tensor:
    """Cosine kNN: each test row averages the ``v_train`` rows of its k most similar training rows, weighted
    by exp(similarity / temperature); NaN votes are left out. x_*: [N, D]; v_train: [N, T] -> [M, T]."""
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
