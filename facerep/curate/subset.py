"""``facerep subset DATA --sizes 1k,10k --by image|identity|video --seed S [--quality-min key=value]``.

Nested subsets for the size study: units (images, identities or videos) are put in one seeded random
order, faces in a seeded order within each unit, and a subset of size n is the first n faces of that
ordering, so smaller subsets are contained in larger ones and whole units come first (only the last unit
of a subset may be cut).

The quality study: with ``--quality-min`` (e.g. ``sharpness=100 frontal=0.7``) faces below a minimum are
dropped before drawing, and for each size both a ``filtered_<size>`` and a ``raw_<size>`` subset (drawn
from every face with the same seed) are written. Sizes larger than what is available are reported and
skipped. Every subset is a manifest (``manifest:OUT/<name>.parquet``) that any command accepts.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..config import SubsetConfig, config_to_dict
from ..data.formats.manifest import write_manifest
from ..errors import ConfigError
from ..io import atomic_write_text
from .dedup import load_table, resolve_spec
from .quality import parse_minimums

BY_COLUMNS = {"image": None, "identity": ("identity", "subject"), "video": ("video",)}


def parse_size(text: str) -> int:
    """``"10k"`` -> 10000, ``"1m"`` -> 1000000, ``"2500"`` -> 2500."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not m:
        raise ConfigError(f"subset size {text!r} is not a number with an optional k or m suffix (e.g. 10k)")
    value = float(m.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()]
    if value < 1 or value != int(value):
        raise ConfigError(f"subset size {text!r} must be a whole number >= 1")
    return int(value)


def unit_keys(df: Any, by: str) -> np.ndarray:
    """The unit of each face: itself (by=image), its identity (or subject folder), or its video (images
    that are not video frames are units of their own)."""
    if by not in BY_COLUMNS:
        raise ConfigError(f"--by must be one of {', '.join(BY_COLUMNS)} (got {by!r})")
    n = len(df)
    own = np.array([f"#{i}" for i in range(n)], dtype=object)
    cols = BY_COLUMNS[by]
    if cols is None:
        return own
    for col in cols:
        if col in df.columns and df[col].notna().any():
            vals = df[col].astype(object).to_numpy()
            missing = np.array([v is None or v == "" or (isinstance(v, float) and np.isnan(v)) for v in vals])
            if by == "identity" and missing.any():
                continue
            return np.where(missing, own, np.array([f"{col}={v}" for v in vals], dtype=object))
    raise ConfigError(f"--by {by}: the data has no {' or '.join(cols)} for every face")


def nested_order(units: np.ndarray, seed: int) -> np.ndarray:
    """Row indices in the nested-subset order: units shuffled, rows shuffled within each unit."""
    rng = np.random.default_rng(seed)
    uniq, inv = np.unique(units.astype(str), return_inverse=True)
    unit_rank = rng.permutation(len(uniq))[inv]
    row_rank = rng.permutation(len(units))
    return np.lexsort((row_rank, unit_rank))


def quality_mask(df: Any, minimums: dict[str, float]) -> np.ndarray:
    mask = np.ones(len(df), bool)
    for key, low in minimums.items():
        if key not in df.columns:
            numeric = [c for c in df.columns if df[c].dtype.kind in "fiu"]
            raise ConfigError(f"--quality-min {key}: no such column; numeric columns: {', '.join(numeric)}")
        mask &= df[key].to_numpy(dtype=np.float64) >= low
    return mask


def build_subsets(data: str, out: str | Path, cfg: SubsetConfig) -> dict[str, Any]:
    """Write the subsets of ``data`` under ``out``; returns {name: faces, …, "skipped": [...]}."""
    sizes = sorted({parse_size(s) for s in cfg.sizes})
    minimums = parse_minimums(cfg.quality_min)
    _, table = load_table(resolve_spec(data))
    df = table.df
    units = unit_keys(df, cfg.by)
    pools = {"subset": np.ones(len(df), bool)}
    if minimums:
        pools = {"raw": pools["subset"], "filtered": quality_mask(df, minimums)}
    out = Path(out)
    result: dict[str, Any] = {"data": table.spec, "by": cfg.by, "seed": cfg.seed, "faces": len(df),
                              "skipped": []}
    for pool, mask in pools.items():
        rows = np.nonzero(mask)[0]
        order = rows[nested_order(units[rows], cfg.seed)]
        result[f"{pool}_available"] = len(rows)
        for n in sizes:
            name = f"{pool}_{_size_name(n)}"
            if n > len(order):
                result["skipped"].append(f"{name}: {n} faces asked, {len(order)} available")
                continue
            write_manifest(df.iloc[np.sort(order[:n])], out / f"{name}.parquet", table.base)
            result[name] = n
    atomic_write_text(out / "subsets.json", json.dumps({**result, "config": config_to_dict(cfg)}, indent=2))
    return result


def _size_name(n: int) -> str:
    for div, suffix in ((1_000_000, "m"), (1_000, "k")):
        if n % div == 0:
            return f"{n // div}{suffix}"
    return str(n)
