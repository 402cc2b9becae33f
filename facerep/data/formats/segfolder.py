"""A generic face-parsing folder: ``images/`` + ``labels/`` (a class-id PNG with the same stem).

Layout: ``PATH/images/<stem>.<ext>`` and ``PATH/labels/<stem>.png``, or the same pair inside split
folders ``PATH/{train,val,test}/``. Label PNGs hold class ids: 8-bit grey, 16-bit grey, or palette
PNGs (read as palette indices, never as colours); 255 = ignore. A label PNG smaller than its image by one
integer factor in both axes (CelebAMask-HQ's merged 512² masks beside its 1024² images) gets the image
resized to the label's size, as CelebAMask-HQ's own preprocessing does; other size mismatches are errors.
Class names come from ``PATH/classes.yaml`` (a YAML list of names in id order, or a mapping ``id: name``)
or from the path option ``?classes=``, which takes a preset (``celebamask19``, ``lapa11``) or a YAML file::

    segfolder:/data/myfaces?classes=lapa11
    segfolder:/data/myfaces?classes=/data/my_classes.yaml
"""
from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import yaml

from ...errors import ConfigError, DataError
from ...io import read_image
from ..vocab import CELEBAMASK19, LAPA11
from . import register_format
from ._common import (
    NAME_ID_OPTIONS,
    FormatBase,
    Item,
    LazyDataset,
    fit_image,
    ids_from_names,
    int_value,
    list_images,
    make_info,
    parse_options,
    read_label_png,
    select_split,
)

PRESETS: dict[str, tuple[str, ...]] = {"celebamask19": CELEBAMASK19, "lapa11": LAPA11}


def read_classes(path: Path) -> tuple[str, ...]:
    """Class names from a YAML list, or a mapping id -> name (ids 0..C-1)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise DataError(f"cannot read class names ({e})", str(path)) from None
    if isinstance(data, dict) and "classes" in data:
        data = data["classes"]
    if isinstance(data, dict):
        by_id = {int_value(k, path, None, f"class id {k!r}"): v for k, v in data.items()}
        ids = sorted(by_id)
        if ids != list(range(len(ids))):
            raise DataError(f"class ids must be 0..{len(ids) - 1}, got {ids}", str(path))
        data = [by_id[k] for k in ids]
    if not isinstance(data, list) or not data:
        raise DataError("expected a YAML list of class names (or a mapping id: name)", str(path))
    return tuple(str(c) for c in data)


def resolve_classes(root: Path, option: str | None) -> tuple[str, ...]:
    if option:
        if option.lower() in PRESETS:
            return PRESETS[option.lower()]
        if Path(option).is_file():
            return read_classes(Path(option))
        raise ConfigError(f"segfolder: classes={option!r} is neither a preset ({', '.join(PRESETS)}) "
                          "nor a YAML file")
    for name in ("classes.yaml", "classes.yml"):
        if (root / name).is_file():
            return read_classes(root / name)
    raise DataError("segfolder: no class names: add classes.yaml (a list of names) or use "
                    f"?classes={'|'.join(PRESETS)}", str(root))


def load_image(item: Item) -> np.ndarray:
    """The image, resized to its label PNG's size when one integer factor apart (see :func:`fit_image`)."""
    from PIL import Image

    image = read_image(item.image)
    try:
        with Image.open(item.mask) as im:  # type: ignore[arg-type]
            w, h = im.size
    except (OSError, SyntaxError, ValueError) as e:
        raise DataError(f"cannot decode label image ({e})", str(item.mask)) from None
    return fit_image(image, (h, w), item.image)


def load_mask(item: Item, image: np.ndarray, n_classes: int) -> np.ndarray:
    return read_label_png(item.mask, image.shape, n_classes)  # type: ignore[arg-type]


def folder_items(folder: Path) -> list[Item]:
    items = []
    for img in list_images(folder / "images"):
        label = folder / "labels" / f"{img.stem}.png"
        if not label.is_file():
            raise DataError(f"no label PNG for this image (expected {label})", str(img))
        items.append(Item(str(img), {}, mask=str(label)))
    return items


@register_format("segfolder",
                 description="images/ + labels/ class-id PNGs (classes.yaml or ?classes=lapa11|celebamask19)")
class FormatSegFolder(FormatBase):
    provides = frozenset({"mask"})
    splits = ("train", "val", "test")

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        base, opts = parse_options(path, "segfolder", ("classes", *NAME_ID_OPTIONS))
        root = Path(base)
        if not root.is_dir():
            raise DataError("segfolder: dataset folder does not exist", str(root))
        classes = resolve_classes(root, opts.get("classes"))
        if (root / "images").is_dir():
            by_split = {"all": folder_items(root)}
        else:
            by_split = {s: folder_items(root / s) for s in self.splits if (root / s / "images").is_dir()}
        if not by_split:
            raise DataError("segfolder: expected images/ and labels/ folders "
                            "(or train/, val/, test/ holding them)", str(root))
        items = select_split("segfolder", split, by_split)
        ids_from_names(items, root, opts, "segfolder")
        return LazyDataset(items, make_info("segfolder", self.provides, mask_classes=classes),
                           load_image=load_image, load_mask=partial(load_mask, n_classes=len(classes)))
