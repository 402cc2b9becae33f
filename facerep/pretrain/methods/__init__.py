"""Pre-training methods: one file per method, each registered by name with its options dataclass.

A method is a :class:`~facerep.pretrain.methods._base.Method`: ``build(backbone, cfg)`` returns the
module, ``views(cfg)`` the augmentation that makes its views, ``training_step(batch)`` the losses. Its
settings are a dataclass in the same file, registered with it::

    @dataclasses.dataclass
    class ToyOptions:
        temperature: float = 0.1

    @register_method("toy", options=ToyOptions, description="…")
    class Toy(Method): ...          # reads cfg.options (a ToyOptions)

so a new method is one file. Dropped in this package it is imported on first use, and
``facerep pretrain --method toy toy.temperature=0.2`` works (in YAML: ``toy: {temperature: 0.2}``); a file
elsewhere registers the same way once imported (the Python API, a sweep spec's ``imports:``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..._plugins import import_submodules
from ...registry import Registry

if TYPE_CHECKING:  # _base imports config, which imports this package
    from ._base import Method

METHODS: Registry[type[Method]] = Registry("pre-training method")


@dataclasses.dataclass
class NoOptions:
    """The options of a method registered without any."""


def register_method(name: str, *, options: type | None = None, description: str = ""
                    ) -> Callable[[type[Method]], type[Method]]:
    """Decorator: register a :class:`Method` subclass as ``name`` with its ``options`` dataclass."""
    return METHODS.register(name, description=description, options=options or NoOptions)


def _ensure_loaded() -> None:
    import_submodules(__name__)


def get_method(name: str) -> type[Method]:
    """The method class registered as ``name`` (unknown names list the valid ones)."""
    _ensure_loaded()
    return METHODS.get(name)


def method_options(name: str) -> type:
    """The options dataclass registered with method ``name`` (unknown names list the valid ones)."""
    _ensure_loaded()
    return METHODS.entry(name).options or NoOptions


def list_methods(pattern: str = "*") -> list[str]:
    _ensure_loaded()
    return METHODS.list(pattern)
