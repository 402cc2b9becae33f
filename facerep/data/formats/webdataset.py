"""WebDataset tar shards for pre-training: ``<key>.jpg`` / ``.png`` (+ optional ``<key>.json``).

PATH is a ``.tar`` file, a folder of ``.tar`` shards, or a brace pattern
(``/data/shards/faces-{000000..000099}.tar``). As in webdataset, a sample's key is its member
path up to the first dot of the file name, and its files are the members sharing that key. The
shards are indexed once at open (member offsets, via :mod:`tarfile`) and images are read by
offset on access, so any sample can be read in any order. A ``.json`` member may carry integer
``identity`` and ``expression`` labels; nothing else is read (pre-training only).
"""
from __future__ import annotations

import json
import tarfile
from pathlib import Path

import numpy as np
from braceexpand import braceexpand

from ...errors import DataError
from ...io import decode_image_bytes
from . import register_format
from ._common import FormatBase, Item, LazyDataset, check_no_split, int_value, make_info

IMAGE_EXTS = ("jpg", "jpeg", "png", "webp")


def shard_paths(path: str) -> list[Path]:
    p = Path(path)
    if p.is_dir():
        files = sorted(p.glob("*.tar"))
    else:
        files = [Path(s) for s in braceexpand(path)]
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise DataError("webdataset: shard does not exist", str(missing[0]))
    if not files:
        raise DataError("webdataset: no .tar shards here", str(p))
    return files


def index_shard(shard: Path) -> list[Item]:
    """One item per key with an image member; extra = (shard, offset, size)."""
    groups: dict[str, dict[str, tarfile.TarInfo]] = {}
    try:
        with tarfile.open(shard, "r:") as tar:
            members = [m for m in tar.getmembers() if m.isfile()]
            for m in members:
                folder, _, name = m.name.rpartition("/")
                stem, _, ext = name.partition(".")
                groups.setdefault(f"{folder}/{stem}" if folder else stem, {})[ext.lower()] = m
            items = []
            for key, files in groups.items():
                image = next((files[e] for e in IMAGE_EXTS if e in files), None)
                if image is None:
                    continue
                labels = {}
                if "json" in files:
                    raw = tar.extractfile(files["json"]).read()  # type: ignore[union-attr]
                    try:
                        meta = json.loads(raw)
                    except json.JSONDecodeError as e:
                        raise DataError(f"{key}.json is not valid JSON ({e.msg})", str(shard),
                                        e.lineno) from None
                    except (UnicodeDecodeError, RecursionError) as e:
                        raise DataError(f"{key}.json is not valid JSON ({type(e).__name__})",
                                        str(shard)) from None
                    labels = {k: int_value(meta[k], f"{shard}#{files['json'].name}", None, k)
                              for k in ("identity", "expression") if isinstance(meta, dict) and k in meta}
                items.append(Item(f"{shard}#{image.name}", labels,
                                  extra=(str(shard), image.offset_data, image.size)))
    except (tarfile.TarError, OSError, EOFError) as e:
        raise DataError(f"not a readable tar file ({e})", str(shard)) from None
    return items


def load(item: Item) -> np.ndarray:
    shard, offset, size = item.extra
    with open(shard, "rb") as f:
        f.seek(offset)
        data = f.read(size)
    if len(data) != size:
        raise DataError("shard is truncated", item.image)
    return decode_image_bytes(data, item.image)


@register_format("webdataset", description="tar shards of .jpg/.png (+ .json) for pre-training")
class FormatWebDataset(FormatBase):
    provides: frozenset[str] = frozenset()
    splits = ()

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        check_no_split("webdataset", split)
        items = [it for shard in shard_paths(path) for it in index_shard(shard)]
        if not items:
            raise DataError("webdataset: no image members in the shards", path)
        provides = {k for it in items for k in it.labels}
        return LazyDataset(items, make_info("webdataset", provides), load_image=load)
