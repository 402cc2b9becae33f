"""Subgroup axis: every metric broken down by a subgroup label, with bootstrap 95 % CIs and the gap
between the best and the worst group.

The breakdown is metric-agnostic: the caller passes ``score(indices) -> {metric: value}`` that
evaluates the task's metrics on a subset of the test set. CIs are percentile bootstrap intervals
(Efron & Tibshirani 1993, ch. 13): resample the group's test samples with replacement ``n_boot``
times, recompute the metric, take the 2.5 and 97.5 percentiles.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError

MIN_BOOTSTRAP = 5  # a group smaller than this gets no CI (reported, with a warning)


@dataclass(frozen=True)
class GroupResult:
    attribute: str
    group: str
    metric: str
    value: float
    ci_low: float
    ci_high: float
    n: int


def group_labels(groups: Sequence[dict[str, str]], attribute: str, *, task: str = "",
                 dataset: str = "") -> np.ndarray:
    """The ``attribute`` value of each test sample (from ``FaceSample.groups``); refuses an attribute
    no sample has, naming the ones available."""
    if not any(attribute in g for g in groups):
        have = sorted({k for g in groups for k in g})
        raise ConfigError(f"task {task}, dataset {dataset}: no subgroup attribute {attribute!r}; "
                          f"available: {', '.join(have) or '(none)'}")
    return np.array([g.get(attribute, "unknown") for g in groups], dtype=object)


def breakdown(score: Callable[[np.ndarray], dict[str, float]], labels: np.ndarray, attribute: str, *,
              n_boot: int = 200, seed: int = 0) -> list[GroupResult]:
    """Per-group metric values with bootstrap 95 % CIs. ``labels``: [N] group of each test sample."""
    rng = np.random.default_rng(seed)
    out: list[GroupResult] = []
    for g in sorted(set(labels.tolist())):
        idx = np.flatnonzero(labels == g)
        point = score(idx)
        boots: dict[str, list[float]] = {m: [] for m in point}
        if len(idx) >= MIN_BOOTSTRAP:
            for _ in range(n_boot):
                for m, v in score(rng.choice(idx, size=len(idx), replace=True)).items():
                    boots[m].append(v)
        else:
            warnings.warn(f"subgroup {attribute}={g} has {len(idx)} test samples (< {MIN_BOOTSTRAP}): "
                          "reported without a confidence interval", stacklevel=2)
        for m, v in point.items():
            b = np.asarray(boots[m], dtype=np.float64)
            b = b[np.isfinite(b)]
            lo, hi = (np.percentile(b, [2.5, 97.5]) if len(b) else (np.nan, np.nan))
            out.append(GroupResult(attribute, str(g), m, float(v), float(lo), float(hi), len(idx)))
    return out


def gaps(results: Sequence[GroupResult]) -> dict[tuple[str, str], float]:
    """Best minus worst group value per (attribute, metric) (absolute difference)."""
    by: dict[tuple[str, str], list[float]] = {}
    for r in results:
        if np.isfinite(r.value):
            by.setdefault((r.attribute, r.metric), []).append(r.value)
    return {k: float(max(v) - min(v)) for k, v in by.items() if len(v) >= 2}


def parse_skew(spec: str) -> tuple[str, str, float]:
    """``"skin_tone=light"`` -> ("skin_tone", "light", 1.0); ``"skin_tone=light:0.8"`` -> share 0.8."""
    attr, sep, rest = spec.partition("=")
    value, _, share_text = rest.partition(":")
    try:
        share = float(share_text) if share_text.strip() else 1.0
    except ValueError:
        share = -1.0
    if not sep or not attr.strip() or not value.strip() or not 0.0 < share <= 1.0:
        raise ConfigError(f"train_skew {spec!r}: expected ATTR=VALUE or ATTR=VALUE:SHARE with 0 < SHARE <= 1 "
                          "(e.g. skin_tone=light:0.9)")
    return attr.strip(), value.strip(), share


def skew_positions(positions: np.ndarray, labels: np.ndarray, value: str, share: float, seed: int, *,
                   attribute: str = "") -> np.ndarray:
    """A training split skewed to one subgroup: every position whose label is ``value`` plus a seeded random
    subset of the others, so that ``value`` makes up ``share`` of the result (all of it at share 1.0;
    unchanged when the split already has that share). positions, labels: [N] -> sorted positions [M]."""
    mine = labels == value
    if not mine.any():
        have = ", ".join(sorted(set(map(str, labels.tolist()))))
        raise ConfigError(f"train_skew: no training sample has {attribute}={value}; values there: {have}")
    others = np.flatnonzero(~mine)
    n_keep = min(len(others), round(float(mine.sum()) * (1.0 - share) / share))
    kept = np.random.default_rng(seed).choice(others, size=n_keep, replace=False) if n_keep else others[:0]
    return np.sort(positions[np.r_[np.flatnonzero(mine), kept]])
