"""FER2013 (Goodfellow et al., 2013): 48×48 grey faces stored as pixel strings in one CSV.

Official file ``fer2013.csv`` (PATH is the file or its folder) with the header
``emotion,pixels,Usage``: ``emotion`` 0–6 = Angry, Disgust, Fear, Happy, Sad, Surprise, Neutral
(mapped onto facerep's names; the classes are the first 7 of
:data:`facerep.data.vocab.EXPRESSIONS8`), ``pixels`` = 2304 space-separated grey values, row by
row; ``Usage`` Training / PublicTest / PrivateTest -> splits ``train`` / ``val`` / ``test``.
Pixel counts are checked at open; values are parsed (and checked) when a sample is read.
A sample's ``path`` is ``fer2013.csv:<line>``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import DataError
from ..vocab import EXPRESSIONS8
from . import register_format
from ._common import FormatBase, Item, LazyDataset, make_info, parse_int, read_csv, select_split

FER_NAMES = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")  # codes 0..6
CLASSES = EXPRESSIONS8[:7]
USAGE = {"Training": "train", "PublicTest": "val", "PrivateTest": "test"}
SIDE = 48


def decode_pixels(item: Item) -> np.ndarray:
    """The pixel string of ``item`` -> 48×48×3 uint8 (grey replicated); a non-number or a value outside
    0..255 raises DataError naming the CSV line."""
    csv_path, line = item.image.rsplit(":", 1)
    tokens = item.extra.split()
    try:
        values = np.array(tokens, dtype=np.float32)
    except ValueError:
        k, bad = next((k, t) for k, t in enumerate(tokens) if not _is_number(t))
        raise DataError(f"pixels: value {k + 1} is {bad!r}, expected a number 0..255", csv_path,
                        int(line)) from None
    if values.size != SIDE * SIDE:
        raise DataError(f"pixels has {values.size} values; expected {SIDE * SIDE} (48×48)", csv_path,
                        int(line))
    if not ((values >= 0) & (values <= 255)).all():
        raise DataError("pixels: values must be 0..255", csv_path, int(line))
    grey = values.astype(np.uint8).reshape(SIDE, SIDE)
    return np.repeat(grey[:, :, None], 3, axis=2)


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


@register_format("fer2013",
                 description="FER2013 fer2013.csv (emotion, 48×48 pixels, Usage -> train/val/test)")
class FormatFER2013(FormatBase):
    provides = frozenset({"expression"})
    splits = ("train", "val", "test")

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        p = Path(path)
        csv_path = p / "fer2013.csv" if p.is_dir() else p
        _, rows = read_csv(csv_path, ("emotion", "pixels", "Usage"))
        by_split: dict[str, list[Item]] = {s: [] for s in self.splits}
        for n, row in rows:
            code = parse_int(row["emotion"], csv_path, n, "emotion")
            if not 0 <= code <= 6:
                raise DataError(f"emotion {code}; expected 0..6 (Angry … Neutral)", str(csv_path), n)
            if row["Usage"] not in USAGE:
                raise DataError(f"Usage {row['Usage']!r}; expected {', '.join(USAGE)}", str(csv_path), n)
            count = row["pixels"].count(" ") + 1  # one space between values (split() would cost ~1 ms a row)
            if count != SIDE * SIDE and len(row["pixels"].split()) != SIDE * SIDE:
                raise DataError(f"pixels has {len(row['pixels'].split())} values; "
                                f"expected {SIDE * SIDE} (48×48)", str(csv_path), n)
            by_split[USAGE[row["Usage"]]].append(
                Item(f"{csv_path}:{n}", {"expression": CLASSES.index(FER_NAMES[code])}, extra=row["pixels"]))
        items = select_split("fer2013", split, by_split)
        return LazyDataset(items, make_info("fer2013", self.provides, expression_classes=CLASSES),
                           load_image=decode_pixels)
