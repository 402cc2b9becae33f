"""Check that a decoded sample agrees with its dataset's declared vocabularies and shapes.

Used by ``facerep info`` (and by commands that stream data) so that a bad label is reported with the
file it came from, or skipped and counted, rather than crashing a run later.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError
from ..progress import track
from .sample import DatasetInfo, FaceDataset, FaceSample


def validate_sample(sample: FaceSample, info: DatasetInfo) -> None:
    """Raise DataError (naming ``sample.path``) when a label is malformed for ``info``.

    Landmark coordinates must be finite, except where the format marks points as *not labelled*
    (``info.extra["unlabelled_points"]``, e.g. COCO ``v = 0``): there a point whose coordinates are all NaN is
    unlabelled (left out of metrics), but a face needs at least one labelled point."""
    where = sample.path or f"{info.name}[?]"
    img = sample.image
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise DataError(f"image must be H×W×3 uint8, got shape {img.shape} dtype {img.dtype}", where)
    h, w = img.shape[:2]
    for kind in ("landmarks2d", "landmarks3d"):
        pts = getattr(sample, kind)
        if pts is None:
            continue
        dim = 2 if kind == "landmarks2d" else 3
        if pts.ndim != 2 or pts.shape[1] != dim:
            raise DataError(f"{kind} must be K×{dim}, got shape {pts.shape}", where)
        if info.landmark_scheme and info.landmark_scheme.isdigit() and len(pts) != int(info.landmark_scheme):
            raise DataError(f"{kind}: expected {info.landmark_scheme} points, got {len(pts)}", where)
        unlabelled = np.isnan(pts).all(1) if info.extra.get("unlabelled_points") else np.zeros(len(pts), bool)
        if not np.isfinite(pts[~unlabelled]).all():
            bad = int(np.nonzero(~np.isfinite(pts).all(1) & ~unlabelled)[0][0])
            raise DataError(f"{kind}: point {bad} is not a finite number", where)
        if unlabelled.all():
            raise DataError(f"{kind}: no point is labelled (all {len(pts)} are marked not labelled)", where)
    if sample.box is not None and (len(sample.box) != 4
                                   or not np.isfinite(np.asarray(sample.box, float)).all()):
        raise DataError(f"box must be 4 finite numbers (x0, y0, x1, y1), got {sample.box}", where)
    if sample.mask is not None:
        if sample.mask.shape != (h, w):
            raise DataError(f"mask size {sample.mask.shape[1]}×{sample.mask.shape[0]} differs from image "
                            f"size {w}×{h}", where)
        if info.mask_classes:
            top = int(sample.mask.max())
            if top >= len(info.mask_classes) and top != 255:
                y, x = np.argwhere(sample.mask == top)[0]
                raise DataError(f"mask pixel (x={x}, y={y}) has class id {top}, outside the "
                                f"{len(info.mask_classes)} declared classes 0..{len(info.mask_classes) - 1}",
                                where)
    if (sample.expression is not None and info.expression_classes
            and not 0 <= sample.expression < len(info.expression_classes)):
        raise DataError(f"expression id {sample.expression} outside 0..{len(info.expression_classes) - 1}",
                        where)
    for kind in ("valence", "arousal"):
        v = getattr(sample, kind)
        if v is not None and not np.isfinite(v):
            raise DataError(f"{kind} is NaN", where)
    if sample.pose is not None and (sample.pose.shape != (3,) or not np.isfinite(sample.pose).all()):
        raise DataError(f"pose must be 3 finite angles (yaw, pitch, roll), got {sample.pose}", where)
    if sample.au is not None and info.au_codes and len(sample.au) != len(info.au_codes):
        raise DataError(f"au has {len(sample.au)} values for {len(info.au_codes)} declared AUs", where)


def face_key(s: FaceSample) -> str | None:
    """What makes a face one face: its file, frame and box (a multi-face image lists one file with several
    boxes). None when the sample has no file (in-memory data)."""
    if not s.path:
        return None
    box = "" if s.box is None else ",".join(f"{float(v):.2f}" for v in s.box)
    return f"{s.path}|{'' if s.frame is None else s.frame}|{box}"


class ListedOnce:
    """Call with each (sample, index) of a dataset: DataError naming the file when the same face (file, frame,
    box) was seen before — a list that names one image twice would count it twice, or put it in train and
    test."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: dict[str, int] = {}

    def __call__(self, s: FaceSample, i: int) -> None:
        key = face_key(s)
        if key is None:
            return
        if key in self.seen:
            raise DataError(f"listed twice in {self.name}: sample {i} repeats sample {self.seen[key]} (same "
                            "file, frame and box); each face must appear once", s.path)
        self.seen[key] = i


@dataclass
class ScanReport:
    """What a full pass over a dataset found: counts of label kinds and the samples it skipped."""

    n: int = 0
    ok: int = 0
    labels: Counter = field(default_factory=Counter)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (index, message)
    sizes: Counter = field(default_factory=Counter)


def scan(dataset: FaceDataset, skip_bad: bool = False, limit: int | None = None) -> ScanReport:
    """Decode and validate every sample (or the first ``limit``). Without ``skip_bad`` the first
    DataError propagates; with it, bad samples are counted in ``ScanReport.skipped``."""
    rep = ScanReport()
    listed_once = ListedOnce(dataset.info.name)
    n = len(dataset) if limit is None else min(limit, len(dataset))
    for i in track(range(n), f"scanning {dataset.info.name}"):
        rep.n += 1
        try:
            s = dataset[i]
            validate_sample(s, dataset.info)
            listed_once(s, i)
        except DataError as e:
            if not skip_bad:
                raise
            rep.skipped.append((i, str(e)))
            continue
        rep.ok += 1
        rep.labels.update(s.labels())
        rep.sizes[f"{s.image.shape[1]}x{s.image.shape[0]}"] += 1
    return rep
