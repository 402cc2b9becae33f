"""Run metadata for reports and sweep outputs: library versions, configs and skipped samples found
in result directories."""
from __future__ import annotations

import importlib.metadata as md
import json
import platform
from pathlib import Path
from typing import Any

import pandas as pd

from .tables import VARIANT_COLUMNS

CONFIG_NAMES = ("config.yaml", "config.json", "sweep.json", "sweep_spec.yaml")


def versions() -> dict[str, str]:
    """Versions of Python, facerep and the main libraries (those importable)."""
    out = {"python": platform.python_version()}
    for pkg in ("facerep", "torch", "timm", "lightning", "lightly", "numpy", "pandas", "matplotlib"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            continue
    return out


def find_configs(root: Path, limit: int = 20) -> list[tuple[Path, str]]:
    """``(path, text)`` of the config files right under ``root`` and one level below, at most ``limit``."""
    found: list[tuple[Path, str]] = []
    for pattern in CONFIG_NAMES:
        for p in sorted(root.glob(pattern)) + sorted(root.glob(f"*/{pattern}")):
            if p.is_file() and len(found) < limit:
                found.append((p, p.read_text(errors="replace")))
    return found


def sweep_info(root: Path) -> dict[str, Any]:
    """``sweep.json`` of a sweep directory, or {}."""
    p = root / "sweep.json"
    try:
        return json.loads(p.read_text()) if p.is_file() else {}
    except json.JSONDecodeError:
        return {}


def pretrain_seconds(root: Path) -> dict[str, float]:
    """Wall seconds of the finished pre-training cells of a sweep directory, by the backbone label its
    evaluation records carry (a resumed run counts its last session only); {} for other directories."""
    out: dict[str, float] = {}
    for cell_json in sorted(root.glob("cells/*/cell.json")):
        try:
            cell = json.loads(cell_json.read_text())
            done = json.loads((cell_json.parent / "done").read_text())
        except (OSError, json.JSONDecodeError):
            continue  # unfinished cell
        if cell.get("kind") == "pretrain":
            out[str(cell["label"])] = out.get(str(cell["label"]), 0.0) + float(done.get("seconds", 0.0))
    return out


def skipped_samples(root: Path) -> pd.DataFrame:
    """Every ``skipped.csv`` below ``root`` (samples a run skipped as unreadable), with a ``file`` column."""
    frames = []
    for p in sorted(root.rglob("skipped.csv")):
        try:
            df = pd.read_csv(p)
        except (pd.errors.EmptyDataError, pd.errors.ParserError):
            continue
        df.insert(0, "file", str(p))
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def robustness_summaries(source: Path) -> pd.DataFrame:
    """The bench's ``robustness.csv`` of a source (relative error increase per task and corruption, and
    whatever else the bench wrote there), with a ``backbone`` column taken from the ``records.csv`` beside
    each file when the file has none. A directory: its own ``robustness.csv``, else every one below it; a
    records file: the one beside it."""
    if source.is_dir():
        top = source / "robustness.csv"
        files = [top] if top.is_file() else sorted(source.rglob("robustness.csv"))
    else:
        files = [source.parent / "robustness.csv"] if (source.parent / "robustness.csv").is_file() else []
    frames = []
    for p in files:
        try:
            df = pd.read_csv(p)
        except (pd.errors.EmptyDataError, pd.errors.ParserError):
            continue
        rec = p.parent / "records.csv"
        beside = (pd.read_csv(rec, usecols=lambda c: c in ("backbone", *VARIANT_COLUMNS)) if rec.is_file()
                  else None)
        if "backbone" not in df.columns:
            names = (beside["backbone"].astype(str).unique() if beside is not None and "backbone" in beside
                     else [])
            df.insert(0, "backbone", " / ".join(sorted(names)) or "?")
        for col in VARIANT_COLUMNS:  # how the run's heads were trained, when the run has one way
            values = beside[col].dropna().unique() if beside is not None and col in beside else []
            if col not in df.columns and len(values) == 1:
                df[col] = values[0]
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
