"""Checks a spec's names and paths before anything runs; each error names the spec file and line."""
from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError, DataError, FacerepError, UnknownNameError

RANDOM_PREFIX = "random:"


def where(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line is not None else str(path)


def check_data(spec: str, path: Path, line: int | None) -> None:
    """``FORMAT:PATH``: the format must be registered; a PATH must exist; options (``k=v``) must parse."""
    from ..data.formats import FORMATS, list_formats, load_dataset, parse_spec

    try:
        name, target = parse_spec(str(spec))
    except ConfigError as e:
        raise ConfigError(f"{where(path, line)}: {e}") from None
    if name not in list_formats():
        raise UnknownNameError(f"{where(path, line)}: data {spec!r}: {FORMATS.unknown_message(name)}")
    if target and "=" not in target:
        if not Path(target).expanduser().exists():
            raise DataError(f"data path {target!r} (in {spec!r}) does not exist", str(path), line)
        return
    try:  # options, not a path (e.g. synth:ids=40,size=64): opening is lazy and validates them
        load_dataset(str(spec))
    except FacerepError as e:
        raise ConfigError(f"{where(path, line)}: data {spec!r}: {e}") from None


def check_backbone(spec: str, path: Path, line: int | None) -> None:
    """A backbone spec (``random:`` prefix allowed): known adapter; timm name known; local dir present."""
    from ..backbones import BACKBONES, list_adapters, parse_backbone

    bare = spec.removeprefix(RANDOM_PREFIX)
    try:
        prefix, arg = parse_backbone(bare)
    except ConfigError as e:
        raise ConfigError(f"{where(path, line)}: {e}") from None
    if prefix not in list_adapters():
        raise UnknownNameError(f"{where(path, line)}: backbone {spec!r}: {BACKBONES.unknown_message(prefix)}")
    if prefix == "timm":
        import timm

        if not timm.is_model(arg.split("?")[0]):
            raise UnknownNameError(f"{where(path, line)}: backbone {spec!r}: timm has no model {arg!r} "
                                   "(list them with: facerep backbones 'PATTERN')")
    if prefix == "local" and not Path(arg, "backbone.json").is_file():
        raise DataError(f"backbone directory {arg!r} has no backbone.json", str(path), line)


def check_name(name: str, valid: list[str], kind: str, path: Path, line: int | None) -> None:
    """An UnknownNameError naming ``kind``, the spec line and the valid names."""
    if name not in valid:
        import difflib

        close = difflib.get_close_matches(name, valid, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise UnknownNameError(f"{where(path, line)}: unknown {kind} {name!r}.{hint} Valid: {', '.join(valid)}")
