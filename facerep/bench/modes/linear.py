"""``--mode linear``: frozen backbone, heads on cached features.

The inputs of one task are read once (:class:`FeatureHeads`, shared with ``--mode knn``): standardised with
the whole training split's statistics, the ridge fits sharing one Gram matrix (:mod:`facerep.bench.design`;
one per source, input kind and training split, so tasks reading the same inputs share it too). Closed-form
heads do not depend on the seed, so the fit on the whole training split (fraction 1.0, the same for every
seed) is made once and reused. Linear heads of mirror-invariant tasks also train on the mirrored crops
(``mirror``). Per-pixel tasks (input "pixels") get the dense probe of :mod:`facerep.bench.pixels`
(:class:`PixelHeads`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ..design import Design
from ..features import head_spec, task_input
from ..heads import ProbeHead, fit_head
from ..pixels import PixelProbe, fit_pixel_probe, memmap_reader, predict_maps
from ..robustness import augmented_inputs, repeat_labels
from ..settings import HeadSettings
from ..sources import TEST, TRAIN, TRAIN_MIRRORED, DesignKey, FeatureKey, corrupted
from ..tasks._base import HeadSpec, Task
from . import register_mode
from ._base import Mode, Predictor, TaskData

# (x [n, ...], y, test inputs, *, seed, groups, design, rows) -> head-space outputs on each test input
Fit = Callable[..., list[torch.Tensor]]


@dataclass(frozen=True)
class LinearOptions:
    """``--mode linear``: how its heads are built and fitted."""

    head: HeadSettings


@register_mode("linear", options=LinearOptions,
               description="frozen backbone: closed-form / linear heads on cached features")
class LinearMode(Mode):
    reads = "features"
    mirrored = True
    options: LinearOptions

    def predictor(self, data: TaskData) -> Predictor:
        if data.task.input == "pixels":
            return PixelHeads(data, self.options.head)
        kind = "dense" if data.task.input == "dense" else "global"
        return FeatureHeads(data, kind=kind, fit=self._fit(data), standardize=True,
                            reuse_whole=data.task.probe != "gradient")

    def _fit(self, data: TaskData) -> Fit:
        task, info, settings = data.task, data.src.train.info, self.options.head

        def fit(x: torch.Tensor, y: torch.Tensor, x_tests: list[torch.Tensor], *, seed: int,
                groups: np.ndarray | None, design: Design | None,
                rows: np.ndarray | None) -> list[torch.Tensor]:
            torch.manual_seed(seed)
            head = task.build_head(head_spec(x, image_size=settings.image_size,
                                             dense_grid=settings.dense_grid,
                                             info=info))
            gram = None
            if design is not None:
                design.attach(head)
                if rows is not None and isinstance(head, ProbeHead):
                    gram = design.gram_of(rows)
            predict = fit_head(task, head, x, y, settings=settings, seed=seed, groups=groups, gram=gram)
            with torch.no_grad():
                return [predict(x_te) for x_te in x_tests]

        return fit


class FeatureHeads:
    """Inputs of one task's heads on cached features: the training features (plus the mirrored crops' and the
    ``--train-corruptions`` copies), the test inputs ``x_tests`` (clean, then each test corruption) and, when
    ``standardize``, a shared :class:`facerep.bench.design.Design`. ``kind``: "pooled", "global" or "dense"
    (:func:`facerep.bench.features.task_input`); ``fit``: the mode's fit of one subset; ``reuse_whole``: the
    fit on the whole training split is the same for every seed (closed form) and is made once."""

    def __init__(self, data: TaskData, *, kind: str, fit: Fit, standardize: bool, reuse_whole: bool) -> None:
        src, train_pos = data.src, data.train_pos
        self.fit, self.kind, self.n_train, self.reuse_whole = fit, kind, len(train_pos), reuse_whole
        grid = self.grid = src.view.global_grid
        # encoded for modes that mirror
        mirror = data.task.mirror_invariant and TRAIN_MIRRORED in src.features
        self.copies: list[FeatureKey] = [TRAIN_MIRRORED] if mirror else []  # more rows per face (Design too)
        self.x_train_all = [src.features[TRAIN], *(src.features[key] for key in self.copies),
                            *(src.features[corrupted("train", n, s)] for n, s in data.train_pairs)]
        self.x_tests = [task_input(src.features[key], data.test_pos, kind=kind, grid=grid)
                        for key in [TEST, *(corrupted("test", n, s) for n, s in data.test_pairs)]]
        self.design: Design | None = None
        if standardize:  # standardisation (and Gram matrix) of the whole training split, for all fits
            pos = np.sort(train_pos)
            key = DesignKey(src.features[TRAIN].key, bool(self.copies), kind, grid, pos.tobytes())  # shared
            if key not in src.designs:
                inputs = [task_input(src.features[k], pos, kind=kind, grid=grid)
                          for k in [TRAIN, *self.copies]]
                src.designs[key] = Design(inputs[0], pos, tuple(inputs[1:]))
            self.design = src.designs[key]
            self.x_tests = [self.design.standardize(x) for x in self.x_tests]
        self._whole: list[torch.Tensor] | None = None

    def fit_predict(self, idx: np.ndarray, y: torch.Tensor, *, groups: np.ndarray | None,
                    seed: int) -> list[torch.Tensor]:
        """Fit on the training subset ``idx`` (targets y, identity groups) -> head-space outputs on each test
        input."""
        whole = self.reuse_whole and len(idx) == self.n_train  # the same fit for every seed: made once
        if whole and self._whole is not None:
            return self._whole
        plain = len(self.x_train_all) == 1 + len(self.copies)  # no --train-corruptions copies
        if self.design is not None and plain:
            x = self.design.rows_of(idx)
            y, groups = repeat_labels(y, groups, self.design.k)
        else:
            x, y, groups = augmented_inputs(self.x_train_all, idx, y, groups, kind=self.kind, grid=self.grid)
            x = x if self.design is None else self.design.standardize(x)
        outs = self.fit(x, y, self.x_tests, seed=seed, groups=groups, design=self.design,
                        rows=idx if plain else None)
        if whole:
            self._whole = outs
        return outs


def pixel_probe(task: Task, image_size: int, levels: tuple[tuple[int, int, int], ...]) -> PixelProbe:
    """The per-pixel probe a task of input "pixels" builds on native maps of (C, H, W) ``levels``."""
    info = task.info
    if info is None:
        raise ValueError(f"task {task.name!r} builds heads after setup()")
    head = task.build_head(HeadSpec(0, 0, 0, image_size, info, levels=levels))
    if not isinstance(head, PixelProbe):
        raise TypeError(f"task {task.name!r} reads pixels: its head must be a PixelProbe, not "
                        f"{type(head).__name__}")
    return head


class PixelHeads:
    """The per-pixel probe of one task on cached native maps (:class:`Predictor`): an output per test input
    (clean, then each test corruption)."""

    def __init__(self, data: TaskData, settings: HeadSettings) -> None:
        src, self.task, self.settings = data.src, data.task, settings
        self.test_pos = np.asarray(data.test_pos)
        keys = [TRAIN, *(corrupted("train", n, s) for n, s in data.train_pairs)]
        self.train = [memmap_reader(src.features[k]) for k in keys]
        self.tests = [memmap_reader(src.features[k])
                      for k in [TEST, *(corrupted("test", n, s) for n, s in data.test_pairs)]]
        first = src.features[TRAIN].native
        self.levels = tuple((int(m.shape[1]), int(m.shape[2]), int(m.shape[3])) for m in first)

    def fit_predict(self, idx: np.ndarray, y: torch.Tensor, *, groups: np.ndarray | None,
                    seed: int) -> list[torch.Tensor]:
        """Fit on the training faces ``idx`` (crop masks y [n, S, S]) -> packed logits on each test input."""
        s = self.settings
        head = pixel_probe(self.task, s.image_size, self.levels)
        fit_pixel_probe(head, self.train, np.asarray(idx), y, groups, per_class=s.pixels_per_class, seed=seed,
                        n_classes=head.probe.last.out_features, power=s.pixels_class_power)
        return [predict_maps(head, read, self.test_pos) for read in self.tests]
