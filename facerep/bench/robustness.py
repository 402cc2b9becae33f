"""The robustness and subgroup axes of the benchmark, on top of the protocol.

- Corruptions (``BenchConfig.corruptions``, ``--corruptions lowres:16,24 blur:1,2,3 …``): heads are trained on
  clean features; each corrupted copy of the test crops is encoded once (cached like clean features, keyed by
  the clean digest + corruption) and scored by the same head. Records carry ``corruption`` / ``severity``
  (``clean`` / ``0``). Occlusions also record visible / occluded metrics for dense tasks
  (:mod:`facerep.bench.visibility`).
- Corrupted training (``BenchConfig.train_corruptions``, ``--train-corruptions blur:2 noise:1``, same syntax):
  the training split is augmented with a corrupted copy per listed corruption and severity (features cached
  the same way); a head sees every training sample clean and once per corrupted copy. Records carry a
  ``train_corruptions`` column (``clean`` by default) whenever a robustness option is set.
- Subgroups (``BenchConfig.groups``, ``--groups skin_tone,age``): every metric of the clean test predictions
  broken down by a subgroup label of the samples (``FaceSample.groups``), with per-group counts and bootstrap
  95 % CIs (``ci_low`` / ``ci_high``) and a ``<attr>:gap`` row (best minus worst group).
- Corruption error (:func:`degradation`): ImageNet-C's CE against a reference backbone when one is given.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from ..errors import ConfigError, FacerepError
from .corruptions import parse_corruptions
from .features import task_input
from .groups import breakdown, gaps, group_labels
from .modes import TRIVIAL
from .prepare import take
from .settings import RobustnessSettings
from .sources import FeatureKey, corrupted
from .visibility import part_metrics

CELL = ["task", "dataset", "mode", "fraction", "shots"]  # one robustness summary per backbone and cell
# training conditions: part of the cell when recorded
TRAINING = {"train_corruptions": "clean", "train_skew": ""}
ERROR_COLUMNS = ("relative_error_increase", "ce", "relative_ce")


def parse_pairs(specs: list[str], *, option: str) -> list[tuple[str, str]]:
    """The (name, severity) pairs of corruption specs (``NAME:S1,S2``); ConfigError / UnknownNameError on bad
    input, naming ``option``."""
    try:
        return parse_corruptions(list(specs))
    except FacerepError as e:
        raise type(e)(f"{option}: {e}") from None


def train_label(robustness: RobustnessSettings) -> dict[str, str]:
    """Record columns that say how the heads were trained: ``train_corruptions`` (``clean`` by default) when a
    corruption option is set, ``train_skew`` when the training split is skewed to a subgroup."""
    out = {"train_corruptions": robustness.train_label} if robustness.corrupted else {}
    return out | ({"train_skew": robustness.train_skew} if robustness.train_skew else {})


def corruption_rows(task: Any, outs: list[Any], pairs: Sequence[tuple[str, str]], test_batch: dict[str, Any],
                    truth: Any, common: dict[str, Any], regions: Mapping[FeatureKey, np.ndarray] | None = None
                    ) -> list[dict[str, Any]]:
    """Record rows of the head's outputs on each corrupted test set (``outs`` aligned with ``pairs``); with
    the occluded ``regions`` of a pair (its test features' key -> [n_test, S, S] bool), also its visible /
    occluded metrics."""
    rows = []
    for (name, sev), out in zip(pairs, outs):
        pred = task.decode(out, test_batch)
        scores = task.metrics(pred, truth)
        region = (regions or {}).get(corrupted("test", name, sev))
        if region is not None:
            scores.update(part_metrics(task, pred, truth, test_batch, region))
        rows += [dict(common, corruption=name, severity=sev, metric=m, value=float(v))
                 for m, v in scores.items()]
    return rows


def group_rows(task: Any, out: Any, test_batch: dict[str, Any], *, groups: Sequence[str], n_boot: int,
               common: dict[str, Any], metric_names: list[str]) -> list[dict[str, Any]]:
    """Per-subgroup rows (value, CI, count; ``n_boot`` bootstrap resamples) and a gap row per attribute of
    ``groups`` for the clean test predictions."""
    def score(idx: np.ndarray) -> dict[str, float]:
        sub = take(test_batch, idx)
        try:
            return task.metrics(task.decode(out[idx], sub), task.truth(sub))
        except (ValueError, FacerepError):  # e.g. a group too small for a verification protocol
            return dict.fromkeys(metric_names, math.nan)

    rows: list[dict[str, Any]] = []
    for attr in groups:
        labels = group_labels(test_batch["groups"], attr, task=task.name, dataset=common.get("dataset", ""))
        results = breakdown(score, labels, attr, n_boot=n_boot, seed=int(common.get("seed", 0)))
        rows += [dict(common, group=f"{attr}={r.group}", n_group=r.n, metric=r.metric, value=r.value,
                      ci_low=r.ci_low, ci_high=r.ci_high) for r in results]
        rows += [dict(common, group=f"{a}:gap", n_group=len(labels), metric=m, value=g)
                 for (a, m), g in gaps(results).items()]
    return rows


def _errors(df: pd.DataFrame, direction: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Whole-test-set rows of each task's primary metric, averaged over seeds, as an error E (lower is
    better): 1 - value for "max" metrics (in [0, 1]), value for "min" metrics. Columns: backbone, CELL,
    corruption, severity, value, error."""
    keep = (df["mode"] != TRIVIAL) & (df["metric"] == df["task"].map(lambda t: direction[t][0]))
    if "group" in df.columns:
        keep &= df["group"].isna() | (df["group"].astype(str) == "")
    # shots runs have no fraction (NaN): 0 keeps them apart and lets them be looked up
    sub = df[keep].assign(severity=df["severity"].astype(str), fraction=df["fraction"].fillna(0.0),
                          **{c: df[c].fillna(v).astype(str) if c in df.columns else v for c,
                             v in TRAINING.items()})
    keys = ["backbone", *CELL, *TRAINING, "corruption", "severity"]
    out = sub.groupby(keys, dropna=False, sort=False)["value"].mean().reset_index()
    out["error"] = [1.0 - v if direction[t][1] == "max" else v for t, v in zip(out["task"], out["value"])]
    return out


def degradation(df: pd.DataFrame, direction: dict[str, tuple[str, str]], reference: str = "") -> pd.DataFrame:
    """Per backbone, cell (task, dataset, mode, fraction, shots, and the training conditions
    ``train_corruptions`` / ``train_skew`` when recorded) and corruption: the primary metric on clean and each
    severity (mean over seeds) and ImageNet-C style errors (Hendrycks & Dietterich, "Benchmarking neural
    network robustness to common corruptions and perturbations", ICLR 2019), with E = 1 - value for "max"
    metrics, value for "min" metrics:

    - ``relative_error_increase`` = mean_s (E_s,c - E_clean) / E_clean (no reference needed);
    - with ``reference`` (a backbone in ``df``): ``ce`` = sum_s E^f_s,c / sum_s E^ref_s,c (the CE of the
      paper) and ``relative_ce`` = sum_s (E^f_s,c - E^f_clean) / sum_s (E^ref_s,c - E^ref_clean).

    One extra row per backbone and cell with corruption ``mean``: the mean over corruptions of each column
    (``ce`` there is the paper's mCE). Raises ConfigError when ``reference`` has no records or lacks a
    cell."""
    err = _errors(df, direction)
    if reference and reference not in set(err["backbone"]):
        raise ConfigError(f"reference backbone {reference!r} is not in the records; backbones there: "
                          f"{', '.join(sorted(set(map(str, err['backbone'])))) or '(none)'}")
    cell_keys = [*CELL, *TRAINING]
    ref = err[err["backbone"] == reference].set_index([*cell_keys, "corruption", "severity"])["error"] \
        if reference else None
    rows: list[dict[str, Any]] = []
    for key, g in err.groupby(["backbone", *cell_keys], dropna=False, sort=False):
        cell = dict(zip(["backbone", *cell_keys], key))
        clean = g[g["corruption"] == "clean"]
        if not len(clean):
            continue
        e_clean = float(clean["error"].iloc[0])
        cell_rows = []
        for corr, c in g[g["corruption"] != "clean"].groupby("corruption", sort=False):
            row = dict(cell, corruption=corr, metric=direction[cell["task"]][0],
                       clean=float(clean["value"].iloc[0]),
                       **{f"severity {s}": v for s, v in zip(c["severity"], c["value"])})
            row["relative_error_increase"] = (float(np.mean((c["error"] - e_clean) / e_clean)) if e_clean
                                              else math.nan)
            if ref is not None:
                row.update(_ce(ref, cell, corr, list(c["severity"]), c["error"].to_numpy(), e_clean))
            cell_rows.append(row)
        if cell_rows:
            means = {k: float(np.nanmean([r[k] for r in cell_rows]))
                     for k in ERROR_COLUMNS if k in cell_rows[0]}
            cell_rows.append(dict(cell, corruption="mean", metric=cell_rows[0]["metric"],
                                  clean=cell_rows[0]["clean"], **means))
        rows += cell_rows
    out = pd.DataFrame(rows)
    sev = [c for c in out.columns if c.startswith("severity ")]
    return out[[c for c in out.columns if c not in sev and c not in ERROR_COLUMNS] + sev
               + [c for c in ERROR_COLUMNS if c in out.columns]]


def robustness_text(deg: pd.DataFrame) -> str:
    """The printed form of :func:`degradation`'s table: columns that are the same on every row (dataset, mode,
    fraction, shots, training conditions) left out, severity columns named by their severity."""
    if not len(deg):
        return "(no corruption rows)"
    same = ("dataset", "mode", "fraction", "shots", *TRAINING)
    drop = [c for c in same if c in deg.columns and deg[c].nunique() <= 1]
    view = deg.drop(columns=drop).rename(columns=lambda c: c.removeprefix("severity "))
    return view.to_string(index=False, float_format=lambda v: f"{v:.4f}", na_rep="-")


def _ce(ref: pd.Series, cell: dict[str, Any], corr: str, sevs: list[str], errors: np.ndarray,
        e_clean: float) -> dict[str, float]:
    """CE and relative CE of one corruption against the reference's errors on the same cell and severities."""
    base = tuple(cell[k] for k in [*CELL, *TRAINING])
    try:
        r = np.array([ref.loc[(*base, corr, s)] for s in sevs], dtype=np.float64)
        r_clean = float(ref.loc[(*base, "clean", "0")])
    except KeyError:
        raise ConfigError(f"reference backbone has no records for task {cell['task']!r}, dataset "
                          f"{cell['dataset']!r}, {corr} (run it with the same protocol and corruptions)"
                          ) from None
    den, rel_den = float(r.sum()), float((r - r_clean).sum())
    return {"ce": float(errors.sum()) / den if den else math.nan,
            "relative_ce": float((errors - e_clean).sum()) / rel_den if rel_den else math.nan}


def augmented_inputs(feats: list[Any], idx: np.ndarray, y: Any, groups: np.ndarray | None, *, kind: str,
                     grid: int) -> tuple[Any, Any, np.ndarray | None]:
    """Training inputs of one subset over the clean features and each ``--train-corruptions`` copy (``feats``:
    clean first): x [n·(1+k), ...] (clean rows first, then each copy in order), targets y and groups
    repeated."""
    x = torch.cat([task_input(f, idx, kind=kind, grid=grid) for f in feats])
    return (x, *repeat_labels(y, groups, len(feats)))


def repeat_labels(y: Any, groups: np.ndarray | None, reps: int) -> tuple[Any, np.ndarray | None]:
    """Targets [n, ...] and groups [n] of ``reps`` stacked copies of the same n faces (copy by copy).

    The copies of one face always share a group: without ``groups`` (no identity, subject or video ids, or a
    task that holds out single samples) each face is its own group. Otherwise a penalty search that holds out
    one row would keep the row's mirrored or corrupted twin in the training rows, reward memorising faces, and
    pick the smallest penalty (measured: below-majority expression accuracy on a folder set without subject
    ids)."""
    if groups is None and reps > 1:
        groups = np.arange(len(y))
    return y.repeat(reps, *([1] * (y.dim() - 1))), (None if groups is None else np.tile(groups, reps))
