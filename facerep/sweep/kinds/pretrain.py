"""``pretrain`` cells: one pre-training run (method x data x size x seed) that writes a backbone
directory (``CELL/backbone``) for the evaluation cells that depend on it. Made from ``pretrain:`` blocks."""
from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

import pandas as pd

from ...config import PretrainConfig, config_to_dict, resolve_config
from ...errors import ConfigError
from ...pretrain.methods import list_methods
from ...records import to_frame
from ..checks import check_backbone, check_data, check_name, where
from ..grid import Cell, as_list, cell_id, check_keys, strip_lines
from . import CellKind, register_cell_kind

BACKBONE_DIR = "backbone"
PRETRAIN_KEYS = ("method", "data", "size", "seed", "backbone", "options", "label", "__line__")
# PretrainConfig keys that do not change the result: passed on, but left out of the cell id
NON_RESULT_KEYS = ("out", "resume", "num_workers", "loggers", "log_every", "checkpoint_every",
                   "keep_checkpoints")
# PretrainConfig keys that cap the number of pre-training images, if this version has one
SIZE_KEYS = ("max_samples", "num_samples", "subset_size")


def _size_key() -> str | None:
    names = {f.name for f in dataclasses.fields(PretrainConfig)}
    return next((k for k in SIZE_KEYS if k in names), None)


def resolve_pretrain(values: dict[str, Any], path: Path, line: int | None) -> dict[str, Any]:
    """PretrainConfig defaults <- ``values``, as a dict (without ``out`` and ``resume``, set per run)."""
    size = values.pop("size", None)
    if size is not None:
        key = _size_key()
        if key is None:
            raise ConfigError(f"{where(path, line)}: size: {size}: this PretrainConfig has no option "
                              "capping the number of images; put the size in the data spec "
                              "(e.g. synth:ids=100,per_id=10)")
        values[key] = int(size)
    try:
        cfg = resolve_config(PretrainConfig, **values)
    except ConfigError as e:
        raise ConfigError(f"{where(path, line)}: {e}") from None
    return {k: v for k, v in config_to_dict(cfg).items() if k not in ("out", "resume")}


def _label(values: dict[str, Any], multi_seed: bool) -> str:
    text = f"{values['method']}@{values['data']}"
    if values.get("size") is not None:
        text += f"/n{values['size']}"
    return text + (f"/s{values['seed']}" if multi_seed else "")


def pretrain_cells(blocks: Any, path: Path) -> list[Cell]:
    """Cells of a spec's ``pretrain:`` section (one block or a list of blocks)."""
    cells: list[Cell] = []
    methods = list_methods()
    for block in as_list(blocks):
        if not isinstance(block, dict):
            raise ConfigError(f"{path}: each pretrain entry must be a mapping (method:, data:, seed: …)")
        check_keys(block, PRETRAIN_KEYS, "a pretrain block", path)
        line = block.get("__line__")
        options = strip_lines(block.get("options") or {})
        axes = {"method": as_list(block.get("method", "swav")), "data": as_list(block.get("data", "synth:")),
                "size": as_list(block.get("size")), "seed": as_list(block.get("seed", 0)),
                "backbone": as_list(block.get("backbone", options.pop("backbone", "timm:resnet18")))}
        for m in axes["method"]:
            check_name(str(m), methods, "pre-training method", path, line)
        for d in axes["data"]:
            check_data(str(d), path, line)
        for b in axes["backbone"]:
            check_backbone(str(b), path, line)
        for method, data, size, seed, backbone in _product(axes):
            values = {**options, "method": method, "data": data, "seed": int(seed), "backbone": backbone,
                      "size": size}
            label = str(block.get("label") or _label(values, len(axes["seed"]) > 1))
            config = resolve_pretrain(dict(values), path, line)
            hashed = {k: v for k, v in config.items() if k not in NON_RESULT_KEYS}
            cells.append(Cell(cell_id("pretrain", hashed), "pretrain", config, label, (), line))
    return cells


def _product(axes: dict[str, list[Any]]) -> list[tuple[Any, ...]]:
    return list(itertools.product(axes["method"], axes["data"], axes["size"], axes["seed"], axes["backbone"]))


@register_cell_kind("pretrain", description="a pre-training run writing CELL/backbone")
class PretrainCell(CellKind):
    fresh_start = False  # keep the run's checkpoints: a rerun resumes from the latest

    def run(self, config: dict[str, Any], cell_dir: Path, deps: dict[str, Path]) -> pd.DataFrame:
        # deferred: these load lightning (seconds), which `facerep --help` does not need
        from ...pretrain.api import pretrain
        from ...pretrain.checkpoints import latest_checkpoint

        out = cell_dir / BACKBONE_DIR
        resume = latest_checkpoint(out / "checkpoints") is not None
        pretrain(resolve_config(PretrainConfig, **config, out=str(out), resume=resume))
        return to_frame([])  # a pre-training run makes a backbone; its evaluations make the records
