"""Write a synthetic set to disk as the official datasets lay themselves out, plus one CSV of all labels.

Layout under OUT (sample ``i`` is named ``NNNNNN`` = i with 6 digits)::

    300w/NNNNNN.png + NNNNNN.pts     68 points, header "version: 1 / n_points: 68 / {", then "x y" lines
                                     and "}"; coordinates are 1-BASED as in 300W (x + 1, y + 1)
    lapa/train/images/NNNNNN.jpg     JPEG, quality 95 (fixed settings)
    lapa/train/labels/NNNNNN.png     class ids 0..10 in LaPa order (facerep.data.vocab.LAPA11)
    lapa/train/landmarks/NNNNNN.txt  LaPa's text layout (count line, then "x y", 0-based pixels) but with
                                     OUR 68 iBUG points, not LaPa's 106 (the 106 layout is not mapped;
                                     lapa/README.txt says so). A reader that insists on 106 points
                                     rejects them.
    imagefolder/expression/<expression>/NNNNNN.png   one folder per expression
                                                     (imagefolder:...?label=expression)
    imagefolder/identity/<subject>/NNNNNN.png        one folder per identity
    labels.csv                       every label of every sample (landmarks 0-based pixels)
    synth_config.yaml                the resolved SynthConfig

All files are encoded deterministically (PNG, fixed JPEG settings) and written atomically: the same
config gives byte-identical files.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from ...config import save_config
from ...errors import ConfigError
from ...io import atomic_write_bytes, atomic_write_text
from ...progress import track
from ..sample import DatasetInfo, FaceSample
from .dataset import SynthDataset

EXPORT_FORMATS: tuple[str, ...] = ("imagefolder", "300w", "lapa")
JPEG_QUALITY = 95
LAPA_NOTE = ("Synthetic faces in LaPa's layout. labels/: class ids 0..10 in LaPa's order. landmarks/: the 68 "
             "iBUG/300W points (0-based pixels, count line '68'), NOT LaPa's 106-point scheme.\n")


def resolve_formats(name: str) -> list[str]:
    """``"all"`` or one of :data:`EXPORT_FORMATS` (comma lists allowed) -> list; unknown -> ConfigError."""
    names = [n.strip().lower() for n in name.split(",") if n.strip()]
    if names == ["all"]:
        return list(EXPORT_FORMATS)
    bad = [n for n in names if n not in EXPORT_FORMATS]
    if bad or not names:
        raise ConfigError(f"unknown export format {bad[0] if bad else name!r}; valid: all, "
                          f"{', '.join(EXPORT_FORMATS)}")
    return names


def pts_text(landmarks: np.ndarray) -> str:
    """A 300W ``.pts`` file for 0-based landmarks [K, 2] (written 1-based)."""
    body = "\n".join(f"{x + 1:.3f} {y + 1:.3f}" for x, y in landmarks)
    return f"version: 1\nn_points: {len(landmarks)}\n{{\n{body}\n}}\n"


def lapa_landmarks_text(landmarks: np.ndarray) -> str:
    return f"{len(landmarks)}\n" + "".join(f"{x:.3f} {y:.3f}\n" for x, y in landmarks)


def _encode(image: np.ndarray, ext: str, params: Sequence[int] = ()) -> bytes:
    img = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image
    ok, buf = cv2.imencode(ext, img, list(params))
    if not ok:
        raise RuntimeError(f"cannot encode {ext}")
    return buf.tobytes()


def csv_header(info: DatasetInfo) -> list[str]:
    cols = ["name", "identity", "subject", "video", "frame", "expression", "expression_name", "valence",
            "arousal", "yaw", "pitch", "roll", "box_x0", "box_y0", "box_x1", "box_y1"]
    cols += [f"au{c:02d}" for c in info.au_codes] + list(info.attribute_names) + list(info.group_names)
    cols += [f"{a}{k}" for k in range(68) for a in ("x", "y")]
    cols += [f"{a}3d_{k}" for k in range(68) for a in "xyz"]
    return cols


def csv_row(name: str, s: FaceSample, info: DatasetInfo) -> list[str]:
    def f(v: float) -> str:
        return f"{float(v):.4f}"

    # a synthetic sample carries every label: the optional ones are never None here (union-attr ignores)
    row = [name, str(s.identity), s.subject or "", s.video or "", "" if s.frame is None else str(s.frame),
           str(s.expression), info.expression_classes[s.expression or 0],
           f(s.valence), f(s.arousal)]  # type: ignore[arg-type]
    row += [f(v) for v in s.pose] + [f(v) for v in s.box]  # type: ignore[union-attr]
    row += [f(v) for v in s.au] + [str(int(v)) for v in s.attributes]  # type: ignore[union-attr]
    row += [s.groups[g] for g in info.group_names]
    row += [f"{v:.3f}" for v in s.landmarks2d.reshape(-1)]  # type: ignore[union-attr]
    row += [f"{v:.3f}" for v in s.landmarks3d.reshape(-1)]  # type: ignore[union-attr]
    return row


def _write_sample(out: Path, name: str, s: FaceSample, info: DatasetInfo, formats: Sequence[str]) -> None:
    png = _encode(s.image, ".png")
    if "300w" in formats:
        atomic_write_bytes(out / "300w" / f"{name}.png", png)
        atomic_write_text(out / "300w" / f"{name}.pts", pts_text(s.landmarks2d))  # type: ignore[arg-type]
    if "lapa" in formats:
        root = out / "lapa" / "train"
        atomic_write_bytes(root / "images" / f"{name}.jpg",
                           _encode(s.image, ".jpg", [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]))
        atomic_write_bytes(root / "labels" / f"{name}.png", _encode(s.mask, ".png"))  # type: ignore[arg-type]
        atomic_write_text(root / "landmarks" / f"{name}.txt",
                          lapa_landmarks_text(s.landmarks2d))  # type: ignore[arg-type]
    if "imagefolder" in formats:
        expr = info.expression_classes[s.expression or 0]
        atomic_write_bytes(out / "imagefolder" / "expression" / expr / f"{name}.png", png)
        atomic_write_bytes(out / "imagefolder" / "identity" / str(s.subject) / f"{name}.png", png)


def export(ds: SynthDataset, out: str | Path, formats: Sequence[str]) -> int:
    """Render every sample of ``ds`` and write it in each of ``formats`` under ``out``; returns the count."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"output path {str(out)!r} is an existing file; give a folder")
    out.mkdir(parents=True, exist_ok=True)
    info = ds.info
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(csv_header(info))
    for i in track(range(len(ds)), f"synth -> {out}"):
        name = f"{i:06d}"
        sample = ds[i]
        _write_sample(out, name, sample, info, formats)
        writer.writerow(csv_row(name, sample, info))
    atomic_write_text(out / "labels.csv", buf.getvalue())
    if "lapa" in formats:
        atomic_write_text(out / "lapa" / "README.txt", LAPA_NOTE)
    save_config(ds.cfg, out / "synth_config.yaml")
    return len(ds)
