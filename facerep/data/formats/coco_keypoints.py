"""COCO-style face keypoint JSON, as mmpose ships its 300W / WFLW / AFLW / COFW annotations.

A JSON file has ``images`` (``id``, ``file_name``, ``width``, ``height``), ``annotations``
(``image_id``, ``keypoints`` = [x, y, v] × K, ``bbox`` = [x, y, w, h], ``num_keypoints``) and
``categories``. Coordinates are 0-based pixels (COCO convention), used as written. Visibility follows
the COCO spec: ``v = 0`` means *not labelled* (x = y = 0), ``v = 1`` labelled but not visible, ``v = 2``
labelled and visible. A ``v = 0`` point becomes NaN in ``landmarks2d`` and the dataset declares
``info.extra["unlabelled_points"] = True``: validation accepts such NaN points (and only those), crops
use the labelled points, and the landmark metrics leave them out of every NME (a normaliser that needs
an unlabelled eye corner is not reported). An annotation with no labelled point at all is a bad sample:
validation rejects it with a DataError naming its image (skipped and counted under ``--skip-bad``). One
annotation = one sample (the whole image, with ``box``).

PATH is either one JSON file, or a dataset folder in mmpose's layout (``annotations/*.json`` +
``images/``). In a folder each JSON file is a split named by its stem minus the prefix the stems
share: ``face_landmarks_300w_train.json`` -> ``train``, ``…_valid_common.json`` -> ``valid_common``.
Images are looked up under ``images/`` next to ``annotations/`` (or the JSON's folder); the option
``?images=/other/folder`` overrides that.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ...errors import DataError
from . import register_format
from ._common import (
    FormatBase,
    Item,
    LazyDataset,
    float_array,
    int_value,
    make_info,
    parse_options,
    select_split,
)


def read_coco(path: Path, images: Path) -> tuple[list[Item], int]:
    """Items of one COCO keypoint JSON and the number of keypoints K."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, RecursionError) as e:
        raise DataError(f"cannot read annotation file ({type(e).__name__}: {e})", str(path)) from None
    except json.JSONDecodeError as e:
        raise DataError(f"not valid JSON: {e.msg}", str(path), e.lineno) from None
    if not isinstance(data, dict):
        raise DataError(f"top level is a JSON {type(data).__name__}; expected an object with COCO keys "
                        "images, annotations, categories", str(path))
    for key in ("images", "annotations"):
        if not isinstance(data.get(key), list):
            raise DataError(f"no {key!r} list; expected COCO keys images, annotations, categories", str(path))
    files = {}
    for im in data["images"]:
        if not isinstance(im, dict) or "id" not in im or not isinstance(im.get("file_name"), str):
            raise DataError(f"image entry {str(im)[:80]} lacks 'id' or a 'file_name' string", str(path))
        files[int_value(im["id"], path, None, "image 'id'")] = im["file_name"]
    items, k_ref = [], None
    for n, ann in enumerate(data["annotations"]):
        if not isinstance(ann, dict):
            raise DataError(f"annotation #{n} is a JSON {type(ann).__name__}; expected an object", str(path))
        where = f"annotation #{n} (id {str(ann.get('id'))[:20]})"
        image_id = int_value(ann.get("image_id"), path, None, f"{where}: image_id")
        if image_id not in files:
            raise DataError(f"{where}: image_id {image_id} is not in 'images'", str(path))
        kp = float_array(ann.get("keypoints", []), path, f"{where}: 'keypoints'")
        if kp.ndim != 1 or kp.size == 0 or kp.size % 3:
            raise DataError(f"{where}: 'keypoints' has {kp.size} values; expected [x, y, v] × K", str(path))
        if k_ref is not None and kp.size // 3 != k_ref:
            raise DataError(f"{where}: {kp.size // 3} keypoints, earlier annotations have {k_ref}", str(path))
        k_ref = kp.size // 3
        kp = kp.reshape(-1, 3)
        lm = np.where(kp[:, 2:3] > 0, kp[:, :2], np.nan).astype(np.float32)
        labels: dict = {"landmarks2d": lm}
        box = ann.get("bbox")
        if isinstance(box, list) and len(box) == 4:
            x, y, w, h = float_array(box, path, f"{where}: 'bbox'").tolist()
            labels["box"] = (x, y, x + w, y + h)
        items.append(Item(str(images / files[image_id]), labels))
    return items, k_ref or 0


def _split_names(files: list[Path]) -> list[str]:
    stems = [f.stem for f in files]
    if len(stems) == 1:
        return ["all"]
    prefix = os.path.commonprefix(stems)  # noqa: RUF071 -- file stems, not paths: a character prefix is meant
    prefix = prefix[:prefix.rfind("_") + 1] if "_" in prefix else ""
    return [s[len(prefix):] or s for s in stems]


@register_format("coco-keypoints", description="COCO-style face keypoint JSON (mmpose 300W/WFLW/AFLW/COFW)")
class FormatCocoKeypoints(FormatBase):
    provides = frozenset({"landmarks2d"})
    splits = ("train", "val", "test")  # in a folder: one split per JSON file, named by its stem

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        base, opts = parse_options(path, "coco-keypoints", ("images",))
        p = Path(base)
        if p.is_file():
            files, ann_dir = [p], p.parent
        elif p.is_dir():
            ann_dir = p / "annotations" if (p / "annotations").is_dir() else p
            files = sorted(ann_dir.glob("*.json"))
            if not files:
                raise DataError("coco-keypoints: no .json annotation files in this folder", str(ann_dir))
        else:
            raise DataError("coco-keypoints: annotation file or folder does not exist", str(p))
        guess = ann_dir.parent / "images" if ann_dir.name == "annotations" else ann_dir / "images"
        images = Path(opts["images"]) if "images" in opts else guess if guess.is_dir() else ann_dir
        names = _split_names(files)
        if split is not None and split not in names:
            raise DataError(f"coco-keypoints: no split {split!r} (splits found: {', '.join(names)})", str(p))
        by_split, k = {}, 0
        for name, f in zip(names, files):
            if split is None or split == name:
                by_split[name], k = read_coco(f, images)
        items = select_split("coco-keypoints", split, by_split)
        return LazyDataset(items,
                           make_info("coco-keypoints", self.provides, landmark_scheme=str(k) if k else None,
                                            extra={"unlabelled_points": True}))
