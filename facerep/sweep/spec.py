"""Sweep specs: one YAML file describes a grid of pre-training runs and evaluations; it expands into
cells with stable ids (a hash of each cell's resolved config).

A spec::

    name: methods-x-data              # optional, shown in the report
    imports: [mypkg.extra_tasks]      # optional: modules that register extra tasks/methods/formats/cell kinds
    pretrain:                         # a list of blocks; list-valued axes expand (cartesian product)
      - method: [swav, moco]
        data: [synth:ids=60,per_id=12,size=64]
        size: [null]                  # pre-training set size (images); null = the whole set
        seed: [0, 1]
        backbone: timm:resnet18
        options: {steps: 300, batch_size: 64, image_size: 64}   # any PretrainConfig key
    evaluate:
      tasks: [all]                    # task names, or all
      modes: [linear]
      fractions: [0.05, 0.2, 1.0]
      seeds: [0, 1]
      data: {landmarks2d: "300w:/data/300W"}   # per task FORMAT:PATH; unset tasks use the bench default
      options: {image_size: 64}                # any BenchConfig key
      baselines: [random:timm:resnet18, timm:resnet50, local:/runs/x]
    cells:                            # cells of a custom registered kind (advanced)
      - {kind: toy, grid: {x: [1, 2]}, with: {sleep: 0.1}}

Evaluation cells are ``backbone x task x mode x seed``; each holds every fraction, because the subsets of
one seed are nested and share the cached features. Every pre-training run is evaluated as a backbone,
after the baselines. Cells are checked (names against the registries, data paths, duplicates) before
anything runs: :func:`load_spec` raises a :class:`~facerep.errors.FacerepError` naming the spec line.
"""
from __future__ import annotations

import hashlib
import importlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError, DataError, FacerepError

PRETRAIN_AXES = ("method", "data", "size", "seed")
PRETRAIN_KEYS = (*PRETRAIN_AXES, "backbone", "options", "label", "__line__")
EVAL_KEYS = ("tasks", "modes", "fractions", "seeds", "data", "options", "baselines", "__line__")
CELL_BLOCK_KEYS = ("kind", "grid", "with", "__line__")
TOP_KEYS = ("name", "imports", "pretrain", "evaluate", "cells", "__line__")


@dataclass(frozen=True)
class Cell:
    """One unit of work. ``id`` hashes ``kind`` + ``config``; ``deps`` are ids of cells it needs first."""

    id: str
    kind: str
    config: dict[str, Any]
    label: str
    deps: tuple[str, ...] = ()
    line: int | None = None  # spec line that made it

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "config": self.config, "label": self.label,
                "deps": list(self.deps), "line": self.line}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Cell:
        return cls(d["id"], d["kind"], d["config"], d["label"], tuple(d["deps"]), d.get("line"))


@dataclass
class Spec:
    """A parsed, validated spec: its cells in run order (pre-training first)."""

    path: Path
    name: str
    imports: list[str]
    cells: list[Cell]
    raw: dict[str, Any] = field(default_factory=dict)


def cell_id(kind: str, config: dict[str, Any]) -> str:
    """Stable 12-hex id: sha1 of the canonical JSON of (kind, config)."""
    blob = json.dumps({"kind": kind, "config": config}, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha1(blob.encode()).hexdigest()[:12]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that stores each mapping's 1-based line under ``__line__``."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def strip_lines(obj: Any) -> Any:
    """``obj`` without the ``__line__`` keys the loader added."""
    if isinstance(obj, dict):
        return {k: strip_lines(v) for k, v in obj.items() if k != "__line__"}
    if isinstance(obj, list):
        return [strip_lines(v) for v in obj]
    return obj


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def check_keys(block: dict[str, Any], allowed: tuple[str, ...], what: str, path: Path) -> None:
    unknown = sorted(set(block) - set(allowed))
    if unknown:
        valid = ", ".join(k for k in allowed if k != "__line__")
        raise ConfigError(f"{path}:{block.get('__line__', '?')}: unknown key(s) {unknown} in {what}; valid: {valid}")


def read_spec_file(path: str | Path) -> dict[str, Any]:
    """The spec's YAML as a dict (with ``__line__`` keys); DataError for a missing or malformed file."""
    path = Path(path)
    if not path.is_file():
        raise DataError("sweep spec does not exist", str(path))
    try:
        raw = yaml.load(path.read_text(), Loader=_LineLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise DataError(f"not valid YAML: {getattr(e, 'problem', e)}", str(path), mark.line + 1 if mark else None) from None
    if not isinstance(raw, dict):
        raise DataError("a sweep spec must be a mapping (pretrain:, evaluate:, cells:)", str(path), 1)
    check_keys(raw, TOP_KEYS, "the spec", path)
    if not any(k in raw for k in ("pretrain", "evaluate", "cells")):
        raise DataError("the spec has none of pretrain:, evaluate:, cells: - nothing to run", str(path), 1)
    return raw


def import_modules(names: list[str], path: Path) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as e:
            raise ConfigError(f"{path}: imports: cannot import {name!r} ({e})") from None


def expand_grid(grid: dict[str, Any]) -> list[dict[str, Any]]:
    """``{a: [1, 2], b: 3}`` -> ``[{a: 1, b: 3}, {a: 2, b: 3}]`` (keys in given order)."""
    keys = [k for k in grid if k != "__line__"]
    return [dict(zip(keys, combo)) for combo in itertools.product(*(as_list(grid[k]) for k in keys))]


def check_unique(cells: list[Cell], path: Path) -> None:
    """A DataError naming both spec lines when two cells resolve to the same config."""
    seen: dict[str, Cell] = {}
    for c in cells:
        if c.id in seen:
            first = seen[c.id]
            raise DataError(f"duplicate cell {c.label!r} (id {c.id}): the same {c.kind} cell is also made by "
                            f"line {first.line}", str(path), c.line)
        seen[c.id] = c


def load_spec(path: str | Path) -> Spec:
    """Parse, expand and validate a spec. Raises before anything runs on any bad name, path or duplicate."""
    from .cells import build_cells  # the cell kinds know how to resolve and check their configs

    path = Path(path)
    raw = read_spec_file(path)
    imports = [str(m) for m in as_list(raw.get("imports") or [])]
    import_modules(imports, path)
    try:
        cells = build_cells(raw, path)
    except FacerepError:
        raise
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{path}: {e}") from None
    check_unique(cells, path)
    name = str(raw.get("name") or path.stem)
    return Spec(path=path, name=name, imports=imports, cells=cells, raw=strip_lines(raw))
