"""The experiment grid: a YAML spec of pre-training runs and evaluations, expanded into cells with
stable ids and run resumably by a local, process-pool or SLURM executor. See :mod:`facerep.sweep.spec`."""
from __future__ import annotations

from .api import run_sweep
from .spec import Cell, Spec, load_spec

__all__ = ["Cell", "Spec", "load_spec", "run_sweep"]
