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

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError, DataError, FacerepError
from .cells import build_cells
from .grid import Cell, as_list, check_keys, strip_lines

TOP_KEYS = ("name", "imports", "pretrain", "evaluate", "cells", "__line__")


@dataclass
class Spec:
    """A parsed, validated spec: its cells in run order (pre-training first)."""

    path: Path
    name: str
    imports: list[str]
    cells: list[Cell]
    raw: dict[str, Any] = field(default_factory=dict)


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that stores each mapping's 1-based line under ``__line__``."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_spec_file(path: str | Path) -> dict[str, Any]:
    """The spec's YAML as a dict (with ``__line__`` keys); DataError for a missing or malformed file."""
    path = Path(path)
    if not path.is_file():
        raise DataError("sweep spec does not exist", str(path))
    try:
        raw = yaml.load(path.read_text(), Loader=_LineLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise DataError(f"not valid YAML: {getattr(e, 'problem', e)}", str(path),
                        mark.line + 1 if mark else None) from None
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
