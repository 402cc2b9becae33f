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

from ...errors import DataError
from ...io import atomic_write, read_image
from ..sample import DatasetInfo, FaceSample
from . import register_format


def manifest_file(path: str | Path) -> Path:
    """The manifest file named by ``path`` (a .parquet file, or a folder holding manifest.parquet)."""
    p = Path(path)
    if p.is_dir():
        p = p / "manifest.parquet"
    if not p.is_file():
        raise DataError("no manifest here (expected a .parquet file or a folder holding manifest.parquet)", str(path))
    return p


def read_manifest(path: str | Path) -> tuple[Any, Path]:
    """(pandas DataFrame, folder that relative crop paths start from)."""
    import pandas as pd

    p = manifest_file(path)
    try:
        df = pd.read_parquet(p)
    except Exception as e:  # pyarrow raises several types for a bad file
        raise DataError(f"not a readable Parquet manifest ({type(e).__name__}: {str(e)[:200]})", str(p)) from None
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
def _parent_dataset(spec: str):  # type: ignore[no-untyped-def]
    from . import load_dataset

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
        if "dataset" in cols and len(df):
            provides |= set(_parent_dataset(str(df["dataset"].iloc[0])).info.provides)
        self.info = DatasetInfo(name=name, provides=frozenset(provides), landmark_scheme="5" if "crop_landmarks" in cols
                                else None, extra={"manifest": str(base)})
        self._rows = df.to_dict("records")

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i: int) -> FaceSample:
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        row = self._rows[i]
        if row.get("crop") is not None and isinstance(row.get("crop"), str):
            crop = row["crop"]
            path = crop if os.path.isabs(crop) else str(self.base / crop)
            sample = FaceSample(image=read_image(path), path=path)
            lm = row.get("crop_landmarks")
            if lm is not None:
                sample.landmarks2d = np.asarray(lm, np.float32).reshape(-1, 2)
        else:
            sample = _parent_dataset(str(row["dataset"]))[int(row["index"])]
        _copy_meta(sample, row)
        return sample


def _copy_meta(sample: FaceSample, row: dict[str, Any]) -> None:
    ident = row.get("identity")
    if ident is not None and not (isinstance(ident, float) and np.isnan(ident)):
        sample.identity = int(ident)
    for key in ("subject", "video"):
        val = row.get(key)
        if isinstance(val, str) and val:
            setattr(sample, key, val)
    frame = row.get("frame")
    if frame is not None and not (isinstance(frame, float) and np.isnan(frame)) and int(frame) >= 0:
        sample.frame = int(frame)


@register_format("manifest", description="Parquet manifest of face crops (facerep curate / subset / dedup)")
class ManifestFormat:
    provides: frozenset[str] = frozenset({"landmarks2d", "identity"})  # at most; a manifest says what it has
    splits: tuple[str, ...] = ()

    def open(self, path: str, split: str | None = None) -> ManifestDataset:
        if split is not None:
            raise DataError(f"a manifest has no official splits (asked for {split!r})", path)
        df, base = read_manifest(path)
        return ManifestDataset(df, base, f"manifest:{path}")
