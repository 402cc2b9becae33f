"""The few-shot protocol: tasks × (fractions and/or shots) × seeds, in one registered evaluation mode.

The mode (:mod:`facerep.bench.modes`: ``linear``, ``knn``, ``finetune``, or any registered one) says whether
it reads cached features (computed once per dataset split and crop, float16 memory maps,
:mod:`facerep.bench.features`; every fraction, seed and task reads them) or the face crops, which tasks it can
evaluate, and builds each task's heads; the protocol asks it and never compares mode names.

For one seed, subsets are nested (1 % ⊂ 2 % ⊂ … ⊂ 100 %), stratified by class for classification tasks and
made of whole identities for recognition (:func:`facerep.data.splits.nested_subsets`); ``--shots K`` takes K
per class (classification) or per identity (:func:`facerep.data.splits.shots_subset`). The test set is the
same for every fraction and seed. Each (seed, fraction) also records the task's trivial baseline (mode
``trivial``); a task scored with no training rows records mode ``unsupervised``. Every argument is typed and
keyword-only; the API (:mod:`facerep.bench.api`) unpacks the BenchConfig into them.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..backbones.base import Backbone
from ..curate.five_points import resolve_landmarker
from ..data.splits import nested_subsets, shots_subset
from ..errors import ConfigError, DataError, FacerepError
from ..progress import track
from .features import task_input, weights_digest
from .groups import group_labels, parse_skew, skew_positions
from .modes import TRIVIAL, UNSUPERVISED
from .modes._base import Mode, TaskData
from .prepare import group_ids, take
from .robustness import corruption_rows, group_rows, train_label
from .settings import FeatureSettings, ProtocolSettings, RobustnessSettings, SourceSettings
from .sources import (
    TEST,
    TRAIN,
    TRAIN_MIRRORED,
    CropView,
    Source,
    crop_view,
    encode_source,
    load_sources,
    source_name,
    split_report,
    task_split,
)
from .tasks import ALL_TASKS, get_task, list_tasks
from .tasks._base import Task


@dataclass
class BenchResult:
    rows: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[tuple[str, int, str]] = field(default_factory=list)  # (dataset, index, message)
    notes: list[str] = field(default_factory=list)
    forwarded: int = 0  # images the backbone encoded for cached features in this run
    forward_seconds: float = 0.0  # wall time of those encodings (clean and mirrored crops)
    splits: list[dict[str, Any]] = field(default_factory=list)  # per task: sources.split_report


@contextlib.contextmanager
def error_context(task: str, dataset: str) -> Iterator[None]:
    """Prefix a FacerepError's message with the task and dataset (unless it already names the task)."""
    try:
        yield
    except FacerepError as e:
        msg = str(e)
        if f"task {task!r}" in msg:
            raise
        prefix = f"task {task!r}, dataset {dataset!r}: "
        if isinstance(e, DataError):
            raise DataError(prefix + e.message, e.path, e.line) from None
        raise type(e)(prefix + msg) from None


def task_names(tasks: Sequence[str]) -> list[str]:
    names: list[str] = []
    for t in tasks:
        for name in (ALL_TASKS if t == "all" else [t]):
            get_task(name)  # unknown names list the valid ones
            if name not in names:
                names.append(name)
    if not names:
        raise ConfigError(f"no task given; choose from all, {', '.join(list_tasks())}")
    return names


def subsets(task: Task, batch: dict[str, Any], train_pos: np.ndarray, *, protocol: ProtocolSettings, seed: int
            ) -> list[tuple[float, int, np.ndarray]]:
    """[(fraction, shots, positions)] for one seed: nested fractions (NaN fraction for shots runs)."""
    sub = take(batch, train_pos)
    classes = task.classes(sub)
    ident = sub["identity_ids"] if (sub["identity_ids"] >= 0).all() else None
    out: list[tuple[float, int, np.ndarray]] = []
    if protocol.fractions:
        nested = nested_subsets(train_pos, [float(f) for f in protocol.fractions], seed,
                                stratify=None if task.subset_groups else classes,
                                groups=ident if task.subset_groups else None)
        out += [(float(f), 0, nested[float(f)]) for f in protocol.fractions]
    for k in protocol.shots:
        labels = classes if task.shots_by == "class" else ident
        if labels is None:
            raise ConfigError("--shots needs class or identity labels to draw K per class, and this data has "
                              "none")
        out.append((float("nan"), int(k), shots_subset(train_pos, labels, int(k), seed)))
    return out


@dataclass(frozen=True)
class Run:
    """What every task of one benchmark run shares: the backbone and its name in the records, the mode, and
    the settings of the protocol, the data sources, the feature cache and the robustness axes."""

    model: Backbone
    backbone_name: str
    mode: Mode
    protocol: ProtocolSettings
    sources: SourceSettings
    features: FeatureSettings
    robustness: RobustnessSettings


def run(*, tasks: dict[str, Task], plan: dict[str, Any], setup: Run, margin: float) -> BenchResult:
    """Benchmark ``tasks`` (name -> Task) on their data sources (``plan``: name -> source,
    :func:`facerep.bench.sources.resolve_data`) under ``setup``; ``margin``: the box margin of the face
    crops."""
    mode, features = setup.mode, setup.mode.reads == "features"
    weights = weights_digest(setup.model) if features else ""
    result, sources = BenchResult(), {}
    names = list(tasks)
    for name in list(names):
        reason = mode.skip_reason(tasks[name])
        if reason is not None:
            result.notes.append(f"task {name!r} {reason}: skipped in --mode {mode.name}")
            names.remove(name)
    view_of = {name: crop_view(setup.sources.view, tasks[name]) for name in names}
    readers: dict[tuple[str, CropView], list[Task]] = {}  # (dataset, crop view) -> the tasks reading it
    for name in names:
        readers.setdefault((source_name(plan[name]), view_of[name]), []).append(tasks[name])
    for name in names:
        task, obj = tasks[name], plan[name]
        dsname, view = source_name(obj), view_of[name]
        with error_context(name, dsname):
            if (dsname, view) not in sources:  # every crop of this dataset that a task reads, decoded once
                views = [v for d, v in readers if d == dsname]
                loaded = load_sources(obj, setup.sources, margin=margin, views=views)
                sources.update({(dsname, v): s for v, s in loaded.items()})
                result.skipped += loaded[views[0]].skipped
                _note_unaligned(loaded.values(), dsname, result,
                                resolve_landmarker(setup.sources.landmarker) or "none")
            src = sources[dsname, view]
            task.check(src.train.info, dsname)
            if src.official:
                task.use_test_info(src.test.info)
            if features:
                if any(t.input == "pixels" for t in readers[dsname, view]) and TRAIN not in src.features:
                    src.native = tuple(setup.features.native_strides)  # per-pixel heads read native maps
                mirror = _mirror_rows(src, readers[dsname, view], setup)
                forwarded, seconds = encode_source(src, setup.model, weights=weights, settings=setup.features,
                                                   robustness=setup.robustness, mirror_rows=mirror)
                result.forwarded += forwarded
                result.forward_seconds += seconds
            result.rows += run_task(task, src, setup, result.splits)
    _note_splits(result)
    return result


def _note_splits(result: BenchResult) -> None:
    """One note per dataset on how it was split and how many near-duplicate pairs cross train/test."""
    by_dataset: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in result.splits:
        by_dataset.setdefault((r["dataset"], r["grouping"]), []).append(r)
    for (dataset, grouping), reps in by_dataset.items():
        pairs = sorted({r["near_duplicate_pairs_across"] for r in reps})
        how = {"official splits": "its official splits", "none": "faces (no ids to keep whole)"}.get(
            grouping, f"{grouping} groups")
        text = f"{dataset}: train/test split by {how}"
        if grouping == "near-duplicate":
            text += (" (no identity, subject or video ids: faces whose 16x16 grey descriptors have cosine >= "
                     f"{reps[0]['near_duplicate']:g} are kept together; {reps[0]['groups_train']} + "
                     f"{reps[0]['groups_test']} groups)")
        text += "; near-duplicate pairs across train/test: " + "/".join(str(p) for p in pairs)
        result.notes.append(text)


def _mirror_rows(src: Source, readers: list[Task], setup: Run) -> np.ndarray | None:
    """Sorted positions of the training faces whose mirrored crops the heads of ``readers`` train on (the
    union of their training splits), or None when the mode trains on none, no reader is mirror-invariant, or
    they are already encoded."""
    on = setup.protocol.mirror and setup.mode.mirrored
    mirror = [t for t in readers if t.mirror_invariant] if on else []
    if not mirror or TRAIN_MIRRORED in src.features:
        return None
    return np.unique(np.concatenate([_split(t, src, setup.sources)[0] for t in mirror]))


def _split(task: Task, src: Source, sources: SourceSettings) -> tuple[np.ndarray, np.ndarray]:
    return task_split(task, src, test_fraction=sources.test_fraction, split_seed=sources.split_seed)


def _note_unaligned(srcs: Any, dsname: str, result: BenchResult, landmarker: str) -> None:
    for src in srcs:
        parts = [src.train] + ([src.test] if src.official else [])
        unaligned, found = sum(p.unaligned for p in parts), sum(p.found_points for p in parts)
        if found:
            result.notes.append(f"{dsname}: {found} face(s) without landmarks were aligned by the 5 points "
                                f"{landmarker} found (landmarker={landmarker})")
        if unaligned:
            why = "no landmarker (landmarker=none, or facenet-pytorch missing)" if landmarker == "none" else \
                f"{landmarker} found no face"
            result.notes.append(f"{dsname}: {unaligned} face(s) without 5 alignment points (eyes, nose tip, "
                                f"mouth corners; {why}) were box-cropped for the aligned tasks")


def run_task(task: Task, src: Source, setup: Run, splits: list[dict[str, Any]] | None = None
             ) -> list[dict[str, Any]]:
    """Every (seed, fraction | shots) of one task -> record rows (metric, value …); the split's report
    (:func:`sources.split_report`) is appended to ``splits``."""
    protocol, robustness = setup.protocol, setup.robustness
    train_pos, test_pos = _split(task, src, setup.sources)
    if splits is not None:
        splits.append(split_report(task, src, train_pos, test_pos, protocol.near_duplicate))
    if robustness.train_skew and len(train_pos):
        train_pos = skewed(train_pos, src, skew=robustness.train_skew, split_seed=robustness.split_seed,
                           task=task.name)
    task.setup(src.train.info, take(src.train.batch, train_pos))
    if not len(train_pos):
        return unsupervised_rows(task, src, test_pos, setup)
    y_all = task.targets(src.train.batch)
    test_batch = take(src.test.batch, test_pos)
    truth = task.truth(test_batch)
    base = dict(backbone=setup.backbone_name, task=task.name, dataset=src.name, n_test=len(test_pos),
                **train_label(robustness))
    pairs = robustness.test_pairs
    if pairs:
        base.update(corruption="clean", severity="0")
    predictor = setup.mode.predictor(TaskData(task, src, train_pos, test_pos, setup.model, pairs,
                                              robustness.train_pairs))
    regions = {k: r[test_pos] for k, r in src.regions.items() if k.split == TEST.split}
    grouping = group_ids(src.train.batch)
    configs = [(seed, *s) for seed in protocol.seeds
               for s in subsets(task, src.train.batch, train_pos, protocol=protocol, seed=seed)]
    rows: list[dict[str, Any]] = []
    trivial_scores: dict[bytes, dict[str, float]] = {}  # the trivial output rarely changes between subsets
    for seed, fraction, shots, idx in track(configs, f"{task.name}: {setup.mode.name} heads"):
        t0 = time.perf_counter()
        y = y_all[torch.from_numpy(idx)]
        groups = None if grouping is None or not task.holdout_groups else grouping[1][idx]
        out, *outs_corrupt = predictor.fit_predict(idx, y, groups=groups, seed=seed)
        scores = task.metrics(task.decode(out, test_batch), truth)
        common = dict(base, mode=setup.mode.name, fraction=fraction, shots=shots, seed=seed, n_train=len(idx),
                      seconds=time.perf_counter() - t0)
        rows += [dict(common, metric=m, value=float(v)) for m, v in scores.items()]
        if pairs:
            rows += corruption_rows(task, outs_corrupt, pairs, test_batch, truth, common, regions)
        if robustness.groups:
            rows += group_rows(task, out, test_batch, groups=robustness.groups,
                               n_boot=robustness.group_bootstrap,
                               common=common, metric_names=list(scores))
        if protocol.trivial:
            t0 = time.perf_counter()
            out_t = task.trivial(y, len(test_pos))
            key = out_t.numpy().tobytes()
            if key not in trivial_scores:
                trivial_scores[key] = task.metrics(task.decode(out_t, test_batch), truth)
            scores = trivial_scores[key]
            common = dict(common, mode=TRIVIAL, seconds=time.perf_counter() - t0)
            rows += [dict(common, metric=m, value=float(v)) for m, v in scores.items()]
    return rows


def unsupervised_rows(task: Task, src: Source, test_pos: np.ndarray, setup: Run) -> list[dict[str, Any]]:
    """A task scored with no training rows (:meth:`Task.unsupervised`, e.g. verification pairs with no
    training identities): the raw pooled features are its outputs (mode ``unsupervised``, fraction 1.0,
    n_train 0, the first seed), beside the trivial baseline. Needs a mode that reads cached features."""
    if TEST not in src.features:
        raise ConfigError(f"task {task.name!r} on {src.name!r} has no training data: there is nothing to "
                          "fine-tune "
                          "(give --train-data, or use --mode linear to score the raw features)")
    t0 = time.perf_counter()
    test_batch = take(src.test.batch, test_pos)
    truth = task.truth(test_batch)
    x = task_input(src.features[TEST], test_pos, kind="pooled", grid=0)
    common = dict(backbone=setup.backbone_name, task=task.name, dataset=src.name, n_test=len(test_pos),
                  fraction=1.0, shots=0, seed=int(setup.protocol.seeds[0]), n_train=0,
                  **train_label(setup.robustness))
    outs = [(UNSUPERVISED, x)]
    if setup.protocol.trivial:
        outs.append((TRIVIAL, task.trivial(torch.zeros(0), len(test_pos))))
    rows = []
    for mode, out in outs:
        scores = task.metrics(task.decode(out, test_batch), truth)
        rows += [dict(common, mode=mode, metric=m, value=float(v), seconds=time.perf_counter() - t0)
                 for m, v in scores.items()]
    return rows


def skewed(train_pos: np.ndarray, src: Source, *, skew: str, split_seed: int, task: str) -> np.ndarray:
    """The training positions skewed to one subgroup by ``skew`` (``ATTR=VALUE[:SHARE]``), seeded by
    ``split_seed``; the same skewed split serves every fraction and seed (subsets are drawn inside it)."""
    attr, value, share = parse_skew(skew)
    labels = group_labels(take(src.train.batch, train_pos)["groups"], attr, task=task, dataset=src.name)
    return skew_positions(train_pos, labels, value, share, split_seed, attribute=attr)
