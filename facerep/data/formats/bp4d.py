"""BP4D-Spontaneous (Zhang et al., 2014), AU occurrence as distributed for FERA 2015.

Labels: ``AUCoding/AU_OCC/<subject>_<task>.csv`` (e.g. ``F001_T1.csv``): a header row whose first
cell names the frame column and whose other cells are AU numbers (``1,2,3,…``), then one row per
frame: ``frame,occ_AU1,occ_AU2,…`` with 0 (absent), 1 (present) or 9 (unknown -> NaN). facerep
keeps the 12 AUs of :data:`facerep.data.vocab.BP4D_AUS` (a CSV lacking one of them is an error).
Frames: ``2DFrames/<subject>/<task>/<frame>.jpg`` (or ``<subject>/<task>/`` directly in the
dataset folder); the frame number is the integer in the file stem. A sample is a labelled frame
with an image; labelled frames without one are counted in ``DatasetInfo.extra["frames_without_image"]``.
``subject`` (F001) and ``video`` (F001_T1) allow subject-disjoint splits; there is no official split.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import DataError
from ..vocab import BP4D_AUS
from . import register_format
from ._common import (
    FormatBase,
    Item,
    LazyDataset,
    check_no_split,
    first_existing,
    frame_index,
    make_info,
    need_dir,
    parse_floats,
    parse_int,
    read_lines,
)


def read_occ_csv(path: Path) -> dict[int, np.ndarray]:
    """Frame -> float32 occurrence (0/1/NaN) in BP4D_AUS order."""
    lines = read_lines(path)
    if not lines:
        raise DataError("empty CSV; expected a header row of AU numbers", str(path), 1)
    header = [h.strip() for h in lines[0].split(",")]
    codes = [parse_int(h, path, 1, "header cell (an AU number)") for h in header[1:]]
    missing = [au for au in BP4D_AUS if au not in codes]
    if missing:
        raise DataError(f"header lacks AU column(s) {', '.join(map(str, missing))}; expected "
                        f"{', '.join(map(str, BP4D_AUS))}", str(path), 1)
    cols = [1 + codes.index(au) for au in BP4D_AUS]
    out = {}
    for n, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        row = parse_floats(line.split(","), path, n, expected=len(header),
                           what="fields (frame, AU occurrences)")
        occ = row[cols]
        bad = ~np.isin(occ, (0, 1, 9))
        if bad.any():
            k = int(np.argmax(bad))
            raise DataError(f"AU{BP4D_AUS[k]} value {occ[k]:g}; expected 0, 1 or 9 (unknown)", str(path), n)
        if not row[0].is_integer():
            raise DataError(f"frame {row[0]:g} is not an integer", str(path), n)
        out[int(row[0])] = np.where(occ == 9, np.nan, occ).astype(np.float32)
    return out


@register_format("bp4d",
                 description="BP4D (FERA 2015): AUCoding/AU_OCC/<subject>_<task>.csv + 2DFrames; 9 -> NaN")
class FormatBP4D(FormatBase):
    provides = frozenset({"au"})
    splits = ()

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        check_no_split("bp4d", split)
        root = need_dir(path, "bp4d")
        occ = first_existing([root / "AUCoding" / "AU_OCC", root / "AU_OCC"], "bp4d", "the AU_OCC folder")
        frames = root / "2DFrames" if (root / "2DFrames").is_dir() else root
        items, missing = [], {}
        for csv_path in sorted(occ.glob("*.csv")):
            subject, _, task = csv_path.stem.partition("_")
            if not task:
                raise DataError("expected a file name <subject>_<task>.csv (e.g. F001_T1.csv)", str(csv_path))
            folder = frames / subject / task
            index = frame_index(folder) if folder.is_dir() else {}
            n_missing = 0
            for frame, au in read_occ_csv(csv_path).items():
                img = index.get(frame)
                if img is None:
                    n_missing += 1
                    continue
                items.append(Item(str(img),
                                  {"au": au, "subject": subject, "video": csv_path.stem, "frame": frame}))
            missing[csv_path.stem] = n_missing
        if not items:
            raise DataError("bp4d: no labelled frame has an image "
                            "(expected 2DFrames/<subject>/<task>/<frame>.jpg)", str(root))
        info = make_info("bp4d", self.provides, au_codes=BP4D_AUS, extra={"frames_without_image": missing})
        return LazyDataset(items, info)
