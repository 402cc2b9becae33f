"""Streaming views from any facerep dataset, in a deterministic order that a resumed run can continue.

The order is a seeded permutation per pass over the data; micro-step ``s`` of process ``r`` (of ``W``)
takes positions ``[(s·W + r)·b, (s·W + r + 1)·b)`` of the endless concatenation of passes, so the
data position is a function of the global step alone. Each sample's augmentation is seeded by its
position, so worker count and restarts do not change what a step sees. A sample whose image fails to
decode (:class:`~facerep.errors.DataError`) is skipped — replaced by the next sample — counted and logged.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import torch

from ..data.sample import FaceDataset
from ..errors import DataError
from .methods._base import ViewFn

log = logging.getLogger("facerep.pretrain")
MAX_CONSECUTIVE_FAILURES = 64


def position_seed(seed: int, position: int) -> int:
    """A 32-bit seed for the sample at global stream ``position``."""
    return (seed * 1_000_003 + position * 7_919 + 12_345) % (2**32)


class Subset:
    """A seeded random subset of ``n`` samples of ``dataset`` (same order for the same seed)."""

    def __init__(self, dataset: FaceDataset, n: int, seed: int) -> None:
        g = torch.Generator().manual_seed(position_seed(seed, -7))
        self.dataset, self.info = dataset, dataset.info
        self.indices = torch.randperm(len(dataset), generator=g)[:n].sort().values.tolist()

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> Any:
        return self.dataset[self.indices[i]]


class ViewDataset(torch.utils.data.Dataset):
    """Maps ``(index, position)`` to ``{"views": [3×h×w]…, "identity": int|None, "skipped": [msg…]}``."""

    def __init__(self, dataset: FaceDataset, views: ViewFn, seed: int, need_identity: bool = False) -> None:
        self.dataset, self.views, self.seed, self.need_identity = dataset, views, seed, need_identity

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: tuple[int, int]) -> dict[str, Any]:
        index, position = key
        n = len(self.dataset)
        skipped: list[str] = []
        for attempt in range(min(n, MAX_CONSECUTIVE_FAILURES)):
            j = (index + attempt) % n
            try:
                sample = self.dataset[j]
                if self.need_identity and sample.identity is None:
                    raise DataError("sample has no identity label", sample.path)
            except DataError as e:
                skipped.append(str(e))
                log.warning("skipping sample %d: %s", j, e)
                continue
            s = position_seed(self.seed, position)
            torch.manual_seed(s)
            random.seed(s)
            np.random.seed(s)
            return {"views": self.views(sample.image), "identity": sample.identity, "skipped": skipped}
        raise DataError(
            f"{len(skipped)} consecutive samples failed to load (last: {skipped[-1] if skipped else '-'}); "
            "the data looks broken, not just a few corrupt images"
        )


def collate_views(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Stack per view: ``views`` = list of [B, 3, h, w]; ``identity`` [B] long when present; ``skipped``."""
    n_views = len(items[0]["views"])
    out: dict[str, Any] = {"views": [torch.stack([it["views"][v] for it in items]) for v in range(n_views)]}
    ids = [it["identity"] for it in items]
    if all(i is not None for i in ids):
        out["identity"] = torch.tensor(ids, dtype=torch.long)
    out["skipped"] = [m for it in items for m in it["skipped"]]
    return out


class StepBatchSampler(torch.utils.data.Sampler):
    """Batches of ``(index, position)`` for micro-steps ``start()..total`` of this process.

    ``start`` is read when iteration begins (after a checkpoint restored the step); ``len`` is the
    full ``total`` so that the trainer's batch count lines up with a resumed run's restored counters.
    """

    def __init__(
        self,
        n: int,
        batch_size: int,
        total: int,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
        start: Callable[[], int] = lambda: 0,
    ) -> None:
        if n <= 0:
            raise DataError("the dataset is empty: nothing to pre-train on")
        self.n, self.batch_size, self.total, self.seed = n, batch_size, total, seed
        self.rank, self.world_size, self.start = rank, world_size, start
        self._perm_epoch, self._perm = -1, torch.empty(0, dtype=torch.long)

    def index_at(self, position: int) -> int:
        epoch, offset = divmod(position, self.n)
        if epoch != self._perm_epoch:
            g = torch.Generator().manual_seed(position_seed(self.seed, -1 - epoch))
            self._perm, self._perm_epoch = torch.randperm(self.n, generator=g), epoch
        return int(self._perm[offset])

    def batch_at(self, step: int) -> list[tuple[int, int]]:
        base = (step * self.world_size + self.rank) * self.batch_size
        return [(self.index_at(p), p) for p in range(base, base + self.batch_size)]

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        for step in range(self.start(), self.total):
            yield self.batch_at(step)

    def __len__(self) -> int:
        return self.total
