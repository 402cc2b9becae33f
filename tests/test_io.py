"""Atomic writes (temp file + rename) give outputs the permissions a plain write would: 0666 minus the umask,
or those of the file they replace; never the temp file's 0600."""
from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from facerep.io import atomic_write, atomic_write_bytes, atomic_write_text, current_umask
from facerep.records import write_records


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_new_files_get_0666_minus_the_umask(tmp_path: Path, umask: None, mask: int) -> None:
    os.umask(mask)
    assert current_umask() == mask
    atomic_write_text(tmp_path / "a.txt", "x")
    atomic_write_bytes(tmp_path / "b.bin", b"x")
    atomic_write(tmp_path / "c.csv", lambda tmp: Path(tmp).write_text("y"))
    for name in ("a.txt", "b.bin", "c.csv"):
        assert mode(tmp_path / name) == 0o666 & ~mask, name
    assert not list(tmp_path.glob(".*tmp*"))  # no temp file left


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path, umask: None) -> None:
    os.umask(0o022)
    target = tmp_path / "kept.txt"
    target.write_text("old")
    target.chmod(0o640)
    atomic_write_text(target, "new")
    assert target.read_text() == "new" and mode(target) == 0o640


def test_records_are_readable_by_the_group_and_others(tmp_path: Path, umask: None) -> None:
    os.umask(0o022)
    df = pd.DataFrame([{"run_id": "r", "backbone": "b", "task": "pose", "dataset": "d", "mode": "linear",
                        "fraction": 1.0, "shots": 0, "seed": 0, "metric": "mae", "value": 1.0, "n_train": 1,
                        "n_test": 1, "seconds": 0.1}])
    write_records(df, tmp_path)
    for name in ("records.csv", "records.parquet"):
        assert mode(tmp_path / name) == 0o644, name
