"""Seeded splits and few-shot subsets: nesting, stratification, disjointness, determinism, messages."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facerep.data.splits import (
    check_disjoint,
    nested_subsets,
    recognition_pairs,
    shots_subset,
    split_train_test,
)
from facerep.errors import ConfigError, DataError

FRACTIONS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]


def test_split_group_disjoint_and_deterministic():
    groups = np.repeat(np.arange(20), 5)  # 20 identities x 5
    tr, te = split_train_test(100, groups=groups, test_fraction=0.3, seed=3)
    assert np.intersect1d(groups[tr], groups[te]).size == 0
    assert np.unique(groups[te]).size == 6 and tr.size + te.size == 100
    assert np.array_equal(np.sort(np.concatenate([tr, te])), np.arange(100))
    tr2, te2 = split_train_test(100, groups=groups, test_fraction=0.3, seed=3)
    assert np.array_equal(tr, tr2) and np.array_equal(te, te2)
    _, te3 = split_train_test(100, groups=groups, test_fraction=0.3, seed=4)
    assert not np.array_equal(te, te3)
    check_disjoint(groups[tr], groups[te])  # no raise


def test_split_stratified_keeps_every_class_on_both_sides():
    labels = np.array([0] * 50 + [1] * 10 + [2] * 2)
    tr, te = split_train_test(62, stratify=labels, test_fraction=0.3, seed=0)
    assert np.bincount(labels[te]).tolist() == [15, 3, 1]
    assert np.bincount(labels[tr]).tolist() == [35, 7, 1]


def test_split_of_groups_stratified_by_their_class():
    """Near-duplicate groups (mostly single faces) are drawn per class of their most common label."""
    labels = np.array([0] * 50 + [1] * 10 + [2] * 2)
    groups = np.arange(62) // 2  # pairs of faces: the same class within a pair
    tr, te = split_train_test(62, groups=groups, stratify=labels, stratify_groups=True, test_fraction=0.3, seed=0)
    assert np.intersect1d(groups[tr], groups[te]).size == 0
    assert np.bincount(labels[te], minlength=3).tolist() == [16, 4, 0]  # 8 of 25 pairs, 2 of 5, 0 of the 1
    assert set(labels[tr]) == {0, 1, 2}
    plain = split_train_test(62, groups=groups, stratify=labels, test_fraction=0.3, seed=0)[1]
    assert not np.array_equal(plain, te)  # without stratify_groups the labels are ignored, as before


def test_split_bad_options():
    with pytest.raises(ConfigError, match="test_fraction"):
        split_train_test(10, test_fraction=1.0)
    with pytest.raises(ConfigError, match="at least 2 groups"):
        split_train_test(10, groups=np.zeros(10))
    with pytest.raises(ConfigError, match="aligned"):
        split_train_test(10, groups=np.arange(5))


def test_check_disjoint_message_names_task_dataset_count_and_examples():
    with pytest.raises(DataError) as e:
        check_disjoint(
            np.array([1, 2, 3, 3]),
            np.array([3, 2, 9]),
            what="subject",
            task="au",
            dataset="disfa:/data/disfa",
        )
    msg = str(e.value)
    assert "'au'" in msg and "disfa:/data/disfa" in msg and "share 2 subject" in msg and "e.g. 2, 3" in msg


def test_nested_subsets_plain_nested_sizes_deterministic():
    train = np.arange(1000, 1400)  # values of train_idx are returned, not positions
    out = nested_subsets(train, FRACTIONS, seed=1)
    sizes = [out[f].size for f in FRACTIONS]
    assert sizes == [4, 8, 20, 40, 80, 200, 400]
    for a, b in itertools.pairwise(FRACTIONS):
        assert np.isin(out[a], out[b]).all()
    assert np.isin(out[1.0], train).all() and np.array_equal(out[1.0], train)
    again = nested_subsets(train, FRACTIONS, seed=1)
    assert all(np.array_equal(out[f], again[f]) for f in FRACTIONS)
    assert not np.array_equal(out[0.1], nested_subsets(train, FRACTIONS, seed=2)[0.1])


def test_nested_subsets_stratified_proportions_and_minimum_one():
    labels = np.array([0] * 300 + [1] * 90 + [2] * 10)
    train = np.arange(400)[::-1].copy()  # any order; labels aligned with it
    out = nested_subsets(train, FRACTIONS, seed=0, stratify=labels)
    lab_of = dict(zip(train.tolist(), labels.tolist()))
    counts = {f: np.bincount([lab_of[i] for i in out[f]], minlength=3).tolist() for f in FRACTIONS}
    assert counts[0.01] == [3, 1, 1]  # rare class still present
    assert counts[0.1] == [30, 9, 1] and counts[0.5] == [150, 45, 5] and counts[1.0] == [300, 90, 10]
    for a, b in itertools.pairwise(FRACTIONS):
        assert np.isin(out[a], out[b]).all()


def test_nested_subsets_groups_take_whole_groups():
    groups = np.repeat(np.arange(10), 10)
    out = nested_subsets(np.arange(100), [0.05, 0.3, 0.35, 1.0], seed=0, groups=groups)
    for f, n_groups in [(0.05, 1), (0.3, 3), (0.35, 4), (1.0, 10)]:
        g = groups[out[f]]
        assert np.unique(g).size == n_groups and out[f].size == 10 * n_groups  # whole groups only
    assert np.isin(out[0.3], out[0.35]).all()


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5])
def test_nested_subsets_bad_fraction(bad):
    with pytest.raises(ConfigError, match=f"got {bad:g}"):
        nested_subsets(np.arange(10), [0.5, bad], seed=0)


def test_nested_subsets_misaligned_labels_rejected():
    with pytest.raises(ConfigError, match="aligned with train_idx"):
        nested_subsets(np.arange(5, 10), [0.5], seed=0, stratify=np.zeros(10))


def test_shots_subset_per_class_nested_and_error():
    labels = np.array([0] * 6 + [1] * 4 + [2] * 9)
    train = np.arange(100, 119)
    subsets = {k: shots_subset(train, labels, k, seed=5) for k in (1, 2, 4)}
    for k, s in subsets.items():
        assert np.bincount(labels[s - 100]).tolist() == [k, k, k]
    assert np.isin(subsets[1], subsets[2]).all() and np.isin(subsets[2], subsets[4]).all()
    assert np.array_equal(subsets[2], shots_subset(train, labels, 2, seed=5))
    with pytest.raises(ConfigError, match=r"shots=5 .* class 1.* only 4"):
        shots_subset(train, labels, 5, seed=0)
    with pytest.raises(ConfigError, match="positive integer"):
        shots_subset(train, labels, 0, seed=0)


def test_recognition_pairs_balanced_unique_deterministic():
    ids = np.repeat(np.arange(8), 5)
    i, j, same = recognition_pairs(ids, 60, seed=2)
    assert same.sum() == 30 and (~same).sum() == 30
    assert np.array_equal(ids[i] == ids[j], same) and np.all(i < j)
    assert len({(a, b) for a, b in zip(i.tolist(), j.tolist())}) == 60
    assert same[:30].sum() not in (0, 30)  # shuffled: first LFW-style block mixes kinds
    i2, j2, s2 = recognition_pairs(ids, 60, seed=2)
    assert np.array_equal(i, i2) and np.array_equal(j, j2) and np.array_equal(same, s2)


def test_recognition_pairs_exhaustive_and_too_many():
    ids = np.array([0, 0, 1, 1, 2])  # 2 same pairs, 8 different pairs exist
    i, j, same = recognition_pairs(ids, 4, seed=0)
    assert sorted(zip(i[same].tolist(), j[same].tolist())) == [(0, 1), (2, 3)]
    with pytest.raises(ConfigError, match="only 2 same"):
        recognition_pairs(ids, 6, seed=0)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(5, 120),
    n_classes=st.integers(1, 6),
    seed=st.integers(0, 2**16),
    fracs=st.lists(st.floats(0.01, 1.0), min_size=1, max_size=6, unique=True),
    mode=st.sampled_from(["plain", "strat", "group"]),
)
def test_nested_property(n, n_classes, seed, fracs, mode):
    r = np.random.default_rng(seed)
    train = np.sort(r.choice(10 * n, size=n, replace=False))
    lab = r.integers(0, n_classes, size=n)
    kw = {"plain": {}, "strat": {"stratify": lab}, "group": {"groups": lab}}[mode]
    out = nested_subsets(train, fracs, seed=seed, **kw)
    ordered = sorted(fracs)
    for a, b in itertools.pairwise(ordered):
        assert np.isin(out[a], out[b]).all()
    for f in fracs:
        assert out[f].size >= 1 and np.isin(out[f], train).all() and np.unique(out[f]).size == out[f].size
        if mode == "group":  # whole groups only
            chosen = np.isin(train, out[f])
            assert not np.intersect1d(lab[chosen], lab[~chosen]).size
