"""Which data each task runs on, its official or seeded split, and the features of each split.

A data source is a ``FORMAT:PATH`` spec, a FaceDataset, or a ``(train, test)`` pair of FaceDatasets. Sources
are loaded, decoded and cropped once and shared by every task that uses them (so are their cached features).
"""
from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from ..backbones.base import Backbone
from ..curate.five_points import FivePointFinder, resolve_landmarker
from ..curate.neardup import cross_pairs
from ..data.sample import FaceSample
from ..data.splits import check_disjoint, split_train_test
from ..errors import ConfigError, DataError
from .corruptions import corrupt
from .design import Design
from .features import Features, cached_features, default_cache_dir
from .prepare import Prepared, group_ids, prepare_views, take
from .settings import FeatureSettings, RobustnessSettings, SourceSettings, ViewSettings
from .tasks._base import Task


@dataclass(frozen=True)
class CropView:
    """How a task's faces are cropped and which backbone maps it reads: box crops and the maps of
    ``dense_strides`` (the geometric tasks: their labels must not shape the crop), or 5-point-aligned crops
    and the finer maps of ``aligned_strides`` (tasks of facial motion: expression and AUs are deformations of
    a few pixels at fixed places of an aligned face, as their datasets' protocols align them). ``grid``: each
    map is pooled to it for the cache; ``global_grid``: global tasks read the pooled vector + the maps at this
    grid."""

    aligned: bool
    strides: tuple[int, ...]
    grid: int
    global_grid: int


def crop_view(view: ViewSettings, task: Task) -> CropView:
    """The crop and maps ``task`` reads under the view settings (``align`` "off": box crops for every
    task)."""
    if view.align == "auto" and task.crop == "aligned":
        return CropView(True, tuple(view.aligned_strides), int(view.aligned_grid), int(view.aligned_grid))
    return CropView(False, tuple(view.dense_strides), int(view.dense_grid), int(view.global_grid))


class FeatureKey(NamedTuple):
    """Which cached features of a :class:`Source`: a split ("train" / "test") and a variant: "" (the clean
    crops), :data:`MIRRORED` (the mirrored training crops, rows at some positions only) or ``NAME:SEV`` (a
    corrupted copy, :func:`corrupted`). This module owns the keys and writes every entry
    (:func:`encode_source`)."""

    split: str
    variant: str = ""


MIRRORED = "mirror"
TRAIN, TEST, TRAIN_MIRRORED = FeatureKey("train"), FeatureKey("test"), FeatureKey("train", MIRRORED)


def corrupted(split: str, name: str, severity: str) -> FeatureKey:
    """The key of the features of a corrupted copy of ``split``'s crops."""
    return FeatureKey(split, f"{name}:{severity}")


class DesignKey(NamedTuple):
    """A shared :class:`facerep.bench.design.Design`: the clean training features' cache key, whether the
    mirrored rows are in it, the input kind and grid, and the training positions (bytes of the sorted
    array)."""

    features: str
    mirrored: bool
    kind: str
    grid: int
    positions: bytes


@dataclass
class Source:
    """One dataset, decoded and cropped as ``view`` says: ``train`` and ``test`` are the same Prepared unless
    ``official``."""

    name: str
    train: Prepared
    test: Prepared
    official: bool
    view: CropView
    features: dict[FeatureKey, Features] = field(default_factory=dict)  # written by encode_source only
    # test occlusions -> [N, S, S] bool occluded
    regions: dict[FeatureKey, np.ndarray] = field(default_factory=dict)
    designs: dict[DesignKey, Design] = field(default_factory=dict)  # shared Designs of linear heads
    native: tuple[int, ...] = ()  # strides of the maps cached at native resolution (tasks of input "pixels")

    @property
    def skipped(self) -> list[tuple[str, int, str]]:
        parts = [("train", self.train)] + ([("test", self.test)] if self.official else [])
        return [(f"{self.name}" + (f"[{split}]" if self.official else ""), i, msg)
                for split, p in parts for i, msg in p.skipped]


def resolve_data(tasks: Sequence[str], data: Any, default: str,
                 train_data: Mapping[str, str] | None = None) -> dict[str, Any]:
    """task -> data source. ``data``: None, one source for every task, or a mapping task (or "*") -> source.
    ``train_data``: task -> a source the task's heads train on, its ``data`` source then being the test set
    (the plan holds the pair ``(train, test)``). Every ``FORMAT:PATH`` spec is checked here (format known,
    path present, options valid), before any work starts."""
    from ..data.formats import check_spec

    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        data = {"*": data}
    for what, given in (("--data", data), ("--train-data", train_data or {})):
        unknown = sorted(set(given) - set(tasks) - {"*"})
        if unknown:
            raise ConfigError(f"{what} names task(s) {', '.join(unknown)} that are not run "
                              f"(tasks: {', '.join(tasks)})")
    plan = {t: data.get(t, data.get("*", default)) for t in tasks}
    for t, spec in (train_data or {}).items():
        if not isinstance(plan[t], str):
            raise ConfigError(f"--train-data {t}=…: the test source of task {t!r} must be a FORMAT:PATH spec")
        plan[t] = (spec, plan[t])
    specs = [s for p in plan.values() for s in (p if isinstance(p, tuple) else (p,)) if isinstance(s, str)]
    for spec in dict.fromkeys(specs):
        check_spec(spec)
    return plan


def source_name(obj: Any) -> str:
    """The records' ``dataset`` of a source: its spec or name; a (train, test) pair of specs is named by its
    test set and the source its heads train on."""
    if isinstance(obj, str):
        return obj
    if isinstance(obj, tuple):
        if isinstance(obj[0], str):
            return f"{obj[1]} [heads trained on {obj[0]}]"
        return str(obj[0].info.name)
    return str(obj.info.name)


def _official_splits(spec: str, settings: SourceSettings) -> tuple[str, str] | None:
    from ..data.formats import get_format, parse_spec

    name, path = parse_spec(spec)
    fmt = get_format(name)
    splits = tuple(getattr(fmt, "splits", ()) or ())
    if splits and hasattr(fmt, "splits_at"):  # the splits this copy really has (a flat folder has none)
        splits = tuple(fmt.splits_at(path))
    train = settings.train_split
    if train not in splits:
        return None
    other = next((s for s in splits if s != train), "")
    test = settings.test_split or ("test" if "test" in splits else other)
    if not test:
        return None
    if test not in splits:
        raise ConfigError(f"dataset {spec!r}: no split {test!r} (official splits: {', '.join(splits)})")
    return train, test


def load_sources(obj: Any, settings: SourceSettings, *, margin: float, views: list[CropView]
                 ) -> dict[CropView, Source]:
    """Load and decode a data source once (official splits when the format has ``train_split`` and a test
    split) and crop it as each of ``views`` says (box crops with ``margin``, or aligned crops with
    ``align_margin``)."""

    name = source_name(obj)
    landmarker = resolve_landmarker(settings.landmarker)
    cache = default_cache_dir(settings.cache_dir)
    finder = None if landmarker is None else FivePointFinder(landmarker, cache)
    kw = {"size": settings.image_size, "margin": margin, "skip_bad": settings.skip_bad,
          "near_duplicate": settings.near_duplicate,
          "aligns": tuple(settings.align_margin if v.aligned else None for v in views), "find_points": finder}
    try:
        return _load_views(obj, settings, name, views, kw)
    finally:
        if finder is not None:
            finder.save()


def _load_views(obj: Any, settings: SourceSettings, name: str, views: list[CropView], kw: dict[str, Any]
                ) -> dict[CropView, Source]:
    from ..data.formats import load_dataset

    if isinstance(obj, tuple):
        tr, te = (prepare_views(load_dataset(d) if isinstance(d, str) else d, f"{name}[{split}]", **kw)
                  for d, split in zip(obj, ("train", "test")))
        return {v: Source(name, a, b, True, v) for v, a, b in zip(views, tr, te)}
    splits = None if not isinstance(obj, str) else _official_splits(obj, settings)
    if splits is None:
        preps = prepare_views(obj if not isinstance(obj, str) else load_dataset(obj), name, **kw)
        return {v: Source(name, p, p, False, v) for v, p in zip(views, preps)}
    tr, te = (prepare_views(load_dataset(obj, s), f"{name}[{s}]", **kw) for s in splits)
    return {v: Source(name, a, b, True, v) for v, a, b in zip(views, tr, te)}


def task_split(task: Task, src: Source, *, test_fraction: float,
               split_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train positions, test positions) into ``src.train`` / ``src.test`` of the samples labelled for
    ``task``. Seeded split (identity-, else subject-, else video-disjoint; else stratified by class) when not
    official. An empty side raises DataError; a split sharing an identity / subject / video raises
    DataError."""
    needs = ", ".join(sorted(task.needs))
    fixed = task.fixed_test(src.test.info)
    if fixed is not None:
        return _fixed_split(task, src, fixed)
    if src.official:
        tr, te = np.flatnonzero(task.labelled(src.train.batch)), np.flatnonzero(task.labelled(src.test.batch))
    else:
        pos = np.flatnonzero(task.labelled(src.train.batch))
        if len(pos) < 2:
            raise DataError(f"only {len(pos)} sample(s) are labelled with {needs}: nothing to split into "
                            "train and test")
        sub = take(src.train.batch, pos)
        grouping = group_ids(sub)
        classes = task.classes(sub)
        near = grouping is not None and grouping[0] == "near-duplicate"
        a, b = split_train_test(len(pos), groups=None if grouping is None else grouping[1],
                                test_fraction=test_fraction, seed=split_seed, stratify=classes,
                                stratify_groups=near)
        tr, te = pos[a], pos[b]
    for side, idx in (("train", tr), ("test", te)):
        if len(idx) == 0:
            raise DataError(f"the {side} split is empty: no sample labelled with {needs}")
    check_leakage(task, src, tr, te)
    return tr, te


def _fixed_split(task: Task, src: Source, fixed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The test set a task fixes (:meth:`Task.fixed_test`, dataset indices) and as training rows the labelled
    rows of the training data outside it, of identities not in it; the training side may be empty (a task that
    can score its test set without training rows, :meth:`Task.unsupervised`; else DataError)."""
    te = np.flatnonzero(np.isin(src.test.batch["index"], fixed))
    if len(te) == 0:
        raise DataError("none of the images the test set is made of could be read")
    tr = np.flatnonzero(task.labelled(src.train.batch))
    if not src.official:
        ids = src.train.batch["identity_ids"]
        tested = ids[te][ids[te] >= 0]
        tr = tr[~np.isin(tr, te) & ~np.isin(ids[tr], tested)]
    if len(tr) == 0 and not task.unsupervised():
        raise DataError(f"task {task.name!r}: no training sample outside the fixed test set")
    if len(tr):
        check_leakage(task, src, tr, te)
    return tr, te


def split_report(task: Task, src: Source, tr: np.ndarray, te: np.ndarray, threshold: float) -> dict[str, Any]:
    """How a task's train/test split was made and what crosses it: the grouping kept whole (identity, subject,
    video, near-duplicate, or official splits), the faces and groups on each side, and the near-duplicate
    pairs (descriptor cosine >= ``threshold``, :func:`facerep.curate.neardup.cross_pairs`) with one face in
    each."""
    a, b = take(src.train.batch, tr), take(src.test.batch, te)
    grouping = group_ids(a)
    kind = "official splits" if src.official else (grouping[0] if grouping else "none")
    if task.fixed_test(src.test.info) is not None:
        kind = "fixed test set" + (" (no training data)" if not len(tr) else "")
    tested = group_ids(b)
    groups = (len(np.unique(grouping[1])),
              len(np.unique(tested[1]))) if grouping and tested and not src.official \
        else (-1, -1)
    return {"task": task.name, "dataset": src.name, "grouping": kind, "n_train": len(tr), "n_test": len(te),
            "groups_train": groups[0], "groups_test": groups[1], "near_duplicate": threshold,
            "near_duplicate_pairs_across": cross_pairs(a["thumb"], b["thumb"], threshold)}


def check_leakage(task: Task, src: Source, tr: np.ndarray, te: np.ndarray) -> None:
    """Refuse train and test sharing an identity, subject or video (where both sides know them), or one face
    (same file, frame and box: an image listed in both official splits)."""
    a, b = take(src.train.batch, tr), take(src.test.batch, te)
    for kind in ("identity", "subject", "video"):
        if kind == "identity":
            ga, gb = a["identity_ids"], b["identity_ids"]
            ga, gb = ga[ga >= 0], gb[gb >= 0]
        else:
            ga = np.asarray([v for v in a[kind] if v is not None], dtype=object).astype(str)
            gb = np.asarray([v for v in b[kind] if v is not None], dtype=object).astype(str)
        if len(ga) and len(gb):
            check_disjoint(ga, gb, what=kind, task=task.name, dataset=src.name)
    shared = sorted({k for k in a["face_key"] if k} & {k for k in b["face_key"] if k})
    if shared:
        raise DataError(f"task {task.name!r} dataset {src.name!r}: {len(shared)} face(s) are in both the "
                        f"train and the test split (e.g. {shared[0].split('|')[0]}); each face must be "
                        "listed once")


def encode_source(src: Source, model: Backbone, *, weights: str, settings: FeatureSettings,
                  robustness: RobustnessSettings, mirror_rows: np.ndarray | None = None) -> tuple[int, float]:
    """Cache the features of the source's splits (:data:`TRAIN`, :data:`TEST`), with ``mirror_rows`` (sorted
    positions of training faces) of those faces' mirrored crops (:data:`TRAIN_MIRRORED`, rows at those
    positions only), and of every corrupted copy (:func:`encode_corrupted`); then drop the crops. Returns
    (images encoded this run, seconds of the clean and mirrored encodings)."""
    parts = {TRAIN: src.train} | ({TEST: src.test} if src.official else {})
    todo: list[tuple[FeatureKey, list[FaceSample] | None, str, str, np.ndarray | None]] = [
        (key, prep.crops, prep.digest, prep.name, None) for key, prep in parts.items()]
    if mirror_rows is not None and src.train.crops is not None:
        flipped = [mirrored(src.train.crops[i]) for i in mirror_rows]
        rows_digest = hashlib.sha256(mirror_rows.astype(np.int64).tobytes()).hexdigest()[:16]
        todo.append((TRAIN_MIRRORED, flipped, f"{src.train.digest}|mirror|{rows_digest}",
                     f"{src.train.name} mirrored",
                     mirror_rows))
    forwarded, seconds = 0, 0.0
    for key, crops, digest, name, positions in todo:
        if key in src.features:
            continue
        t0 = time.perf_counter()
        feats = cached_features(model, crops, weights=weights, digest=digest, name=name,
                                cache_dir=default_cache_dir(settings.cache_dir), strides=src.view.strides,
                                grid=src.view.grid, batch_size=settings.batch_size,
                                native=src.native if positions is None else ())
        if feats.computed:
            forwarded += len(crops or ())
            seconds += time.perf_counter() - t0
        src.features[key] = dataclasses.replace(feats, positions=positions)
    src.features.setdefault(TEST, src.features[TRAIN])
    if robustness.corrupted:
        forwarded += encode_corrupted(src, model, weights=weights, settings=settings, robustness=robustness)
    for prep in parts.values():
        prep.crops = None  # features are on disk now; the crops are not needed again
    return forwarded, seconds


def mirrored(crop: FaceSample) -> FaceSample:
    """The crop flipped left-right (image only: for tasks whose labels a flip keeps)."""
    return dataclasses.replace(crop, image=np.ascontiguousarray(crop.image[:, ::-1]))


def encode_corrupted(src: Source, model: Backbone, *, weights: str, settings: FeatureSettings,
                     robustness: RobustnessSettings) -> int:
    """Encode every corrupted copy into ``src.features[corrupted("test", NAME, SEV)]`` (test crops,
    ``--corruptions``) and ``corrupted("train", …)`` (training crops, ``--train-corruptions``); occluded
    regions of the test copies go to ``src.regions`` ([N, S, S] bool, crop pixels). Returns the number of
    images encoded this run. Corruption noise is seeded by (split_seed, dataset index), so runs repeat."""
    forwarded = 0
    for split, prep, pairs in (("test", src.test if src.official else src.train, robustness.test_pairs),
                               ("train", src.train, robustness.train_pairs)):
        for name, sev in pairs:
            key = corrupted(split, name, sev)
            twin = corrupted("train" if split == "test" else "test", name, sev)
            if key in src.features:
                continue
            if not src.official and twin in src.features:  # one prepared set: same crops, same features
                src.features[key] = src.features[twin]
                continue
            if prep.crops is None:
                raise ConfigError(f"{prep.name}: the crops were dropped before their {name}:{sev} copy was "
                                  "encoded")
            seeds = (int(robustness.split_seed) * 1_000_003 + prep.batch["index"]).tolist()
            done = [corrupt(c, name, sev, seed=s) for c, s in zip(prep.crops, seeds)]
            if split == "test" and done and done[0][1] is not None:
                src.regions[key] = np.stack([r for _, r in done if r is not None])
            feats = cached_features(model, [c for c, _ in done], weights=weights,
                                    digest=f"{prep.digest}|{name}:{sev}", name=f"{prep.name} {name}:{sev}",
                                    cache_dir=default_cache_dir(settings.cache_dir), strides=src.view.strides,
                                    grid=src.view.grid, batch_size=settings.batch_size, native=src.native)
            forwarded += len(done) if feats.computed else 0
            src.features[key] = feats
    return forwarded
