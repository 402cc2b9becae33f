"""One registry type for every extension point (backbones, formats, tasks, methods, …).

Example::

    TASKS = Registry("task")

    @TASKS.register("parsing", description="face parsing, per-pixel classes")
    class Parsing: ...

    TASKS.get("parsing")        # the class
    TASKS.list("land*")         # names matching a glob

An entry may carry its options dataclass (``register("swav", options=SwavOptions)``): the settings of an
extension travel with it, as timm keeps a model's ``pretrained_cfg`` with the model.
"""
from __future__ import annotations

import builtins
import dataclasses
import difflib
import fnmatch
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from .errors import UnknownNameError

T = TypeVar("T")


def close_names(name: str, candidates: Iterable[str], n: int = 5) -> list[str]:
    """The ``n`` candidates closest to a mistyped ``name``: longest common prefix first (same family:
    resnet_nope -> resnet*), then near-exact spellings (similarity >= 0.9), then the shortest (the family's
    plain members: resnet18 before resnet50_gn), then difflib's similarity. Case is ignored."""
    low = name.lower()

    def key(c: str) -> tuple[int, int, int, float, str]:
        ratio = difflib.SequenceMatcher(None, low, c.lower()).ratio()
        prefix = len(os.path.commonprefix([low, c.lower()]))  # noqa: RUF071 -- names, not paths
        return -prefix, -int(ratio >= 0.9), len(c) if prefix >= 3 else 0, -ratio, c

    return sorted(candidates, key=key)[:n]


@dataclass(frozen=True)
class Entry(Generic[T]):
    name: str
    obj: T
    description: str
    options: type | None = None  # the entry's options dataclass, if it has settings


class Registry(Generic[T]):
    """Maps names to factories (classes or functions). ``kind`` names what it holds in messages."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}

    def register(self, name: str, *, description: str = "", options: type | None = None) -> Callable[[T], T]:
        """Decorator: register ``obj`` under ``name`` (with its ``options`` dataclass, if any). A name can be
        registered once."""
        if options is not None and not dataclasses.is_dataclass(options):
            raise TypeError(f"{self.kind} {name!r}: options must be a dataclass, got {options!r}")

        def deco(obj: T) -> T:
            if name in self._entries and self._entries[name].obj is not obj:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            doc = description or (getattr(obj, "__doc__", None) or "").strip().split("\n")[0]
            self._entries[name] = Entry(name, obj, doc, options)
            return obj

        return deco

    def get(self, name: str) -> T:
        """The object registered as ``name``; an unknown name raises with the valid names listed."""
        return self.entry(name).obj

    def entry(self, name: str) -> Entry[T]:
        """The whole entry of ``name`` (object, description, options); unknown names raise as :meth:`get`."""
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        names = sorted(self._entries)
        close = difflib.get_close_matches(name, names, n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return f"unknown {self.kind} {name!r}.{hint} Valid: {', '.join(names) or '(none registered)'}"

    def list(self, pattern: str = "*") -> list[str]:
        """Sorted names matching the glob ``pattern``."""
        return sorted(n for n in self._entries if fnmatch.fnmatchcase(n, pattern))

    def entries(self, pattern: str = "*") -> builtins.list[Entry[T]]:  # builtins: list is a method here
        return [self._entries[n] for n in self.list(pattern)]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.list())

    def __len__(self) -> int:
        return len(self._entries)
