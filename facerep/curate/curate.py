"""``facerep curate IN OUT``: images and videos -> aligned face crops + a Parquet manifest.

Layout of OUT::

    curate_config.json          the resolved CurateConfig (a rerun with other options is refused)
    crops/<input rel path>/f<frame>_<face>.png
    parts/<key>.parquet         one per finished input: the resume marker and its manifest rows
    manifest.parquet            every face (see MANIFEST_SCHEMA), sorted by source, frame, face
    summary.json                counts, skips with reasons, warnings
    shards/shard-000000.tar     optional webdataset shards (crop + json per face)

Resume: an input whose part file exists is done and is not read again. Every file is written atomically
(temp + rename); temp files left by a killed run are removed at the next start.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..config import CurateConfig, config_to_dict
from ..data.geometry import apply
from ..errors import ConfigError, DataError
from ..io import atomic_write, atomic_write_bytes, atomic_write_text
from ..progress import track
from . import quality
from .align import align_face
from .detect import Detection, Detector, create_detector
from .landmark import Landmarker, create_landmarker, refine
from .shards import write_shards
from .walk import Input, Skip, VideoStats, read_frames, walk_inputs

_F32_LIST = pa.list_(pa.float32())
MANIFEST_SCHEMA = pa.schema([
    ("source", pa.string()),  # input path relative to IN
    ("video", pa.string()),  # = source for video frames, null for images
    ("subject", pa.string()),  # parent folder of an image (relative to IN), or the video
    ("frame", pa.int64()),  # video frame index; -1 for an image
    ("face", pa.int32()),  # index of the face in its image/frame, largest first
    ("box", _F32_LIST),  # x0, y0, x1, y1 in source pixels
    ("landmarks", _F32_LIST),  # 5 points x, y interleaved, source pixels (ArcFace order)
    ("landmarks_source", pa.string()),  # detector | eye-cascade | box-estimate | faceapi-68
    ("crop_landmarks", _F32_LIST),  # the same 5 points in crop pixels
    ("landmarks68", _F32_LIST),  # 68 iBUG points x, y interleaved, source pixels (--landmarker); null without
    ("crop_landmarks68", _F32_LIST),  # the same 68 points in crop pixels
    ("score", pa.float32()), ("face_size", pa.float32()), ("sharpness", pa.float32()),
    ("frontal", pa.float32()), ("crop", pa.string()),  # crop path relative to the manifest's folder
])
# what reading or detecting one bad input may raise; such an input is skipped, the run goes on
_INPUT_ERRORS = (DataError, OSError, ValueError, RuntimeError, MemoryError, __import__("cv2").error)
_IDENTITY_KEYS = ("detector", "landmarker", "size", "margin", "eye_weight", "fps", "max_frames", "max_faces",
                  "min_size", "min_score", "min_sharpness", "min_frontal", "crop_format")


@dataclass
class CurateSummary:
    """What a run did. ``skipped`` holds (input, kind, message); ``filtered`` counts faces per failed
    filter."""

    inputs: int = 0
    resumed: int = 0
    processed: int = 0
    frames: int = 0
    frames_without_face: int = 0
    faces: int = 0
    filtered: Counter = field(default_factory=Counter)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    manifest: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["filtered"] = dict(self.filtered)
        return d


def input_key(rel: str) -> str:
    return hashlib.sha1(rel.encode("utf-8")).hexdigest()[:20]


def _check_config(out: Path, cfg: CurateConfig) -> None:
    path = out / "curate_config.json"
    new = config_to_dict(cfg)
    if path.is_file():
        old = json.loads(path.read_text())
        defaults = config_to_dict(CurateConfig())  # keys newer than an old OUT take their defaults
        diff = [k for k in _IDENTITY_KEYS if old.get(k, defaults[k]) != new.get(k)]
        if diff:
            raise ConfigError(f"{out} was curated with other options "
                              f"({', '.join(f'{k}={old.get(k)!r}' for k in diff)}); rerun with the same "
                              "options to resume, or use a new OUT")
    atomic_write_text(path, json.dumps(new, indent=2))


def _remove_stale_temps(out: Path) -> int:
    stale = [p for p in out.rglob(".*.tmp*") if p.is_file()]
    for p in stale:
        p.unlink()
    return len(stale)


def _encode(crop: np.ndarray, fmt: str) -> bytes:
    ext = ".jpg" if fmt in ("jpg", "jpeg") else ".png"
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if ext == ".jpg" else [cv2.IMWRITE_PNG_COMPRESSION, 3]
    ok, buf = cv2.imencode(ext, cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise DataError("cannot encode crop")
    return buf.tobytes()


def _face_row(item: Input, frame: int, face: int, det: Detection, image: np.ndarray, cfg: CurateConfig,
              out: Path, summary: CurateSummary) -> dict[str, Any] | None:
    crop, matrix, crop_lm = align_face(image, det.landmarks, cfg.size, cfg.margin, cfg.eye_weight)
    q = quality.measure(crop, det.landmarks, det.size, det.score)
    minimums = {"face_size": cfg.min_size, "score": cfg.min_score, "sharpness": cfg.min_sharpness,
                "frontal": cfg.min_frontal}
    failed = quality.failed_filter(q, minimums)
    if failed:
        summary.filtered[failed] += 1
        return None
    ext = "jpg" if cfg.crop_format in ("jpg", "jpeg") else "png"
    rel_crop = f"crops/{item.rel}/f{max(frame, 0):06d}_{face}.{ext}"
    atomic_write_bytes(out / rel_crop, _encode(crop, ext))
    parent = Path(item.rel).parent.as_posix()
    return {"source": item.rel, "video": item.rel if item.kind == "video" else None,
            "subject": item.rel if item.kind == "video" else ("" if parent == "." else parent),
            "frame": frame, "face": face, "box": det.box.astype(np.float32).tolist(),
            "landmarks": det.landmarks.reshape(-1).astype(np.float32).tolist(),
            "landmarks_source": det.landmarks_source,
            "crop_landmarks": crop_lm.reshape(-1).tolist(), **_landmarks68(det, matrix), **q,
            "crop": rel_crop}


def _landmarks68(det: Detection, matrix: np.ndarray) -> dict[str, list[float] | None]:
    if det.landmarks68 is None:
        return {"landmarks68": None, "crop_landmarks68": None}
    return {"landmarks68": det.landmarks68.reshape(-1).astype(np.float32).tolist(),
            "crop_landmarks68": apply(matrix, det.landmarks68).reshape(-1).astype(np.float32).tolist()}


def _process(item: Input, detector: Detector, landmarker: Landmarker | None, cfg: CurateConfig, out: Path,
             summary: CurateSummary) -> list[dict]:
    rows: list[dict[str, Any]] = []
    stats = VideoStats()
    for frame, image in read_frames(item, cfg.fps, cfg.max_frames, stats):
        summary.frames += 1
        dets = detector.detect(image)
        if cfg.max_faces > 0:
            dets = dets[:cfg.max_faces]
        if landmarker is not None:
            dets = refine(landmarker, image, dets)
        if not dets:
            summary.frames_without_face += 1
        for i, det in enumerate(dets):
            row = _face_row(item, frame, i, det, image, cfg, out, summary)
            if row is not None:
                rows.append(row)
    if stats.truncated:
        summary.warnings.append(f"{item.rel}: video truncated: decoded {stats.decoded} of the "
                                f"{stats.expected} frames its header announces; kept the frames before "
                                "the cut")
    return rows


def _write_table(path: Path, rows: list[dict[str, Any]] | pa.Table) -> None:
    table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows, schema=MANIFEST_SCHEMA)
    atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def curate(in_path: str | Path, out_dir: str | Path, cfg: CurateConfig | None = None,
           detector: Detector | None = None, landmarker: Landmarker | None = None) -> CurateSummary:
    """Curate every image and video under ``in_path`` into ``out_dir`` (resumable). Bad inputs are skipped
    and listed in the summary, never raised mid-run."""
    cfg = cfg or CurateConfig()
    if cfg.size < 16 or cfg.margin < 0 or cfg.crop_format not in ("png", "jpg", "jpeg"):
        raise ConfigError(f"curate: need size >= 16, margin >= 0, crop_format png|jpg (got {cfg.size}, "
                          f"{cfg.margin}, {cfg.crop_format!r})")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _check_config(out, cfg)
    _remove_stale_temps(out)
    summary, parts = CurateSummary(), []
    items = list(walk_inputs(in_path))
    for item in track(items, "curate"):
        if isinstance(item, Skip):
            summary.skipped.append((item.rel, item.kind, item.message))
            continue
        summary.inputs += 1
        part = out / "parts" / f"{input_key(item.rel)}.parquet"
        parts.append(part)
        if part.is_file():
            summary.resumed += 1
            continue
        detector = detector or create_detector(cfg.detector)
        landmarker = landmarker or create_landmarker(cfg.landmarker)
        try:
            rows = _process(item, detector, landmarker, cfg, out, summary)
        except _INPUT_ERRORS as e:
            msg = (e.message if isinstance(e, DataError)
                   else f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")
            summary.skipped.append((item.rel, "unreadable", msg))
            parts.pop()
            continue
        _write_table(part, rows)
        summary.processed += 1
    table = _combine(parts)
    summary.faces = table.num_rows
    _write_table(out / "manifest.parquet", table)
    summary.manifest = str(out / "manifest.parquet")
    if cfg.shards:
        write_shards(table, out, cfg.shard_size)
    atomic_write_text(out / "summary.json", json.dumps(summary.to_dict(), indent=2))
    return summary


def _combine(parts: list[Path]) -> pa.Table:
    tables = [pq.read_table(p, schema=MANIFEST_SCHEMA) for p in parts]
    if not tables:
        return MANIFEST_SCHEMA.empty_table()
    table = pa.concat_tables(tables)
    return table.sort_by([("source", "ascending"), ("frame", "ascending"), ("face", "ascending")])
