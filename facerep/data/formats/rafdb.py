"""RAF-DB basic (Li et al., CVPR 2017): 7 basic expressions, aligned 100×100 faces.

Official layout (``basic/`` or its contents): ``EmoLabel/list_patition_label.txt`` (sic) with lines
``train_00001.jpg 5`` / ``test_0001.jpg 1``; images ``Image/aligned/train_00001_aligned.jpg``
(``Image/original/train_00001.jpg`` when the aligned ones are absent). RAF-DB labels 1–7 mean
Surprise, Fear, Disgust, Happiness, Sadness, Anger, Neutral; they are mapped onto facerep's
expression names, whose first 7 entries (neutral … anger of
:data:`facerep.data.vocab.EXPRESSIONS8`) are this dataset's classes. Splits from the file prefix:
``train``, ``test``.
"""
from __future__ import annotations

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
    parse_int,
    read_lines,
    select_split,
)

RAF_NAMES = ("surprise", "fear", "disgust", "happiness", "sadness", "anger", "neutral")  # labels 1..7
CLASSES = EXPRESSIONS8[:7]


@register_format("rafdb",
                 description="RAF-DB basic: EmoLabel/list_patition_label.txt + Image/aligned; train/test")
class FormatRAFDB(FormatBase):
    provides = frozenset({"expression"})
    splits = ("train", "test")

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        root = need_dir(path, "rafdb")
        root = root / "basic" if (root / "basic" / "EmoLabel").is_dir() else root
        ann = first_existing([root / "EmoLabel" / "list_patition_label.txt"], "rafdb",
                             "EmoLabel/list_patition_label.txt")
        aligned = (root / "Image" / "aligned").is_dir()
        by_split: dict[str, list[Item]] = {"train": [], "test": []}
        for n, line in enumerate(read_lines(ann), 1):
            tok = line.split()
            if not tok:
                continue
            if len(tok) != 2:
                raise DataError("expected '<image name> <label 1-7>'", str(ann), n)
            label = parse_int(tok[1], ann, n, "label")
            if not 1 <= label <= 7:
                raise DataError(f"label {label}; expected 1..7 (Surprise … Neutral)", str(ann), n)
            s = tok[0].split("_", 1)[0]
            if s not in by_split:
                raise DataError(f"image name {tok[0]!r} starts with neither train_ nor test_", str(ann), n)
            stem = tok[0].rsplit(".", 1)[0]
            img = root / "Image" / ("aligned" if aligned else "original") / (
                f"{stem}_aligned.jpg" if aligned else tok[0])
            by_split[s].append(Item(str(img), {"expression": CLASSES.index(RAF_NAMES[label - 1])},
                                    source=(str(ann), n)))
        items = select_split("rafdb", split, by_split)
        return LazyDataset(items, make_info("rafdb", self.provides, expression_classes=CLASSES))
