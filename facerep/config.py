"""Typed configuration: dataclasses are the single source of defaults.

Every command resolves its config as ``dataclass defaults <- YAML file <- key=value overrides``
(merged in that order, later wins). Unknown keys are errors. The resolved config is written next to
every output with :func:`save_config`.

Subsystems define their config dataclass in this file (append a section below), so that every
default lives in one place.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Sequence, TypeVar

import yaml
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from .errors import ConfigError

T = TypeVar("T")


def resolve_config(cls: type[T], file: str | Path | None = None, overrides: Sequence[str] = (),
                   **values: Any) -> T:
    """Build ``cls`` from its defaults, then ``values`` (typed Python values, e.g. CLI options),
    then a YAML ``file``, then ``key=value`` ``overrides`` (dotted keys for nested configs)."""
    try:
        base = OmegaConf.structured(cls)
        layers = [base]
        if values:
            layers.append(OmegaConf.create({k: v for k, v in values.items() if v is not None}))
        if file is not None:
            path = Path(file)
            if not path.is_file():
                raise ConfigError(f"config file {str(path)!r} does not exist")
            try:
                loaded = yaml.safe_load(path.read_text()) or {}
            except yaml.YAMLError as e:
                raise ConfigError(f"{path}: not valid YAML: {e}") from None
            if not isinstance(loaded, dict):
                raise ConfigError(f"{path}: a config file must hold a mapping of keys to values")
            layers.append(OmegaConf.create(loaded))
        for item in overrides:
            if "=" not in item:
                raise ConfigError(f"override {item!r} is not of the form key=value")
        if overrides:
            layers.append(OmegaConf.from_dotlist(list(overrides)))
        merged = OmegaConf.merge(*layers)
        return OmegaConf.to_object(merged)  # type: ignore[return-value]
    except OmegaConfBaseException as e:
        msg = str(e).split("\n")[0]
        raise ConfigError(f"{cls.__name__}: {msg}") from None


def config_to_dict(cfg: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(cfg):
        return dataclasses.asdict(cfg)  # type: ignore[arg-type]
    return dict(cfg)


def save_config(cfg: Any, path: str | Path) -> Path:
    """Write the resolved config as YAML (``.yaml``) or JSON (anything else), atomically."""
    from .io import atomic_write_text

    data = config_to_dict(cfg)
    path = Path(path)
    text = yaml.safe_dump(data, sort_keys=False) if path.suffix in (".yaml", ".yml") else json.dumps(data, indent=2)
    atomic_write_text(path, text)
    return path


# --- configs of each subsystem follow (append below) -------------------------------------------
