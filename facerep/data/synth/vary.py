"""Controlled variation (``synth:...,vary=skin_tone,vary_levels=5``): every base sample is rendered at
``vary_levels`` values of ONE identity attribute, everything else (pose, expression, light, background,
degradations) unchanged. Landmarks are identical across levels; the mask changes only where the varied
part is drawn (beard and age move hair pixels; skin tone, hair colour and glasses change no mask pixel).
Sample ``i`` is base sample ``i // vary_levels`` at level ``i % vary_levels``.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from ...errors import ConfigError
from .generator import SKIN_PALETTE as _SKIN
from .params import HAIR_COLOURS, IdentityParams


def _skin(ip: IdentityParams, level: int, n: int) -> IdentityParams:
    tone = 0.05 + 0.9 * level / max(n - 1, 1)
    pos = tone * (len(_SKIN) - 1)
    k = min(int(pos), len(_SKIN) - 2)
    rgb = _SKIN[k] + (pos - k) * (_SKIN[k + 1] - _SKIN[k])
    lip = np.clip(rgb * 0.75 + [45, -5, 0], 0, 255)
    r, g, b = (int(v) for v in rgb)
    lr, lg, lb = (int(v) for v in lip)
    return dataclasses.replace(ip, skin_tone=tone, skin_rgb=(r, g, b), lip_rgb=(lr, lg, lb))


def _hair(ip: IdentityParams, level: int, n: int) -> IdentityParams:
    style = "short" if ip.hair_style == "bald" else ip.hair_style
    return dataclasses.replace(ip, hair_style=style,
                               hair_colour=list(HAIR_COLOURS)[level % len(HAIR_COLOURS)])


def _flag(name: str) -> Callable[[IdentityParams, int, int], IdentityParams]:
    return lambda ip, level, n: dataclasses.replace(ip, **{name: bool(level % 2)})  # type: ignore[arg-type]


VARY: dict[str, tuple[int, Callable[[IdentityParams, int, int], IdentityParams]]] = {
    # name -> (largest number of distinct levels, function)
    "skin_tone": (256, _skin), "hair_colour": (len(HAIR_COLOURS), _hair),
    "glasses": (2, _flag("glasses")), "beard": (2, _flag("beard")), "age": (2, _flag("old")),
}


def check_vary(name: str, levels: int) -> None:
    if not name:
        return
    if name not in VARY:
        raise ConfigError(f"synth: vary={name!r} is not a variable attribute; valid: {', '.join(VARY)}")
    if not 2 <= levels <= VARY[name][0]:
        raise ConfigError(f"synth: vary_levels={levels} for vary={name} must be in [2, {VARY[name][0]}]")


def apply_vary(ip: IdentityParams, name: str, level: int, levels: int) -> IdentityParams:
    """The identity with attribute ``name`` set to its ``level``-th value of ``levels``."""
    return VARY[name][1](ip, level, levels)
