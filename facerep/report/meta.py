"""Run metadata for reports and sweep outputs: library versions, configs and skipped samples found
in result directories."""
from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import pandas as pd

CONFIG_NAMES = ("config.yaml", "config.json", "sweep.json", "sweep_spec.yaml")


def versions() -> dict[str, str]:
    """Versions of Python, facerep and the main libraries (those importable)."""
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in ("facerep", "torch", "timm", "lightning", "lightly", "numpy", "pandas", "matplotlib"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            continue
    return out


def find_configs(root: Path, limit: int = 20) -> list[tuple[Path, str]]:
    """``(path, text)`` of the config files right under ``root`` and one level below, at most ``limit``."""
    found = []
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
