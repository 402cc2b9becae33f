"""The one record type that flows everywhere: :class:`FaceSample`, plus dataset metadata and collate.

Conventions (every format converts to these):
- ``image``: H×W×3 uint8, RGB.
- ``landmarks2d``: K×2 float32, 0-based pixel coordinates (x, y) in ``image``. For 68 points the
  order is iBUG/300W (0-based: jaw 0–16, right brow 17–21, left brow 22–26, nose 27–35, right eye
  36–41, left eye 42–47, mouth 48–67; "right"/"left" are the *subject's*, so the subject's right
  eye is on the image's left in a frontal face, as in 300W).
- ``landmarks3d``: K×3 float32 (x, y in pixels as landmarks2d, z in pixels, larger = further away).
- ``mask``: H×W uint8 class ids; the class names are ``DatasetInfo.mask_classes``.
- ``au``: float32 vector of intensities (0–5) in the order ``DatasetInfo.au_codes``; NaN = unlabeled.
- ``expression``: class id into ``DatasetInfo.expression_classes``.
- ``valence``, ``arousal``: floats in [-1, 1].
- ``attributes``: float32 vector of 0/1 in the order ``DatasetInfo.attribute_names``; NaN = unlabeled.
- ``pose``: float32 (yaw, pitch, roll) in degrees.
- ``box``: (x0, y0, x1, y1) face box in pixels, when the source gives one.
- ``groups``: subgroup labels (e.g. ``{"skin_tone": "dark"}``) for fairness breakdowns.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

LABEL_KINDS: tuple[str, ...] = (
    "identity", "landmarks2d", "landmarks3d", "mask", "au", "expression",
    "valence", "arousal", "attributes", "pose",
)


@dataclass
class FaceSample:
    """One face: an image and whichever labels its source has (``None`` = not labelled)."""

    image: np.ndarray
    identity: int | None = None
    landmarks2d: np.ndarray | None = None
    landmarks3d: np.ndarray | None = None
    mask: np.ndarray | None = None
    au: np.ndarray | None = None
    expression: int | None = None
    valence: float | None = None
    arousal: float | None = None
    attributes: np.ndarray | None = None
    pose: np.ndarray | None = None
    box: tuple[float, float, float, float] | None = None
    subject: str | None = None
    video: str | None = None
    frame: int | None = None
    path: str | None = None
    groups: dict[str, str] = field(default_factory=dict)

    def labels(self) -> set[str]:
        """The label kinds this sample carries."""
        return {k for k in LABEL_KINDS if getattr(self, k) is not None}


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is and provides. Formats fill in the vocabularies of their labels."""

    name: str
    provides: frozenset[str]
    landmark_scheme: str | None = None  # e.g. "68" (iBUG), "98" (WFLW), "29" (COFW), "106" (LaPa)
    mask_classes: tuple[str, ...] = ()
    expression_classes: tuple[str, ...] = ()
    au_codes: tuple[int, ...] = ()
    attribute_names: tuple[str, ...] = ()
    group_names: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@runtime_checkable
class FaceDataset(Protocol):
    """A lazy sequence of samples (images decoded on access) with its :class:`DatasetInfo`."""

    info: DatasetInfo

    def __len__(self) -> int: ...

    def __getitem__(self, i: int) -> FaceSample: ...


class ListDataset(Sequence[FaceSample]):
    """A dataset over an in-memory list (for tests and small exports)."""

    def __init__(self, samples: Sequence[FaceSample], info: DatasetInfo) -> None:
        self.samples, self.info = list(samples), info

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> FaceSample:  # type: ignore[override]
        return self.samples[i]


_FLOAT_ARRAYS = ("landmarks2d", "landmarks3d", "au", "attributes", "pose")
_INT_SCALARS = ("identity", "expression")
_FLOAT_SCALARS = ("valence", "arousal")


def image_to_tensor(image: np.ndarray) -> torch.Tensor:
    """H×W×3 uint8 -> 3×H×W float32 in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div_(255.0)


def collate(samples: Sequence[FaceSample]) -> dict[str, Any]:
    """Stack samples into a batch dict. Images must share one size (crop/resize first).

    Returns ``image`` [B, 3, H, W] float in [0, 1]; for each label kind present in any sample:
    the stacked tensor and ``has_<kind>`` [B] bool. Missing float labels are NaN, missing
    ints are -1, missing masks are 255 (ignore index). ``index``/``path`` lists are kept.
    """
    if not samples:
        raise ValueError("collate of an empty batch")
    sizes = {s.image.shape for s in samples}
    if len(sizes) != 1:
        raise ValueError(f"collate needs images of one size, got {sorted(sizes)}")
    out: dict[str, Any] = {"image": torch.stack([image_to_tensor(s.image) for s in samples])}
    for kind in _FLOAT_ARRAYS:
        vals = [getattr(s, kind) for s in samples]
        ref = next((v for v in vals if v is not None), None)
        if ref is None:
            continue
        shape = np.asarray(ref).shape
        arr = np.full((len(samples), *shape), np.nan, dtype=np.float32)
        for i, v in enumerate(vals):
            if v is not None:
                arr[i] = v
        out[kind] = torch.from_numpy(arr)
        out[f"has_{kind}"] = torch.tensor([v is not None for v in vals])
    for kind in _INT_SCALARS:
        vals = [getattr(s, kind) for s in samples]
        if any(v is not None for v in vals):
            out[kind] = torch.tensor([-1 if v is None else int(v) for v in vals], dtype=torch.long)
            out[f"has_{kind}"] = torch.tensor([v is not None for v in vals])
    for kind in _FLOAT_SCALARS:
        vals = [getattr(s, kind) for s in samples]
        if any(v is not None for v in vals):
            out[kind] = torch.tensor([np.nan if v is None else float(v) for v in vals], dtype=torch.float32)
            out[f"has_{kind}"] = torch.tensor([v is not None for v in vals])
    masks = [s.mask for s in samples]
    if any(m is not None for m in masks):
        h, w = samples[0].image.shape[:2]
        arr = np.full((len(samples), h, w), 255, dtype=np.int64)
        for i, m in enumerate(masks):
            if m is not None:
                arr[i] = m
        out["mask"] = torch.from_numpy(arr)
        out["has_mask"] = torch.tensor([m is not None for m in masks])
    out["path"] = [s.path for s in samples]
    return out


def sample_fields() -> list[str]:
    return [f.name for f in fields(FaceSample)]
