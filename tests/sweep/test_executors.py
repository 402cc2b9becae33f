"""Executors: a process pool and submitit (local executor) give the records of the sequential run;
failing cells are reported together and retried on the next run."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from facerep.config import SweepConfig
from facerep.sweep import Cell, load_spec
from facerep.sweep.api import phases, run_sweep
from facerep.sweep.executors import CellFailed

SPEC = """imports: [facerep_test_cells]
cells:
  - kind: toy
    grid: {x: [0, 1, 2]}
    with: {steps: 2}
"""


def _spec(tmp_path: Path, text: str = SPEC):
    p = tmp_path / "spec.yaml"
    p.write_text(text)
    return load_spec(p)


def _norm(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=["seconds"]).sort_values(["cell", "fraction"]).reset_index(drop=True)


def test_pool_and_submitit_match_local(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    local = run_sweep(spec, tmp_path / "local", SweepConfig(executor="local"))
    assert len(local) == 3 * 2
    pool = run_sweep(spec, tmp_path / "pool", SweepConfig(executor="pool", workers=2))
    pd.testing.assert_frame_equal(_norm(pool), _norm(local))
    slurm = run_sweep(spec, tmp_path / "slurm", SweepConfig(executor="slurm", slurm_cluster="local", workers=2))
    pd.testing.assert_frame_equal(_norm(slurm), _norm(local))
    assert list((tmp_path / "slurm" / "slurm").glob("*_submitted.pkl"))  # submitit ran the jobs


def test_failures_are_collected_and_retried(tmp_path: Path) -> None:
    text = SPEC.replace("x: [0, 1, 2]", "x: [0, 1, 2], fail: [false, true]")
    spec = _spec(tmp_path, text)
    with pytest.raises(CellFailed, match=r"3 cell\(s\) failed.*asked to fail"):
        run_sweep(spec, tmp_path / "out", SweepConfig())
    done = [c for c in spec.cells if (tmp_path / "out" / "cells" / c.id / "done").is_file()]
    assert len(done) == 3 and not any(c.config["fail"] for c in done)  # the good cells finished anyway


def test_phases_put_dependencies_first() -> None:
    a, b = Cell("a", "toy", {}, "a"), Cell("b", "toy", {}, "b")
    c = Cell("c", "toy", {}, "c", deps=("a",))
    d = Cell("d", "toy", {}, "d", deps=("c", "b"))
    assert [[x.id for x in p] for p in phases([a, b, c, d])] == [["a", "b"], ["c"], ["d"]]
