"""The few-shot protocol: tasks × (fractions and/or shots) × seeds, in one of three modes.

- ``linear``: frozen backbone. Features of each dataset split are computed once and cached on disk (float16
  memory maps, :mod:`facerep.bench.features`); every fraction, seed and task reads them. Regression heads are
  fitted in closed form (ridge, penalty by leave-one-out), classification heads by full-batch AdamW.
- ``knn``: cosine kNN on the cached pooled features (global tasks only).
- ``finetune``: backbone and head trained end to end (separate learning rates), label-consistent hflip
  augmentation (:func:`facerep.data.transforms.hflip` swaps left/right landmarks and mask classes).

For one seed, subsets are nested (1 % ⊂ 2 % ⊂ … ⊂ 100 %), stratified by class for classification tasks and made
of whole identities for recognition (:func:`facerep.data.splits.nested_subsets`); ``--shots K`` takes K per class
(classification) or per identity (:func:`facerep.data.splits.shots_subset`). The test set is the same for every
fraction and seed. Each (seed, fraction) also records the task's trivial baseline (mode ``trivial``).
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np
import torch

from ..curate.five_points import resolve_landmarker
from ..data.sample import FaceSample
from ..data.splits import nested_subsets, shots_subset
from ..errors import ConfigError, DataError, FacerepError
from ..progress import track
from .features import cached_features, default_cache_dir, load_backbone, task_input, weights_digest
from .finetune import finetune_predict
from .groups import group_labels, parse_skew, skew_positions
from .linear import linear_heads
from .prepare import group_ids, take
from .robustness import (
    corruption_pairs,
    corruption_rows,
    encode_corrupted,
    group_rows,
    train_corruption_pairs,
    train_label,
)
from .sources import (
    CropView,
    Source,
    crop_view,
    load_sources,
    resolve_data,
    source_name,
    split_report,
    task_split,
)
from .tasks import ALL_TASKS, get_task, list_tasks
from .tasks._base import Task

MODES = ("linear", "knn", "finetune")
ALIGN = ("auto", "off")  # tasks' own crops (Task.crop) | box crops for every task


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


def task_names(tasks: list[str]) -> list[str]:
    names: list[str] = []
    for t in tasks:
        for name in (ALL_TASKS if t == "all" else [t]):
            get_task(name)  # unknown names list the valid ones
            if name not in names:
                names.append(name)
    if not names:
        raise ConfigError(f"no task given; choose from all, {', '.join(list_tasks())}")
    return names


def validate(cfg: Any) -> None:
    if cfg.mode not in MODES:
        raise ConfigError(f"mode {cfg.mode!r} is not one of {', '.join(MODES)}")
    for f in cfg.fractions:
        if not 0.0 < float(f) <= 1.0:
            raise ConfigError(f"fraction {f:g} is outside (0, 1]: a fraction is the share of the training split used")
    for k in cfg.shots:
        if int(k) < 1:
            raise ConfigError(f"shots {k} must be a positive integer")
    if not cfg.fractions and not cfg.shots:
        raise ConfigError("nothing to run: give --fractions and/or --shots")
    if not cfg.seeds:
        raise ConfigError("no seed given (--seeds 0,1,2)")
    if cfg.align not in ALIGN:
        raise ConfigError(f"align {cfg.align!r} is not one of {', '.join(ALIGN)}")
    resolve_landmarker(cfg.landmarker)  # an unknown or unavailable landmarker fails before any work
    if not cfg.native_strides or cfg.pixels_per_class < 1:
        raise ConfigError("the per-pixel probe needs at least one native stride and pixels_per_class >= 1")
    if cfg.align_margin < 0 or cfg.aligned_grid < 1 or not cfg.aligned_strides:
        raise ConfigError("aligned crops need align_margin >= 0, aligned_grid >= 1 and at least one aligned stride")
    corruption_pairs(cfg)  # unknown corruptions or severities fail before any work
    train_corruption_pairs(cfg)
    if cfg.train_skew:
        parse_skew(cfg.train_skew)
    if cfg.reference_backbone and not cfg.corruptions:
        raise ConfigError("--reference-backbone normalises the corruption error: give --corruptions too")


def subsets(task: Task, batch: dict[str, Any], train_pos: np.ndarray, cfg: Any, seed: int
            ) -> list[tuple[float, int, np.ndarray]]:
    """[(fraction, shots, positions)] for one seed: nested fractions (NaN fraction for shots runs)."""
    sub = take(batch, train_pos)
    classes = task.classes(sub)
    ident = sub["identity_ids"] if (sub["identity_ids"] >= 0).all() else None
    out: list[tuple[float, int, np.ndarray]] = []
    if cfg.fractions:
        nested = nested_subsets(train_pos, [float(f) for f in cfg.fractions], seed,
                                stratify=None if task.subset_groups else classes,
                                groups=ident if task.subset_groups else None)
        out += [(float(f), 0, nested[float(f)]) for f in cfg.fractions]
    for k in cfg.shots:
        labels = classes if task.shots_by == "class" else ident
        if labels is None:
            raise ConfigError("--shots needs class or identity labels to draw K per class, and this data has none")
        out.append((float("nan"), int(k), shots_subset(train_pos, labels, int(k), seed)))
    return out


def run(cfg: Any, data: Any = None, backbone: Any = None) -> BenchResult:
    """Run the benchmark described by ``cfg`` (a BenchConfig). ``data``: see :func:`sources.resolve_data`;
    ``backbone``: a Backbone module instead of ``cfg.backbone``."""
    validate(cfg)
    names = task_names(list(cfg.tasks))
    plan = resolve_data(names, data if data is not None else (dict(cfg.data) or None), cfg.synth,
                        dict(cfg.train_data))
    model = load_backbone(backbone if backbone is not None else cfg.backbone, pretrained=cfg.pretrained,
                          image_size=cfg.image_size, seed=cfg.backbone_seed,
                          trust_checkpoint=cfg.trust_checkpoint)
    bb_name = cfg.backbone if backbone is None else str(getattr(model, "arch", type(model).__name__))
    margin = cfg.margin if cfg.margin >= 0 else float(model.pretrained_cfg.margin)
    weights = weights_digest(model) if cfg.mode != "finetune" else ""
    result, sources = BenchResult(), {}
    tasks = {name: get_task(name)(cfg) for name in names}
    if cfg.mode == "knn":
        for name in [n for n in names if not tasks[n].knn]:
            result.notes.append(f"task {name!r} has no kNN protocol (dense task): skipped in --mode knn")
            names.remove(name)
    readers: dict[tuple[str, CropView], list[Task]] = {}  # (dataset, crop view) -> the tasks reading it
    for name in names:
        readers.setdefault((source_name(plan[name]), crop_view(cfg, tasks[name])), []).append(tasks[name])
    for name in names:
        task, obj = tasks[name], plan[name]
        dsname, view = source_name(obj), crop_view(cfg, task)
        with error_context(name, dsname):
            if (dsname, view) not in sources:  # every crop of this dataset that a task reads, decoded once
                views = [v for d, v in readers if d == dsname]
                loaded = load_sources(obj, cfg, cfg.image_size, margin, views)
                sources.update({(dsname, v): s for v, s in loaded.items()})
                result.skipped += loaded[views[0]].skipped
                _note_unaligned(loaded.values(), dsname, result, resolve_landmarker(cfg.landmarker) or "none")
            src = sources[dsname, view]
            task.check(src.train.info, dsname)
            if src.official:
                task.use_test_info(src.test.info)
            if cfg.mode != "finetune":
                if any(t.input == "pixels" for t in readers[dsname, view]) and "train" not in src.features:
                    src.native = tuple(cfg.native_strides)  # per-pixel heads read maps at native resolution
                _ensure_features(src, model, weights, cfg, result, _mirror_rows(src, readers[dsname, view], cfg))
            result.rows += run_task(task, src, model, cfg, bb_name, result.splits)
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
            text += (f" (no identity, subject or video ids: faces whose 16x16 grey descriptors have cosine >= "
                     f"{reps[0]['near_duplicate']:g} are kept together; {reps[0]['groups_train']} + "
                     f"{reps[0]['groups_test']} groups)")
        text += "; near-duplicate pairs across train/test: " + "/".join(str(p) for p in pairs)
        result.notes.append(text)


def _mirror_rows(src: Source, readers: list[Task], cfg: Any) -> np.ndarray | None:
    """Sorted positions of the training faces whose mirrored crops the linear heads of ``readers`` train on (the
    union of their training splits), or None when none does or they are already encoded."""
    mirror = [t for t in readers if t.mirror_invariant] if cfg.mirror and cfg.mode == "linear" else []
    if not mirror or "train|mirror" in src.features:
        return None
    return np.unique(np.concatenate([task_split(t, src, cfg)[0] for t in mirror]))


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
            result.notes.append(f"{dsname}: {unaligned} face(s) without 5 alignment points (eyes, nose tip, mouth "
                                f"corners; {why}) were box-cropped for the aligned tasks")


def _ensure_features(src: Source, model: Any, weights: str, cfg: Any, result: BenchResult,
                     mirror_rows: np.ndarray | None = None) -> None:
    """Cached features of the source's splits, and with ``mirror_rows`` (sorted positions of training faces) of
    those faces' mirrored crops ("train|mirror", rows at those positions only)."""
    parts = {"train": src.train} | ({"test": src.test} if src.official else {})
    todo = [(split, prep.crops, prep.digest, prep.name, None) for split, prep in parts.items()]
    if mirror_rows is not None and src.train.crops is not None:
        crops = [mirrored(src.train.crops[i]) for i in mirror_rows]
        rows_digest = hashlib.sha256(mirror_rows.astype(np.int64).tobytes()).hexdigest()[:16]
        todo.append(("train|mirror", crops, f"{src.train.digest}|mirror|{rows_digest}", f"{src.train.name} mirrored",
                     mirror_rows))
    for split, crops, digest, name, positions in todo:
        if split in src.features:
            continue
        t0 = time.perf_counter()
        feats = cached_features(model, crops, weights=weights, digest=digest, name=name,
                                cache_dir=default_cache_dir(cfg.cache_dir), strides=src.view.strides,
                                grid=src.view.grid, batch_size=cfg.batch_size,
                                native=src.native if positions is None else ())
        if feats.computed:
            result.forwarded += len(crops)
            result.forward_seconds += time.perf_counter() - t0
        src.features[split] = dataclasses.replace(feats, positions=positions)
    src.features.setdefault("test", src.features["train"])
    if cfg.corruptions or cfg.train_corruptions:
        result.forwarded += encode_corrupted(src, model, weights, cfg)
    for prep in parts.values():
        prep.crops = None  # features are on disk now; the crops are not needed again


def mirrored(crop: FaceSample) -> FaceSample:
    """The crop flipped left-right (image only: for tasks whose labels a flip keeps)."""
    return dataclasses.replace(crop, image=np.ascontiguousarray(crop.image[:, ::-1]))


def run_task(task: Task, src: Source, model: Any, cfg: Any, backbone_name: str,
             splits: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Every (seed, fraction | shots) of one task -> record rows (metric, value …); the split's report
    (:func:`sources.split_report`) is appended to ``splits``."""
    train_pos, test_pos = task_split(task, src, cfg)
    if splits is not None:
        splits.append(split_report(task, src, train_pos, test_pos, cfg.near_duplicate))
    if cfg.train_skew and len(train_pos):
        train_pos = skewed(train_pos, src, cfg, task.name)
    task.setup(src.train.info, take(src.train.batch, train_pos))
    if not len(train_pos):
        return unsupervised_rows(task, src, test_pos, cfg, backbone_name)
    y_all = task.targets(src.train.batch)
    test_batch = take(src.test.batch, test_pos)
    truth = task.truth(test_batch)
    linear = cfg.mode != "finetune"
    base = dict(backbone=backbone_name, task=task.name, dataset=src.name, n_test=len(test_pos), **train_label(cfg))
    pairs = corruption_pairs(cfg)
    if pairs:
        base.update(corruption="clean", severity="0")
    heads = linear_heads(task, src, cfg, train_pos, test_pos, pairs) if linear else None
    regions = {k.partition("|")[2]: r[test_pos] for k, r in src.regions.items() if k.startswith("test|")}
    grouping = group_ids(src.train.batch)
    configs = [(seed, *s) for seed in cfg.seeds for s in subsets(task, src.train.batch, train_pos, cfg, seed)]
    rows: list[dict[str, Any]] = []
    trivial_scores: dict[bytes, dict[str, float]] = {}  # the trivial output rarely changes between subsets
    for seed, fraction, shots, idx in track(configs, f"{task.name}: {cfg.mode} heads"):
        t0 = time.perf_counter()
        y = y_all[torch.from_numpy(idx)]
        if heads is not None:
            groups = None if grouping is None or not task.holdout_groups else grouping[1][idx]
            out, *outs_corrupt = heads.predict(idx, y, groups, seed)
        else:
            out = finetune_predict(task, model, src, idx, test_pos, y, cfg, seed)
        scores = task.metrics(task.decode(out, test_batch), truth)
        common = dict(base, mode=cfg.mode, fraction=fraction, shots=shots, seed=seed, n_train=len(idx),
                      seconds=time.perf_counter() - t0)
        rows += [dict(common, metric=m, value=float(v)) for m, v in scores.items()]
        if pairs:
            rows += corruption_rows(task, outs_corrupt, pairs, test_batch, truth, common, regions)
        if cfg.groups:
            rows += group_rows(task, out, test_batch, cfg, common, list(scores))
        if cfg.trivial:
            t0 = time.perf_counter()
            out_t = task.trivial(y, len(test_pos))
            key = out_t.numpy().tobytes()
            if key not in trivial_scores:
                trivial_scores[key] = task.metrics(task.decode(out_t, test_batch), truth)
            scores = trivial_scores[key]
            common = dict(common, mode="trivial", seconds=time.perf_counter() - t0)
            rows += [dict(common, metric=m, value=float(v)) for m, v in scores.items()]
    return rows


def unsupervised_rows(task: Task, src: Source, test_pos: np.ndarray, cfg: Any, backbone_name: str
                      ) -> list[dict[str, Any]]:
    """A task scored with no training rows (:meth:`Task.unsupervised`, e.g. verification pairs with no training
    identities): the raw pooled features are its outputs (mode ``unsupervised``, fraction 1.0, n_train 0, the first
    seed), beside the trivial baseline."""
    if cfg.mode == "finetune" or "test" not in src.features:
        raise ConfigError(f"task {task.name!r} on {src.name!r} has no training data: there is nothing to fine-tune "
                          "(give --train-data, or use --mode linear to score the raw features)")
    t0 = time.perf_counter()
    test_batch = take(src.test.batch, test_pos)
    truth = task.truth(test_batch)
    x = task_input(src.features["test"], test_pos, kind="pooled", grid=0)
    common = dict(backbone=backbone_name, task=task.name, dataset=src.name, n_test=len(test_pos), fraction=1.0,
                  shots=0, seed=int(cfg.seeds[0]), n_train=0, **train_label(cfg))
    rows = []
    for mode, out in (("unsupervised", x), ("trivial", task.trivial(torch.zeros(0), len(test_pos)))):
        if mode == "trivial" and not cfg.trivial:
            continue
        scores = task.metrics(task.decode(out, test_batch), truth)
        rows += [dict(common, mode=mode, metric=m, value=float(v), seconds=time.perf_counter() - t0)
                 for m, v in scores.items()]
    return rows


def skewed(train_pos: np.ndarray, src: Source, cfg: Any, task: str) -> np.ndarray:
    """The training positions skewed to one subgroup by ``cfg.train_skew`` (``ATTR=VALUE[:SHARE]``), seeded by
    ``split_seed``; the same skewed split serves every fraction and seed (subsets are drawn inside it)."""
    attr, value, share = parse_skew(cfg.train_skew)
    labels = group_labels(take(src.train.batch, train_pos)["groups"], attr, task=task, dataset=src.name)
    return skew_positions(train_pos, labels, value, share, cfg.split_seed, attribute=attr)
