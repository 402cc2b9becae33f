"""Small file helpers shared by every writer: atomic writes (temp file + rename) and image reading."""
from __future__ import annotations

import io as _io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from .errors import DataError


def current_umask() -> int:
    """The process's umask (read without changing it where /proc has it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, write: Callable[[str], object]) -> Path:
    """Call ``write(tmp_path)`` then rename onto ``path``: readers never see a partial file. The file gets the
    permissions a plain write would give it: those of the file it replaces, else 0666 minus the umask (the
    temp file itself is created 0600)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    os.close(fd)
    try:
        mode = path.stat().st_mode & 0o7777 if path.is_file() else 0o666 & ~current_umask()
        write(tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def read_image(path: str | Path) -> np.ndarray:
    """Decode an image file to H×W×3 uint8 RGB (grey, palette, 16-bit, CMYK and alpha converted).

    Raises DataError naming the file when it is missing, empty, truncated or not an image.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("image file does not exist", str(path))
    if path.stat().st_size == 0:
        raise DataError("image file is empty (0 bytes)", str(path))
    return _decode(path, str(path))


def decode_image_bytes(data: bytes, name: str) -> np.ndarray:
    """Decode encoded image bytes (JPEG, PNG, …) like :func:`read_image`; ``name`` is used in errors."""
    if not data:
        raise DataError("image is empty (0 bytes)", name)
    return _decode(_io.BytesIO(data), name)


def _decode(source: object, name: str) -> np.ndarray:
    try:
        with Image.open(source) as im:  # type: ignore[arg-type]
            im.load()
            if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                arr = np.asarray(im, dtype=np.float64)
                peak = 65535.0 if arr.max() > 255 else 255.0
                arr = np.clip(arr / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
                return np.repeat(arr[:, :, None], 3, axis=2)
            return np.asarray(im.convert("RGB"))
    except UnidentifiedImageError:
        raise DataError("not an image file (PIL cannot identify it)", name) from None
    except (OSError, SyntaxError, ValueError) as e:
        raise DataError(f"cannot decode image ({e})", name) from None
