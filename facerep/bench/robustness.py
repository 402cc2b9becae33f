"""The robustness and subgroup axes of the benchmark, on top of the protocol.

- Corruptions (``BenchConfig.corruptions``, ``--corruptions lowres:16,24 blur:1,2,3 …``): heads are trained on clean
  features; each corrupted copy of the test crops is encoded once (cached like clean features, keyed by the clean
  digest + corruption) and scored by the same head. Records carry ``corruption`` / ``severity`` (``clean`` / ``0``).
- Subgroups (``BenchConfig.groups``, ``--groups skin_tone,age``): every metric of the clean test predictions broken
  down by a subgroup label of the samples (``FaceSample.groups``), with per-group counts and bootstrap 95 % CIs
  (``ci_low`` / ``ci_high``) and a ``<attr>:gap`` row (best minus worst group).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ConfigError, FacerepError
from .corruptions import corrupt, parse_corruptions
from .features import cached_features, default_cache_dir
from .groups import breakdown, gaps, group_labels
from .prepare import take


def corruption_pairs(cfg: Any) -> list[tuple[str, str]]:
    pairs = parse_corruptions(list(cfg.corruptions))
    if pairs and cfg.mode == "finetune":
        raise ConfigError("--corruptions evaluates heads on cached features: use --mode linear or knn")
    return pairs


def encode_corrupted(src: Any, model: Any, weights: str, cfg: Any) -> int:
    """Encode every corrupted copy of the test crops into ``src.features["test|NAME:SEV"]``; returns the number of
    images encoded this run. Corruption noise is seeded by (split_seed, dataset index), so runs repeat."""
    prep = src.test if src.official else src.train
    forwarded = 0
    for name, sev in corruption_pairs(cfg):
        key = f"test|{name}:{sev}"
        if key in src.features:
            continue
        seeds = (int(cfg.split_seed) * 1_000_003 + prep.batch["index"]).tolist()
        crops = [corrupt(c, name, sev, seed=s)[0] for c, s in zip(prep.crops, seeds)]
        feats = cached_features(model, crops, weights=weights, digest=f"{prep.digest}|{name}:{sev}",
                                name=f"{prep.name} {name}:{sev}", cache_dir=default_cache_dir(cfg.cache_dir),
                                strides=cfg.dense_strides, grid=cfg.dense_grid, batch_size=cfg.batch_size)
        forwarded += len(crops) if feats.computed else 0
        src.features[key] = feats
    return forwarded


def corruption_rows(task: Any, outs: list[Any], pairs: list[tuple[str, str]], test_batch: dict[str, Any], truth: Any,
                    common: dict[str, Any]) -> list[dict[str, Any]]:
    """Record rows of the head's outputs on each corrupted test set (``outs`` aligned with ``pairs``)."""
    rows = []
    for (name, sev), out in zip(pairs, outs):
        scores = task.metrics(task.decode(out, test_batch), truth)
        rows += [dict(common, corruption=name, severity=sev, metric=m, value=float(v)) for m, v in scores.items()]
    return rows


def group_rows(task: Any, out: Any, test_batch: dict[str, Any], cfg: Any, common: dict[str, Any],
               metric_names: list[str]) -> list[dict[str, Any]]:
    """Per-subgroup rows (value, CI, count) and a gap row per attribute for the clean test predictions."""
    def score(idx: np.ndarray) -> dict[str, float]:
        sub = take(test_batch, idx)
        try:
            return task.metrics(task.decode(out[idx], sub), task.truth(sub))
        except (ValueError, FacerepError):  # e.g. a group too small for a verification protocol
            return {m: math.nan for m in metric_names}

    rows: list[dict[str, Any]] = []
    for attr in cfg.groups:
        labels = group_labels(test_batch["groups"], attr, task=task.name, dataset=common.get("dataset", ""))
        results = breakdown(score, labels, attr, n_boot=cfg.group_bootstrap, seed=int(common.get("seed", 0)))
        rows += [dict(common, group=f"{attr}={r.group}", n_group=r.n, metric=r.metric, value=r.value,
                      ci_low=r.ci_low, ci_high=r.ci_high) for r in results]
        rows += [dict(common, group=f"{a}:gap", n_group=len(labels), metric=m, value=g)
                 for (a, m), g in gaps(results).items()]
    return rows


def degradation(df: Any, direction: dict[str, str]) -> Any:
    """Per task and corruption: mean primary-metric error over severities relative to clean, in the spirit of
    ImageNet-C's relative corruption error (Hendrycks & Dietterich 2019): error = 1 - value for "max" metrics in
    [0, 1], value for "min" metrics; ``relative = mean_s(E_c,s - E_clean) / E_clean``. Linear-mode rows only."""
    import pandas as pd

    out = []
    lin = df[(df["mode"] != "trivial") & (df["group"].isna() if "group" in df.columns else True)]
    for (task, corr), g in lin[lin["corruption"] != "clean"].groupby(["task", "corruption"], sort=False):
        name, dirn = direction[task]
        clean = lin[(lin["task"] == task) & (lin["corruption"] == "clean") & (lin["metric"] == name)]["value"].mean()
        vals = g[g["metric"] == name].groupby("severity", sort=False)["value"].mean()
        err = (lambda v: 1.0 - v) if dirn == "max" else (lambda v: v)
        e_clean = err(clean)
        rel = float(np.mean([(err(v) - e_clean) / e_clean for v in vals])) if e_clean else math.nan
        out.append(dict(task=task, corruption=corr, metric=name, clean=clean,
                        **{f"severity {s}": v for s, v in vals.items()}, relative_error_increase=rel))
    return pd.DataFrame(out)
