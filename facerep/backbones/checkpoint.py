"""Safe checkpoint reading: safetensors, or ``torch.load(weights_only=True)``.

A file that needs full unpickling (arbitrary Python objects, hence arbitrary code) is refused unless
the caller passes ``trust=True`` (the CLI's ``--trust-checkpoint``).
"""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file

from ..errors import DataError


def load_checkpoint(path: str | Path, *, trust: bool = False) -> Any:
    """Load a ``.safetensors`` or torch file without executing code from it (unless ``trust``)."""
    path = Path(path)
    if not path.is_file():
        raise DataError("checkpoint file does not exist", str(path))
    if path.suffix == ".safetensors":
        try:
            return load_file(str(path))
        except Exception as e:  # safetensors raises its own error types
            raise DataError(f"not a valid safetensors file ({e})", str(path)) from None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if not trust:
            raise DataError(
                "refusing to unpickle: the file holds Python objects beyond tensors, and unpickling them "
                "can run arbitrary code. If you trust its source, pass --trust-checkpoint "
                f"(weights_only load said: {str(e).splitlines()[0][:160]})", str(path)) from None
    except (RuntimeError, EOFError, ValueError) as e:
        raise DataError(f"not a readable torch checkpoint ({str(e).splitlines()[0][:200]})",
                        str(path)) from None
    return torch.load(path, map_location="cpu", weights_only=False)


def state_dict_of(obj: Any, path: str | Path,
                  keys: tuple[str, ...] = ("state_dict", "model", "module")) -> dict[str, torch.Tensor]:
    """The tensor dict inside a loaded checkpoint (top level, or under one of ``keys``)."""
    if isinstance(obj, dict):
        for k in keys:
            if k in obj and isinstance(obj[k], dict):
                return obj[k]
        if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            return obj
    raise DataError(f"no state dict found (looked at top level and under {', '.join(keys)})", str(path))
