"""The experiment grid: a YAML spec of pre-training runs and evaluations, expanded into cells with
stable ids and run resumably by a local, process-pool or SLURM executor. See :mod:`facerep.sweep.spec`.

Imports go one way: ``api`` -> ``spec`` (YAML, :func:`load_spec`) -> ``cells`` (building and running cells) ->
``kinds`` (one file per cell kind) -> ``grid`` (:class:`Cell`, its id, the spec-block helpers)."""
from __future__ import annotations

from .api import run_sweep
from .grid import Cell
from .spec import Spec, load_spec

__all__ = ["Cell", "Spec", "load_spec", "run_sweep"]
