"""CelebAMask-HQ (Lee et al., CVPR 2020): 30 000 faces with per-part binary masks -> 19 classes.

Official layout::

    CelebA-HQ-img/<id>.jpg                                   (1024×1024)
    CelebAMask-HQ-mask-anno/<id // 2000>/<id:05d>_<part>.png (512×512, part = 255, else 0)
    CelebA-HQ-to-CelebA-mapping.txt                          (idx orig_idx orig_file)
    list_eval_partition.txt                                  (CelebA: <file> 0|1|2, optional)

Part masks are merged as the official ``g_mask`` script does: start from background 0, then for
each part in the order of :data:`facerep.data.vocab.CELEBAMASK19` (skin, nose, eye_g, …, cloth)
set its pixels to the part's id, so later parts overwrite earlier ones. Masks are 512² while
images are 1024²: the image is resized (bilinear) to the mask size when the two differ by one
integer factor in both axes, as the official preprocessing does; any other mismatch is an error.
Splits (train/val/test) come from CelebA's partition of each image's original file, through the
mapping file, when both files are present (in the dataset folder or its parent).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from ...errors import DataError
from ...io import read_image
from ..vocab import CELEBAMASK19
from . import register_format
from ._common import (
    FormatBase,
    Item,
    LazyDataset,
    fit_image,
    make_info,
    need_dir,
    parse_int,
    read_lines,
    select_split,
)

PARTS: tuple[str, ...] = CELEBAMASK19[1:]
SPLIT_CODES = {"0": "train", "1": "val", "2": "test"}


def _read_binary(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as im:
            arr = np.asarray(im)
    except (OSError, SyntaxError, ValueError) as e:
        raise DataError(f"cannot decode part mask ({e})", str(path)) from None
    return arr[..., 0] if arr.ndim == 3 else arr


def merge_parts(parts: list[tuple[int, Path]]) -> np.ndarray:
    """(class id, part PNG) in official order -> H×W uint8 class map (later parts overwrite)."""
    mask: np.ndarray | None = None
    for cls, path in parts:
        part = _read_binary(path)
        if mask is None:
            mask = np.zeros(part.shape[:2], dtype=np.uint8)
        if part.shape[:2] != mask.shape:
            raise DataError(f"part mask is {part.shape[1]}×{part.shape[0]}, the other parts of this face are "
                            f"{mask.shape[1]}×{mask.shape[0]}", str(path))
        mask[part != 0] = cls
    assert mask is not None
    return mask


def load_image(item: Item) -> np.ndarray:
    """The image, resized to its masks' size (see :func:`fit_image`)."""
    image = read_image(item.image)
    if item.extra:
        with Image.open(item.extra[0][1]) as im:
            w, h = im.size
        image = fit_image(image, (h, w), item.image)
    return image


def load_mask(item: Item, image: np.ndarray) -> np.ndarray:
    return merge_parts(item.extra)


def scan_parts(anno: Path) -> dict[int, list[tuple[int, Path]]]:
    """Face id -> [(class id, part PNG)] sorted in the official merge order."""
    order = {p: k + 1 for k, p in enumerate(PARTS)}
    out: dict[int, list[tuple[int, Path]]] = {}
    for sub in sorted(os.scandir(anno), key=lambda e: e.name):
        if not sub.is_dir():
            continue
        for e in os.scandir(sub.path):
            stem, _, ext = e.name.rpartition(".")
            num, _, part = stem.partition("_")
            if ext.lower() == "png" and num.isdigit() and part in order:
                out.setdefault(int(num), []).append((order[part], Path(e.path)))
    for parts in out.values():
        parts.sort()
    return out


def read_splits(root: Path) -> dict[int, str] | None:
    """HQ id -> split via CelebA-HQ-to-CelebA-mapping.txt + list_eval_partition.txt, or None."""
    def find(name: str) -> Path | None:
        return next((d / name for d in (root, root.parent, root / "Eval") if (d / name).is_file()), None)

    mapping, part = find("CelebA-HQ-to-CelebA-mapping.txt"), find("list_eval_partition.txt")
    if mapping is None or part is None:
        return None
    partition = {}
    for n, line in enumerate(read_lines(part), 1):
        tok = line.split()
        if tok:
            if len(tok) != 2 or tok[1] not in SPLIT_CODES:
                raise DataError("expected '<file> 0|1|2'", str(part), n)
            partition[tok[0]] = SPLIT_CODES[tok[1]]
    out = {}
    for n, line in enumerate(read_lines(mapping), 1):
        tok = line.split()
        if not tok or (n == 1 and not tok[0].isdigit()):
            continue
        if len(tok) != 3:
            raise DataError("expected 'idx orig_idx orig_file'", str(mapping), n)
        if tok[2] not in partition:
            raise DataError(f"{tok[2]} is not listed in {part}", str(mapping), n)
        out[parse_int(tok[0], mapping, n, "idx")] = partition[tok[2]]
    return out


@register_format("celebamask-hq",
                 description="CelebAMask-HQ: per-part masks merged to 19 classes; CelebA splits")
class FormatCelebAMaskHQ(FormatBase):
    provides = frozenset({"mask"})
    splits = ("train", "val", "test")

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        root = need_dir(path, "celebamask-hq")
        imgs = need_dir(root / "CelebA-HQ-img", "celebamask-hq", "CelebA-HQ-img folder")
        parts = scan_parts(need_dir(root / "CelebAMask-HQ-mask-anno", "celebamask-hq",
                                    "mask annotation folder"))
        split_of = read_splits(root)
        by_split: dict[str, list[Item]] = {"all": []} if split_of is None else {s: [] for s in self.splits}
        for p in sorted(imgs.iterdir(), key=lambda q: (len(q.stem), q.stem)):
            if not p.stem.isdigit():
                continue
            face = int(p.stem)
            s = "all" if split_of is None else split_of.get(face)
            if s is None:
                raise DataError(f"image id {face} is not in CelebA-HQ-to-CelebA-mapping.txt", str(p))
            by_split[s].append(Item(str(p), {}, mask=str(face) if face in parts else None,
                                    extra=parts.get(face)))
        items = select_split("celebamask-hq", split, by_split)
        info = make_info("celebamask-hq", self.provides, mask_classes=CELEBAMASK19)
        return LazyDataset(items, info, load_image=load_image, load_mask=load_mask)
