"""Building cells from a spec, and running one cell resumably.

A cell's directory ``DIR/cells/<id>/`` holds ``cell.json`` (written first), the kind's outputs,
``records.csv`` + ``records.parquet`` (atomic), and ``done`` (written last). A cell with ``done`` is
finished and skipped on a rerun; any other state is unfinished and redone from a clean directory (or,
for kinds with ``fresh_start = False``, from what they left, minus stale records).
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ConfigError, DataError
from ..io import atomic_write_text
from ..records import read_records, to_frame, write_records
from .checks import check_name
from .grid import Cell, as_list, cell_id, check_keys, expand_grid, strip_lines
from .kinds import CELL_KINDS, get_kind, load_kinds
from .kinds.evaluate import eval_cells
from .kinds.pretrain import pretrain_cells

CELL_BLOCK_KEYS = ("kind", "grid", "with", "__line__")
CELLS_DIR, DONE, CELL_JSON = "cells", "done", "cell.json"
BUILTIN_SECTIONS = ("pretrain", "eval")
STAGE_TITLES = {"pretrain": "pre-training", "eval": "bench"}  # a sweep's progress display per kind of cell


def stage_title(kind: str) -> str:
    return STAGE_TITLES.get(kind, kind)


def build_cells(raw: dict[str, Any], path: Path) -> list[Cell]:
    """Every cell of a parsed spec, pre-training cells first."""
    pre = pretrain_cells(raw["pretrain"], path) if raw.get("pretrain") else []
    cells = list(pre)
    if raw.get("evaluate"):
        cells += eval_cells(raw["evaluate"], path, pre)
    for block in as_list(raw.get("cells") or []):
        cells += custom_cells(block, path)
    return cells


def custom_cells(block: Any, path: Path) -> list[Cell]:
    """Cells of one ``cells:`` block: ``{kind: NAME, grid: {axis: [values]}, with: {fixed: value}}``."""
    if not isinstance(block, dict) or "kind" not in block:
        raise ConfigError(f"{path}: each cells: entry must be a mapping with kind:, grid: and with:")
    check_keys(block, CELL_BLOCK_KEYS, "a cells: block", path)
    line = block.get("__line__")
    load_kinds()
    valid = [k for k in CELL_KINDS.list() if k not in BUILTIN_SECTIONS]
    check_name(str(block["kind"]), valid, "cell kind", path, line)
    kind = get_kind(str(block["kind"]))
    fixed = strip_lines(block.get("with") or {})
    out = []
    for point in expand_grid(strip_lines(block.get("grid") or {})):
        config = kind.resolve({**fixed, **point})
        out.append(Cell(cell_id(str(block["kind"]), config), str(block["kind"]), config, kind.label(config),
                        (), line))
    return out


def cell_dir(root: str | Path, cid: str) -> Path:
    return Path(root) / CELLS_DIR / cid


def is_done(root: str | Path, cid: str) -> bool:
    return (cell_dir(root, cid) / DONE).is_file()


def _prepare(d: Path, fresh: bool) -> None:
    if fresh and d.exists():
        shutil.rmtree(d)
    for stale in ("records.csv", "records.parquet"):
        (d / stale).unlink(missing_ok=True)
    d.mkdir(parents=True, exist_ok=True)


def run_cell(cell: Cell, root: str | Path) -> str:
    """Run ``cell`` under ``root`` unless it is done. Returns ``"skipped"`` or ``"done"``."""
    d = cell_dir(root, cell.id)
    if (d / DONE).is_file():
        return "skipped"
    missing = [dep for dep in cell.deps if not is_done(root, dep)]
    if missing:
        raise DataError(f"cell {cell.id} ({cell.label}) needs unfinished cell(s) {missing}", str(d))
    kind = get_kind(cell.kind)
    _prepare(d, kind.fresh_start)
    atomic_write_text(d / CELL_JSON, json.dumps(cell.to_dict(), indent=2, default=str))
    t0 = time.time()
    df = kind.run(cell.config, d, {dep: cell_dir(root, dep) for dep in cell.deps})
    df = to_frame(df.to_dict("records")) if len(df) else to_frame([])
    df["cell"] = cell.id
    write_records(df, d)
    marker = {"id": cell.id, "label": cell.label, "seconds": round(time.time() - t0, 3),
              "finished": time.time()}
    atomic_write_text(d / DONE, json.dumps(marker))
    return "done"


def merge_records(cells: list[Cell], root: str | Path) -> pd.DataFrame:
    """The records of every finished cell, in cell order (the order of the spec)."""
    frames = []
    for c in cells:
        if is_done(root, c.id):
            df = read_records(cell_dir(root, c.id) / "records.csv")
            if len(df):
                frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else to_frame([])
