"""Helen face parsing (Smith et al., CVPR 2013, the ``SmithCVPR2013_dataset_resized`` release).

Layout: ``images/<name>.jpg`` and ``labels/<name>/<name>_lbl00.png`` … ``_lbl10.png``, one grey
map (0–255) per class: 00 background, 01 face skin, 02 left eyebrow, 03 right eyebrow, 04 left eye,
05 right eye, 06 nose, 07 upper lip, 08 inner mouth, 09 lower lip, 10 hair — the same 11 classes,
in the same order, as :data:`facerep.data.vocab.LAPA11`. The class map is the per-pixel argmax of
the 11 maps (ties go to the lower id). Splits: ``exemplars.txt`` (train, 2000), ``tuning.txt``
(val, 230), ``testing.txt`` (test, 100), lines ``<n> , <name>``; without them, ``split=None`` only.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import DataError
from ..vocab import LAPA11
from . import register_format
from ._common import (
    FormatBase,
    Item,
    LazyDataset,
    find_image,
    make_info,
    need_dir,
    read_label_png,
    read_lines,
    select_split,
)

SPLIT_FILES = {"train": "exemplars.txt", "val": "tuning.txt", "test": "testing.txt"}


def merge_maps(folder: Path, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Argmax over ``<name>_lbl00.png`` … ``_lbl10.png`` -> H×W uint8 class ids."""
    maps = [read_label_png(folder / f"{name}_lbl{k:02d}.png", shape, None) for k in range(len(LAPA11))]
    return np.argmax(np.stack(maps), axis=0).astype(np.uint8)


def load_mask(item: Item, image: np.ndarray) -> np.ndarray:
    return merge_maps(Path(item.mask), item.extra, image.shape)  # type: ignore[arg-type]


def read_names(path: Path) -> list[str]:
    names = []
    for n, line in enumerate(read_lines(path), 1):
        if line.strip():
            parts = [p.strip() for p in line.split(",")]
            if len(parts) != 2 or not parts[1]:
                raise DataError("expected '<n> , <image name>'", str(path), n)
            names.append(parts[1])
    return names


@register_format("helen", description="Helen parsing: images/ + labels/<name>/<name>_lbl00..10.png; "
                                      "exemplars/tuning/testing splits")
class FormatHelen(FormatBase):
    provides = frozenset({"mask"})
    splits = ("train", "val", "test")

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        root = need_dir(path, "helen")
        images = need_dir(root / "images", "helen", "images folder")
        labels = need_dir(root / "labels", "helen", "labels folder")
        if all((root / f).is_file() for f in SPLIT_FILES.values()):
            names = {s: read_names(root / f) for s, f in SPLIT_FILES.items()}
        else:
            names = {"all": sorted(p.name for p in labels.iterdir() if p.is_dir())}
        by_split: dict[str, list[Item]] = {}
        for s, ns in names.items():
            by_split[s] = []
            for name in ns:
                img = find_image(images / name)
                if img is None:
                    raise DataError(f"no image for {name!r} (expected {images / name}.jpg)", str(images))
                by_split[s].append(Item(str(img), {}, mask=str(labels / name), extra=name))
        items = select_split("helen", split, by_split)
        return LazyDataset(items, make_info("helen", self.provides, mask_classes=LAPA11),
                           load_mask=load_mask)
