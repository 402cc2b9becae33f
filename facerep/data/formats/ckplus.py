"""CK+ (Lucey et al., 2010): posed expression sequences from neutral to peak, 123 subjects.

Official layout: ``cohn-kanade-images/S005/001/S005_001_00000001.png`` …,
``Emotion/S005/001/S005_001_00000011_emotion.txt`` (one number, 0–7: neutral, anger, contempt,
disgust, fear, happy, sadness, surprise; only 327 sequences have one),
``FACS/S005/001/S005_001_00000011_facs.txt`` (lines ``AU intensity``, intensity 0 = not coded)
and ``Landmarks/S005/001/S005_001_00000001_landmarks.txt`` (68 lines ``x y``, used as written).

Samples (the usual protocol): the last (peak) frame of every sequence, with its expression when
the sequence has one, its AUs as occurrence (1 = coded in the FACS file, 0 = not; codes in
``DatasetInfo.au_codes``) and its landmarks; plus, with ``?neutral=1`` (default), the first frame
of every sequence that has an expression, labelled neutral. Expression ids follow
:data:`facerep.data.vocab.EXPRESSIONS8` (all 8 names). ``subject`` (S005) and ``video``
(S005_001) allow subject-disjoint splits; CK+ has no official split.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ConfigError, DataError
from ..vocab import EXPRESSIONS8
from . import register_format
from ._common import (
    FormatBase,
    Item,
    LazyDataset,
    check_no_split,
    list_images,
    make_info,
    need_dir,
    parse_floats,
    parse_int,
    parse_options,
    read_lines,
)

CK_NAMES = ("neutral", "anger", "contempt", "disgust", "fear", "happiness", "sadness", "surprise")  # 0..7


def _one_file(folder: Path, pattern: str) -> Path | None:
    files = sorted(folder.glob(pattern)) if folder.is_dir() else []
    return files[-1] if files else None


def read_emotion(path: Path) -> int:
    rows = [(n, ln) for n, ln in enumerate(read_lines(path), 1) if ln.strip()]
    if len(rows) != 1:
        raise DataError("expected one emotion code 0..7", str(path), rows[1][0] if rows else 1)
    code = parse_int(rows[0][1].strip(), path, rows[0][0], "emotion code")
    if not 0 <= code <= 7:
        raise DataError(f"emotion code {code}; expected 0..7", str(path), rows[0][0])
    return EXPRESSIONS8.index(CK_NAMES[code])


def read_facs(path: Path) -> list[int]:
    """The AU codes of a FACS file (lines ``AU intensity``)."""
    codes = []
    for n, ln in enumerate(read_lines(path), 1):
        if ln.strip():
            tokens = ln.split()
            parse_floats(tokens, path, n, 2, "fields (AU intensity)")
            codes.append(parse_int(tokens[0], path, n, "AU code"))
    return codes


def read_landmarks(path: Path) -> np.ndarray:
    rows = [parse_floats(ln.split(), path, n, 2, "coordinates (x y)")
            for n, ln in enumerate(read_lines(path), 1) if ln.strip()]
    if len(rows) != 68:
        raise DataError(f"expected 68 points, found {len(rows)}", str(path))
    return np.asarray(rows, dtype=np.float32)


def sequence_items(root: Path, subject: str, seq: str, frames: list[Path],
                   neutral: bool) -> tuple[list[Item], list]:
    """Items of one sequence and the AU list of its peak (for the AU vocabulary)."""
    rel = Path(subject) / seq
    emo = _one_file(root / "Emotion" / rel, "*_emotion.txt")
    facs = _one_file(root / "FACS" / rel, "*_facs.txt")
    aus = read_facs(facs) if facs else []
    peak: dict[str, Any] = {"expression": read_emotion(emo)} if emo else {}
    chosen = [(frames[-1], peak)]
    if neutral and emo and len(frames) > 1:
        chosen.append((frames[0], {"expression": 0}))
    items = []
    for k, (img, labels) in enumerate(chosen):
        lm = root / "Landmarks" / rel / f"{img.stem}_landmarks.txt"
        if lm.is_file():
            labels["landmarks2d"] = read_landmarks(lm)
        labels.update(subject=subject, video=f"{subject}_{seq}", frame=int(img.stem.rsplit("_", 1)[-1]))
        items.append(Item(str(img), labels, extra=aus if k == 0 and facs else None))
    return items, aus


@register_format("ckplus",
                 description="CK+: cohn-kanade-images, Emotion, FACS, Landmarks; peak + neutral frames")
class FormatCKPlus(FormatBase):
    provides = frozenset({"expression", "au", "landmarks2d"})
    splits = ()

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        check_no_split("ckplus", split)
        base, opts = parse_options(path, "ckplus", ("neutral",))
        if opts.get("neutral", "1") not in ("0", "1"):
            raise ConfigError("ckplus: neutral must be 0 or 1")
        root = Path(base)
        images = need_dir(root / "cohn-kanade-images", "ckplus", "cohn-kanade-images folder")
        items, codes = [], set()
        for subj in sorted(p for p in images.iterdir() if p.is_dir()):
            for seq in sorted(p for p in subj.iterdir() if p.is_dir()):
                frames = list_images(seq)
                if frames:
                    its, aus = sequence_items(root, subj.name, seq.name, frames,
                                              opts.get("neutral", "1") == "1")
                    items += its
                    codes.update(aus)
        if not items:
            raise DataError("ckplus: no image sequences under cohn-kanade-images/<subject>/<sequence>/",
                            str(images))
        au_codes = tuple(sorted(codes))
        for it in items:
            if it.extra is not None:
                it.labels["au"] = np.isin(au_codes, it.extra).astype(np.float32)
        return LazyDataset(items, make_info("ckplus", self.provides, landmark_scheme="68",
                                            expression_classes=EXPRESSIONS8, au_codes=au_codes))
