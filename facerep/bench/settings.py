"""The typed settings each part of the benchmark reads, unpacked once from a BenchConfig by :mod:`.api`.

Below the API no function takes the whole config: the protocol, the data sources, the heads, the robustness
axes and each mode get the frozen dataclass of their part (a mode's options dataclass lives beside the mode,
:mod:`facerep.bench.modes`). :func:`settings_from` fills any of these dataclasses from a BenchConfig by field
name (nested settings dataclasses recursively); the settings have no defaults of their own, so the config
stays the one place of the defaults.
"""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import ConfigError

S = TypeVar("S")


@dataclass(frozen=True)
class ViewSettings:
    """How faces are cropped and which backbone maps each crop's tasks read (:func:`.sources.crop_view`):
    ``align`` "auto" (tasks' own crops) | "off" (box crops for every task)."""

    align: str
    aligned_strides: tuple[int, ...]
    aligned_grid: int
    dense_strides: tuple[int, ...]
    dense_grid: int
    global_grid: int


@dataclass(frozen=True)
class HeadSettings:
    """How a head is built and fitted on features (:func:`.heads.fit_head`, :mod:`.pixels`)."""

    image_size: int
    dense_grid: int
    head_steps: int
    head_lr: float
    head_weight_decay: float
    head_batch: int
    pixels_per_class: int
    pixels_class_power: float


@dataclass(frozen=True)
class FeatureSettings:
    """Where and how backbone features are computed and cached (:mod:`.features`)."""

    cache_dir: str
    batch_size: int
    native_strides: tuple[int, ...]


@dataclass(frozen=True)
class SourceSettings:
    """How data sources are loaded, cropped and split (:mod:`.sources`)."""

    image_size: int
    landmarker: str
    cache_dir: str
    skip_bad: bool
    near_duplicate: float
    align_margin: float
    train_split: str
    test_split: str
    test_fraction: float
    split_seed: int
    view: ViewSettings


@dataclass(frozen=True)
class RobustnessSettings:
    """The robustness and subgroup axes (:mod:`.robustness`): test-time and training corruptions as (name,
    severity) pairs (parsed by the API), the subgroup breakdown and the skewed training split."""

    test_pairs: tuple[tuple[str, str], ...]
    train_pairs: tuple[tuple[str, str], ...]
    train_label: str  # the records' ``train_corruptions``: the specs given, or "clean"
    split_seed: int
    groups: tuple[str, ...]
    group_bootstrap: int
    train_skew: str

    @property
    def corrupted(self) -> bool:
        """Whether any corruption option is set (the records then carry ``train_corruptions``)."""
        return bool(self.test_pairs or self.train_pairs)


@dataclass(frozen=True)
class ProtocolSettings:
    """Fractions and/or shots × seeds, the trivial baselines, the mirrored training crops."""

    fractions: tuple[float, ...]
    shots: tuple[int, ...]
    seeds: tuple[int, ...]
    trivial: bool
    mirror: bool
    split_seed: int
    near_duplicate: float


def settings_from(cfg: Any, cls: type[S]) -> S:
    """An instance of the settings dataclass ``cls`` with each field read from ``cfg`` (a BenchConfig) by
    name: lists become tuples, a field whose type is itself a settings dataclass is filled the same way, a
    field the config lacks keeps its default (e.g. a toy mode's own option)."""
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        kind = hints[f.name]
        if dataclasses.is_dataclass(kind) and isinstance(kind, type):
            values[f.name] = settings_from(cfg, kind)
        elif hasattr(cfg, f.name):
            value = getattr(cfg, f.name)
            values[f.name] = tuple(value) if isinstance(value, list) else value
    return cls(**values)


def check_fractions(fractions: Any) -> list[float]:
    """The label fractions as floats; ConfigError for one outside (0, 1] (the share of the training split
    used). The one check of fractions: the bench's API and the sweep's ``evaluate:`` both call it."""
    out = [float(f) for f in fractions]
    for f in out:
        if not 0.0 < f <= 1.0:
            raise ConfigError(f"fraction {f:g} is outside (0, 1]: a fraction is the share of the training "
                              "split used")
    return out
