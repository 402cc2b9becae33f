"""Checkpoint layouts of published backbones: how a released key layout becomes a facerep backbone.

Each file adapter (``farl``, ``clip``, ``dinov2``, ``mae``, ``arcface``) registers a *layout*: a
function ``plan(state) -> Plan`` that reads the architecture off the checkpoint's keys and shapes and
renames its tensors onto the module that :attr:`Plan.build` makes. The same plan serves two callers:

- the adapter (real tensors): build, then :func:`load_exact` (no missing, no unexpected keys);
- ``facerep backbones --check`` (meta tensors, nothing loaded): build on the meta device and compare
  key sets and shapes, see :mod:`facerep.backbones.check`.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import DataError
from ..registry import Registry
from .base import Backbone
from .checkpoint import load_checkpoint, state_dict_of


class LayoutMismatch(Exception):
    """The checkpoint is not of this layout; the message says which keys or shapes decide it."""


@dataclass
class Plan:
    """How one checkpoint becomes a backbone.

    ``state`` holds the renamed tensors, keyed as in ``build().state_dict()``; ``ignored`` maps keys of
    the file that are deliberately not loaded (text tower, MAE decoder …) to the reason.
    """

    build: Callable[..., Backbone]  # (image_size=None, **kwargs) -> unloaded backbone
    state: dict[str, torch.Tensor]
    ignored: dict[str, str] = field(default_factory=dict)
    summary: str = ""  # e.g. "ViT-B/16, 12 blocks, width 768"


PlanFn = Callable[[dict[str, torch.Tensor]], Plan]
LAYOUTS: Registry[PlanFn] = Registry("checkpoint layout")
register_layout = LAYOUTS.register

CONTAINER_KEYS = ("state_dict", "model", "module")
# BatchNorm step counters: some releases drop them; unused at inference
OPTIONAL_SUFFIX = "num_batches_tracked"


def strip_prefix(state: dict[str, torch.Tensor], prefixes: tuple[str, ...]) -> dict[str, torch.Tensor]:
    """Drop the first of ``prefixes`` shared by every key (DDP's ``module.`` …)."""
    for p in prefixes:
        if state and all(k.startswith(p) for k in state):
            return {k[len(p):]: v for k, v in state.items()}
    return state


def count_indexed(state: dict[str, Any], prefix: str) -> int:
    """Number of numbered children under ``prefix`` (``blocks.`` -> 1 + the highest N in ``blocks.N.``)."""
    pat = re.compile(re.escape(prefix) + r"(\d+)\.")
    idx = [int(m.group(1)) for k in state if (m := pat.match(k))]
    return max(idx) + 1 if idx else 0


def need(state: dict[str, torch.Tensor], key: str, ndim: int | None = None) -> torch.Tensor:
    """``state[key]``, or :class:`LayoutMismatch` naming the key (and the expected rank)."""
    if key not in state:
        raise LayoutMismatch(f"no key {key!r}")
    v = state[key]
    if ndim is not None and v.ndim != ndim:
        raise LayoutMismatch(f"{key!r} has shape {tuple(v.shape)}, expected {ndim} dimensions")
    return v


def read_state(path: str | Path, *, trust: bool = False) -> dict[str, torch.Tensor]:
    """The tensor dict of a checkpoint file (top level or under state_dict/model/module), loaded
    through safetensors or ``torch.load(weights_only=True)`` (full unpickling only with ``trust``)."""
    return state_dict_of(load_checkpoint(path, trust=trust), str(path), CONTAINER_KEYS)


def diff_state(module: nn.Module, state: dict[str, torch.Tensor]) -> tuple[list[str], list[str], list[str]]:
    """(missing, unexpected, shape mismatches) of ``state`` against ``module.state_dict()``."""
    want = module.state_dict()
    missing = [k for k in want if k not in state and not k.endswith(OPTIONAL_SUFFIX)]
    unexpected = [k for k in state if k not in want]
    shapes = [f"{k}: file {tuple(state[k].shape)} vs model {tuple(want[k].shape)}"
              for k in want if k in state and tuple(state[k].shape) != tuple(want[k].shape)]
    return missing, unexpected, shapes


WRAPPER_PREFIXES = ("model.", "net.")  # adapter attributes holding the released network


def _plain(key: str) -> str:
    return next((key[len(p):] for p in WRAPPER_PREFIXES if key.startswith(p)), key)


def describe_diff(missing: list[str], unexpected: list[str], shapes: list[str], n: int = 6) -> str:
    """One line naming (up to ``n`` of) the missing, unexpected and mis-shaped keys."""
    parts = []
    for what, items in (("missing", missing), ("unexpected", unexpected), ("shape mismatch", shapes)):
        items = [_plain(k) for k in items]
        if items:
            more = f" (+{len(items) - n} more)" if len(items) > n else ""
            parts.append(f"{what} {len(items)}: {', '.join(items[:n])}{more}")
    return "; ".join(parts)


def load_exact(model: Backbone, state: dict[str, torch.Tensor], path: str, layout: str) -> Backbone:
    """Load ``state`` into ``model`` with every key used and every parameter set, or raise DataError."""
    missing, unexpected, shapes = diff_state(model, state)
    if missing or unexpected or shapes:
        raise DataError(f"weights do not fit the {layout} layout: "
                        f"{describe_diff(missing, unexpected, shapes)}", path)
    full = {k: v for k, v in model.state_dict().items() if k.endswith(OPTIONAL_SUFFIX)}
    model.load_state_dict({**full, **state}, strict=True)
    return model


def create_from_file(layout: str, path: str, *, trust_checkpoint: bool = False, image_size: int | None = None,
                     state: dict[str, torch.Tensor] | None = None, **kwargs: Any) -> Backbone:
    """Read ``path``, plan it with ``layout``, build and load exactly. The body of every file adapter."""
    if state is None:
        state = read_state(path, trust=trust_checkpoint)
    try:
        plan = LAYOUTS.get(layout)(state)
    except LayoutMismatch as e:
        raise DataError(f"not a {layout} checkpoint: {e} (run `facerep backbones --check {path}`)",
                        path) from None
    model = load_exact(plan.build(image_size=image_size, **kwargs), plan.state, path, layout)
    model.arch = f"{layout}:{path}"
    model.pretrained_cfg.extra.update({"source": layout, "path": str(path), "layout": plan.summary})
    return model
