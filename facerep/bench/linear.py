"""The frozen-backbone heads of one task (``--mode linear`` and ``knn``): their cached inputs, read once per task,
and the fit + prediction of one training subset (:func:`linear_heads` picks :class:`LinearHeads`, or
:class:`PixelHeads` for per-pixel tasks).

In linear mode the inputs are standardised once with the whole training split's statistics and the ridge fits
share one Gram matrix (:mod:`.design`; one per source, input kind and training split, so tasks reading the same
inputs share it too); closed-form heads do not depend on the seed, so the fit on the whole
training split (fraction 1.0, the same for every seed) is made once and reused.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .design import Design
from .features import head_spec, task_input
from .heads import ProbeHead, fit_head
from .pixels import fit_pixel_probe, memmap_reader, predict_maps
from .robustness import augmented_inputs, repeat_labels, train_corruption_pairs
from .sources import Source
from .tasks._base import HeadSpec, Task


def linear_heads(task: Task, src: Source, cfg: Any, train_pos: np.ndarray, test_pos: np.ndarray,
                 pairs: list[tuple[str, str]]) -> "LinearHeads | PixelHeads":
    """The heads of ``task`` on cached features: the per-pixel probe for tasks of input "pixels", else
    LinearHeads."""
    kind = PixelHeads if task.input == "pixels" else LinearHeads
    return kind(task, src, cfg, train_pos, test_pos, pairs)


class LinearHeads:
    """Inputs of one task's heads on cached features: the training features (plus ``--train-corruptions`` copies),
    the test inputs ``x_tests`` (clean, then each test corruption of ``pairs``) and, in linear mode, a Design."""

    def __init__(self, task: Task, src: Source, cfg: Any, train_pos: np.ndarray, test_pos: np.ndarray,
                 pairs: list[tuple[str, str]]) -> None:
        self.task, self.src, self.cfg, self.n_train = task, src, cfg, len(train_pos)
        self.kind = "pooled" if cfg.mode == "knn" else ("dense" if task.input == "dense" else "global")
        grid = self.grid = src.view.global_grid
        mirror = cfg.mirror and cfg.mode == "linear" and task.mirror_invariant and "train|mirror" in src.features
        self.copies = ["train|mirror"] if mirror else []  # more rows per face (the Design holds them too)
        self.x_train_all = [src.features["train"],  # + the mirrored crops, + the --train-corruptions copies
                            *(src.features[key] for key in self.copies),
                            *(src.features[f"train|{n}:{s}"] for n, s in train_corruption_pairs(cfg))]
        self.x_tests = [task_input(src.features[key], test_pos, kind=self.kind, grid=grid)
                        for key in ["test", *(f"test|{n}:{s}" for n, s in pairs)]]
        self.design: Design | None = None
        if cfg.mode == "linear":  # standardisation (and Gram matrix) of the whole training split, for all fits
            pos = np.sort(train_pos)
            key = (src.features["train"].key, *self.copies, self.kind, grid, pos.tobytes())  # shared by tasks alike
            if key not in src.designs:
                inputs = [task_input(src.features[k], pos, kind=self.kind, grid=grid) for k in ["train", *self.copies]]
                src.designs[key] = Design(inputs[0], pos, tuple(inputs[1:]))
            self.design = src.designs[key]
            self.x_tests = [self.design.standardize(x) for x in self.x_tests]
        self.closed_form = cfg.mode == "linear" and (task.regression or task.closed_form)
        self._whole: list[torch.Tensor] | None = None

    def predict(self, idx: np.ndarray, y: torch.Tensor, groups: np.ndarray | None, seed: int) -> list[torch.Tensor]:
        """Fit on the training subset ``idx`` (targets y, identity groups) -> head-space outputs on each test input."""
        whole = self.closed_form and len(idx) == self.n_train  # the same fit for every seed: made once
        if whole and self._whole is not None:
            return self._whole
        plain = len(self.x_train_all) == 1 + len(self.copies)  # no --train-corruptions copies
        if self.design is not None and plain:
            x = self.design.rows_of(idx)
            y, groups = repeat_labels(y, groups, self.design.k)
        else:
            x, y, groups = augmented_inputs(self.x_train_all, idx, y, groups, kind=self.kind,
                                            grid=self.grid)
            x = x if self.design is None else self.design.standardize(x)
        outs = fit_predict(self.task, head_spec(x, self.cfg, self.src.train.info), x, y, self.x_tests, self.cfg,
                           seed, groups, self.design, idx if plain else None)
        if whole:
            self._whole = outs
        return outs


def fit_predict(task: Task, spec: HeadSpec, x: torch.Tensor, y: torch.Tensor, x_tests: list[torch.Tensor],
                cfg: Any, seed: int, groups: np.ndarray | None = None, design: Design | None = None,
                rows: np.ndarray | None = None) -> list[torch.Tensor]:
    """Train a head on cached features (or vote by kNN) and return its head-space outputs on each test input.
    ``groups`` [N]: identity / subject / video of each training sample (penalty selection holds out whole groups);
    ``design``: the task's shared standardisation and Gram matrix (:mod:`.design`); ``rows``: the training split's
    dataset indices of the rows of ``x`` (None when ``x`` is not a plain selection, e.g. with corrupted copies)."""
    if cfg.mode == "knn":
        return [task.knn_predict(x, y, x_te) for x_te in x_tests]
    torch.manual_seed(seed)
    head = task.build_head(spec)
    gram = None
    if design is not None:
        design.attach(head)
        if rows is not None and isinstance(head, ProbeHead):
            gram = design.gram_of(rows)
    scored = fit_head(task, head, x, y, cfg, seed, groups, gram)
    with torch.no_grad():
        outs = [head(x_te) for x_te in x_tests]
    return [task.from_scores(o) for o in outs] if scored else outs


class PixelHeads:
    """The per-pixel probe of one task on cached native maps: the same interface as :class:`LinearHeads`
    (``predict(idx, y, groups, seed)`` -> an output per test input: clean, then each test corruption of
    ``pairs``)."""

    def __init__(self, task: Task, src: Source, cfg: Any, train_pos: np.ndarray, test_pos: np.ndarray,
                 pairs: list[tuple[str, str]]) -> None:
        self.task, self.cfg, self.test_pos = task, cfg, np.asarray(test_pos)
        keys = ["train", *(f"train|{n}:{s}" for n, s in train_corruption_pairs(cfg))]
        self.train = [memmap_reader(src.features[k]) for k in keys]
        self.tests = [memmap_reader(src.features[k]) for k in ["test", *(f"test|{n}:{s}" for n, s in pairs)]]
        first = src.features["train"].native
        self.levels = tuple((int(m.shape[1]), int(m.shape[2]), int(m.shape[3])) for m in first)

    def predict(self, idx: np.ndarray, y: torch.Tensor, groups: np.ndarray | None,
                seed: int) -> list[torch.Tensor]:
        """Fit on the training faces ``idx`` (crop masks y [n, S, S]) -> packed logits on each test input."""
        cfg = self.cfg
        head = self.task.build_head(HeadSpec(0, 0, 0, cfg.image_size, self.task.info, levels=self.levels))
        fit_pixel_probe(head, self.train, np.asarray(idx), y, groups, per_class=cfg.pixels_per_class, seed=seed,
                        n_classes=self.task.n, power=cfg.pixels_class_power)
        return [predict_maps(head, read, self.test_pos) for read in self.tests]
