"""Fixtures of the report tests (records from fake_records.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_records import make_axis_records, make_records

from facerep.records import write_records


@pytest.fixture
def records_dir(tmp_path: Path) -> Path:
    out = tmp_path / "run"
    write_records(make_records(), out)
    (out / "config.yaml").write_text("backbone: timm:resnet18\nimage_size: 64\n")
    pd.DataFrame({"path": ["img/broken.png"], "error": ["truncated"]}).to_csv(out / "skipped.csv", index=False)
    return out


@pytest.fixture(scope="session")
def axis_dirs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two bench-like output dirs (one per backbone) whose records hold corruption and subgroup rows, each with a
    robustness.csv (without a backbone column, as the bench writes it)."""
    df = make_axis_records()
    root = tmp_path_factory.mktemp("axes")
    dirs = []
    for i, (backbone, part) in enumerate(df.groupby("backbone", sort=True)):
        out = root / f"axes{i}"
        write_records(part.reset_index(drop=True), out)
        pd.DataFrame({"task": ["pose"], "corruption": ["blur"], "metric": ["mae"], "clean": [0.1 + i],
                      "severity 1": [0.2 + i], "relative_error_increase": [0.25 + i]}).to_csv(out / "robustness.csv",
                                                                                              index=False)
        dirs.append(out)
    return dirs


@pytest.fixture(scope="session")
def axis_report(axis_dirs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """report.html (and report.md) of both :func:`axis_dirs` together, built once per session."""
    from facerep.report.api import make_report

    return make_report(axis_dirs, tmp_path_factory.mktemp("axis-report") / "report.html")
