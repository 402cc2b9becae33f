"""Evaluation modes: one file per mode, each a registered strategy with its options dataclass beside it.

A mode (:class:`facerep.bench.modes._base.Mode`) says what it reads (``reads``: cached features or face
crops), which tasks it can evaluate (:meth:`~facerep.bench.modes._base.Mode.skip_reason`) and, for one task,
builds a :class:`~facerep.bench.modes._base.Predictor` whose ``fit_predict(idx, y, *, groups, seed)`` trains
on a subset of the training split and returns head-space outputs on each test input. The protocol
(:mod:`facerep.bench.protocol`) asks this registry; it never compares mode names. Registered as::

    @dataclasses.dataclass(frozen=True)
    class ToyOptions:
        knn_k: int               # a field named like a BenchConfig field is read from it
        spread: float = 1.0      # any other field keeps its default

    @register_mode("toy", options=ToyOptions, description="…")
    class Toy(Mode): ...         # built as Toy(options)

Dropped in this package a mode file is imported on first use; a file elsewhere registers once imported.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..._plugins import import_submodules
from ...registry import Registry

if TYPE_CHECKING:  # the contract imports the bench's heavy modules; listing modes does not need them
    from ._base import Mode

MODES: Registry[type[Mode]] = Registry("bench mode")
# pseudo-modes of the records, not registered modes: each task's trivial baseline, and a task scored from the
# raw
# features with no training rows (facerep.bench.protocol)
TRIVIAL, UNSUPERVISED = "trivial", "unsupervised"


def register_mode(name: str, *, options: type, description: str = "") -> Callable[[type[Mode]], type[Mode]]:
    """Decorator: register a :class:`~facerep.bench.modes._base.Mode` subclass as ``name`` with its
    ``options`` dataclass (filled from the BenchConfig by :func:`facerep.bench.settings.settings_from`)."""
    def deco(cls: type[Mode]) -> type[Mode]:
        cls.name = name
        return MODES.register(name, description=description, options=options)(cls)

    return deco


def _ensure_loaded() -> None:
    import_submodules(__name__)


def list_modes(pattern: str = "*") -> list[str]:
    """Names of the registered modes (glob ``pattern``)."""
    _ensure_loaded()
    return MODES.list(pattern)


def get_mode(name: str) -> type[Mode]:
    """The mode class registered as ``name`` (unknown names list the valid ones)."""
    _ensure_loaded()
    return MODES.get(name)


def mode_options(name: str) -> type:
    """The options dataclass registered with mode ``name``."""
    _ensure_loaded()
    options: Any = MODES.entry(name).options
    return options
