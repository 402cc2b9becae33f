"""Run a sweep: expand the spec, run unfinished cells phase by phase (pre-training before the
evaluations that need it), merge the records into ``DIR/records.csv``."""
from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pandas as pd
import yaml

from .. import progress
from ..config import SweepConfig
from ..io import atomic_write_text
from ..records import write_records
from ..report.meta import versions
from .cells import is_done, merge_records, stage_title
from .executors import get_executor
from .grid import Cell
from .spec import Spec, load_spec


def phases(cells: list[Cell]) -> list[list[Cell]]:
    """Cells grouped so that every cell comes after the cells it depends on (order kept within a phase)."""
    level: dict[str, int] = {}
    for c in cells:  # specs list dependencies first
        level[c.id] = 1 + max((level.get(d, 0) for d in c.deps), default=-1)
    out: list[list[Cell]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for c in cells:
        out[level[c.id]].append(c)
    return out


def stages(cells: list[Cell], out: Path) -> list[tuple[str, list[list[Cell]]]]:
    """The unfinished cells as stages: ``(kind, batches)`` for each run of consecutive cells of one kind in
    phase order. A batch is the part of one phase in the stage (its cells are independent), so a stage may
    span phases: the evaluations of baselines (phase 0) and of pre-trained backbones (phase 1) are one stage.
    """
    out_stages: list[tuple[str, list[list[Cell]]]] = []
    for phase in phases(cells):
        pending = [c for c in phase if not is_done(out, c.id)]
        for kind, group in itertools.groupby(pending, key=lambda c: c.kind):
            if out_stages and out_stages[-1][0] == kind:
                out_stages[-1][1].append(list(group))
            else:
                out_stages.append((kind, [list(group)]))
    return out_stages


def _write_info(out: Path, spec: Spec, cfg: SweepConfig, **extra: object) -> None:
    info = {"name": spec.name, "spec": str(spec.path), "cells": len(spec.cells), "executor": cfg.executor,
            "workers": cfg.workers, "versions": versions(), **extra}
    atomic_write_text(out / "sweep.json", json.dumps(info, indent=2, default=str))


def run_sweep(spec: str | Path | Spec, out: str | Path, cfg: SweepConfig | None = None) -> pd.DataFrame:
    """Run every unfinished cell of ``spec`` under ``out``; returns (and writes) the merged records."""
    cfg = cfg or SweepConfig()
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    execute = get_executor(cfg.executor)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "sweep_spec.yaml", yaml.safe_dump(spec.raw, sort_keys=False))
    t0 = time.time()
    _write_info(out, spec, cfg, started=t0)
    ran = 0
    for kind, batches in stages(spec.cells, out):
        title = stage_title(kind)
        with progress.stage(title, sum(map(len, batches)), unit="cell"):
            for batch in batches:
                ran += execute(batch, out, cfg, spec.imports)
            progress.update_stage(description=title)
    merged = merge_records(spec.cells, out)
    write_records(merged, out)
    wall = round(time.time() - t0, 3)
    _write_info(out, spec, cfg, started=t0, wall_seconds=wall, ran=ran, skipped=len(spec.cells) - ran)
    return merged
