r"""One folder per class: ``PATH/<class>/<image>`` (any image PIL reads: JPEG, PNG, PGM, GIF, …).

The path option ``?label=identity`` (default) or ``?label=expression`` says what a folder name
means. Identities are numbered by sorted folder name (``DatasetInfo.extra["classes"]``).
Expression folders must be expression names (``neutral``, ``happy``/``happiness``, ``sad``/
``sadness``, ``surprise``/``surprised``, ``fear``/``fearful``, ``disgust``/``disgusted``,
``angry``/``anger``, ``contempt``; any case): ids follow :data:`facerep.data.vocab.EXPRESSIONS8`.
If PATH holds ``train/``, ``val/``, ``test/`` folders, each is a split holding class folders.
Images may sit in sub-folders of a class folder. ``?subject=REGEX`` / ``?video=REGEX`` take subject or
sequence ids from the file paths (:func:`facerep.data.formats._common.ids_from_names`), e.g. CK+48-style
``anger/S010_004_00000017.png`` with ``subject=(S\d+)_``.
"""
from __future__ import annotations

from pathlib import Path

from ...errors import ConfigError, DataError
from ..vocab import EXPRESSIONS8
from . import register_format
from ._common import (
    NAME_ID_OPTIONS,
    FormatBase,
    Item,
    LazyDataset,
    ids_from_names,
    list_images,
    make_info,
    parse_options,
    select_split,
)

SYNONYMS = {"happy": "happiness", "sad": "sadness", "surprised": "surprise", "fearful": "fear",
            "disgusted": "disgust", "angry": "anger", "neutrality": "neutral"}


def expression_id(name: str, where: Path) -> int:
    key = SYNONYMS.get(name.lower(), name.lower())
    if key not in EXPRESSIONS8:
        raise DataError(f"folder name {name!r} is not an expression; expected one of "
                        f"{', '.join(EXPRESSIONS8)} (or {', '.join(SYNONYMS)})", str(where))
    return EXPRESSIONS8.index(key)


@register_format("imagefolder",
                 description="one folder per class (?label=identity|expression); train/val/test optional")
class FormatImageFolder(FormatBase):
    provides = frozenset({"identity", "expression"})
    splits = ("train", "val", "test")

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        base, opts = parse_options(path, "imagefolder", ("label", *NAME_ID_OPTIONS))
        label = opts.get("label", "identity")
        if label not in ("identity", "expression"):
            raise ConfigError(f"imagefolder: label={label!r}; expected identity or expression")
        root = Path(base)
        if not root.is_dir():
            raise DataError("imagefolder: dataset folder does not exist", str(root))
        split_dirs = {s: root / s for s in self.splits if (root / s).is_dir()}
        tops = split_dirs or {"all": root}
        classes = sorted({d.name for top in tops.values() for d in top.iterdir() if d.is_dir()})
        class_id = {c: k for k, c in enumerate(classes)}
        if not classes:
            raise DataError("imagefolder: no class folders here (expected PATH/<class>/<image>)", str(root))
        by_split: dict[str, list[Item]] = {}
        for s, top in tops.items():
            by_split[s] = []
            for d in sorted(p for p in top.iterdir() if p.is_dir()):
                value = class_id[d.name] if label == "identity" else expression_id(d.name, d)
                by_split[s] += [Item(str(img), {label: value}) for img in list_images(d, recursive=True)]
        items = select_split("imagefolder", split, by_split)
        ids_from_names(items, root, opts, "imagefolder")
        kw = {"expression_classes": EXPRESSIONS8} if label == "expression" else {}
        return LazyDataset(items, make_info("imagefolder", {label}, extra={"classes": classes}, **kw))
