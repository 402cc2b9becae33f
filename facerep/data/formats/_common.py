"""Helpers shared by the dataset formats: path options, tolerant text reading, validated number
parsing with file/line errors, label PNG reading, split selection and one generic lazy dataset.

Path options: a format path may end with ``?key=value&key2=value2`` (e.g.
``segfolder:/data/x?classes=lapa11``, ``imagefolder:/data/faces?label=expression``). Each format
lists the keys it accepts; an unknown key is a ConfigError. Folder formats accept ``subject=REGEX`` and
``video=REGEX`` (:func:`ids_from_names`): ids taken from file names, so that splits keep them disjoint.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ...errors import ConfigError, DataError
from ...io import read_image
from ..sample import DatasetInfo, FaceSample

IMAGE_EXTS: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".pgm", ".ppm", ".pbm", ".tif",
                               ".tiff", ".webp")


def parse_options(path: str, fmt: str, allowed: Iterable[str] = ()) -> tuple[str, dict[str, str]]:
    """``"/data/x?classes=lapa11"`` -> ``("/data/x", {"classes": "lapa11"})``; unknown keys raise
    ConfigError."""
    base, sep, query = path.partition("?")
    opts: dict[str, str] = {}
    if sep:
        for part in filter(None, query.split("&")):
            key, eq, value = part.partition("=")
            if not eq:
                raise ConfigError(f"{fmt}: path option {part!r} is not of the form key=value")
            opts[key.strip()] = value.strip()
    allowed = set(allowed)
    unknown = sorted(set(opts) - allowed)
    if unknown:
        valid = ", ".join(sorted(allowed)) or "(none)"
        raise ConfigError(f"{fmt}: unknown path option {unknown[0]!r}; valid options: {valid}")
    return base, opts


# path options: a regex giving the id from a file's path
NAME_ID_OPTIONS: tuple[str, ...] = ("subject", "video")


def ids_from_names(items: Sequence[Item], root: Path, opts: dict[str, str], fmt: str) -> None:
    r"""Set each item's ``subject`` / ``video`` label from its image path by the regexes of the path options
    ``subject=REGEX`` / ``video=REGEX`` (searched in the path relative to ``root``, '/'-separated; the first
    group, else the whole match, is the id). E.g. ``imagefolder:/data/CK+48?label=expression&subject=(S\d+)_``
    reads S010 from ``anger/S010_004_00000017.png``, and ``video=(S\d+_\d+)_`` the sequence S010_004. Frames
    of one subject or sequence then never straddle train and test. A path the regex does not match is a
    DataError naming it."""
    for kind in NAME_ID_OPTIONS:
        if kind not in opts:
            continue
        try:
            pattern = re.compile(opts[kind])
        except re.error as e:
            raise ConfigError(
                f"{fmt}: {kind}={opts[kind]!r} is not a valid regular expression ({e})") from None
        for it in items:
            path = Path(it.image)
            rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else it.image
            m = pattern.search(rel)
            if m is None:
                raise DataError(f"{fmt}: the path {rel!r} does not match {kind}={opts[kind]!r}, so its "
                                f"{kind} id is unknown", it.image)
            it.labels[kind] = m.group(1) if pattern.groups else m.group(0)


def need_dir(path: str | Path, fmt: str, what: str = "dataset folder") -> Path:
    p = Path(path)
    if not p.is_dir():
        raise DataError(f"{fmt}: {what} does not exist or is not a folder", str(p))
    return p


def first_existing(candidates: Sequence[Path], fmt: str, what: str) -> Path:
    """The first path that exists, else DataError listing where it looked."""
    for c in candidates:
        if c.exists():
            return c
    raise DataError(f"{fmt}: cannot find {what}; looked for " + ", ".join(str(c) for c in candidates))


def read_lines(path: str | Path) -> list[str]:
    """The file's lines with any line ending (\\n, \\r\\n, \\r), trailing spaces stripped, BOM removed."""
    p = Path(path)
    if not p.is_file():
        raise DataError("annotation file does not exist", str(p))
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return [line.rstrip() for line in text.splitlines()]


def parse_floats(tokens: Sequence[str], path: str | Path, line: int | None, expected: int | None = None,
                 what: str = "numbers") -> np.ndarray:
    """Tokens -> float64 array; a non-number or a wrong count raises DataError at ``path:line``."""
    if expected is not None and len(tokens) != expected:
        raise DataError(f"expected {expected} {what}, found {len(tokens)}", str(path), line)
    out = np.empty(len(tokens), dtype=np.float64)
    for k, tok in enumerate(tokens):
        try:
            out[k] = float(tok)
        except ValueError:
            raise DataError(f"{what}: value {k + 1} is {tok!r}, expected a number", str(path), line) from None
    return out


def parse_int(token: str, path: str | Path, line: int | None, what: str) -> int:
    """An integer token (``"3"`` or ``"3.0000000e+00"``); anything else raises DataError at ``path:line``."""
    try:
        value = float(token)
    except ValueError:
        value = float("nan")
    if not value.is_integer():
        raise DataError(f"{what} is {token!r}, expected an integer", str(path), line)
    return int(value)


def int_value(value: Any, path: str | Path, line: int | None, what: str) -> int:
    """An integer from a container (JSON, Parquet, HDF5): an int, or a float/string holding one; anything else
    (None, NaN, inf, text, a list) raises DataError at ``path:line``."""
    if isinstance(value, (bool, np.bool_)):
        raise DataError(f"{what} is {value!r}, expected an integer", str(path), line)
    if isinstance(value, (int, np.integer)):
        return int(value)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        number = float("nan")
    if not number.is_integer():
        raise DataError(f"{what} is {str(value)[:40]!r}, expected an integer", str(path), line)
    return int(number)


def float_array(value: Any, path: str | Path, what: str) -> np.ndarray:
    """A numeric array from a container variable (``.mat``, HDF5, JSON); text, cells of unequal parts or
    structures raise DataError naming the file and the variable."""
    try:
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"dtype {arr.dtype}")
        return arr.astype(np.float64)
    except (TypeError, ValueError, OverflowError) as e:
        raise DataError(f"{what} is not an array of real numbers ({str(e)[:120]})", str(path)) from None


def read_csv(path: str | Path, required: Sequence[str]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Read a CSV with a header row; returns (header, [(line_number, row_dict)]). A missing required
    column or a short row raises DataError naming the file and line."""
    lines = read_lines(path)
    if not lines:
        raise DataError("CSV file is empty (expected a header row)", str(path), 1)
    rows = list(csv.reader(lines))
    header = [h.strip() for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(f"CSV header lacks column(s) {', '.join(missing)}; expected {', '.join(required)}",
                        str(path), 1)
    out: list[tuple[int, dict[str, str]]] = []
    for n, row in enumerate(rows[1:], start=2):
        if not row or not any(c.strip() for c in row):
            continue
        if len(row) < len(header):
            raise DataError(f"row has {len(row)} fields, the header has {len(header)} ({', '.join(header)})",
                            str(path), n)
        out.append((n, {h: v.strip() for h, v in zip(header, row)}))
    return header, out


def fit_image(image: np.ndarray, size_hw: tuple[int, int], where: str) -> np.ndarray:
    """Resize ``image`` (H×W[×C]) to ``size_hw`` (bilinear) when the sizes differ by one integer factor in
    both axes (CelebAMask-HQ: 1024² images, 512² masks); equal sizes pass; any other mismatch is a
    DataError."""
    from PIL import Image

    (h, w), (mh, mw) = image.shape[:2], size_hw
    if (h, w) == (mh, mw):
        return image
    if h % mh or w % mw or h // mh != w // mw:
        raise DataError(f"image is {w}×{h} but its masks are {mw}×{mh} (W×H); expected equal sizes or one "
                        "integer scale factor", where)
    return np.asarray(Image.fromarray(image).resize((mw, mh), Image.Resampling.BILINEAR))


def read_label_png(path: str | Path, image_shape: tuple[int, ...] | None, n_classes: int | None,
                   ignore: int = 255) -> np.ndarray:
    """A label-id PNG as H×W uint8 class ids: palette PNGs give their indices, 8/16-bit grey their values.

    ``image_shape`` (H, W, …) must match; ids must be < ``n_classes`` (``ignore`` is allowed)."""
    p = Path(path)
    if not p.is_file():
        raise DataError("label image does not exist", str(p))
    try:
        with Image.open(p) as im:
            im.load()
            if im.mode in ("RGB", "RGBA"):
                arr = np.asarray(im)[..., :3]
                if not (arr == arr[..., :1]).all():
                    raise DataError("label image is colour RGB; expected class ids (grey or palette PNG)",
                                    str(p))
                arr = arr[..., 0]
            elif im.mode in ("P", "L", "I;16", "I;16B", "I;16L", "I"):
                arr = np.asarray(im)
            else:
                arr = np.asarray(im.convert("L"))
    except (OSError, SyntaxError, ValueError) as e:
        raise DataError(f"cannot decode label image ({e})", str(p)) from None
    if image_shape is not None and arr.shape[:2] != tuple(image_shape[:2]):
        raise DataError(f"label image is {arr.shape[1]}×{arr.shape[0]} but its image is "
                        f"{image_shape[1]}×{image_shape[0]} (W×H); expected the same size", str(p))
    if n_classes is not None:
        bad = (arr >= n_classes) & (arr != ignore)
        if bad.any():
            y, x = np.argwhere(bad)[0]
            raise DataError(f"pixel (x={x}, y={y}) has class id {int(arr[y, x])}, outside the {n_classes} "
                            f"declared classes 0..{n_classes - 1} ({ignore} = ignore)", str(p))
    return arr.astype(np.uint8)


def find_image(stem: Path) -> Path | None:
    """``stem`` with the first image extension that exists (any case), or None."""
    for ext in IMAGE_EXTS:
        for e in (ext, ext.upper()):
            cand = stem.with_name(stem.name + e)
            if cand.is_file():
                return cand
    return None


def list_images(folder: Path, recursive: bool = False) -> list[Path]:
    """Image files in ``folder`` (sorted), by extension."""
    it = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in it if p.is_file() and p.suffix.lower() in IMAGE_EXTS)


def frame_index(folder: Path) -> dict[int, Path]:
    """Frame number (the integer in the file stem) -> image path, for a folder of extracted frames."""
    out: dict[int, Path] = {}
    for p in list_images(folder):
        digits = "".join(ch for ch in p.stem.rsplit("_", 1)[-1] if ch.isdigit())
        if digits:
            out[int(digits)] = p
    return out


def select_split(fmt: str, split: str | None, by_split: dict[str, list]) -> list:
    """Items of ``split`` (all, in split order, for None); an unknown split raises DataError."""
    if split is None:
        return [it for items in by_split.values() for it in items]
    if split not in by_split:
        have = ", ".join(k for k, v in by_split.items() if v) or "none"
        raise DataError(f"{fmt}: no split {split!r} in this dataset (splits found: {have})")
    return list(by_split[split])


@dataclass
class Item:
    """One sample before decoding: where its image is and the labels parsed at open()."""

    image: str
    labels: dict[str, Any] = field(default_factory=dict)
    mask: str | None = None
    extra: Any = None
    source: tuple[str, int] | None = None  # (annotation file, line) that names the image, for errors


class LazyDataset:
    """A sequence of :class:`Item` that decodes images (and mask files) on ``__getitem__``.

    ``load_image(item)`` defaults to :func:`facerep.io.read_image` of ``item.image``;
    ``load_mask(item, image)`` returns the H×W class-id mask when ``item.mask`` is set.
    """

    def __init__(self, items: Sequence[Item], info: DatasetInfo,
                 load_image: Callable[[Item], np.ndarray] | None = None,
                 load_mask: Callable[[Item, np.ndarray], np.ndarray] | None = None) -> None:
        self.items, self.info = list(items), info
        self._load_image = load_image or read_item_image
        self._load_mask = load_mask

    def __len__(self) -> int:
        return len(self.items)

    def labels(self, i: int) -> dict[str, Any]:
        """The labels of sample ``i`` without decoding its image (for counts and splits)."""
        return dict(self.items[i].labels)

    def __getitem__(self, i: int) -> FaceSample:
        if not -len(self.items) <= i < len(self.items):
            raise IndexError(i)
        it = self.items[i]
        try:
            image = self._load_image(it)
        except DataError as e:
            if it.source is None:
                raise
            raise DataError(f"{e.message} (listed at {it.source[0]}:{it.source[1]})", e.path) from None
        kw = dict(it.labels)
        if it.mask is not None and self._load_mask is not None:
            kw["mask"] = self._load_mask(it, image)
        return FaceSample(image=image, path=it.image, **kw)


def read_item_image(item: Item) -> np.ndarray:
    """The default image loader: the file ``item.image`` (module-level, so datasets pickle to workers)."""
    return read_image(item.image)


def make_info(name: str, provides: Iterable[str], **kw: Any) -> DatasetInfo:
    return DatasetInfo(name=name, provides=frozenset(provides), **kw)


def check_no_split(fmt: str, split: str | None) -> None:
    """For datasets without official splits: any ``split`` but None raises DataError (before parsing)."""
    if split is not None:
        raise DataError(f"{fmt}: no split {split!r}: this dataset has no official splits (use split=None; "
                        "subject/identity-disjoint splits are made by facerep.data.splits)")


class FormatBase:
    """Base of the formats in this package: adds :meth:`splits_at` to the Format contract."""

    provides: frozenset[str] = frozenset()
    splits: tuple[str, ...] = ()

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        raise NotImplementedError

    def splits_at(self, path: str) -> tuple[str, ...]:
        """The official splits that the dataset at ``path`` actually has (a flat 300W folder has none), so
        that callers can fall back to seeded splits. Opens each split; a split that fails to open is
        absent."""
        found = []
        for s in self.splits:
            try:
                if len(self.open(path, s)):
                    found.append(s)
            except DataError:
                continue
        return tuple(found)
