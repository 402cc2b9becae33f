"""CelebA (Liu et al., ICCV 2015): 40 binary attributes, identities, 5 landmarks.

Official files (in the dataset folder, ``Anno/`` or ``Eval/``):

- ``list_attr_celeba.txt``: line 1 the image count, line 2 the 40 attribute names, then
  ``000001.jpg -1  1 …`` (-1/1 -> 0/1; the attribute order is ``DatasetInfo.attribute_names``);
- ``list_eval_partition.txt``: ``000001.jpg 0|1|2`` -> ``train`` / ``val`` / ``test`` (optional);
- ``list_landmarks_align_celeba.txt`` (optional): count line, header line, then
  ``000001.jpg lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y
  rightmouth_x rightmouth_y`` (pixels of the aligned images, used as written);
- ``identity_CelebA.txt`` (optional): ``000001.jpg 2880``.

Images: ``Img/img_align_celeba/`` (or ``img_align_celeba/``, ``img_align_celeba_png/``); when only
the in-the-wild ``img_celeba/`` exists it is used with ``list_landmarks_celeba.txt``.
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
    make_info,
    need_dir,
    parse_floats,
    parse_int,
    read_lines,
    select_split,
)

SPLIT_CODES = {"0": "train", "1": "val", "2": "test"}


def _find(root: Path, name: str) -> Path | None:
    return next((d / name for d in (root, root / "Anno", root / "Eval") if (d / name).is_file()), None)


def read_counted_table(path: Path, n_values: int,
                       what: str) -> tuple[list[str], dict[str, np.ndarray], dict[str, int]]:
    """A CelebA table: count line, header of names, then ``file v1 … vN`` rows."""
    lines = read_lines(path)
    if len(lines) < 2:
        raise DataError("expected a count line and a header line", str(path), 1)
    count = parse_int(lines[0].strip(), path, 1, "image count")
    names = lines[1].split()
    if len(names) != n_values:
        raise DataError(f"header has {len(names)} names; expected {n_values} {what}", str(path), 2)
    rows, lines_of = {}, {}
    for n, line in enumerate(lines[2:], 3):
        tok = line.split()
        if tok:
            rows[tok[0]] = parse_floats(tok[1:], path, n, n_values, what)
            lines_of[tok[0]] = n
    if len(rows) != count:
        raise DataError(f"line 1 says {count} images, {len(rows)} rows follow", str(path), 1)
    return names, rows, lines_of


def read_pairs_file(path: Path, what: str) -> dict[str, str]:
    out = {}
    for n, line in enumerate(read_lines(path), 1):
        tok = line.split()
        if tok:
            if len(tok) != 2:
                raise DataError(f"expected '<file> <{what}>'", str(path), n)
            out[tok[0]] = tok[1]
    return out


@register_format("celeba", description="CelebA: list_attr_celeba.txt (40 attributes), partition, "
                                       "5 landmarks, identities")
class FormatCelebA(FormatBase):
    provides = frozenset({"attributes", "identity", "landmarks2d"})
    splits = ("train", "val", "test")

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        root = need_dir(path, "celeba")
        attr = _find(root, "list_attr_celeba.txt")
        if attr is None:
            raise DataError("celeba: list_attr_celeba.txt not found (looked in ., Anno/, Eval/)", str(root))
        names, attrs, line_of = read_counted_table(attr, 40, "attributes (-1/1)")
        for f, v in attrs.items():
            if not np.isin(v, (-1, 1)).all():
                raise DataError(f"{f}: attribute values must be -1 or 1", str(attr), line_of[f])
        aligned = [d for d in (root / "Img" / "img_align_celeba", root / "img_align_celeba",
                               root / "Img" / "img_align_celeba_png", root / "img_align_celeba_png")
                   if d.is_dir()]
        wild = [d for d in (root / "Img" / "img_celeba", root / "img_celeba") if d.is_dir()]
        if not aligned and not wild:
            raise DataError("celeba: no image folder (expected Img/img_align_celeba/)", str(root))
        images = (aligned or wild)[0]
        lm_file = _find(root, "list_landmarks_align_celeba.txt" if aligned else "list_landmarks_celeba.txt")
        landmarks = read_counted_table(lm_file, 10, "landmark coordinates")[1] if lm_file else {}
        id_file, part_file = _find(root, "identity_CelebA.txt"), _find(root, "list_eval_partition.txt")
        ids = read_pairs_file(id_file, "identity") if id_file else {}
        parts = read_pairs_file(part_file, "0|1|2") if part_file else {}
        png = images.name.endswith("_png")
        by_split: dict[str, list[Item]] = {s: [] for s in self.splits} if parts else {"all": []}
        for f, v in attrs.items():
            labels: dict = {"attributes": (v > 0).astype(np.float32)}
            if f in landmarks:
                labels["landmarks2d"] = landmarks[f].reshape(5, 2).astype(np.float32)
            if id_file is not None and f in ids:
                labels["identity"] = parse_int(ids[f], id_file, None, f"identity of {f}")
            s = SPLIT_CODES.get(parts.get(f, ""), None) if parts else "all"
            if s is None:
                raise DataError(f"{f} has no 0/1/2 partition entry", str(part_file))
            by_split[s].append(Item(str(images / (f.rsplit(".", 1)[0] + ".png" if png else f)), labels,
                                    source=(str(attr), line_of[f])))
        items = select_split("celeba", split, by_split)
        provides = ({"attributes"} | ({"landmarks2d"} if landmarks else set())
                    | ({"identity"} if ids else set()))
        return LazyDataset(items, make_info("celeba", provides, landmark_scheme="5" if landmarks else None,
                                            attribute_names=tuple(names)))
