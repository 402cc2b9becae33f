"""Decode a dataset once and crop every face: the labels of every task, in crop pixels and in original pixels.

Box crops: every sample gets a face box (:func:`facerep.data.transforms.face_box`: the format's box, else the
landmarks' box, else the mask's face region, else the whole image), is cropped with a margin and resized to
the bench's image size (:func:`facerep.data.transforms.crop_resize`). Aligned crops (``align`` = template
margin): a similarity transform takes the face's 5 points (eyes, nose tip, mouth corners, from its 2D
landmarks) onto the ArcFace-style template (:func:`facerep.data.transforms.align_resize`); a face without them
is box-cropped and counted in ``Prepared.unaligned``. Either way the affine (original -> crop) is kept so
predictions can be mapped back to original pixels before metrics.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..config import BenchConfig
from ..curate.neardup import near_duplicate_groups, thumbnail
from ..data.sample import DatasetInfo, FaceDataset, FaceSample, collate
from ..data.transforms import align_resize, crop_resize, five_points
from ..data.validate import ListedOnce, face_key, validate_sample
from ..errors import DataError
from ..progress import track

_CHUNK = 256
NEAR_DUPLICATE = BenchConfig.near_duplicate  # cosine of near-duplicate descriptors


@dataclass
class Prepared:
    """One dataset (or one official split of it), decoded and cropped.

    ``batch``: collate() of the crops' labels (no images) + ``affine`` [N, 2, 3], ``orig_*`` lists,
    ``orig_size`` [N, 2], ``identity_ids`` / ``subject`` / ``video`` arrays and ``index`` (dataset indices of
    the kept samples). ``crops``: the cropped samples (dropped once features are cached, unless fine-tuning
    needs them). ``digest``: hash of the crop pixels and the transform, which keys the feature cache."""

    name: str
    info: DatasetInfo
    batch: dict[str, Any]
    crops: list[FaceSample] | None
    digest: str
    skipped: list[tuple[int, str]] = field(default_factory=list)
    unaligned: int = 0  # aligned crops only: faces without 5 alignment points, box-cropped instead
    found_points: int = 0  # aligned crops only: faces without landmarks aligned by points a detector found

    def __len__(self) -> int:
        return len(self.batch["index"])


def prepare(dataset: FaceDataset, name: str, *, size: int, margin: float, skip_bad: bool = False,
            align: float | None = None, near_duplicate: float = NEAR_DUPLICATE) -> Prepared:
    """Decode, validate and crop every sample of ``dataset``: box crops with ``margin``, or aligned crops with
    template margin ``align`` when it is not None. A sample raising DataError propagates (with its file and
    line) unless ``skip_bad``, which skips and records it as (index, message). ``batch["thumb"]`` [N, 256]
    holds each image's near-duplicate descriptor and ``batch["neardup"]`` [N] its near-duplicate group at
    cosine ``near_duplicate`` (:mod:`facerep.curate.neardup`)."""
    return prepare_views(dataset, name, size=size, margin=margin, skip_bad=skip_bad, aligns=(align,),
                         near_duplicate=near_duplicate)[0]


def prepare_views(dataset: FaceDataset, name: str, *, size: int, margin: float, skip_bad: bool = False,
                  aligns: tuple[float | None, ...] = (None,), near_duplicate: float = NEAR_DUPLICATE,
                  find_points: Callable[[np.ndarray], np.ndarray | None] | None = None) -> list[Prepared]:
    """:func:`prepare` for several crops of the same faces (one per entry of ``aligns``), decoding each image
    once. ``find_points``: image -> 5 alignment points or None
    (:class:`facerep.curate.five_points.FivePointFinder`), used for the aligned crops of faces without
    landmarks (``Prepared.found_points`` counts the faces it aligned)."""
    info = dataset.info
    views = [_View(size, margin, align) for align in aligns]
    finder = find_points if any(a is not None for a in aligns) else None
    thumbs: list[np.ndarray] = []
    skipped: list[tuple[int, str]] = []
    listed_once = ListedOnce(name)
    verb = "cropping" if aligns == (None,) else "aligning" if None not in aligns else "cropping and aligning"
    for i in track(range(len(dataset)), f"decoding and {verb} {name}"):
        try:
            s = dataset[i]
            validate_sample(s, info)
            listed_once(s, i)
        except DataError as e:
            if not skip_bad:
                raise
            skipped.append((i, str(e)))
            continue
        points = finder(s.image) if finder is not None and five_points(s.landmarks2d) is None else None
        for view in views:
            view.add(s, i, points)
        thumbs.append(thumbnail(s.image))
    if not views[0].crops:
        raise DataError(f"dataset {name!r}: no usable sample ({len(skipped)} skipped, {len(dataset)} in "
                        "total)")
    thumb = np.stack(thumbs)
    groups = near_duplicate_groups(thumb, near_duplicate)
    return [view.prepared(name, info, skipped, thumb, groups) for view in views]


class _View:
    """The crops of one kind being collected by :func:`prepare_views`, with their extra labels and digest."""

    def __init__(self, size: int, margin: float, align: float | None) -> None:
        self.size, self.margin, self.align = size, margin, align
        self.crops: list[FaceSample] = []
        self.extra: dict[str, list[Any]] = {k: [] for k in ("affine", "orig_landmarks2d", "orig_landmarks3d",
                                                           "orig_mask", "orig_size", "subject", "video",
                                                           "index", "groups", "face_key")}
        self.unaligned = self.found = 0
        self.digest = hashlib.sha256(f"{size}|{margin}|{align}".encode())

    def add(self, s: FaceSample, i: int, points: np.ndarray | None = None) -> None:
        """Crop sample ``i``; ``points``: 5 alignment points found for it when it has no landmarks."""
        try:
            aligned = None if self.align is None else align_resize(s, self.size, self.align, points)
        except DataError:  # degenerate 5 points: the box crop, counted like a face without them
            aligned = None
        self.unaligned += self.align is not None and aligned is None
        self.found += self.align is not None and aligned is not None and points is not None
        crop, affine = aligned or crop_resize(s, self.size, self.margin)
        self.crops.append(crop)
        self.digest.update(np.ascontiguousarray(crop.image).tobytes())
        for key, value in (("affine", affine), ("orig_landmarks2d", s.landmarks2d),
                           ("orig_landmarks3d", s.landmarks3d),
                           ("orig_mask", s.mask), ("orig_size", s.image.shape[:2]), ("subject", s.subject),
                           ("video", s.video), ("index", i), ("groups", s.groups), ("face_key", face_key(s))):
            self.extra[key].append(value)

    def prepared(self, name: str, info: DatasetInfo, skipped: list[tuple[int, str]], thumb: np.ndarray,
                 neardup: np.ndarray) -> Prepared:
        extra = self.extra
        batch = _collate_labels(self.crops)
        batch["thumb"], batch["neardup"] = thumb, neardup
        batch["affine"] = np.stack(extra["affine"])
        batch["orig_size"] = np.asarray(extra["orig_size"], dtype=np.int64)
        batch["index"] = np.asarray(extra["index"], dtype=np.int64)
        for key in ("orig_landmarks2d", "orig_landmarks3d", "orig_mask", "subject", "video", "groups",
                    "face_key"):
            batch[key] = extra[key]
        ident = batch.get("identity")
        no_ids = np.full(len(self.crops), -1)
        batch["identity_ids"] = ident.numpy() if isinstance(ident, torch.Tensor) else no_ids
        self.digest.update(batch["index"].tobytes())
        return Prepared(name, info, batch, self.crops, self.digest.hexdigest()[:24], list(skipped),
                        self.unaligned, self.found)


def _fill_value(t: torch.Tensor, key: str) -> float:
    if key.startswith("has_"):
        return 0
    if key == "mask":
        return 255
    return float("nan") if t.is_floating_point() else -1


def _collate_labels(crops: Sequence[FaceSample]) -> dict[str, Any]:
    """collate() in chunks (images dropped, masks kept as uint8), merged; a kind absent from a chunk is filled
    with collate's missing value (NaN, -1, 255) and ``has_<kind>`` False."""
    parts = []
    for start in range(0, len(crops), _CHUNK):
        b = collate(crops[start:start + _CHUNK])
        del b["image"], b["path"]
        if "mask" in b:
            b["mask"] = b["mask"].to(torch.uint8)
        parts.append((start, min(start + _CHUNK, len(crops)), b))
    keys = {k: b[k] for _, _, b in parts for k in b}
    out: dict[str, Any] = {}
    for key, ref in keys.items():
        full = torch.full((len(crops), *ref.shape[1:]), _fill_value(ref, key), dtype=ref.dtype)
        for lo, hi, b in parts:
            if key in b:
                full[lo:hi] = b[key]
        out[key] = full
    return out


def take(batch: dict[str, Any], idx: np.ndarray) -> dict[str, Any]:
    """The rows ``idx`` of every entry of a batch (tensors, arrays and lists)."""
    idx = np.asarray(idx, dtype=np.int64)
    out: dict[str, Any] = {}
    for key, value in batch.items():
        if isinstance(value, torch.Tensor):
            out[key] = value[torch.from_numpy(idx)]
        elif isinstance(value, np.ndarray):
            out[key] = value[idx]
        else:
            out[key] = [value[i] for i in idx]
    return out


def group_ids(batch: dict[str, Any]) -> tuple[str, np.ndarray] | None:
    """The grouping that disjoint splits and held-out penalties keep whole: ('identity', ids), else subject,
    else video; without any of them the near-duplicate groups ('near-duplicate',
    :mod:`facerep.curate.neardup`), so frames of one clip never straddle train and test; None for a batch
    without them."""
    ident = batch["identity_ids"]
    if len(ident) and (ident >= 0).all():
        return "identity", ident
    for kind in ("subject", "video"):
        vals = batch[kind]
        if vals and all(v is not None for v in vals):
            return kind, np.asarray(vals, dtype=object).astype(str)
    if "neardup" in batch:
        return "near-duplicate", np.asarray(batch["neardup"])
    return None
