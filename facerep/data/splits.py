"""Seeded, deterministic train/test splits and few-shot subsets (pure numpy).

Conventions shared by every function:
- ``groups`` / ``stratify`` / ``labels`` arrays are *aligned* with the indices they describe: for
  ``split_train_test`` they have length ``n``; for ``nested_subsets`` / ``shots_subset`` they have the length
  of ``train_idx`` (``labels[i]`` belongs to sample ``train_idx[i]``; pass ``all_labels[train_idx]``).
- Returned index arrays hold values of ``train_idx`` (dataset indices), sorted ascending, dtype int64.
- Randomness comes only from ``np.random.default_rng(seed)``; classes / groups are visited in ``np.unique``
  order, so the same arguments always give the same indices (on every platform numpy supports).
"""

from __future__ import annotations

from typing import overload

import numpy as np

from facerep.errors import ConfigError, DataError


@overload
def _aligned(values: np.ndarray, n: int, name: str, against: str) -> np.ndarray: ...
@overload
def _aligned(values: None, n: int, name: str, against: str) -> None: ...
def _aligned(values: np.ndarray | None, n: int, name: str, against: str) -> np.ndarray | None:
    if values is None:
        return None
    a = np.asarray(values)
    if a.ndim != 1 or a.shape[0] != n:
        raise ConfigError(
            f"{name} must be a 1-D array aligned with {against} (length {n}); got shape {a.shape}"
        )
    return a


def _check_fraction(f: float, name: str = "fraction") -> float:
    f = float(f)
    if not 0.0 < f <= 1.0:
        raise ConfigError(f"{name} must be in (0, 1]; got {f:g}")
    return f


def _group_test_mask(groups: np.ndarray, test_fraction: float, rng: np.random.Generator) -> np.ndarray:
    uniq, inverse = np.unique(groups, return_inverse=True)
    if uniq.size < 2:
        raise ConfigError(f"a group-disjoint split needs at least 2 groups; got {uniq.size}")
    n_test = int(np.clip(round(test_fraction * uniq.size), 1, uniq.size - 1))
    test_groups = rng.permutation(uniq.size)[:n_test]
    return np.isin(inverse, test_groups)


def _stratified_test_mask(labels: np.ndarray, test_fraction: float, rng: np.random.Generator) -> np.ndarray:
    mask = np.zeros(labels.size, dtype=bool)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        k = round(test_fraction * members.size)
        if members.size >= 2:
            k = int(np.clip(k, 1, members.size - 1))  # every class on both sides when it can be
        mask[rng.permutation(members)[:k]] = True
    return mask


def _stratified_group_test_mask(groups: np.ndarray, labels: np.ndarray, test_fraction: float,
                                rng: np.random.Generator) -> np.ndarray:
    """Whole groups to test, drawn per class of each group's most common label (as
    :func:`_stratified_test_mask` draws samples per class)."""
    uniq, inverse = np.unique(groups, return_inverse=True)
    if uniq.size < 2:
        raise ConfigError(f"a group-disjoint split needs at least 2 groups; got {uniq.size}")
    lab = np.unique(labels, return_inverse=True)[1]
    counts = np.zeros((uniq.size, lab.max() + 1), np.int64)
    np.add.at(counts, (inverse, lab), 1)
    test_groups = np.flatnonzero(_stratified_test_mask(counts.argmax(1), test_fraction, rng))
    if test_groups.size in (0, uniq.size):  # one side would be empty: a plain group draw
        return _group_test_mask(groups, test_fraction, rng)
    return np.isin(inverse, test_groups)


def split_train_test(
    n: int,
    groups: np.ndarray | None = None,
    test_fraction: float = 0.3,
    seed: int = 0,
    stratify: np.ndarray | None = None,
    stratify_groups: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/test split of ``range(n)`` -> (train_idx, test_idx), sorted int64.

    With ``groups`` [n] (identity / subject / video ids): group-disjoint; round(test_fraction * n_groups)
    groups (at least 1, leaving at least 1) drawn by seed go to test, like sklearn's GroupShuffleSplit
    (``stratify`` is then ignored: disjointness comes first; with ``stratify_groups`` the groups are drawn per
    class of their most common ``stratify`` label, e.g. for near-duplicate groups, mostly single faces). Else
    with ``stratify`` [n] labels: each class sends round(test_fraction * n_c) samples to test (1 .. n_c - 1
    when n_c >= 2). Else a plain seeded split.
    """
    if n < 2:
        raise ConfigError(f"cannot split {n} sample(s) into train and test")
    if not 0.0 < test_fraction < 1.0:
        raise ConfigError(f"test_fraction must be in (0, 1); got {test_fraction:g}")
    rng = np.random.default_rng(seed)
    g = _aligned(groups, n, "groups", "range(n)")
    s = _aligned(stratify, n, "stratify", "range(n)")
    if g is not None and s is not None and stratify_groups:
        test = _stratified_group_test_mask(g, s, test_fraction, rng)
    elif g is not None:
        test = _group_test_mask(g, test_fraction, rng)
    elif s is not None:
        test = _stratified_test_mask(s, test_fraction, rng)
    else:
        k = int(np.clip(round(test_fraction * n), 1, n - 1))
        test = np.zeros(n, dtype=bool)
        test[rng.permutation(n)[:k]] = True
    return np.flatnonzero(~test).astype(np.int64), np.flatnonzero(test).astype(np.int64)


def check_disjoint(
    train_groups: np.ndarray,
    test_groups: np.ndarray,
    *,
    what: str = "identity",
    task: str = "",
    dataset: str = "",
) -> None:
    """Raise :class:`DataError` when train and test share any ``what`` id (identity leakage).

    The message names the task, the dataset, how many ids are shared and up to 5 examples.
    train_groups: [n_train]; test_groups: [n_test] (ids of each sample; repeats are fine).
    """
    shared = np.intersect1d(np.asarray(train_groups), np.asarray(test_groups))
    if shared.size:
        where = " ".join(
            x for x in (f"task {task!r}" if task else "", f"dataset {dataset!r}" if dataset else "") if x
        )
        examples = ", ".join(str(x) for x in shared[:5].tolist())
        raise DataError(
            f"{where + ': ' if where else ''}train and test share {shared.size} {what} id(s) "
            f"(e.g. {examples}); the split leaks {what} -- use a {what}-disjoint split"
        )


def _prefix_size(f: float, total: int) -> int:
    return max(1, round(f * total))


def nested_subsets(
    train_idx: np.ndarray,
    fractions: list[float],
    seed: int,
    stratify: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> dict[float, np.ndarray]:
    """Nested few-shot subsets of ``train_idx``: {fraction: sorted indices}, with subset(f1) ⊂ subset(f2) for
    f1 < f2 (one seeded order, prefixes taken; every fraction in (0, 1], else :class:`ConfigError`).

    - ``groups`` (aligned with train_idx; takes precedence): whole groups in a seeded order, the shortest
      prefix of groups holding >= fraction * n samples (at least one group) -- for recognition-style tasks.
    - ``stratify`` (aligned labels): per class, one seeded order and a prefix of max(1, round(f * n_c)), so
      each class keeps its proportion and has at least 1 sample.
    - neither: one seeded permutation, prefix of max(1, round(f * n)).
    """
    idx = np.asarray(train_idx, dtype=np.int64).ravel()
    if idx.size == 0:
        raise ConfigError("train_idx is empty: no training sample to subset")
    fr = [_check_fraction(f) for f in fractions]
    g = _aligned(groups, idx.size, "groups", "train_idx")
    s = _aligned(stratify, idx.size, "stratify", "train_idx")
    rng = np.random.default_rng(seed)
    if g is not None:
        uniq, inverse = np.unique(g, return_inverse=True)
        order = rng.permutation(uniq.size)
        cum = np.cumsum(np.bincount(inverse, minlength=uniq.size)[order])
        rank = np.empty(uniq.size, dtype=np.int64)
        rank[order] = np.arange(uniq.size)
        out = {}
        for f in fr:
            n_groups = min(int(np.searchsorted(cum, f * idx.size - 1e-9)) + 1, uniq.size)
            out[f] = np.sort(idx[rank[inverse] < n_groups])
        return out
    if s is not None:
        perms = [rng.permutation(np.flatnonzero(s == c)) for c in np.unique(s)]
        return {f: np.sort(idx[np.concatenate([p[: _prefix_size(f, p.size)] for p in perms])]) for f in fr}
    perm = rng.permutation(idx.size)
    return {f: np.sort(idx[perm[: _prefix_size(f, idx.size)]]) for f in fr}


def shots_subset(train_idx: np.ndarray, labels: np.ndarray, shots: int, seed: int) -> np.ndarray:
    """K = ``shots`` samples per class (or per identity: pass identity ids as labels) -> sorted indices.

    Nested over K for one seed: each class has one seeded order (independent of K) and its first K are taken.
    labels: aligned with train_idx. K < 1, or K larger than the smallest class -> :class:`ConfigError` naming
    the class and its size.
    """
    idx = np.asarray(train_idx, dtype=np.int64).ravel()
    lab = _aligned(labels, idx.size, "labels", "train_idx")
    if idx.size == 0:
        raise ConfigError("train_idx is empty: no training sample to draw shots from")
    if int(shots) != shots or shots < 1:
        raise ConfigError(f"shots must be a positive integer; got {shots}")
    classes, counts = np.unique(lab, return_counts=True)
    small = int(np.argmin(counts))
    if shots > counts[small]:
        raise ConfigError(
            f"shots={shots} is larger than class {classes[small].tolist()!r}, which has only "
            f"{counts[small]} training sample(s); use shots <= {counts[small]}"
        )
    rng = np.random.default_rng(seed)
    picks = [rng.permutation(np.flatnonzero(lab == c))[:shots] for c in classes]
    return np.sort(idx[np.concatenate(picks)])


def _draw_unique_pairs(draw, need: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Rejection-sample ``need`` distinct unordered pairs from ``draw(rng, size) -> (a, b)``; -> [need, 2]."""
    seen: set[int] = set()
    keys: list[int] = []
    while len(keys) < need:
        a, b = draw(rng, max(1024, 2 * (need - len(keys))))
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        for key in (lo * n + hi)[lo != hi].tolist():
            if key not in seen:
                seen.add(key)
                keys.append(key)
                if len(keys) == need:
                    break
    k = np.asarray(keys, dtype=np.int64)
    return np.stack([k // n, k % n], axis=1) if need else np.zeros((0, 2), np.int64)


def recognition_pairs(ids: np.ndarray, n_pairs: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Balanced verification pairs drawn by seed -> (i, j, same): [n_pairs] int64, int64, bool, i < j.

    n_pairs // 2 same-identity pairs, drawn uniformly among all same-identity pairs, and the rest
    different-identity pairs, drawn uniformly among all different-identity pairs; no pair repeats. The pairs
    are returned in a seeded random order, so contiguous blocks (the LFW folds of
    :func:`facerep.bench.metrics.verification_accuracy`) mix both kinds. ids: [n] identity of each sample.
    Asking for more pairs of a kind than exist -> :class:`ConfigError`.
    """
    lab = np.asarray(ids).ravel()
    n = lab.size
    if n_pairs < 2:
        raise ConfigError(f"n_pairs must be >= 2; got {n_pairs}")
    uniq, inverse, counts = np.unique(lab, return_inverse=True, return_counts=True)
    per_class = counts * (counts - 1) // 2
    n_same, n_diff = n_pairs // 2, n_pairs - n_pairs // 2
    possible_same = int(per_class.sum())
    possible_diff = n * (n - 1) // 2 - possible_same
    if n_same > possible_same or n_diff > possible_diff:
        raise ConfigError(
            f"cannot draw {n_same} same and {n_diff} different pairs from {n} samples of "
            f"{uniq.size} identities: only {possible_same} same and {possible_diff} different exist"
        )
    members = np.argsort(inverse, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    weights = per_class / max(possible_same, 1)

    def draw_same(r: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
        c = r.choice(uniq.size, size=size, p=weights)
        a = r.integers(0, counts[c])
        b = r.integers(0, counts[c] - 1)
        b = b + (b >= a)
        return members[starts[c] + a], members[starts[c] + b]

    def draw_diff(r: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = r.integers(0, n, size=size), r.integers(0, n, size=size)
        b = np.where(inverse[a] == inverse[b], a, b)  # same identity -> a degenerate pair, rejected
        return a, b

    rng = np.random.default_rng(seed)
    same_pairs = _draw_unique_pairs(draw_same, n_same, n, rng)
    diff_pairs = _draw_unique_pairs(draw_diff, n_diff, n, rng)
    pairs = np.concatenate([same_pairs, diff_pairs])
    same = np.concatenate([np.ones(n_same, bool), np.zeros(n_diff, bool)])
    order = rng.permutation(n_pairs)
    return pairs[order, 0], pairs[order, 1], same[order]
