"""Reading MATLAB v5-v7.2 ``.mat`` files safely (COFW, AFLW2000-3D).

scipy's reader trusts the data-type codes and byte counts in a file: a corrupted code (one flipped byte) can
crash the interpreter (SIGSEGV inside ``scipy.io.matlab._mio5_utils``) instead of raising. :func:`read_matlab`
therefore walks the element tree first (every tag, nested matrices and compressed elements included) and
refuses, with a DataError naming the file and byte offset, any element whose type code is not one the MAT-file
format defines or whose byte count runs past its container. Only then is the file handed to
:func:`scipy.io.loadmat`; anything scipy still raises becomes a DataError. MATLAB v4 files (never used by
these datasets) are refused.
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

from ...errors import DataError

# MAT-file data types (MATLAB "MAT-File Format", table 1-1): miINT8 .. miUTF32, without the reserved 8, 10, 11
DATA_TYPES = frozenset({1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 14, 15, 16, 17, 18})
MI_MATRIX, MI_COMPRESSED = 14, 15
MAX_DEPTH = 32


ITEMSIZE = {1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4}
# array classes accepted: cell 1, struct 2, char 4, sparse 5, numeric 6..15 (objects, functions, opaque:
# refused)
CELL, STRUCT, CHAR, SPARSE = 1, 2, 4, 5
CLASSES = frozenset({CELL, STRUCT, CHAR, SPARSE, *range(6, 16)})
# (offset of the tag, data type, byte count); data starts at offset + 8 (or + 4)
Element = tuple[int, int, int]


def elements(data: bytes | memoryview, start: int, end: int, endian: str, path: str) -> list[Element]:
    """The elements in ``data[start:end]``; DataError at the first tag with an undefined type or a size past
    the end."""
    out, pos = [], start
    while pos < end:
        if end - pos < 8:
            raise DataError(f"MATLAB element tag at byte {pos} is cut short", path)
        word, size = struct.unpack_from(endian + "II", data, pos)
        # small data element: type and size packed in the first word, data in the second
        small = word >> 16 != 0
        kind, size = (word & 0xFFFF, word >> 16) if small else (word, size)
        if kind not in DATA_TYPES or (small and (size > 4 or kind in (MI_MATRIX, MI_COMPRESSED))):
            raise DataError(f"MATLAB element at byte {pos} has data type {kind} (size {size}), which the "
                            "format does not allow there", path)
        if not small and pos + 8 + size > end:
            raise DataError(
                f"MATLAB element at byte {pos} claims {size} bytes, past the end of its container", path)
        out.append((pos, kind, size))
        pos += 8 if small else 8 + size + (-size % 8 if kind != MI_COMPRESSED else 0)
    return out


def _data_at(data: bytes | memoryview, el: Element, endian: str) -> bytes:
    pos, _, size = el
    word = struct.unpack_from(endian + "I", data, pos)[0]
    start = pos + 4 if word >> 16 else pos + 8
    return bytes(data[start:start + size])


def check_matrix(data: bytes | memoryview, parts: list[Element], endian: str, path: str, where: int) -> int:
    """Check the sub-elements of one miMATRIX (flags, dims, name, then the parts its class needs); returns how
    many leading sub-elements are not nested matrices (the rest are cells / struct fields, checked by the
    caller)."""
    def bad(msg: str) -> DataError:
        return DataError(f"MATLAB array at byte {where}: {msg}", path)

    if len(parts) == 0:
        return 0  # an empty matrix element (an empty cell entry)
    if len(parts) < 3 or parts[0][1:] != (6, 8) or parts[1][1] != 5 or parts[1][2] % 4 or parts[1][2] < 8:
        raise bad("expected array flags, dimensions and a name")
    flags = struct.unpack(endian + "II", _data_at(data, parts[0], endian))[0]
    cls, complex_ = flags & 0xFF, bool(flags & 0x800)
    if cls not in CLASSES or flags & ~0xEFF & 0xFFFF:
        raise bad(f"array class {cls} / flags {flags:#x} are not supported")
    dims = struct.unpack(endian + f"{parts[1][2] // 4}i", _data_at(data, parts[1], endian))
    if min(dims) < 0:
        raise bad(f"negative dimension in {dims}")
    count = 1
    for d in dims:
        count *= d
    rest = parts[3:]
    if cls == CELL:
        if len(rest) != count or any(k != MI_MATRIX for _, k, _ in rest):
            raise bad(f"a cell of {count} entries holds {len(rest)} elements")
        return 3
    if cls == STRUCT:
        return len(parts) - sum(k == MI_MATRIX for _, k, _ in parts)
    n_parts = (3 if cls == SPARSE else 1) + complex_
    if len(rest) != n_parts or any(k == MI_MATRIX for _, k, _ in rest):
        raise bad(f"expected {n_parts} data part(s), found {len(rest)}")
    if cls not in (CHAR, SPARSE):
        for _, kind, size in rest:
            if size != count * ITEMSIZE[kind]:
                raise bad(f"data part of {size} bytes for {count} values of {ITEMSIZE[kind]} bytes")
    return len(parts)


def check_elements(data: bytes | memoryview, start: int, end: int, endian: str, path: str,
                   depth: int = 0) -> None:
    """Walk the element tree in ``data[start:end]`` (module doc); DataError at the first invalid element."""
    if depth > MAX_DEPTH:
        raise DataError(f"MATLAB file nests elements more than {MAX_DEPTH} deep", path)
    for pos, kind, size in elements(data, start, end, endian, path):
        if kind == MI_MATRIX:
            parts = elements(data, pos + 8, pos + 8 + size, endian, path)
            plain = check_matrix(data, parts, endian, path, pos)
            for sub, sub_kind, sub_size in parts[plain:]:
                if sub_kind != MI_MATRIX:
                    raise DataError(f"MATLAB array at byte {pos}: unexpected element at byte {sub}", path)
                check_elements(data, sub, sub + 8 + sub_size, endian, path, depth + 1)
        elif kind == MI_COMPRESSED:
            try:
                inner = zlib.decompress(bytes(data[pos + 8:pos + 8 + size]))
            except zlib.error as e:
                raise DataError(f"MATLAB compressed element at byte {pos} does not decompress ({e})",
                                path) from None
            check_elements(inner, 0, len(inner), endian, f"{path} (compressed element at byte {pos})",
                           depth + 1)
        elif depth == 0:
            raise DataError(f"MATLAB top-level element at byte {pos} has type {kind}; expected a matrix",
                            path)


def read_matlab(path: str | Path) -> dict[str, Any]:
    """The variables of a MATLAB v5-v7.2 ``.mat`` file, checked as the module doc says; bad files raise
    DataError."""
    from scipy.io import loadmat  # deferred: scipy; loading the format registry imports this module

    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise DataError(f"cannot read MATLAB file ({e})", str(p)) from None
    if len(raw) < 128 or 0 in raw[:4]:
        raise DataError("not a MATLAB v5 file (no 128-byte header; v4 files are not supported)", str(p))
    endian = {b"IM": "<", b"MI": ">"}.get(raw[126:128])
    if endian is None:
        raise DataError(f"MATLAB header has byte-order mark {raw[126:128]!r}; expected 'IM' or 'MI'", str(p))
    check_elements(memoryview(raw), 128, len(raw), endian, str(p))
    try:
        return loadmat(p)
    except Exception as e:
        raise DataError(f"cannot read MATLAB file ({type(e).__name__}: {str(e)[:200]})", str(p)) from None
