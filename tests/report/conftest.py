"""Fixtures of the report tests (records from fake_records.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_records import make_records

from facerep.report.records import write_records


@pytest.fixture
def records_dir(tmp_path: Path) -> Path:
    out = tmp_path / "run"
    write_records(make_records(), out)
    (out / "config.yaml").write_text("backbone: timm:resnet18\nimage_size: 64\n")
    pd.DataFrame({"path": ["img/broken.png"], "error": ["truncated"]}).to_csv(out / "skipped.csv", index=False)
    return out
