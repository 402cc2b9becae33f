"""Cell kinds: one file per kind, registered by name (``@register_cell_kind("eval")``).

A kind turns a resolved config into records: ``run(config, cell_dir, deps) -> DataFrame`` (columns of
:data:`facerep.records.RECORD_COLUMNS`). ``pretrain`` and ``eval`` are built in and made from a
spec's ``pretrain:`` and ``evaluate:`` sections; any other registered kind is made from ``cells:`` blocks
(``grid`` axes expanded, ``with`` merged in). Register your own in a module listed under ``imports:``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..._plugins import import_submodules
from ...registry import Registry

CELL_KINDS: Registry[type] = Registry("cell kind")
register_cell_kind = CELL_KINDS.register


class CellKind:
    """Base class. ``fresh_start``: an unfinished cell's directory is wiped before a rerun (False lets the
    kind resume from what it left, e.g. a pre-training checkpoint)."""

    fresh_start: bool = True

    def resolve(self, params: dict[str, Any]) -> dict[str, Any]:
        """The resolved config of a ``cells:`` grid point (defaults filled in; bad values raise)."""
        return dict(params)

    def label(self, config: dict[str, Any]) -> str:
        return ",".join(f"{k}={v}" for k, v in config.items())

    def run(self, config: dict[str, Any], cell_dir: Path, deps: dict[str, Path]) -> pd.DataFrame:
        raise NotImplementedError


def load_kinds() -> None:
    """Import every kind module of this package, so that each registers."""
    import_submodules(__name__)


def get_kind(name: str) -> CellKind:
    """An instance of the kind registered as ``name`` (unknown names list the valid ones)."""
    load_kinds()
    return CELL_KINDS.get(name)()
