"""The step-addressed sampler, the seeded subset and the corrupt-sample skip of the view stream."""
from __future__ import annotations

import pytest
import torch
from pretrain_helpers import random_faces

from facerep.errors import DataError
from facerep.pretrain.data import StepBatchSampler, Subset, ViewDataset, collate_views


def test_ranks_take_disjoint_slices_of_one_global_order():
    one = StepBatchSampler(n=10, batch_size=4, total=5, seed=3)
    r0 = StepBatchSampler(n=10, batch_size=2, total=5, seed=3, rank=0, world_size=2)
    r1 = StepBatchSampler(n=10, batch_size=2, total=5, seed=3, rank=1, world_size=2)
    for a, b, c in zip(one, r0, r1):
        assert a == b + c
    positions = [p for batch in StepBatchSampler(n=10, batch_size=4, total=5, seed=3) for _, p in batch]
    assert positions == list(range(20))
    first_pass = [i for batch in StepBatchSampler(n=10, batch_size=5, total=2, seed=3) for i, _ in batch]
    assert sorted(first_pass) == list(range(10))  # each pass is a permutation


def test_start_position_continues_the_same_batches():
    full = list(StepBatchSampler(n=7, batch_size=3, total=6, seed=1))
    resumed = StepBatchSampler(n=7, batch_size=3, total=6, seed=1, start=lambda: 4)
    assert list(resumed) == full[4:] and len(resumed) == 6


def test_views_are_a_function_of_position():
    from facerep.config import PretrainConfig
    from facerep.pretrain.methods import get_method

    cfg = PretrainConfig(method="simclr", image_size=32)
    ds = ViewDataset(random_faces(4), get_method("simclr").views(cfg), seed=0)
    a, b, c = ds[(1, 5)], ds[(1, 5)], ds[(1, 6)]
    assert all(torch.equal(x, y) for x, y in zip(a["views"], b["views"]))
    assert not torch.equal(a["views"][0], c["views"][0])


def test_corrupt_sample_is_replaced_and_reported():
    from facerep.config import PretrainConfig
    from facerep.pretrain.methods import get_method

    base = random_faces(4)

    class Broken:
        info = base.info

        def __len__(self):
            return 4

        def __getitem__(self, i):
            if i == 2:
                raise DataError("cannot decode image", "face2.png")
            return base[i]

    ds = ViewDataset(Broken(), get_method("supervised").views(PretrainConfig(method="supervised", image_size=32)), seed=0)
    batch = collate_views([ds[(i, i)] for i in range(4)])
    assert batch["views"][0].shape[0] == 4 and batch["identity"].tolist()[2] == base[3].identity
    assert len(batch["skipped"]) == 1 and "face2.png" in batch["skipped"][0]


def test_subset_is_seeded():
    ds = random_faces(10)
    a, b, c = Subset(ds, 4, seed=0), Subset(ds, 4, seed=0), Subset(ds, 4, seed=1)
    assert len(a) == 4 and a.indices == b.indices and a.indices != c.indices
    assert a[0] is ds[a.indices[0]]


def test_empty_dataset_is_a_clear_error():
    with pytest.raises(DataError, match="empty"):
        StepBatchSampler(n=0, batch_size=2, total=1, seed=0)
