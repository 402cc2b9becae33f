"""WFLW (Wu et al., CVPR 2018): 98 landmarks, face box and 6 attribute flags per annotation line.

Official layout::

    WFLW_annotations/list_98pt_rect_attr_train_test/list_98pt_rect_attr_train.txt   (7500 faces)
    WFLW_annotations/list_98pt_rect_attr_train_test/list_98pt_rect_attr_test.txt    (2500 faces)
    WFLW_images/<event folder>/<file>.jpg

Each line has 207 space-separated fields: x0 y0 … x97 y97 (196 coordinates, 0-based pixels, used
as written), x_min y_min x_max y_max (the face box), then the flags pose, expression,
illumination, make-up, occlusion, blur (0/1), then the image path relative to ``WFLW_images``.
The flags become ``FaceSample.groups`` (``{"pose": "1", …}``), which gives the official WFLW test
subsets. The annotation files may also sit directly in the dataset folder.
"""
from __future__ import annotations

from pathlib import Path

from ...errors import DataError
from . import register_format
from ._common import (
    FormatBase,
    Item,
    LazyDataset,
    first_existing,
    make_info,
    need_dir,
    parse_floats,
    read_lines,
    select_split,
)

ATTRIBUTES: tuple[str, ...] = ("pose", "expression", "illumination", "makeup", "occlusion", "blur")
N_FIELDS = 196 + 4 + 6 + 1


def _annotation(root: Path, split: str) -> Path:
    name = f"list_98pt_rect_attr_{split}.txt"
    return first_existing([root / "WFLW_annotations" / "list_98pt_rect_attr_train_test" / name,
                           root / "list_98pt_rect_attr_train_test" / name, root / name], "wflw", name)


def read_annotation(ann: Path, images: Path) -> list[Item]:
    items = []
    for n, line in enumerate(read_lines(ann), 1):
        tokens = line.split()
        if not tokens:
            continue
        if len(tokens) != N_FIELDS:
            raise DataError(f"expected {N_FIELDS} fields (196 coordinates, 4 box, 6 flags, image path), "
                            f"found {len(tokens)}", str(ann), n)
        nums = parse_floats(tokens[:206], ann, n, what="coordinates/box/flags")
        flags = {a: str(int(v)) for a, v in zip(ATTRIBUTES, nums[200:206])}
        items.append(Item(str(images / tokens[206]), {
            "landmarks2d": nums[:196].reshape(98, 2).astype("float32"),
            "box": tuple(float(v) for v in nums[196:200]), "groups": flags}, source=(str(ann), n)))
    return items


@register_format("wflw", description="WFLW: list_98pt_rect_attr_{train,test}.txt (98 points, box, 6 flags)")
class FormatWFLW(FormatBase):
    provides = frozenset({"landmarks2d"})
    splits = ("train", "test")

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        root = need_dir(path, "wflw")
        images = root / "WFLW_images" if (root / "WFLW_images").is_dir() else root
        by_split: dict[str, list[Item]] = {}
        for s in self.splits if split is None else (split,) if split in self.splits else ():
            try:
                ann = _annotation(root, s)
            except DataError:
                if split is not None:
                    raise
                continue
            by_split[s] = read_annotation(ann, images)
        if split is None and not by_split:
            raise DataError("wflw: no list_98pt_rect_attr_train.txt / _test.txt under this folder", str(root))
        items = select_split("wflw", split, by_split)
        return LazyDataset(items,
                           make_info("wflw", self.provides, landmark_scheme="98", group_names=ATTRIBUTES))
