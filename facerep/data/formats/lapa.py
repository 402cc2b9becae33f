"""LaPa (Liu et al., AAAI 2020): face parsing (11 classes) + 106 landmarks, one folder per split.

Official layout: ``{train,val,test}/images/<name>.jpg``, ``…/labels/<name>.png`` (class ids 0..10
in the order of :data:`facerep.data.vocab.LAPA11`) and ``…/landmarks/<name>.txt`` (first line the
point count ``106``, then one ``x y`` line per point; 0-based pixels, used as written). A sample
without a landmark file has no landmarks; a sample without a label PNG has no mask. The path option
``?points=68`` accepts another point count in the same layout (e.g. ``facerep synth`` writes 68 iBUG
points); any file whose count differs from the expected one is an error.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import ConfigError, DataError
from ..vocab import LAPA11
from . import register_format
from ._common import (
    FormatBase,
    Item,
    LazyDataset,
    list_images,
    make_info,
    need_dir,
    parse_floats,
    parse_int,
    parse_options,
    read_label_png,
    read_lines,
    select_split,
)

N_POINTS = 106


def read_landmarks(path: Path, n_points: int = N_POINTS) -> np.ndarray:
    """A LaPa landmark file -> n×2 float32 (count line, then ``x y`` lines)."""
    lines = [(n, ln) for n, ln in enumerate(read_lines(path), 1) if ln.strip()]
    if not lines:
        raise DataError(
            f"empty landmark file; expected a count line '{n_points}' then {n_points} 'x y' lines",
                        str(path), 1)
    count = parse_int(lines[0][1].strip(), path, lines[0][0], "point count")
    pts = [parse_floats(ln.split(), path, n, expected=2, what="coordinates (x y)") for n, ln in lines[1:]]
    if count != len(pts) or count != n_points:
        raise DataError(f"expected {n_points} points (count line says {count}), found {len(pts)}", str(path),
                        lines[-1][0])
    return np.asarray(pts, dtype=np.float32)


def load_mask(item: Item, image: np.ndarray) -> np.ndarray:
    return read_label_png(item.mask, image.shape, len(LAPA11))  # type: ignore[arg-type]


def split_items(folder: Path, n_points: int = N_POINTS) -> list[Item]:
    items = []
    for img in list_images(need_dir(folder / "images", "lapa", "images folder")):
        labels, mask = {}, folder / "labels" / f"{img.stem}.png"
        lm = folder / "landmarks" / f"{img.stem}.txt"
        if lm.is_file():
            labels["landmarks2d"] = read_landmarks(lm, n_points)
        items.append(Item(str(img), labels, mask=str(mask) if mask.is_file() else None))
    return items


@register_format("lapa",
                 description="LaPa: {train,val,test}/images, labels (11 class ids), landmarks (106 points)")
class FormatLaPa(FormatBase):
    provides = frozenset({"mask", "landmarks2d"})
    splits = ("train", "val", "test")

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        base, opts = parse_options(path, "lapa", ("points",))
        points = opts.get("points", str(N_POINTS))
        if not points.isdigit() or int(points) < 1:
            raise ConfigError(f"lapa: points={points!r}; expected a positive integer (106 for LaPa)")
        root = need_dir(base, "lapa")
        by_split = {s: split_items(root / s, int(points)) for s in self.splits
                    if (root / s).is_dir() and (split is None or s == split)}
        if not by_split and split is None:
            raise DataError("lapa: no train/, val/ or test/ folder here", str(root))
        items = select_split("lapa", split, by_split)
        return LazyDataset(items,
                           make_info("lapa", self.provides, landmark_scheme=points, mask_classes=LAPA11),
                           load_mask=load_mask)
