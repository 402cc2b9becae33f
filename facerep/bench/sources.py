"""Which data each task runs on, its official or seeded split, and the features of each split.

A data source is a ``FORMAT:PATH`` spec, a FaceDataset, or a ``(train, test)`` pair of FaceDatasets. Sources are
loaded, decoded and cropped once and shared by every task that uses them (so are their cached features).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from ..curate.five_points import FivePointFinder, resolve_landmarker
from ..curate.neardup import cross_pairs
from ..data.splits import check_disjoint, split_train_test
from ..errors import ConfigError, DataError
from .features import Features, default_cache_dir
from .prepare import Prepared, group_ids, prepare_views, take
from .tasks._base import Task


@dataclass(frozen=True)
class CropView:
    """How a task's faces are cropped and which backbone maps it reads: box crops and the maps of ``dense_strides``
    (the geometric tasks: their labels must not shape the crop), or 5-point-aligned crops and the finer maps of
    ``aligned_strides`` (tasks of facial motion: expression and AUs are deformations of a few pixels at fixed
    places of an aligned face, as their datasets' protocols align them). ``grid``: each map is pooled to it for the
    cache; ``global_grid``: global tasks read the pooled vector + the maps at this grid."""

    aligned: bool
    strides: tuple[int, ...]
    grid: int
    global_grid: int


def crop_view(cfg: Any, task: Task) -> CropView:
    """The crop and maps ``task`` reads under the bench config (``--align off``: box crops for every task)."""
    if cfg.align == "auto" and task.crop == "aligned":
        return CropView(True, tuple(cfg.aligned_strides), int(cfg.aligned_grid), int(cfg.aligned_grid))
    return CropView(False, tuple(cfg.dense_strides), int(cfg.dense_grid), int(cfg.global_grid))


@dataclass
class Source:
    """One dataset, decoded and cropped as ``view`` says: ``train`` and ``test`` are the same Prepared unless
    ``official``."""

    name: str
    train: Prepared
    test: Prepared
    official: bool
    view: CropView
    features: dict[str, Features] = field(default_factory=dict)  # "train" / "test" -> cached features
    regions: dict[str, np.ndarray] = field(default_factory=dict)  # "test|occlusion:S" -> [N, S, S] bool occluded
    designs: dict[tuple, Any] = field(default_factory=dict)  # shared Designs of linear heads (facerep.bench.linear)
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
    (the plan holds the pair ``(train, test)``). Every ``FORMAT:PATH`` spec is checked here (format known, path
    present, options valid), before any work starts."""
    from ..data.formats import check_spec

    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        data = {"*": data}
    for what, given in (("--data", data), ("--train-data", train_data or {})):
        unknown = sorted(set(given) - set(tasks) - {"*"})
        if unknown:
            raise ConfigError(f"{what} names task(s) {', '.join(unknown)} that are not run (tasks: {', '.join(tasks)})")
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
    """The records' ``dataset`` of a source: its spec or name; a (train, test) pair of specs is named by its test
    set and the source its heads train on."""
    if isinstance(obj, str):
        return obj
    if isinstance(obj, tuple):
        if isinstance(obj[0], str):
            return f"{obj[1]} [heads trained on {obj[0]}]"
        return str(obj[0].info.name)
    return str(obj.info.name)


def _official_splits(spec: str, cfg: Any) -> tuple[str, str] | None:
    from ..data.formats import get_format, parse_spec

    name, path = parse_spec(spec)
    fmt = get_format(name)
    splits = tuple(getattr(fmt, "splits", ()) or ())
    if splits and hasattr(fmt, "splits_at"):  # the splits this copy really has (a flat folder has none)
        splits = tuple(fmt.splits_at(path))
    if cfg.train_split not in splits:
        return None
    test = cfg.test_split or ("test" if "test" in splits else next((s for s in splits if s != cfg.train_split), ""))
    if not test:
        return None
    if test not in splits:
        raise ConfigError(f"dataset {spec!r}: no split {test!r} (official splits: {', '.join(splits)})")
    return cfg.train_split, test


def load_sources(obj: Any, cfg: Any, size: int, margin: float, views: list[CropView]) -> dict[CropView, Source]:
    """Load and decode a data source once (official splits when the format has ``train_split`` and a test split)
    and crop it as each of ``views`` says (box crops with ``margin``, or aligned crops with ``cfg.align_margin``)."""

    name = source_name(obj)
    landmarker = resolve_landmarker(cfg.landmarker)
    finder = None if landmarker is None else FivePointFinder(landmarker, default_cache_dir(cfg.cache_dir))
    kw = dict(size=size, margin=margin, skip_bad=cfg.skip_bad, near_duplicate=cfg.near_duplicate,
              aligns=tuple(cfg.align_margin if v.aligned else None for v in views), find_points=finder)
    try:
        return _load_views(obj, cfg, name, views, kw)
    finally:
        if finder is not None:
            finder.save()


def _load_views(obj: Any, cfg: Any, name: str, views: list[CropView], kw: dict[str, Any]) -> dict[CropView, Source]:
    from ..data.formats import load_dataset

    if isinstance(obj, tuple):
        tr, te = (prepare_views(load_dataset(d) if isinstance(d, str) else d, f"{name}[{split}]", **kw)
                  for d, split in zip(obj, ("train", "test")))
        return {v: Source(name, a, b, True, v) for v, a, b in zip(views, tr, te)}
    splits = None if not isinstance(obj, str) else _official_splits(obj, cfg)
    if splits is None:
        preps = prepare_views(obj if not isinstance(obj, str) else load_dataset(obj), name, **kw)
        return {v: Source(name, p, p, False, v) for v, p in zip(views, preps)}
    tr, te = (prepare_views(load_dataset(obj, s), f"{name}[{s}]", **kw) for s in splits)
    return {v: Source(name, a, b, True, v) for v, a, b in zip(views, tr, te)}


def task_split(task: Task, src: Source, cfg: Any) -> tuple[np.ndarray, np.ndarray]:
    """(train positions, test positions) into ``src.train`` / ``src.test`` of the samples labelled for ``task``.
    Seeded split (identity-, else subject-, else video-disjoint; else stratified by class) when not official.
    An empty side raises DataError; a split sharing an identity / subject / video raises DataError."""
    needs = ", ".join(sorted(task.needs))
    fixed = task.fixed_test(src.test.info)
    if fixed is not None:
        return _fixed_split(task, src, fixed)
    if src.official:
        tr, te = np.flatnonzero(task.labelled(src.train.batch)), np.flatnonzero(task.labelled(src.test.batch))
    else:
        pos = np.flatnonzero(task.labelled(src.train.batch))
        if len(pos) < 2:
            raise DataError(f"only {len(pos)} sample(s) are labelled with {needs}: nothing to split into train and test")
        sub = take(src.train.batch, pos)
        grouping = group_ids(sub)
        classes = task.classes(sub)
        near = grouping is not None and grouping[0] == "near-duplicate"
        a, b = split_train_test(len(pos), groups=None if grouping is None else grouping[1],
                                test_fraction=cfg.test_fraction, seed=cfg.split_seed, stratify=classes,
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
    video, near-duplicate, or official splits), the faces and groups on each side, and the near-duplicate pairs
    (descriptor cosine >= ``threshold``, :func:`facerep.curate.neardup.cross_pairs`) with one face in each."""
    a, b = take(src.train.batch, tr), take(src.test.batch, te)
    grouping = group_ids(a)
    kind = "official splits" if src.official else (grouping[0] if grouping else "none")
    if task.fixed_test(src.test.info) is not None:
        kind = "fixed test set" + (" (no training data)" if not len(tr) else "")
    groups = (len(np.unique(grouping[1])), len(np.unique(group_ids(b)[1]))) if grouping and not src.official \
        else (-1, -1)
    return dict(task=task.name, dataset=src.name, grouping=kind, n_train=len(tr), n_test=len(te),
                groups_train=groups[0], groups_test=groups[1], near_duplicate=threshold,
                near_duplicate_pairs_across=cross_pairs(a["thumb"], b["thumb"], threshold))


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
        raise DataError(f"task {task.name!r} dataset {src.name!r}: {len(shared)} face(s) are in both the train and "
                        f"the test split (e.g. {shared[0].split('|')[0]}); each face must be listed once")
