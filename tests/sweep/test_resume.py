"""A sweep killed with SIGKILL part way and rerun gives the records of an uninterrupted run: finished
cells are skipped, unfinished ones redone from a clean directory, no duplicate or partial records."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from facerep.config import SweepConfig
from facerep.sweep.api import run_sweep
from facerep.sweep.cells import DONE, cell_dir
from facerep.sweep.spec import load_spec

HERE = Path(__file__).resolve().parent
SPEC = """name: toy-grid
imports: [facerep_test_cells]
cells:
  - kind: toy
    grid: {x: [0, 1, 2, 3, 4, 5, 6, 7]}
    with: {steps: 4, sleep: 0.6}
"""
KEYS = ["cell", "run_id", "fraction", "seed", "metric"]


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=["seconds"]).sort_values(KEYS).reset_index(drop=True)


def _done(out: Path) -> int:
    return len(list((out / "cells").glob(f"*/{DONE}"))) if (out / "cells").exists() else 0


def test_sigkill_then_rerun_matches_uninterrupted(tmp_path: Path) -> None:
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(SPEC)
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "facerep.cli", "--quiet", "sweep", str(spec_path), "--out", str(out)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while _done(out) < 3 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)  # land inside a cell's work (its progress file is half written)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-2000:]

    spec = load_spec(spec_path)
    finished = [c for c in spec.cells if (cell_dir(out, c.id) / DONE).is_file()]
    assert 3 <= len(finished) < len(spec.cells)
    partial = [c for c in spec.cells if cell_dir(out, c.id).exists() and c not in finished]
    assert partial, "the kill should leave an unfinished cell behind"
    assert not (out / "records.csv").exists()
    mtimes = {c.id: (cell_dir(out, c.id) / DONE).stat().st_mtime_ns for c in finished}

    resumed = run_sweep(spec, out, SweepConfig())
    for c in finished:  # finished cells were skipped, not rerun
        assert (cell_dir(out, c.id) / DONE).stat().st_mtime_ns == mtimes[c.id]
    for c in partial:  # unfinished cells restarted clean: one progress line per step, not two runs' worth
        assert (cell_dir(out, c.id) / "progress.txt").read_text().split() == ["0", "1", "2", "3"]

    clean = run_sweep(spec, tmp_path / "clean", SweepConfig())
    assert len(resumed) == len(spec.cells) * 4
    assert not resumed.duplicated(subset=KEYS).any()
    pd.testing.assert_frame_equal(_sorted(resumed), _sorted(clean))
    on_disk = pd.read_csv(out / "records.csv")
    pd.testing.assert_frame_equal(_sorted(on_disk), _sorted(pd.read_csv(tmp_path / "clean" / "records.csv")))
