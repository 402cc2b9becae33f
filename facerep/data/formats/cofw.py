"""COFW (Burgos-Artizzu et al., ICCV 2013): 29 landmarks with occlusion flags, the ``.mat`` release.

Official files: ``COFW_train_color.mat`` (variables ``IsTr``, ``phisTr``, ``bboxesTr``; 1345 faces)
and ``COFW_test_color.mat`` (``IsT``, ``phisT``, ``bboxesT``; 507 faces); the grey release
``COFW_train.mat`` / ``COFW_test.mat`` is used when the colour one is absent. ``Is*`` is a cell of
images, ``phis*`` is N×87 (29 x, then 29 y, then 29 occlusion flags, 1 = occluded), ``bboxes*`` is
N×4 (x, y, w, h). MATLAB v7.3 files are HDF5 (read with h5py, arrays transposed back), older ones
are read with ``scipy.io.loadmat``. Coordinates are MATLAB 1-based and are converted to 0-based
(minus 1). Occlusion flags are in ``DatasetInfo.extra["occluded"]`` (N×29 bool, sample order).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np

from ...errors import DataError
from . import register_format
from ._common import FormatBase, Item, LazyDataset, float_array, make_info, need_dir
from ._matlab import read_matlab

VARS = {"train": ("IsTr", "phisTr", "bboxesTr"), "test": ("IsT", "phisT", "bboxesT")}


def _find(root: Path, split: str) -> Path | None:
    for name in (f"COFW_{split}_color.mat", f"COFW_{split}.mat"):
        if (root / name).is_file():
            return root / name
    return None


def _to_rgb(img: Any, where: str) -> np.ndarray:
    img = np.asarray(img)
    if img.dtype.kind not in "biuf":
        raise DataError(f"image is not a numeric array (dtype {img.dtype})", where)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    if img.ndim != 3 or img.shape[2] != 3 or 0 in img.shape:
        raise DataError(f"image has shape {img.shape}; expected H×W or H×W×3", where)
    return np.ascontiguousarray(img.astype(np.uint8))


def _read_mat(mat: Path, split: str) -> tuple[np.ndarray, np.ndarray, Any]:
    """(phis N×87, bboxes N×4, images): images is a list of arrays (v5) or None (v7.3: read lazily)."""
    ims, phis_key, box_key = VARS[split]
    if h5py.is_hdf5(mat):
        try:
            with h5py.File(mat, "r") as f:
                missing = [k for k in VARS[split] if k not in f or not isinstance(f[k], h5py.Dataset)]
                if missing:
                    raise DataError(f"variable(s) {', '.join(missing)} missing; "
                                    f"expected {', '.join(VARS[split])}", str(mat))
                phis = float_array(f[phis_key][()], mat, phis_key)
                boxes = float_array(f[box_key][()], mat, box_key)
                n_images = f[ims].size
        except DataError:
            raise
        except (OSError, ValueError, TypeError, KeyError, RuntimeError) as e:
            raise DataError(f"cannot read MATLAB v7.3 (HDF5) file ({type(e).__name__}: {str(e)[:200]})",
                            str(mat)) from None
        phis, boxes, images = phis.T, boxes.T, None
    else:
        data = read_matlab(mat)
        missing = [k for k in VARS[split] if k not in data]
        if missing:
            raise DataError(f"variable(s) {', '.join(missing)} missing; expected {', '.join(VARS[split])}",
                            str(mat))
        phis, boxes = float_array(data[phis_key], mat, phis_key), float_array(data[box_key], mat, box_key)
        cell = np.asarray(data[ims])
        images = [np.asarray(c) for c in cell.reshape(-1)] if cell.dtype == object else [cell]
        n_images = len(images)
    if phis.ndim == 2 and n_images != len(phis):
        raise DataError(f"{ims} holds {n_images} image(s) but {phis_key} has {len(phis)} rows; expected one "
                        "image per face", str(mat))
    return phis, boxes, images


def _items(mat: Path, split: str) -> tuple[list[Item], np.ndarray, list[np.ndarray] | None]:
    phis, boxes, images = _read_mat(mat, split)
    if phis.ndim != 2 or phis.shape[1] != 87:
        raise DataError(f"{VARS[split][1]} has shape {phis.shape}; expected N×87 (29 x, 29 y, 29 occlusion)",
                        str(mat))
    if boxes.shape != (len(phis), 4):
        raise DataError(f"{VARS[split][2]} has shape {boxes.shape}; expected {len(phis)}×4 (x, y, w, h)",
                        str(mat))
    items = []
    for i, (phi, b) in enumerate(zip(phis, boxes)):
        lm = np.stack([phi[:29], phi[29:58]], axis=1).astype(np.float32) - 1.0
        x0, y0 = float(b[0]) - 1.0, float(b[1]) - 1.0
        items.append(Item(f"{mat}#{VARS[split][0]}[{i}]",
                          {"landmarks2d": lm, "box": (x0, y0, x0 + b[2], y0 + b[3])}, extra=(mat, split, i)))
    return items, phis[:, 58:87] > 0.5, images


class _Images:
    """Images of COFW samples: from memory (v5 files, loaded whole) or read from the HDF5 file (v7.3)."""

    def __init__(self) -> None:
        self.cache: dict[str, list[np.ndarray] | None] = {}

    def __call__(self, item: Item) -> np.ndarray:
        mat, split, i = item.extra
        if self.cache[str(mat)] is not None:
            return _to_rgb(self.cache[str(mat)][i], item.image)  # type: ignore[index]
        try:
            with h5py.File(mat, "r") as f:
                ref = np.asarray(f[VARS[split][0]]).reshape(-1)[i]
                if not isinstance(ref, h5py.Reference) or not ref:
                    raise DataError(f"{VARS[split][0]} entry {i} is not a reference to an image", item.image)
                return _to_rgb(np.asarray(f[ref]).T, item.image)
        except DataError:
            raise
        except (OSError, ValueError, TypeError, KeyError, RuntimeError) as e:
            raise DataError(f"cannot read the image ({type(e).__name__}: {str(e)[:200]})",
                            item.image) from None


@register_format("cofw", description="COFW .mat release (29 points + occlusion, v5 or v7.3/HDF5), train/test")
class FormatCOFW(FormatBase):
    provides = frozenset({"landmarks2d"})
    splits = ("train", "test")

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        root = need_dir(path, "cofw")
        if split is not None and split not in self.splits:
            raise DataError(f"cofw: no split {split!r}; splits are train, test")
        items, occluded, reader = [], [], _Images()
        for s in self.splits if split is None else (split,):
            mat = _find(root, s)
            if mat is None:
                if split is None:
                    continue
                raise DataError(f"cofw: cannot find COFW_{s}_color.mat or COFW_{s}.mat", str(root))
            its, occ, images = _items(mat, s)
            items += its
            occluded.append(occ)
            reader.cache[str(mat)] = images
        if not items:
            raise DataError("cofw: no COFW_train_color.mat / COFW_test_color.mat in this folder", str(root))

        info = make_info("cofw", self.provides, landmark_scheme="29",
                         extra={"occluded": np.concatenate(occluded)})
        return LazyDataset(items, info, load_image=reader)
