"""AffectNet (Mollahosseini et al., 2017), the manually annotated part.

Official files: ``training.csv`` and ``validation.csv`` (in the dataset folder or in
``Manually_Annotated_file_lists/``) with the header ``subDirectory_filePath, face_x, face_y,
face_width, face_height, facial_landmarks, expression, valence, arousal``; images under
``Manually_Annotated_Images/<subDirectory_filePath>`` (or the dataset folder). ``facial_landmarks``
is 68 points as ``x1;y1;x2;y2;…`` (0-based pixels, used as written). Expression codes 0–7 are
:data:`facerep.data.vocab.EXPRESSIONS8` (neutral, happiness, sadness, surprise, fear, disgust,
anger, contempt); codes 8 (none), 9 (uncertain) and 10 (no face) are not faces of a class: those
rows are skipped and counted in ``DatasetInfo.extra["skipped"]`` (code -> count).
Splits: ``train`` (training.csv), ``val`` (validation.csv; the usual test set).
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from ...errors import DataError
from ..vocab import EXPRESSIONS8
from . import register_format
from ._common import (
    FormatBase,
    Item,
    LazyDataset,
    first_existing,
    make_info,
    need_dir,
    parse_floats,
    parse_int,
    read_csv,
)

COLUMNS = ("subDirectory_filePath", "face_x", "face_y", "face_width", "face_height", "facial_landmarks",
           "expression", "valence", "arousal")
FILES = {"train": "training.csv", "val": "validation.csv"}
NOT_FACES = {8: "none", 9: "uncertain", 10: "no-face"}


def read_affectnet_csv(path: Path, images: Path, skipped: Counter) -> list[Item]:
    _, rows = read_csv(path, COLUMNS)
    items = []
    for n, row in rows:
        code = parse_int(row["expression"], path, n, "expression")
        if code in NOT_FACES:
            skipped[f"{code} ({NOT_FACES[code]})"] += 1
            continue
        if not 0 <= code < len(EXPRESSIONS8):
            raise DataError(f"expression code {code}; expected 0..10", str(path), n)
        x, y, w, h = parse_floats([row[c] for c in COLUMNS[1:5]], path, n, what="face box")
        lm = row["facial_landmarks"]
        labels = {"expression": code, "box": (x, y, x + w, y + h)}
        va = parse_floats([row["valence"], row["arousal"]], path, n, what="valence/arousal")
        if not ((va >= -1) & (va <= 1)).all():
            raise DataError(f"valence/arousal {va[0]:g}, {va[1]:g}; expected values in [-1, 1] for a face",
                            str(path), n)
        labels["valence"], labels["arousal"] = float(va[0]), float(va[1])
        if lm:
            values = parse_floats(lm.split(";"), path, n, 136, "facial_landmarks values")
            labels["landmarks2d"] = values.reshape(68, 2).astype("float32")
        items.append(Item(str(images / row["subDirectory_filePath"]), labels, source=(str(path), n)))
    return items


@register_format("affectnet",
                 description="AffectNet training.csv/validation.csv (8 expressions, valence, arousal)")
class FormatAffectNet(FormatBase):
    provides = frozenset({"expression", "valence", "arousal", "landmarks2d"})
    splits = ("train", "val")

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        root = need_dir(path, "affectnet")
        if split is not None and split not in FILES:
            raise DataError(f"affectnet: no split {split!r}; splits are train, val")
        images = root / "Manually_Annotated_Images"
        images = images if images.is_dir() else root
        skipped: Counter = Counter()
        items = []
        for s, name in FILES.items():
            if split is None or split == s:
                lists = [root / name, root / "Manually_Annotated_file_lists" / name]
                if split is None and not any(p.is_file() for p in lists):
                    continue
                items += read_affectnet_csv(first_existing(lists, "affectnet", name), images, skipped)
        if not items:
            raise DataError("affectnet: no training.csv / validation.csv rows with a face", str(root))
        info = make_info("affectnet", self.provides, landmark_scheme="68", expression_classes=EXPRESSIONS8,
                         extra={"skipped": dict(skipped)})
        return LazyDataset(items, info)
