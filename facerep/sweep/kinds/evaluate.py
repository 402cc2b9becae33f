"""``eval`` cells: one backbone x task x mode x seed on the bench, every fraction of the spec in one
cell (the subsets of a seed are nested and share the cached features). Made from ``evaluate:``."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd

from ...bench.modes import list_modes
from ...bench.settings import check_fractions
from ...bench.tasks import ALL_TASKS, list_tasks
from ...config import BenchConfig, config_to_dict, resolve_config
from ...errors import ConfigError
from ..checks import RANDOM_PREFIX, check_backbone, check_data, check_name, where
from ..grid import Cell, as_list, cell_id, check_keys, strip_lines
from . import CellKind, register_cell_kind
from .pretrain import BACKBONE_DIR

EVAL_KEYS = ("tasks", "modes", "fractions", "seeds", "data", "options", "baselines", "__line__")

# BenchConfig keys each cell sets itself, or that do not change results: not taken from options
CELL_KEYS = ("backbone", "tasks", "data", "mode", "fractions", "seeds", "out")
NON_RESULT_KEYS = ("cache_dir",)  # passed on, but left out of the cell id


def bench_fields() -> set[str]:
    return {f.name for f in dataclasses.fields(BenchConfig)}


def resolve_bench(options: dict[str, Any], path: Path, line: int | None) -> dict[str, Any]:
    """BenchConfig defaults <- ``options`` (the keys a cell does not set itself), as a dict."""
    clash = sorted(set(options) & set(CELL_KEYS))
    if clash:
        raise ConfigError(f"{where(path, line)}: evaluate: options {clash} are set by the spec's own keys "
                          "(tasks:, modes:, fractions:, seeds:, data:, baselines:)")
    try:
        cfg = resolve_config(BenchConfig, **options)
    except ConfigError as e:
        raise ConfigError(f"{where(path, line)}: {e}") from None
    return {k: v for k, v in config_to_dict(cfg).items() if k not in CELL_KEYS}


def _fractions(values: list[Any], path: Path, line: int | None) -> list[float]:
    try:
        return sorted(set(check_fractions(values)))
    except ConfigError as e:
        raise ConfigError(f"{where(path, line)}: evaluate: {e}") from None


def eval_cells(block: Any, path: Path, pretrained: list[Cell]) -> list[Cell]:
    """Cells of a spec's ``evaluate:`` section, over its baselines and every pre-training cell."""
    if not isinstance(block, dict):
        raise ConfigError(f"{path}: evaluate: must be a mapping (tasks:, modes:, fractions:, seeds:, "
                          "baselines:)")
    check_keys(block, EVAL_KEYS, "evaluate:", path)
    line = block.get("__line__")
    known = list_tasks()
    tasks = [str(t) for t in as_list(block.get("tasks", "all"))]
    tasks = list(ALL_TASKS) if tasks == ["all"] else tasks
    for t in tasks:
        check_name(t, known, "task", path, line)
    modes = [str(m) for m in as_list(block.get("modes", "linear"))]
    for m in modes:
        check_name(m, list_modes(), "bench mode", path, line)
    data = {k: str(v) for k, v in strip_lines(block.get("data") or {}).items()}
    for task, spec in data.items():
        check_name(task, tasks, "task (in evaluate: data:)", path, line)
        check_data(spec, path, line)
    fractions = _fractions(as_list(block.get("fractions", 1.0)), path, line)
    seeds = [int(s) for s in as_list(block.get("seeds", 0))]
    options = strip_lines(block.get("options") or {})
    bench = resolve_bench(options, path, line)
    backbones: list[tuple[Any, str, tuple[str, ...]]] = []
    for b in as_list(block.get("baselines") or []):
        check_backbone(str(b), path, line)
        backbones.append((str(b), str(b), ()))
    backbones += [({"pretrain": c.id}, c.label, (c.id,)) for c in pretrained]
    if not backbones:
        raise ConfigError(f"{where(path, line)}: evaluate: no backbone to evaluate (add baselines: or "
                          "pretrain:)")
    cells = []
    for backbone, label, deps in backbones:
        for task in tasks:
            for mode in modes:
                for seed in seeds:
                    config = {"backbone": backbone, "label": label, "task": task, "mode": mode, "seed": seed,
                              "fractions": fractions, "data": data.get(task), "bench": bench}
                    hashed = {**config, "bench": {k: v for k, v in bench.items() if k not in NON_RESULT_KEYS}}
                    cells.append(Cell(cell_id("eval", hashed), "eval", config,
                                      f"{label} | {task} | {mode} | seed {seed}", deps, line))
    return cells


@register_cell_kind("eval", description="a bench run of one backbone on one task, mode and seed")
class EvalCell(CellKind):
    def run(self, config: dict[str, Any], cell_dir: Path, deps: dict[str, Path]) -> pd.DataFrame:
        from ...bench.api import (
            evaluate,  # deferred: loads scipy and scikit-learn, which `facerep --help` does not need
        )

        backbone = config["backbone"]
        if isinstance(backbone, dict):
            spec = str(deps[backbone["pretrain"]] / BACKBONE_DIR)
        else:
            spec = backbone.removeprefix(RANDOM_PREFIX)
        fields = bench_fields()
        values = {"mode": config["mode"], "fractions": config["fractions"], "seeds": [config["seed"]],
                  "tasks": [config["task"]], **config["bench"]}
        if "pretrained" in fields and isinstance(backbone, str):
            values["pretrained"] = not backbone.startswith(RANDOM_PREFIX)
        protocol = resolve_config(BenchConfig, **{k: v for k, v in values.items() if k in fields})
        task = config["task"]
        data = {task: config["data"]} if config["data"] else None
        df = evaluate(backbone=spec, tasks=[task], data=data, protocol=protocol, out=str(cell_dir / "bench"))
        df = df.copy()
        df["backbone_spec"] = df["backbone"]
        df["backbone"] = config["label"]
        return df
