"""Helpers for the format tests: tiny images and text files written exactly as given."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def write_image(path: Path, w: int = 32, h: int = 24, mode: str = "RGB", seed: int = 0) -> np.ndarray:
    """Write a small random image (any PIL mode; format from the suffix); returns its pixels."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == "RGB":
        arr = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    else:
        arr = rng.integers(0, 256, (h, w), dtype=np.uint8)
    im = Image.fromarray(arr, "RGB" if mode == "RGB" else "L")
    if mode == "P":
        im = im.convert("P")
    im.save(path)
    return arr


def write_text(path: Path, text: str, newline: str = "\n") -> Path:
    """Write ``text`` byte for byte, with ``newline`` for every line end."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def write_ids(path: Path, ids: np.ndarray, mode: str = "L") -> None:
    """A class-id PNG: 8-bit grey (L), palette (P) or 16-bit grey (I;16)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == "P":
        im = Image.fromarray(ids.astype(np.uint8), "P")
        im.putpalette([v for k in range(256) for v in ((k * 37) % 256, (k * 91) % 256, (k * 53) % 256)])
    elif mode == "I;16":
        im = Image.fromarray(ids.astype(np.uint16))
    else:
        im = Image.fromarray(ids.astype(np.uint8), "L")
    im.save(path)
