"""HDF5 files of encoded images for pre-training (as used by the FRL paper's code).

PATH is an ``.h5``/``.hdf5`` file or a folder of them. Each file holds a dataset under the key
``images`` whose entries are encoded image bytes (JPEG/PNG): variable-length ``uint8`` arrays,
byte strings, or opaque ``np.void`` blobs. No labels: pre-training only. Images are decoded on
access; each worker process opens its own file handle. A sample's path is ``<file>#images[<i>]``.
"""
from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np

from ...errors import DataError
from ...io import decode_image_bytes
from . import register_format
from ._common import FormatBase, Item, LazyDataset, check_no_split, make_info


class _Reader:
    """Reads ``images[i]`` of HDF5 files; one open handle per file and process (safe to pickle to workers)."""

    def __init__(self) -> None:
        self._handles: dict[tuple[int, str], h5py.File] = {}

    def __getstate__(self) -> dict:
        return {"_handles": {}}

    def __call__(self, item: Item) -> np.ndarray:
        path, i = item.extra
        key = (os.getpid(), path)
        try:
            if key not in self._handles:
                self._handles[key] = h5py.File(path, "r")
            entry = self._handles[key]["images"][i]
        except (OSError, ValueError, TypeError, KeyError, RuntimeError) as e:
            raise DataError(f"cannot read the entry ({type(e).__name__}: {str(e)[:200]})",
                            item.image) from None
        return decode_image_bytes(_bytes(entry, item.image), item.image)


def _bytes(entry: object, where: str) -> bytes:
    """Encoded image bytes of one ``images`` entry: bytes, an opaque blob or a uint8 array."""
    if isinstance(entry, bytes):
        return entry
    if isinstance(entry, np.void):
        return entry.tobytes()
    arr = np.asarray(entry)
    if arr.dtype != np.uint8:
        raise DataError(f"entry holds {arr.dtype} values; "
                        "expected encoded image bytes (uint8, bytes or opaque)", where)
    return arr.tobytes()


@register_format("frl-hdf5",
                 description="HDF5 with encoded image bytes under 'images' (pre-training, no labels)")
class FormatFRLHDF5(FormatBase):
    provides: frozenset[str] = frozenset()
    splits = ()

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        check_no_split("frl-hdf5", split)
        p = Path(path)
        files = sorted(f for ext in ("*.h5", "*.hdf5") for f in p.glob(ext)) if p.is_dir() else [p]
        if not files or not files[0].exists():
            raise DataError("frl-hdf5: no .h5/.hdf5 file here", str(p))
        items = []
        for f in files:
            try:
                with h5py.File(f, "r") as h:
                    if "images" not in h:
                        raise DataError(f"no 'images' dataset (keys: {', '.join(h.keys()) or 'none'})",
                                        str(f))
                    images = h["images"]
                    if not isinstance(images, h5py.Dataset) or images.ndim != 1:
                        raise DataError("'images' must be a 1-D dataset of encoded images, got "
                                        f"{getattr(images, 'shape', 'a group')}", str(f))
                    n = len(images)
            except DataError:
                raise
            except (OSError, ValueError, TypeError, KeyError, RuntimeError) as e:
                raise DataError(f"not a readable HDF5 file ({type(e).__name__}: {str(e)[:200]})",
                                str(f)) from None
            items += [Item(f"{f}#images[{i}]", {}, extra=(str(f), i)) for i in range(n)]
        return LazyDataset(items, make_info("frl-hdf5", self.provides), load_image=_Reader())
