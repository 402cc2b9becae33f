"""Inputs of ``facerep curate``: image files and video files under a folder (or one file).

Walking never raises on bad input: a folder that cannot be listed, an empty folder, and files that are
neither images nor videos are reported as :class:`Skip` entries; decoding errors of an image or video are
raised as :class:`~facerep.errors.DataError` by :func:`read_frames`, for the caller to count.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import DataError
from ..io import read_image

IMAGE_EXTS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm"})
VIDEO_EXTS = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv"})


@dataclass(frozen=True)
class Input:
    """One image or video; ``rel`` is its path relative to the input root (the key used for resume)."""

    path: Path
    rel: str
    kind: str  # "image" | "video"


@dataclass(frozen=True)
class Skip:
    """Something that was not processed, and why (``kind``: unreadable-folder, empty-folder, not-media, …)."""

    rel: str
    kind: str
    message: str


def _list_dir(path: Path) -> list[os.DirEntry]:
    with os.scandir(path) as it:
        return sorted(it, key=lambda e: e.name)


def walk_inputs(root: str | Path) -> Iterator[Input | Skip]:
    """Images and videos under ``root`` in sorted order (recursive), with skips for what cannot be used."""
    root = Path(root)
    if root.is_file():
        kind = media_kind(root)
        yield Input(root, root.name, kind) if kind else Skip(root.name, "not-media",
                                                             "not an image or video extension")
        return
    if not root.is_dir():
        raise DataError("input does not exist", str(root))
    yield from _walk_dir(root, root, frozenset())


def _walk_dir(root: Path, folder: Path, ancestors: frozenset[str]) -> Iterator[Input | Skip]:
    """``ancestors``: real paths of the folders above ``folder``; a link back to one is a loop, not
    followed."""
    rel_dir = folder.relative_to(root).as_posix()
    real = os.path.realpath(folder)
    if real in ancestors:
        yield Skip(rel_dir, "symlink-loop",
                   f"symbolic link loop: {folder.name!r} points back to {real}; not followed")
        return
    try:
        entries = _list_dir(folder)
    except OSError as e:
        yield Skip(rel_dir, "unreadable-folder", f"cannot list folder ({e.strerror or e})")
        return
    if not entries:
        yield Skip(rel_dir, "empty-folder", "empty folder")
        return
    for entry in entries:
        path = Path(entry.path)
        rel = path.relative_to(root).as_posix()
        if entry.name.startswith("."):
            continue
        try:
            is_dir = entry.is_dir()
        except OSError as e:
            yield Skip(rel, "unreadable", str(e))
            continue
        if is_dir:
            yield from _walk_dir(root, path, ancestors | {real})
            continue
        kind = media_kind(path)
        yield Input(path, rel, kind) if kind else Skip(rel, "not-media", "not an image or video extension")


def media_kind(path: Path) -> str | None:
    ext = path.suffix.lower()
    return "image" if ext in IMAGE_EXTS else "video" if ext in VIDEO_EXTS else None


@dataclass
class VideoStats:
    """What decoding a video gave: ``decoded`` frames read, ``expected`` frames the header claims."""

    decoded: int = 0
    expected: int = 0
    ended: bool = False  # the stream ended (rather than max_frames stopping the read)

    @property
    def truncated(self) -> bool:
        """The stream ended well before the frame count its header claims."""
        return self.ended and 0 < self.decoded < self.expected - 1


def read_frames(item: Input, fps: float, max_frames: int = 0,
                stats: VideoStats | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """(frame index, [H, W, 3] uint8 RGB) pairs: index -1 for an image; for a video, every
    ``round(video_fps / fps)``-th frame (every frame when ``fps <= 0``), at most ``max_frames`` (0 = all).
    Raises DataError naming the file when nothing can be decoded."""
    if item.kind == "image":
        yield -1, read_image(item.path)
        return
    yield from _video_frames(item.path, fps, max_frames, stats if stats is not None else VideoStats())


def _video_frames(path: Path, fps: float, max_frames: int,
                  stats: VideoStats) -> Iterator[tuple[int, np.ndarray]]:
    if not os.access(path, os.R_OK):
        raise DataError("video is not readable (permission)", str(path))
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise DataError("cannot open video (corrupt or unsupported codec)", str(path))
        video_fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
        stats.expected = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        step = 1 if fps <= 0 or video_fps <= 0 else max(1, round(video_fps / fps))
        index, kept = 0, 0
        while max_frames <= 0 or kept < max_frames:
            if not cap.grab():
                stats.ended = True
                break
            stats.decoded = index + 1
            if index % step == 0:
                ok, frame = cap.retrieve()
                if not ok or frame is None:
                    break
                kept += 1
                yield index, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            index += 1
        if stats.decoded == 0:
            raise DataError("video has no decodable frame (truncated or corrupt)", str(path))
    finally:
        cap.release()
