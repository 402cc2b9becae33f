"""Read TensorFlow.js weights: a ``*-weights_manifest.json`` and its ``.bin`` shards -> named numpy arrays.

The manifest is a JSON list of groups ``{"paths": [shard, …], "weights": [spec, …]}``; a group's shards,
concatenated in order, hold its tensors back to back, each ``prod(shape) * itemsize`` bytes, in the order of
``weights``. A spec is ``{"name", "shape", "dtype"}`` plus an optional ``"quantization"``:

- ``{"dtype": "uint8" | "uint16", "scale": s, "min": m}``: stored as unsigned integers q, value = q * s + m
  (computed in float64, then rounded to the tensor's dtype: float32, or int32 by rounding half up as
  ``Math.round`` does);
- ``{"dtype": "float16"}``: stored as IEEE half floats, value = the half float as float32.

Unquantised tensors are stored as their dtype (float32, int32: 4 bytes; bool: 1). Bytes are little-endian, as
TF.js writes them. This follows the format written by ``tensorflowjs_converter`` and read by
``tf.io.decodeWeights`` (tfjs-core ``io_utils.ts``). Every byte count is checked: a short, long, missing or
malformed file, an unknown dtype or a duplicate name raises :class:`~facerep.errors.DataError` naming the file
and the tensor.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import DataError

DTYPES: dict[str, np.dtype[Any]] = {"float32": np.dtype("<f4"), "int32": np.dtype("<i4"),
                                    "bool": np.dtype("u1")}
QUANT_DTYPES: dict[str, np.dtype[Any]] = {"uint8": np.dtype("u1"), "uint16": np.dtype("<u2"),
                                          "float16": np.dtype("<f2")}


@dataclass(frozen=True)
class WeightSpec:
    """One tensor of a manifest: name, shape, dtype, optional quantization, and its group's shard files."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    quantization: dict[str, Any] | None
    shards: tuple[Path, ...]

    @property
    def stored_dtype(self) -> np.dtype[Any]:
        """The numpy dtype of the stored elements."""
        return QUANT_DTYPES[self.quantization["dtype"]] if self.quantization else DTYPES[self.dtype]

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.stored_dtype.itemsize


def _spec(raw: Any, index: int, shards: tuple[Path, ...], path: Path) -> WeightSpec:
    """Validate one manifest entry (``index`` counts entries over all groups)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise DataError(f"weight entry {index} has no name (expected an object with name, shape, dtype)",
                        str(path))
    name = raw["name"]
    shape = raw.get("shape")
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise DataError(f"tensor {name!r}: shape must be a list of non-negative integers, got {shape!r}",
                        str(path))
    dtype = raw.get("dtype")
    if dtype not in DTYPES:
        raise DataError(f"tensor {name!r}: unknown dtype {dtype!r} (supported: {', '.join(DTYPES)})",
                        str(path))
    quant = raw.get("quantization")
    if quant is not None:
        qd = quant.get("dtype") if isinstance(quant, dict) else None
        if qd not in QUANT_DTYPES:
            raise DataError(f"tensor {name!r}: unknown quantization dtype {qd!r} (supported: "
                            f"{', '.join(QUANT_DTYPES)})", str(path))
        if qd == "float16" and dtype != "float32":
            raise DataError(f"tensor {name!r}: float16 quantization of a {dtype} tensor", str(path))
        if qd != "float16":
            if dtype == "bool":
                raise DataError(f"tensor {name!r}: {qd} quantization of a bool tensor", str(path))
            bad = [k for k in ("scale", "min") if not isinstance(quant.get(k), (int, float))]
            if bad:
                raise DataError(f"tensor {name!r}: {qd} quantization without a numeric {' and '.join(bad)}",
                                str(path))
    return WeightSpec(name, tuple(shape), dtype, quant, shards)


def read_manifest(path: str | Path) -> list[WeightSpec]:
    """The tensors a manifest declares, in storage order. Shard paths are resolved next to the manifest."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise DataError(f"cannot read the weights manifest ({e.strerror or e})", str(path)) from None
    except UnicodeDecodeError:
        raise DataError("not a JSON weights manifest (not UTF-8 text)", str(path)) from None
    try:
        groups = json.loads(text)
    except json.JSONDecodeError as e:
        raise DataError(f"not a JSON weights manifest: {e.msg} (column {e.colno})", str(path),
                        e.lineno) from None
    if not isinstance(groups, list) or not groups:
        raise DataError("a weights manifest is a non-empty JSON list of {paths, weights} groups", str(path))
    specs: list[WeightSpec] = []
    seen: set[str] = set()
    for g, group in enumerate(groups):
        ok = isinstance(group, dict) and all(isinstance(group.get(k), list) for k in ("paths", "weights"))
        if not ok or not all(isinstance(p, str) for p in group["paths"]):
            raise DataError(f"group {g} needs a list of shard 'paths' and a list of 'weights'", str(path))
        shards = tuple(path.parent / p for p in group["paths"])
        for raw in group["weights"]:
            spec = _spec(raw, len(specs), shards, path)
            if spec.name in seen:
                raise DataError(f"tensor {spec.name!r} is declared twice", str(path))
            seen.add(spec.name)
            specs.append(spec)
    return specs


def _read_group(shards: tuple[Path, ...], manifest: Path) -> tuple[bytes, list[tuple[Path, int]]]:
    """The concatenated bytes of a group's shards, and each shard's (path, end offset)."""
    chunks, ends, total = [], [], 0
    for shard in shards:
        try:
            data = shard.read_bytes()
        except OSError as e:
            raise DataError(f"cannot read the weights shard {shard.name} listed in {manifest.name} "
                            f"({e.strerror or e})", str(shard)) from None
        chunks.append(data)
        total += len(data)
        ends.append((shard, total))
    return b"".join(chunks), ends


def _shard_at(ends: list[tuple[Path, int]], offset: int) -> Path:
    """The shard that holds byte ``offset`` of its group (the last shard if past the end)."""
    return next((p for p, end in ends if offset < end), ends[-1][0])


def _decode(spec: WeightSpec, raw: bytes) -> np.ndarray:
    """One tensor's bytes -> its values (float32 / int32 / bool), reshaped."""
    stored = np.frombuffer(raw, dtype=spec.stored_dtype)
    q = spec.quantization
    if q is None:
        values = stored.astype({"bool": bool, "int32": np.int32, "float32": np.float32}[spec.dtype])
    elif q["dtype"] == "float16":
        values = stored.astype(np.float32)
    else:
        real = stored.astype(np.float64) * float(q["scale"]) + float(q["min"])
        values = np.floor(real + 0.5).astype(np.int32) if spec.dtype == "int32" else real.astype(np.float32)
    return values.reshape(spec.shape)


def load_weights(manifest: str | Path) -> dict[str, np.ndarray]:
    """Every tensor of a TF.js manifest by name: float32 (dequantised), int32 or bool arrays.

    Raises :class:`DataError` naming the file (and tensor) for a malformed manifest, an unreadable shard, a
    group whose shards end inside a tensor (the error names that tensor and the bytes expected) or hold bytes
    past the last tensor."""
    manifest = Path(manifest)
    specs = read_manifest(manifest)
    out: dict[str, np.ndarray] = {}
    by_group: dict[tuple[Path, ...], list[WeightSpec]] = {}
    for spec in specs:
        by_group.setdefault(spec.shards, []).append(spec)
    for shards, group in by_group.items():
        if not shards:
            raise DataError(f"tensor {group[0].name!r} belongs to a group with no shard paths", str(manifest))
        data, ends = _read_group(shards, manifest)
        offset = 0
        for spec in group:
            end = offset + spec.nbytes
            if end > len(data):
                shard = _shard_at(ends, len(data) - 1 if data else 0)
                raise DataError(f"truncated: the file ends inside tensor {spec.name!r} (bytes "
                                f"{offset}..{end} of its group; the shards hold {len(data)})", str(shard))
            out[spec.name] = _decode(spec, data[offset:end])
            offset = end
        if offset != len(data):
            raise DataError(f"{len(data) - offset} bytes past the last tensor {group[-1].name!r} (the "
                            f"manifest {manifest.name} declares {offset} bytes): corrupt shard or wrong "
                            "manifest",
                            str(ends[-1][0]))
    return out


def write_weights(manifest: str | Path, tensors: dict[str, np.ndarray], *,
                  quantize: dict[str, str] | None = None, shard_bytes: int = 4 << 20) -> Path:
    """Write ``tensors`` as a TF.js manifest + shards (one group); ``quantize`` maps a name to
    ``uint8``/``uint16``/``float16``; ``shard_bytes`` splits the data into shard files. The inverse of
    :func:`load_weights` up to quantization error. Returns the manifest path."""
    manifest = Path(manifest)
    stem = manifest.name.removesuffix("-weights_manifest.json").removesuffix(".json")
    quantize = quantize or {}
    specs, blobs = [], []
    for name, arr in tensors.items():
        arr = np.asarray(arr)
        integer = np.issubdtype(arr.dtype, np.integer)
        dtype = "bool" if arr.dtype == bool else ("int32" if integer else "float32")
        spec: dict[str, Any] = {"name": name, "shape": list(arr.shape), "dtype": dtype}
        qd = quantize.get(name)
        if qd == "float16":
            blob = arr.astype("<f2").tobytes()
            spec["quantization"] = {"dtype": "float16"}
        elif qd in ("uint8", "uint16"):
            top = 255 if qd == "uint8" else 65535
            lo, hi = float(arr.min()), float(arr.max())
            scale = (hi - lo) / top if hi > lo else 1.0
            q = np.clip(np.round((arr.astype(np.float64) - lo) / scale), 0, top)
            blob = q.astype(QUANT_DTYPES[qd]).tobytes()
            spec["quantization"] = {"dtype": qd, "scale": scale, "min": lo}
        else:
            blob = arr.astype(DTYPES[dtype]).tobytes()
        specs.append(spec)
        blobs.append(blob)
    data = b"".join(blobs)
    n = max(1, math.ceil(len(data) / shard_bytes))
    paths = [f"{stem}.bin" if n == 1 else f"{stem}-shard{i + 1}of{n}.bin" for i in range(n)]
    manifest.parent.mkdir(parents=True, exist_ok=True)
    for i, p in enumerate(paths):
        (manifest.parent / p).write_bytes(data[i * shard_bytes:(i + 1) * shard_bytes])
    manifest.write_text(json.dumps([{"paths": paths, "weights": specs}]))
    return manifest
