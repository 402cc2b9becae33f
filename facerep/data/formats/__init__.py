"""Dataset formats: one file per format, each registered by name; ``FORMAT:PATH`` strings resolve here.

A format is a class with::

    provides: frozenset[str]        # label kinds (see data.sample.LABEL_KINDS)
    splits: tuple[str, ...]         # official splits; () when the dataset has none
    def open(self, path: str, split: str | None = None) -> FaceDataset   # lazy: decode on access

``split=None`` means every sample. Asking for a split the format does not have raises DataError.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..._plugins import import_submodules
from ...errors import ConfigError, DataError
from ...registry import Registry
from ..sample import FaceDataset


class Format(Protocol):
    provides: frozenset[str]
    splits: tuple[str, ...]

    def open(self, path: str, split: str | None = None) -> FaceDataset: ...


FORMATS: Registry[type] = Registry("dataset format")
register_format = FORMATS.register


def _ensure_loaded() -> None:
    import_submodules(__name__)
    import_submodules("facerep.data.synth")


def parse_spec(spec: str) -> tuple[str, str]:
    """``"300w:/data/300W"`` -> ``("300w", "/data/300W")``; ``"synth:"`` -> ``("synth", "")``."""
    name, sep, path = spec.partition(":")
    if not sep or not name:
        raise ConfigError(f"dataset {spec!r} is not of the form FORMAT:PATH (e.g. synth: or 300w:/data/300W)")
    return name.strip().lower(), path


def get_format(name: str) -> Format:
    _ensure_loaded()
    return FORMATS.get(name)()


def load_dataset(spec: str, split: str | None = None) -> FaceDataset:
    """Open the dataset named by ``FORMAT:PATH`` (lazy). ``split=None`` gives every sample."""
    name, path = parse_spec(spec)
    return get_format(name).open(path, split)


def check_spec(spec: str) -> None:
    """Fail fast on a dataset spec, reading no sample: the format must be registered (else UnknownNameError
    with the valid names), a PATH must exist (DataError naming it), options (``k=v``) must parse (the dataset
    is opened, which is lazy)."""
    name, target = parse_spec(spec)
    get_format(name)
    if target and "=" not in target:
        if not Path(target).expanduser().exists():
            raise DataError(f"data path {target!r} (in {spec!r}) does not exist")
        return
    load_dataset(spec)


def list_formats(pattern: str = "*") -> list[str]:
    _ensure_loaded()
    return FORMATS.list(pattern)
