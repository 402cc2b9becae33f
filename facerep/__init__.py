"""facerep: facial representation learning — pre-training, dataset curation, few-shot face benchmark.

Small public API (imported lazily so that ``import facerep`` stays fast)::

    facerep.create_backbone("timm:resnet18")
    facerep.load_dataset("synth:ids=20,per_id=10")
    facerep.evaluate(backbone=..., tasks=..., data=..., protocol=...)
    facerep.pretrain(cfg)
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "create_backbone": ("facerep.backbones", "create_backbone"),
    "load_dataset": ("facerep.data.formats", "load_dataset"),
    "FaceSample": ("facerep.data.sample", "FaceSample"),
    "evaluate": ("facerep.bench.api", "evaluate"),
    "pretrain": ("facerep.pretrain.api", "pretrain"),
    "synth": ("facerep.data.synth", "SynthDataset"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'facerep' has no attribute {name!r}")


__all__ = ["__version__", *_LAZY]
