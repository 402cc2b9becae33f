"""Checks a spec's names and paths before anything runs; each error names the spec file and line."""
from __future__ import annotations

import difflib
from pathlib import Path

from ..backbones import BACKBONES, list_adapters, parse_backbone
from ..data.formats import check_spec
from ..errors import ConfigError, DataError, FacerepError, UnknownNameError
from ..registry import close_names

RANDOM_PREFIX = "random:"


def where(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line is not None else str(path)


def check_data(spec: str, path: Path, line: int | None) -> None:
    """``FORMAT:PATH``: the format must be registered; a PATH must exist; options (``k=v``) must parse."""
    try:
        check_spec(str(spec))
    except UnknownNameError as e:
        raise UnknownNameError(f"{where(path, line)}: data {spec!r}: {e}") from None
    except DataError as e:
        raise DataError(e.message, str(path), line) from None
    except FacerepError as e:
        raise ConfigError(f"{where(path, line)}: data {spec!r}: {e}") from None


def check_backbone(spec: str, path: Path, line: int | None) -> None:
    """A backbone spec (``random:`` prefix allowed): known adapter; timm name known; local dir present."""
    bare = spec.removeprefix(RANDOM_PREFIX)
    try:
        prefix, arg = parse_backbone(bare)
    except ConfigError as e:
        raise ConfigError(f"{where(path, line)}: {e}") from None
    if prefix not in list_adapters():
        raise UnknownNameError(f"{where(path, line)}: backbone {spec!r}: {BACKBONES.unknown_message(prefix)}")
    if prefix == "timm":
        import timm  # deferred: seconds to import, and only timm: backbones need it

        if not timm.is_model(arg.split("?")[0]):
            close = ", ".join(close_names(arg.split("?")[0], timm.list_models()))
            raise UnknownNameError(f"{where(path, line)}: backbone {spec!r}: timm has no model {arg!r}; "
                                   f"similar: {close} (list them with: facerep backbones WORD)")
    if prefix == "local" and not Path(arg, "backbone.json").is_file():
        raise DataError(f"backbone directory {arg!r} has no backbone.json", str(path), line)


def check_name(name: str, valid: list[str], kind: str, path: Path, line: int | None) -> None:
    """An UnknownNameError naming ``kind``, the spec line and the valid names."""
    if name not in valid:
        close = difflib.get_close_matches(name, valid, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise UnknownNameError(f"{where(path, line)}: unknown {kind} {name!r}.{hint} Valid: "
                               f"{', '.join(valid)}")
