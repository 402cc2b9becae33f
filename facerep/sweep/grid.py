"""A cell (one unit of a sweep's work, with a stable id) and the helpers every part of a sweep uses to read
a spec block: key checks, ``__line__`` stripping, and the expansion of list-valued axes into a grid.

This module imports nothing else of the sweep: the spec (:mod:`~facerep.sweep.spec`), the cell builders
(:mod:`~facerep.sweep.cells`) and the cell kinds (:mod:`~facerep.sweep.kinds`) all build on it.
"""
from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError


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


def cell_id(kind: str, config: dict[str, Any]) -> str:
    """Stable 12-hex id: sha1 of the canonical JSON of (kind, config)."""
    blob = json.dumps({"kind": kind, "config": config}, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha1(blob.encode()).hexdigest()[:12]


def strip_lines(obj: Any) -> Any:
    """``obj`` without the ``__line__`` keys the spec loader added."""
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
        raise ConfigError(f"{path}:{block.get('__line__', '?')}: unknown key(s) {unknown} in {what}; "
                          f"valid: {valid}")


def expand_grid(grid: dict[str, Any]) -> list[dict[str, Any]]:
    """``{a: [1, 2], b: 3}`` -> ``[{a: 1, b: 3}, {a: 2, b: 3}]`` (keys in given order)."""
    keys = [k for k in grid if k != "__line__"]
    return [dict(zip(keys, combo)) for combo in itertools.product(*(as_list(grid[k]) for k in keys))]
