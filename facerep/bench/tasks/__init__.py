"""Benchmark tasks: one file per task, each registered by name with :data:`TASKS`.

A task (see :class:`facerep.bench.tasks._base.Task`) declares the label kinds it ``needs``, builds its head
from a :class:`~facerep.bench.tasks._base.HeadSpec`, turns a batch into training ``targets``, maps head
outputs back to original image pixels (``decode``) and scores them (``metrics``); ``primary`` names the metric
a summary shows and whether lower or higher is better.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...registry import Registry

if TYPE_CHECKING:  # the contract imports torch and the heads; listing tasks does not need them
    from ._base import Task

TASKS: Registry[type[Task]] = Registry("task")
register_task = TASKS.register

# ``--tasks all``: the eight tasks of the benchmark (other registered tasks, e.g. au_occurrence, run by name)
ALL_TASKS: tuple[str, ...] = (
    "recognition", "landmarks2d", "landmarks3d", "parsing", "au", "expression", "attributes", "pose",
)


def _ensure_loaded() -> None:
    from ..._plugins import import_submodules

    import_submodules(__name__)


def list_tasks(pattern: str = "*") -> list[str]:
    _ensure_loaded()
    return TASKS.list(pattern)


def get_task(name: str) -> type[Task]:
    _ensure_loaded()
    return TASKS.get(name)
