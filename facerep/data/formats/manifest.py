"""``manifest:PATH`` — a Parquet manifest written by ``facerep curate`` / ``redundancy --dedup`` / ``subset``.

PATH is a ``.parquet`` file or a folder holding ``manifest.parquet``. Each row is one face, either

- a crop: column ``crop`` (image path, relative to the manifest's folder or absolute), with optional
  ``crop_landmarks`` (5 points x, y interleaved, crop pixels -> ``landmarks2d`` [5, 2]), or
- a sample of another dataset: columns ``dataset`` (a FORMAT:PATH spec) and ``index`` (its sample index),
  which is opened lazily and returned with all its labels.

Optional columns ``identity`` (int), ``subject``, ``video``, ``frame`` (-1 = not a video frame) become the
FaceSample fields of the same names. Images are decoded on access.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...errors import DataError, FacerepError
from ...io import atomic_write, read_image
from ..sample import DatasetInfo, FaceDataset, FaceSample
from . import load_dataset, register_format
from ._common import float_array, int_value


def manifest_file(path: str | Path) -> Path:
    """The manifest file named by ``path`` (a .parquet file, or a folder holding manifest.parquet)."""
    p = Path(path)
    if p.is_dir():
        p = p / "manifest.parquet"
    if not p.is_file():
        raise DataError("no manifest here (expected a .parquet file or a folder holding manifest.parquet)",
                        str(path))
    return p


def read_manifest(path: str | Path) -> tuple[Any, Path]:
    """(pandas DataFrame, folder that relative crop paths start from)."""
    p = manifest_file(path)
    try:
        df = pd.read_parquet(p)
    except Exception as e:  # pyarrow raises several types for a bad file
        raise DataError(f"not a readable Parquet manifest ({type(e).__name__}: {str(e)[:200]})",
                        str(p)) from None
    if "crop" not in df.columns and not {"dataset", "index"} <= set(df.columns):
        raise DataError("a manifest needs a 'crop' column, or 'dataset' and 'index' columns", str(p))
    return df.reset_index(drop=True), p.parent


def write_manifest(df: Any, path: str | Path, base: Path | None = None) -> Path:
    """Write ``df`` as a Parquet manifest at ``path`` (atomic). Relative ``crop`` paths, read from ``base``,
    are rewritten relative to the new file's folder so the manifest stays valid wherever it is written."""
    path = Path(path)
    out = df.reset_index(drop=True).copy()
    if "crop" in out.columns and base is not None:
        new_dir = path.parent.resolve()

        def move(crop: str) -> str:
            full = crop if os.path.isabs(crop) else os.path.join(base.resolve(), crop)
            return os.path.relpath(full, new_dir)

        out["crop"] = [move(c) for c in out["crop"]]
    atomic_write(path, lambda tmp: out.to_parquet(tmp, index=False))
    return path


@lru_cache(maxsize=8)
def _parent_dataset(spec: str) -> FaceDataset:
    return load_dataset(spec)


class ManifestDataset:
    """Lazy samples of one manifest."""

    def __init__(self, df: Any, base: Path, name: str) -> None:
        self.df, self.base = df, base
        cols = set(df.columns)
        provides = set()
        if "crop_landmarks" in cols:
            provides.add("landmarks2d")
        if "identity" in cols:
            provides.add("identity")
        if "dataset" in cols and len(df) and isinstance(df["dataset"].iloc[0], str):
            try:
                provides |= set(_parent_dataset(df["dataset"].iloc[0]).info.provides)
            except FacerepError as e:
                raise DataError(f"row 0: dataset {df['dataset'].iloc[0]!r}: {e}", str(base)) from None
        self.info = DatasetInfo(name=name, provides=frozenset(provides),
                                landmark_scheme="5" if "crop_landmarks" in cols else None,
                                extra={"manifest": str(base)})
        self._rows = df.to_dict("records")

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i: int) -> FaceSample:
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        row, where = self._rows[i], f"{self.base}/manifest row {i}"
        if isinstance(row.get("crop"), str) and row["crop"]:
            crop = row["crop"]
            path = crop if os.path.isabs(crop) else str(self.base / crop)
            sample = FaceSample(image=read_image(path), path=path)
            lm = row.get("crop_landmarks")
            if lm is not None:
                pts = float_array(lm, where, "crop_landmarks")
                if pts.ndim != 1 or pts.size % 2:
                    raise DataError(f"crop_landmarks has {pts.size} values; expected x, y pairs", where)
                sample.landmarks2d = pts.astype(np.float32).reshape(-1, 2)
        else:
            sample = _parent_sample(row, where)
        _copy_meta(sample, row, where)
        return sample


def _parent_sample(row: dict[str, Any], where: str) -> FaceSample:
    """The sample a ``dataset``/``index`` row points at; a bad spec or index is a DataError at ``where``."""
    if not isinstance(row.get("dataset"), str):
        raise DataError("row has neither a 'crop' path nor a 'dataset' spec", where)
    index = int_value(row.get("index"), where, None, "index")
    try:
        parent = _parent_dataset(row["dataset"])
    except FacerepError as e:
        raise DataError(f"dataset {row['dataset']!r}: {e}", where) from None
    if not 0 <= index < len(parent):
        raise DataError(f"index {index} is outside {row['dataset']!r} (0..{len(parent) - 1})", where)
    return parent[index]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _copy_meta(sample: FaceSample, row: dict[str, Any], where: str) -> None:
    if not _is_missing(row.get("identity")):
        sample.identity = int_value(row["identity"], where, None, "identity")
    for key in ("subject", "video"):
        val = row.get(key)
        if isinstance(val, str) and val:
            setattr(sample, key, val)
    if not _is_missing(row.get("frame")):
        frame = int_value(row["frame"], where, None, "frame")
        if frame >= 0:
            sample.frame = frame


@register_format("manifest", description="Parquet manifest of face crops (facerep curate / subset / dedup)")
class ManifestFormat:
    provides: frozenset[str] = frozenset({"landmarks2d", "identity"})  # at most; a manifest says what it has
    splits: tuple[str, ...] = ()

    def open(self, path: str, split: str | None = None) -> ManifestDataset:
        if split is not None:
            raise DataError(f"a manifest has no official splits (asked for {split!r})", path)
        df, base = read_manifest(path)
        return ManifestDataset(df, base, f"manifest:{path}")
