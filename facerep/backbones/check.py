"""``facerep backbones --check PATH``: which released layout a checkpoint file has, and which adapter loads
it.

Nothing from the file is run and no tensor data is read: safetensors headers give names and shapes;
torch zip files (``torch.save``, TorchScript) are read by an unpickler that never imports what the
file names — it builds meta tensors (shape only) and inert stand-ins for every other object. Each
registered layout then plans the file (:mod:`facerep.backbones._layout`), builds its model on the
meta device and compares key sets and shapes: missing, unexpected and mismatched keys.
"""
from __future__ import annotations

import pickle
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open

from ..errors import DataError
from . import _ensure_loaded
from ._layout import CONTAINER_KEYS, LAYOUTS, LayoutMismatch, Plan, describe_diff, diff_state, register_layout
from .base import Backbone
from .torchvision_models import TorchvisionResNet

STORAGE_DTYPES = {"FloatStorage": torch.float32, "DoubleStorage": torch.float64, "HalfStorage": torch.float16,
                  "BFloat16Storage": torch.bfloat16, "LongStorage": torch.int64, "IntStorage": torch.int32,
                  "ShortStorage": torch.int16, "CharStorage": torch.int8, "ByteStorage": torch.uint8,
                  "BoolStorage": torch.bool}


class _Stub:
    """Stands in for any object the file names; records its arguments and state, runs nothing."""

    qualname = "?"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.state = args, None

    def __setstate__(self, state: Any) -> None:
        self.state = state


@dataclass(frozen=True)
class _StorageType:
    dtype: torch.dtype


def _rebuild_tensor(storage: _StorageType, offset: int, size: Any, *rest: Any) -> torch.Tensor:
    return torch.empty(tuple(size), dtype=storage.dtype, device="meta")


SAFE_GLOBALS = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): lambda data, *a: data,
    ("torch._utils", "_rebuild_parameter_with_state"): lambda data, *a: data,
    ("torch._tensor", "_rebuild_from_type_v2"): lambda func, new_type, args, state: func(*args),
}


class _MetaUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in SAFE_GLOBALS:
            return SAFE_GLOBALS[(module, name)]
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(STORAGE_DTYPES[name])
        return type(name, (_Stub,), {"qualname": f"{module}.{name}"})

    def persistent_load(self, pid: Any) -> Any:  # ('storage', storage_type, key, location, numel)
        kind = pid[1] if isinstance(pid, tuple) and len(pid) > 1 else None
        return kind if isinstance(kind, _StorageType) else _StorageType(torch.float32)


def _flatten(obj: Any, prefix: str, out: dict[str, torch.Tensor], depth: int = 0) -> None:
    """Tensors reachable through dicts and stand-in objects' state, keyed by their dotted path."""
    if depth > 64:
        return
    if isinstance(obj, torch.Tensor):
        out[prefix.rstrip(".")] = obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _flatten(v, f"{prefix}{k}.", out, depth + 1)
    elif isinstance(obj, _Stub):
        _flatten(obj.state, prefix, out, depth + 1)


@dataclass
class FileMeta:
    """Names and shapes of a checkpoint's tensors (meta tensors), read without running the file."""

    state: dict[str, torch.Tensor]
    kind: str  # "safetensors", "torch", "torchscript", "torch (legacy format)"
    container: str | None = None  # the key the state dict sits under
    needs_trust: list[str] = field(default_factory=list)  # why weights_only loading refuses it


def _read_zip(path: Path) -> FileMeta:
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        pkl = min((n for n in names if n.endswith("data.pkl")), key=len, default=None)
        if pkl is None:
            raise DataError("a zip file without data.pkl: not a torch checkpoint", str(path))
        torchscript = any(n.endswith("/constants.pkl") or "/code/" in n for n in names)
        with z.open(pkl) as f:
            obj = _MetaUnpickler(f).load()
    if torchscript:
        state: dict[str, torch.Tensor] = {}
        _flatten(obj, "", state)
        return FileMeta(state, "torchscript", None, ["TorchScript code (torch.jit.load would run it)"])
    unsafe = list(torch.serialization.get_unsafe_globals_in_checkpoint(str(path)))
    return _unwrap(obj, path, "torch", unsafe)


def _unwrap(obj: Any, path: Path, kind: str, unsafe: list[str]) -> FileMeta:
    if isinstance(obj, dict):
        for k in CONTAINER_KEYS:
            if isinstance(obj.get(k), dict):
                flat: dict[str, torch.Tensor] = {}
                _flatten(obj[k], "", flat)
                return FileMeta(flat, kind, k, unsafe)
    flat = {}
    _flatten(obj, "", flat)
    if not flat:
        raise DataError("no tensors found in the file", str(path))
    return FileMeta(flat, kind, None, unsafe)


def read_meta(path: str | Path) -> FileMeta:
    """Tensor names and shapes of ``path`` (safetensors or torch file), running nothing from it."""
    path = Path(path)
    if not path.is_file():
        raise DataError("checkpoint file does not exist", str(path))
    if path.suffix == ".safetensors":
        try:
            with safe_open(str(path), framework="pt") as f:
                names = list(f.keys())
                state = {k: torch.empty(f.get_slice(k).get_shape(), device="meta") for k in names}
        except (SafetensorError, OSError) as e:
            raise DataError(f"not a valid safetensors file ({e})", str(path)) from None
        return FileMeta(state, "safetensors")
    if zipfile.is_zipfile(path):
        try:
            return _read_zip(path)
        except (pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError) as e:
            raise DataError(f"cannot read the pickle inside ({type(e).__name__}: {e})", str(path)) from None
    try:  # torch's legacy (pre-1.6) format: weights_only loading is safe and also reads the data
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as e:
        raise DataError("legacy-format torch file that cannot be read without full unpickling "
                        f"({str(e).splitlines()[0][:160]})", str(path)) from None
    return _unwrap(obj, path, "torch (legacy format)", [])


@dataclass
class LayoutResult:
    """How one layout fits the file."""

    layout: str
    fits: bool
    summary: str = ""
    reason: str = ""  # why the layout cannot even be planned (LayoutMismatch)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    shapes: list[str] = field(default_factory=list)
    ignored: dict[str, str] = field(default_factory=dict)
    matched: int = 0  # keys of the file that land on a model key of the right shape

    def line(self) -> str:
        if self.fits:
            return (f"{self.layout}: fits ({self.summary}); ignored {len(self.ignored)} keys"
                    + _why_ignored(self.ignored))
        if self.reason:
            return f"{self.layout}: no ({self.reason})"
        return (f"{self.layout}: no, {self.matched} keys fit; "
                f"{describe_diff(self.missing, self.unexpected, self.shapes)}")


def _why_ignored(ignored: dict[str, str]) -> str:
    reasons = sorted(set(ignored.values()))
    return f" [{'; '.join(reasons)}]" if reasons else ""


def match_layout(name: str, state: dict[str, torch.Tensor]) -> LayoutResult:
    """Plan ``state`` with layout ``name``, build its model on the meta device and compare."""
    _ensure_loaded()
    try:
        with torch.device("meta"):
            plan = LAYOUTS.get(name)(state)
            model = plan.build()
    except LayoutMismatch as e:
        return LayoutResult(name, False, reason=str(e))
    missing, unexpected, shapes = diff_state(model, plan.state)
    bad = {s.split(":")[0] for s in shapes}
    matched = sum(1 for k in plan.state if k not in unexpected and k not in bad)
    return LayoutResult(name, not (missing or unexpected or shapes), plan.summary, "", missing, unexpected,
                        shapes, plan.ignored, matched)


@dataclass
class CheckReport:
    path: str
    meta: FileMeta
    results: list[LayoutResult]

    @property
    def fits(self) -> list[str]:
        """Layouts (= adapter names) that load the file, most specific first."""
        return [r.layout for r in self.results if r.fits]

    def text(self) -> str:
        m = self.meta
        where = f" under {m.container!r}" if m.container else ""
        lines = [f"{self.path}: {m.kind} file, {len(m.state)} tensors{where}"]
        if m.needs_trust:
            lines.append("  loading needs --trust-checkpoint: it holds " + ", ".join(m.needs_trust[:6]))
        if self.fits:
            lines.append(f"  layout: {self.fits[0]} -> load with {self.fits[0]}:{self.path}")
            if len(self.fits) > 1:
                lines.append(f"  also loads as: {', '.join(self.fits[1:])}" + _same_keys_note(self.fits))
        else:
            first = ", ".join(f"{k} {tuple(v.shape)}" for k, v in list(m.state.items())[:4])
            lines.append(f"  no adapter loads this file (first keys: {first})")
        ranked = sorted(self.results, key=lambda r: (not r.fits, -r.matched, r.layout))
        lines += ["  " + r.line() for r in ranked]
        return "\n".join(lines)


def _same_keys_note(fits: list[str]) -> str:
    if {"clip", "openclip"} <= set(fits):
        return (" (clip and openclip read the same keys; the file does not say the MLP activation: OpenAI "
                "weights and their fine-tunes use clip (QuickGELU), towers trained with open_clip use "
                "openclip (GELU))")
    return ""


PREFERENCE = ("arcface", "dinov2", "mae", "frl", "clip", "openclip", "farl")


def check_checkpoint(path: str | Path) -> CheckReport:
    """Identify the layout of ``path`` by its keys and shapes; see :class:`CheckReport`."""
    _ensure_loaded()  # every adapter module registers its layout
    meta = read_meta(path)
    order = list(PREFERENCE)
    if meta.container == "state_dict":  # FaRL's release wraps the CLIP state dict like this
        order.insert(0, order.pop(order.index("farl")))
    names = sorted(LAYOUTS.list(), key=lambda n: order.index(n) if n in order else len(order))
    return CheckReport(str(path), meta, [match_layout(n, meta.state) for n in names])


FRL_PREFIX = "module.base_net."


@register_layout("frl", description="FRL paper ResNet-50 (keys module.base_net.*)")
def plan_frl(state: dict[str, torch.Tensor]) -> Plan:
    """The layout that :mod:`facerep.backbones.frl` loads: a torchvision ResNet-50 under
    ``module.base_net.``."""
    base = {k[len(FRL_PREFIX):]: v for k, v in state.items() if k.startswith(FRL_PREFIX)}
    if not base:
        raise LayoutMismatch(f"no keys start with {FRL_PREFIX!r}")
    ignored = {k: "pre-training heads (projection, prototypes, classifier)" for k in state
               if not k.startswith(FRL_PREFIX) or k[len(FRL_PREFIX):].startswith("fc.")}

    def build(image_size: int | None = None, **kwargs: Any) -> Backbone:
        return TorchvisionResNet("resnet50", image_size=image_size)

    kept = {"model." + k: v for k, v in base.items() if not k.startswith("fc.")}
    return Plan(build, kept, ignored, "torchvision ResNet-50")
