"""300W (iBUG, Sagonas et al. 2013): 68 landmarks in a ``.pts`` file beside each image.

A ``.pts`` file is::

    version: 1
    n_points:  68
    {
    x1 y1
    ...
    x68 y68
    }

(files without the header, just 68 ``x y`` lines, are accepted too). **300W coordinates are
1-based** (MATLAB convention: the centre of the top-left pixel is (1, 1)); they are converted to
facerep's 0-based convention by subtracting 1 from x and y.

Splits from the folder layout of the iBUG release (matched case-insensitively anywhere in the path):
``train`` = afw + helen/trainset + lfpw/trainset (3148 images), ``common`` = helen/testset +
lfpw/testset (554), ``challenging`` = ibug (135), ``full`` = common + challenging (689), and
``private`` = the 300W competition test set (01_Indoor + 02_Outdoor, 600). Images in other folders
belong to no split (they are in ``split=None``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import DataError
from . import register_format
from ._common import (
    FormatBase,
    Item,
    LazyDataset,
    find_image,
    make_info,
    need_dir,
    parse_floats,
    parse_int,
    read_lines,
)

N_POINTS = 68


def read_pts(path: str | Path, n_points: int = N_POINTS) -> np.ndarray:
    """Parse a ``.pts`` file -> n×2 float32 **as written** (1-based for 300W). Errors name file and line."""
    lines = read_lines(path)
    rows: list[tuple[int, str]] = [(n, ln.strip()) for n, ln in enumerate(lines, 1) if ln.strip()]
    declared = None
    body = rows
    if rows and rows[0][1].lower().startswith("version"):
        head = {k.strip().lower(): v.strip() for _, ln in rows[:2] for k, _, v in [ln.partition(":")]}
        if "n_points" not in head:
            raise DataError("header has 'version' but no 'n_points: N' line", str(path), rows[0][0] + 1)
        declared = parse_int(head["n_points"], path, rows[1][0], "n_points")
        try:
            start = next(k for k, (_, ln) in enumerate(rows) if ln == "{")
            end = next(k for k, (_, ln) in enumerate(rows) if ln == "}")
        except StopIteration:
            raise DataError("points must be enclosed between a '{' line and a '}' line", str(path)) from None
        body = rows[start + 1:end]
    pts = np.array([parse_floats(ln.split(), path, n, expected=2, what="coordinates (x y)")
                    for n, ln in body], dtype=np.float32).reshape(-1, 2)
    if declared is not None and declared != len(pts):
        raise DataError(f"header says n_points: {declared} but {len(pts)} points are listed", str(path),
                        rows[end][0])
    if len(pts) != n_points:
        raise DataError(f"expected {n_points} points, found {len(pts)}", str(path),
                        body[-1][0] if body else None)
    return pts


SPLIT_RULES: dict[str, tuple[tuple[str, ...], ...]] = {
    "train": (("afw",), ("helen", "trainset"), ("lfpw", "trainset")),
    "common": (("helen", "testset"), ("lfpw", "testset")),
    "challenging": (("ibug",),),
    "private": (("01_indoor",), ("02_outdoor",)),
}


def split_of(rel: Path) -> str | None:
    """The 300W split of a path relative to the dataset root (None when it is in no split)."""
    parts = [p.lower() for p in rel.parts[:-1]]
    for split, rules in SPLIT_RULES.items():
        for rule in rules:
            for k in range(len(parts) - len(rule) + 1):
                if tuple(parts[k:k + len(rule)]) == rule:
                    return split
    return None


@register_format("300w", description="300W/iBUG: .pts (68 points, 1-based) beside each image; "
                                     "splits train/common/challenging/full/private")
class Format300W(FormatBase):
    provides = frozenset({"landmarks2d"})
    splits = ("train", "common", "challenging", "full", "private")

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        root = need_dir(path, "300w")
        if split is not None and split not in self.splits:
            raise DataError(f"300w: no split {split!r}; splits are {', '.join(self.splits)}")
        wanted = {"common", "challenging"} if split == "full" else {split}
        items = []
        for pts_path in sorted(root.rglob("*.pts")):
            s = split_of(pts_path.relative_to(root))
            if split is not None and s not in wanted:
                continue
            image = find_image(pts_path.with_suffix(""))
            if image is None:
                raise DataError("no image beside this .pts file (expected the same name with .jpg/.png)",
                                str(pts_path))
            lm = read_pts(pts_path) - 1.0  # 1-based -> 0-based
            items.append(Item(str(image), {"landmarks2d": lm}))
        if not items:
            raise DataError(f"300w: no .pts files{' in split ' + split if split else ''} under this folder",
                            str(root))
        return LazyDataset(items, make_info("300w", self.provides, landmark_scheme="68"))
