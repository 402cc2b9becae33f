"""Backbones: one adapter per file, registered by prefix (``timm:resnet50``, ``torchvision:resnet18``,
``local:DIR`` or a bare directory, ``frl:PATH`` …). See :mod:`facerep.backbones.base` for the contract."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._plugins import import_submodules
from ..errors import ConfigError
from ..registry import Registry
from .base import Backbone, PretrainedCfg

BackboneFactory = Callable[..., Backbone]
BACKBONES: Registry[BackboneFactory] = Registry("backbone adapter")
register_backbone = BACKBONES.register


def _ensure_loaded() -> None:
    import_submodules(__name__)


def parse_backbone(spec: str) -> tuple[str, str]:
    """``"timm:resnet18"`` -> ``("timm", "resnet18")``; a directory holding ``backbone.json`` -> local."""
    if Path(spec, "backbone.json").is_file():
        return "local", spec
    prefix, sep, arg = spec.partition(":")
    if not sep:
        if Path(spec).exists():
            raise ConfigError(f"backbone {spec!r}: a directory must hold backbone.json (written by facerep)")
        raise ConfigError(f"backbone {spec!r} is not of the form ADAPTER:NAME (e.g. timm:resnet18) or a "
                          "facerep output dir")
    return prefix, arg


def create_backbone(spec: str, *, pretrained: bool = False, **kwargs: Any) -> Backbone:
    """Build a backbone from its spec string. ``pretrained=True`` loads the adapter's published
    weights (hub/URL for timm); local checkpoints always load their weights."""
    _ensure_loaded()
    prefix, arg = parse_backbone(spec)
    model = BACKBONES.get(prefix)(arg, pretrained=pretrained, **kwargs)
    model.eval()
    return model


def list_adapters(pattern: str = "*") -> list[str]:
    _ensure_loaded()
    return BACKBONES.list(pattern)


__all__ = ["BACKBONES", "Backbone", "PretrainedCfg", "create_backbone", "list_adapters", "register_backbone"]
