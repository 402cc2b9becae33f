"""Subgroup axis: every metric broken down by a subgroup label, with bootstrap 95 % CIs and the gap
between the best and the worst group.

The breakdown is metric-agnostic: the caller passes ``score(indices) -> {metric: value}`` that
evaluates the task's metrics on a subset of the test set. CIs are percentile bootstrap intervals
(Efron & Tibshirani 1993, ch. 13): resample the group's test samples with replacement ``n_boot``
times, recompute the metric, take the 2.5 and 97.5 percentiles.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable, Sequence

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


def group_labels(groups: Sequence[dict[str, str]], attribute: str, *, task: str = "", dataset: str = "") -> np.ndarray:
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
            out.append(GroupResult(attribute, str(g), m, float(v), float(lo), float(hi), int(len(idx))))
    return out


def gaps(results: Sequence[GroupResult]) -> dict[tuple[str, str], float]:
    """Best minus worst group value per (attribute, metric) (absolute difference)."""
    by: dict[tuple[str, str], list[float]] = {}
    for r in results:
        if np.isfinite(r.value):
            by.setdefault((r.attribute, r.metric), []).append(r.value)
    return {k: float(max(v) - min(v)) for k, v in by.items() if len(v) >= 2}
