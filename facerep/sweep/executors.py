"""Executors run a batch of independent cells: ``local`` (sequential, in this process), ``pool`` (a process
pool) and ``slurm`` (submitit job arrays; ``slurm_cluster: local|debug`` runs them here).

Each advances the running progress stage (:func:`facerep.progress.stage`, opened by the sweep) by one per
finished cell, and returns the number of cells it ran; a failing cell does not stop the others (unless
``keep_going`` is off) and the failures are raised together at the end, finished cells kept."""
from __future__ import annotations

import importlib
import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from ..errors import ConfigError, FacerepError
from ..progress import update_stage
from ..registry import Registry
from .cells import run_cell, stage_title
from .grid import Cell

Executor = Callable[[list[Cell], Path, Any, list[str]], int]
EXECUTORS: Registry[Executor] = Registry("sweep executor")


class CellFailed(FacerepError):
    """One or more cells raised; their ids and errors are listed."""


def run_cell_entry(cell: dict[str, Any], root: str, imports: list[str], paths: list[str] | None = None,
                   threads: int = 0) -> str:
    """Worker entry (picklable): import the spec's plugin modules (``paths``: the submitter's ``sys.path``
    entries, so that they import where they did at submission), then run the cell. ``threads`` > 0 caps
    the intra-op threads of this worker (pool workers share the machine's cores)."""
    if threads > 0:
        os.environ["OMP_NUM_THREADS"] = str(threads)
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(threads)
    for p in paths or []:
        if p not in sys.path:
            sys.path.append(p)
    for name in imports:
        importlib.import_module(name)
    return run_cell(Cell.from_dict(cell), root)


def _raise_failures(failures: list[tuple[Cell, BaseException]]) -> None:
    if failures:
        lines = "; ".join(f"{c.id} ({c.label}): {type(e).__name__}: {e}" for c, e in failures[:5])
        more = f" (+{len(failures) - 5} more)" if len(failures) > 5 else ""
        raise CellFailed(f"{len(failures)} cell(s) failed: {lines}{more}. Rerun the sweep to retry them.")


@EXECUTORS.register("local", description="one cell after another, in this process")
def run_local(cells: list[Cell], root: Path, cfg: Any, imports: list[str]) -> int:
    failures: list[tuple[Cell, BaseException]] = []
    for cell in cells:
        # the sweep's stage display counts the cells; a cell's own bars join that display as extra lines
        update_stage(description=f"{stage_title(cell.kind)}: {cell.label}")
        try:
            run_cell(cell, root)
        except Exception as e:
            if not cfg.keep_going:
                raise
            failures.append((cell, e))
        update_stage(advance=1)
    _raise_failures(failures)
    return len(cells)


@EXECUTORS.register("pool", description="a pool of worker processes (--workers N)")
def run_pool(cells: list[Cell], root: Path, cfg: Any, imports: list[str]) -> int:
    failures: list[tuple[Cell, BaseException]] = []
    ctx = multiprocessing.get_context("spawn")  # no forked torch/thread state in workers
    with ProcessPoolExecutor(max_workers=max(1, cfg.workers), mp_context=ctx) as pool:
        threads = max(1, (os.cpu_count() or 1) // max(1, cfg.workers))
        futures = {pool.submit(run_cell_entry, c.to_dict(), str(root), imports, None, threads): c
                   for c in cells}
        for fut in as_completed(futures):
            try:
                fut.result()
            except Exception as e:
                failures.append((futures[fut], e))
                if not cfg.keep_going:
                    pool.shutdown(cancel_futures=True)
                    break
            update_stage(advance=1)
    _raise_failures(failures)
    return len(cells)


@EXECUTORS.register("slurm", description="SLURM job arrays through submitit (pip install 'facerep[slurm]')")
def run_slurm(cells: list[Cell], root: Path, cfg: Any, imports: list[str]) -> int:
    try:
        import submitit  # deferred: an optional extra (facerep[slurm]), needed by this executor only
    except ImportError:
        raise ConfigError("the slurm executor needs submitit: pip install 'facerep[slurm]'") from None
    executor = submitit.AutoExecutor(folder=str(root / cfg.slurm_folder), cluster=cfg.slurm_cluster or None)
    params: dict[str, Any] = {"name": "facerep-sweep", "timeout_min": cfg.slurm_timeout_min,
                              "cpus_per_task": cfg.slurm_cpus_per_task,
                              "gpus_per_node": cfg.slurm_gpus_per_node,
                              "mem_gb": cfg.slurm_mem_gb, "slurm_array_parallelism": max(1, cfg.workers)}
    if cfg.slurm_partition:
        params["slurm_partition"] = cfg.slurm_partition
    if executor.cluster != "slurm":
        params = {k: v for k, v in params.items() if not k.startswith("slurm_")}
    executor.update_parameters(**params)
    n = len(cells)
    jobs = executor.map_array(run_cell_entry, [c.to_dict() for c in cells], [str(root)] * n, [imports] * n,
                              [list(sys.path)] * n)
    failures: list[tuple[Cell, BaseException]] = []
    for cell, job in zip(cells, jobs):
        try:
            job.result()
        except Exception as e:
            failures.append((cell, e))
        update_stage(advance=1)
    _raise_failures(failures)
    return n


def get_executor(name: str) -> Executor:
    return EXECUTORS.get(name)
