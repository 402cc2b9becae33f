"""The results store: long-format records, one row per (run, task, dataset, mode, fraction, shots,
seed, metric). Reports read records only, never training code.

This schema sits below both the bench and sweeps (which write records) and the report (which reads them), so
none of them imports another for it.

Files: ``records.csv`` and ``records.parquet`` in an output directory, written atomically.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .errors import DataError
from .io import atomic_write

RECORD_COLUMNS: tuple[str, ...] = (
    "run_id", "backbone", "task", "dataset", "mode", "fraction", "shots", "seed", "metric", "value",
    "n_train", "n_test", "seconds",
)
# columns added by later axes; absent ones read as their default
OPTIONAL_COLUMNS: dict[str, object] = {"corruption": "clean", "severity": 0, "group": "", "n_group": -1}
# read as text whatever they look like: a hex run id such as "813e40123456" would otherwise parse as a float
TEXT_COLUMNS: tuple[str, ...] = ("run_id", "backbone", "task", "dataset", "mode", "metric", "corruption",
                                 "group", "cell", "backbone_spec", "train_corruptions", "train_skew")


def to_frame(rows: Iterable[dict]) -> pd.DataFrame:
    """Rows (dicts) -> a records frame with the contract's columns first, in order."""
    df = pd.DataFrame(list(rows))
    missing = [c for c in RECORD_COLUMNS if c not in df.columns]
    if len(df) and missing:
        raise ValueError(f"records lack columns {missing}")
    if not len(df):
        return pd.DataFrame(columns=list(RECORD_COLUMNS))
    extra = [c for c in df.columns if c not in RECORD_COLUMNS]
    return df[list(RECORD_COLUMNS) + extra]


def write_records(df: pd.DataFrame, out_dir: str | Path, stem: str = "records") -> Path:
    """Write ``stem.csv`` and ``stem.parquet`` atomically (temp file + rename). Returns the CSV path."""
    out = Path(out_dir)
    atomic_write(out / f"{stem}.parquet", lambda tmp: df.to_parquet(tmp, index=False))
    return atomic_write(out / f"{stem}.csv", lambda tmp: df.to_csv(tmp, index=False, float_format="%.10g"))


def read_records(*paths: str | Path) -> pd.DataFrame:
    """Read records from files or directories (every ``records.csv`` below a directory)."""
    frames = []
    for p in map(Path, paths):
        files = sorted(p.rglob("records.csv")) if p.is_dir() else [p]
        if not files:
            raise DataError("no records.csv found here", str(p))
        for f in files:
            if not f.is_file():
                raise DataError("records file does not exist", str(f))
            df = pd.read_csv(f, dtype=dict.fromkeys(TEXT_COLUMNS, str))
            missing = [c for c in RECORD_COLUMNS if c not in df.columns]
            if missing:
                raise DataError(f"not a records file: missing columns {missing}", str(f), 1)
            frames.append(df)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(RECORD_COLUMNS))
    for col, default in OPTIONAL_COLUMNS.items():
        if col not in df.columns:
            df[col] = default
    return df
