"""Tiny pre-training setups: random 40 px faces, timm test models at 32 px, small heads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pretrain_helpers import TINY_HEADS, backbone_for

from facerep.config import PretrainConfig, resolve_config


@pytest.fixture
def make_cfg(tmp_path) -> Callable[..., PretrainConfig]:
    def make(method: str = "swav", *overrides: str, **values: Any) -> PretrainConfig:
        base: dict[str, Any] = {
            "method": method,
            "backbone": backbone_for(method),
            "steps": 3,
            "batch_size": 4,
            "image_size": 32,
            "out": str(tmp_path / "out"),
            "num_workers": 0,
            "log_every": 1,
            "lr": 1e-3,
            "warmup_steps": 0,
            "accelerator": "cpu",
        }
        base.update(values)
        cfg = resolve_config(PretrainConfig, None, [*TINY_HEADS, *overrides], **base)
        if method == "supervised" and cfg.options.num_classes == 0:
            cfg.options.num_classes = 4
        return cfg

    return make
