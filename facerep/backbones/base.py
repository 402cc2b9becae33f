"""The backbone contract every adapter meets.

A backbone is an ``nn.Module`` with

- ``num_features``: D, the width of ``pooled``;
- ``pretrained_cfg``: :class:`PretrainedCfg` (mean, std, input size, crop convention) — it travels
  with the weights (``backbone.json``);
- ``forward_features(x) -> {"pooled": [B, D], "maps": [[B, C_i, H_i, W_i], …]}`` with ``x`` a
  [B, 3, H, W] float batch already normalised with ``pretrained_cfg.mean/std``. ``maps`` go from
  high to low resolution; dense tasks use them, global tasks use ``pooled``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass
class PretrainedCfg:
    """How to feed a backbone: the preprocessing its weights expect."""

    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    input_size: int = 224
    # how faces are cropped: "face-box" (box + margin), "aligned-5pt" (ArcFace template), "full"
    crop: str = "face-box"
    margin: float = 0.2  # relative box margin for crop="face-box"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["mean"], d["std"] = list(self.mean), list(self.std)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PretrainedCfg:
        known = {k: d[k] for k in ("mean", "std", "input_size", "crop", "margin", "extra") if k in d}
        for k in ("mean", "std"):
            if k in known:
                known[k] = tuple(float(v) for v in known[k])
        return cls(**known)


class Backbone(nn.Module):
    """Base class of adapters. Subclasses set ``num_features``/``pretrained_cfg`` and implement
    :meth:`forward_features`. ``arch`` is the registry string that rebuilds the architecture."""

    num_features: int
    pretrained_cfg: PretrainedCfg
    arch: str

    def forward_features(self, x: torch.Tensor) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``pooled`` features [B, D]."""
        return self.forward_features(x)["pooled"]

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """[B, 3, H, W] in [0, 1] -> normalised with this backbone's mean/std."""
        mean = torch.tensor(self.pretrained_cfg.mean, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        std = torch.tensor(self.pretrained_cfg.std, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        return (x - mean) / std

    @property
    def map_channels(self) -> list[int]:
        """Channels C_i of each entry of ``maps`` (computed once with a tiny forward)."""
        if not hasattr(self, "_map_channels"):
            size = max(32, min(self.pretrained_cfg.input_size, 64))
            was = self.training
            self.eval()
            with torch.no_grad():
                p = next(self.parameters(), None)
                dev = p.device if p is not None else "cpu"
                maps = self.forward_features(torch.zeros(1, 3, size, size, device=dev))["maps"]
            self.train(was)
            self._map_channels = [int(m.shape[1]) for m in maps]
        return self._map_channels
