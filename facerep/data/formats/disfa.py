"""DISFA (Mavadati et al., 2013): intensities (0–5) of 12 AUs per frame, 27 subjects.

Official labels: ``ActionUnit_Labels/SN001/SN001_au1.txt`` … ``SN001_au26.txt``, one per AU of
:data:`facerep.data.vocab.DISFA_AUS`, lines ``frame,intensity`` (frames numbered from 1).
DISFA ships videos, so the frames must be extracted first, e.g. with
``ffmpeg -i LeftVideoSN001_comp.avi Images/SN001/%05d.png``: facerep looks for a folder of
frames per subject under ``Images/``, ``images/``, ``frames/`` or ``img/`` whose name contains the
subject id; the frame number is the integer at the end of each file stem. File number N is label
frame N + 1 - base, with ``?frame_base=1`` (default; ffmpeg numbers from 1) or ``?frame_base=0``.

A sample is a labelled frame with an image; labelled frames without an image are counted in
``DatasetInfo.extra["frames_without_image"]`` (per subject). Subject ids (``subject``) allow
subject-disjoint splits; DISFA has no official split.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import ConfigError, DataError
from ..vocab import DISFA_AUS
from . import register_format
from ._common import (
    FormatBase,
    Item,
    LazyDataset,
    check_no_split,
    first_existing,
    frame_index,
    make_info,
    parse_floats,
    parse_options,
    read_lines,
)


def read_au_file(path: Path) -> dict[int, float]:
    """``frame,intensity`` lines -> {frame: intensity}; intensities must be 0..5."""
    out = {}
    for n, line in enumerate(read_lines(path), 1):
        if not line.strip():
            continue
        frame, value = parse_floats(line.split(","), path, n, expected=2, what="fields (frame,intensity)")
        if not 0 <= value <= 5:
            raise DataError(f"intensity {value:g} outside 0..5", str(path), n)
        if not float(frame).is_integer():
            raise DataError(f"frame {frame:g} is not an integer", str(path), n)
        out[int(frame)] = float(value)
    return out


def subject_labels(folder: Path, subject: str) -> dict[int, np.ndarray]:
    """Frame -> float32 intensities in DISFA_AUS order (NaN where an AU file lacks the frame)."""
    per_au = []
    for au in DISFA_AUS:
        f = folder / f"{subject}_au{au}.txt"
        if not f.is_file():
            raise DataError(f"missing AU file for AU{au} (expected {f.name} with 'frame,intensity' lines)",
                            str(f))
        per_au.append(read_au_file(f))
    frames = sorted(set().union(*per_au))
    return {fr: np.array([d.get(fr, np.nan) for d in per_au], dtype=np.float32) for fr in frames}


@register_format("disfa",
                 description="DISFA: ActionUnit_Labels/SNxxx/SNxxx_auN.txt (12 AU intensities) + frames")
class FormatDISFA(FormatBase):
    provides = frozenset({"au"})
    splits = ()

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        check_no_split("disfa", split)
        base, opts = parse_options(path, "disfa", ("frame_base",))
        root = Path(base)
        if opts.get("frame_base", "1") not in ("0", "1"):
            raise ConfigError("disfa: frame_base must be 0 or 1")
        shift = 1 - int(opts.get("frame_base", "1"))
        labels_root = first_existing([root / "ActionUnit_Labels"], "disfa", "the ActionUnit_Labels folder")
        frames_root = first_existing([root / d for d in ("Images", "images", "frames", "img")], "disfa",
                                     "a folder of extracted frames")
        items, missing = [], {}
        for subj_dir in sorted(p for p in labels_root.iterdir() if p.is_dir()):
            subject = subj_dir.name
            frame_dirs = sorted((d for d in frames_root.iterdir() if d.is_dir() and subject in d.name),
                                key=lambda d: (d.name != subject, d.name))
            if not frame_dirs:
                raise DataError(f"no frame folder for subject {subject} (expected {frames_root / subject})",
                                str(frames_root))
            index = frame_index(frame_dirs[0])
            n_missing = 0
            for frame, au in subject_labels(subj_dir, subject).items():
                img = index.get(frame - shift)
                if img is None:
                    n_missing += 1
                    continue
                items.append(Item(str(img), {"au": au, "subject": subject, "video": subject, "frame": frame}))
            missing[subject] = n_missing
        if not items:
            raise DataError("disfa: no labelled frame has an image", str(root))
        info = make_info("disfa", self.provides, au_codes=DISFA_AUS, extra={"frames_without_image": missing})
        return LazyDataset(items, info)
