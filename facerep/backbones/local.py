"""``local:DIR`` (or a bare DIR) — a backbone written by facerep: ``backbone.safetensors`` holding the
weights and ``backbone.json`` holding ``arch`` (the spec that rebuilds it), ``pretrained_cfg`` and
provenance (method, data, steps, seed, facerep version)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from safetensors.torch import save_file

from .. import __version__
from ..errors import DataError
from ..io import atomic_write, atomic_write_text
from . import create_backbone, register_backbone
from .base import Backbone, PretrainedCfg
from .checkpoint import load_checkpoint

WEIGHTS, META = "backbone.safetensors", "backbone.json"


def save_backbone(model: Backbone, out_dir: str | Path, **provenance: Any) -> Path:
    """Write ``model`` as a facerep backbone directory (atomic files). Returns the directory."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write(out / WEIGHTS, lambda tmp: save_file(tensors, tmp))
    meta = {"arch": model.arch, "num_features": model.num_features,
            "pretrained_cfg": model.pretrained_cfg.to_dict(), "facerep_version": __version__, **provenance}
    atomic_write_text(out / META, json.dumps(meta, indent=2, default=str))
    return out


@register_backbone("local",
                   description="a directory written by facerep (backbone.safetensors + backbone.json)")
def create_local(path: str, *, pretrained: bool = False, **kwargs: Any) -> Backbone:
    d = Path(path)
    meta_path = d / META
    if not meta_path.is_file():
        raise DataError(f"no {META} here: not a facerep backbone directory", str(d))
    try:
        meta = json.loads(meta_path.read_text())
        arch = meta["arch"]
    except (json.JSONDecodeError, KeyError) as e:
        raise DataError(f"malformed backbone description ({e})", str(meta_path)) from None
    cfg = PretrainedCfg.from_dict(meta.get("pretrained_cfg", {}))
    # the architecture must match the saved weights (e.g. a ViT's position grid): the saved input size
    kwargs.pop("image_size", None)
    kwargs.pop("trust_checkpoint", None)  # weights are safetensors
    model = create_backbone(arch, pretrained=False, image_size=cfg.input_size, **kwargs)
    state = load_checkpoint(d / WEIGHTS)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise DataError(f"weights do not fit {arch}: missing {missing[:5]}, unexpected {unexpected[:5]}",
                        str(d / WEIGHTS))
    model.pretrained_cfg = cfg
    model.provenance = meta
    return model
