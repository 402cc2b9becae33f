"""``SynthDataset``: the lazy, deterministic synthetic face dataset, registered as the format ``synth``.

``load_dataset("synth:ids=200,per_id=20,size=112,seed=0")`` — options after ``synth:`` are the fields
of :class:`facerep.config.SynthConfig` (``ids``, ``per_id``, ``size``, ``seed``, ``video_frames``,
``yaw``, ``pitch``, ``roll``, ``degrade``, ``vary``, ``vary_levels``), comma separated; ``synth:`` alone
gives the defaults.

Sample ``i`` is identity ``i // per_id`` (still images) or, with ``video_frames=F``, identity
``i // (per_id * F)``, clip ``(i // F) % per_id``, frame ``i % F``; with ``vary=ATTR`` each of these is
rendered at ``vary_levels`` values of ATTR (see :mod:`.vary`). A sample depends only on (seed, i).
There are no official splits: ``split=None`` gives every sample (the bench makes identity-disjoint
splits). Labels follow :mod:`facerep.data.sample`; see :mod:`.renderer` for the left/right and pose
conventions and :mod:`.generator` for expressions, AUs, valence/arousal and attributes.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch.utils.data

from ...config import SynthConfig
from ...errors import ConfigError, DataError
from ..formats import register_format
from ..sample import LABEL_KINDS, DatasetInfo, FaceSample
from ..vocab import DISFA_AUS, EXPRESSIONS8, LAPA11
from . import template as T
from .generator import (
    ATTRIBUTES,
    GROUPS,
    PoseRange,
    attributes,
    groups,
    rng_for,
    sample_identity,
    sample_scene,
    valence_arousal,
)
from .params import IdentityParams, SceneParams
from .renderer import render
from .vary import apply_vary, check_vary
from .video import clip_scene

_BOX_POINTS = np.concatenate([np.arange(17), T.FOREHEAD])  # the face box: jaw and forehead points
_LIMITS: dict[str, tuple[float, float]] = {
    "ids": (1, 10**7), "per_id": (1, 10**6), "size": (32, 1024), "video_frames": (0, 10**4),
    "yaw": (0, 60), "pitch": (0, 40), "roll": (0, 45), "seed": (0, 2**32 - 1),
}


def _convert(key: str, text: str, kind: type) -> Any:
    try:
        if kind is bool:
            if text.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError
            return text.lower() in ("1", "true", "yes")
        return kind(text)
    except ValueError:
        raise ConfigError(f"synth: option {key}={text!r} is not a valid {kind.__name__}") from None


def check_config(cfg: SynthConfig) -> SynthConfig:
    """Range checks of a :class:`SynthConfig` (filling the default ``vary_levels``); a bad value raises
    ConfigError naming the option."""
    for key, (lo, hi) in _LIMITS.items():
        v = getattr(cfg, key)
        if not lo <= v <= hi:
            raise ConfigError(f"synth: option {key}={v} is out of range [{lo:g}, {hi:g}]")
    if cfg.vary and cfg.vary_levels == 0:
        cfg = dataclasses.replace(cfg, vary_levels=2 if cfg.vary in ("glasses", "beard", "age") else 5)
    if not cfg.vary and cfg.vary_levels:
        raise ConfigError("synth: vary_levels is set but vary (the attribute to vary) is not")
    check_vary(cfg.vary, cfg.vary_levels)
    return cfg


def parse_synth_options(text: str) -> SynthConfig:
    """``"ids=20,per_id=10,size=64"`` -> SynthConfig; unknown or malformed options raise ConfigError."""
    types = {f.name: f.type for f in dataclasses.fields(SynthConfig)}
    kinds = {"int": int, "float": float, "bool": bool, "str": str}
    values: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.strip().split(","))):
        key, eq, value = part.partition("=")
        key = key.strip()
        if not eq or not key or not value.strip():
            raise ConfigError(f"synth: option {part!r} is not of the form key=value (e.g. "
                              "synth:ids=20,per_id=10)")
        if key not in types:
            raise ConfigError(f"synth: unknown option {key!r}; valid options: {', '.join(types)}")
        values[key] = _convert(key, value.strip(), kinds[str(types[key])])
    return check_config(SynthConfig(**values))


def synth_info(cfg: SynthConfig) -> DatasetInfo:
    return DatasetInfo(
        name="synth", provides=frozenset(LABEL_KINDS), landmark_scheme="68", mask_classes=LAPA11,
        expression_classes=EXPRESSIONS8, au_codes=DISFA_AUS, attribute_names=ATTRIBUTES, group_names=GROUPS,
        extra={"config": dataclasses.asdict(cfg),
               "pose": "yaw>0 nose to image right, pitch>0 up, roll>0 clockwise"})


class SynthDataset(torch.utils.data.Dataset):
    """Lazy synthetic faces; ``ds[i]`` renders sample i (same bytes for the same seed and i)."""

    def __init__(self, cfg: SynthConfig | None = None, **overrides: Any) -> None:
        self.cfg = check_config(dataclasses.replace(cfg or SynthConfig(), **overrides))
        self.info = synth_info(self.cfg)
        self.poses = PoseRange(self.cfg.yaw, self.cfg.pitch, self.cfg.roll)

    def __len__(self) -> int:
        return self.cfg.ids * self.cfg.per_id * max(self.cfg.video_frames, 1) * self._levels

    @property
    def _levels(self) -> int:
        return self.cfg.vary_levels if self.cfg.vary else 1

    def identity_of(self, index: int) -> int:
        return index // (self.cfg.per_id * max(self.cfg.video_frames, 1) * self._levels)

    def params(self, index: int) -> tuple[int, IdentityParams, SceneParams, str | None, int | None]:
        """(identity, identity parameters, scene, video id, frame) of sample ``index``."""
        cfg, n = self.cfg, len(self)
        if not -n <= index < n:
            raise IndexError(f"synth: index {index} out of range for {n} samples")
        index %= n
        identity = self.identity_of(index)
        ip = sample_identity(cfg.seed, identity)
        if cfg.vary:
            ip = apply_vary(ip, cfg.vary, index % self._levels, self._levels)
            index //= self._levels
        if cfg.video_frames > 0:
            clip, frame = (index // cfg.video_frames) % cfg.per_id, index % cfg.video_frames
            scene = clip_scene(cfg.seed, identity, clip, frame, cfg.video_frames, self.poses, cfg.degrade)
            return identity, ip, scene, f"synth_{identity:06d}_clip{clip:03d}", frame
        return identity, ip, sample_scene(rng_for(cfg.seed, index, 2), self.poses, cfg.degrade), None, None

    def __getitem__(self, index: int) -> FaceSample:
        identity, ip, scene, video, frame = self.params(int(index))
        return make_sample(ip, scene, self.cfg.size, identity, video, frame,
                           f"synth/{int(index) % len(self):08d}")


def make_sample(ip: IdentityParams, scene: SceneParams, size: int, identity: int, video: str | None = None,
                frame: int | None = None, path: str | None = None) -> FaceSample:
    """Render and label one face."""
    r = render(ip, scene, size)
    pts = r.points
    face = pts[_BOX_POINTS, :2]
    x0, y0, x1, y1 = (min(max(v, 0.0), size - 1.0) for v in face.min(0).tolist() + face.max(0).tolist())
    v, a = valence_arousal(scene)
    gap = float(r.shape[66, 1] - r.shape[62, 1])
    lm3 = pts[:T.N68].astype(np.float32)
    return FaceSample(
        image=r.image, identity=identity, landmarks2d=lm3[:, :2].copy(), landmarks3d=lm3, mask=r.mask,
        au=scene.au.astype(np.float32),
        expression=scene.expression, valence=v, arousal=a, attributes=attributes(ip, scene, gap),
        pose=np.asarray(scene.pose, np.float32), box=(x0, y0, x1, y1),
        subject=f"synth_{identity:06d}", video=video, frame=frame, path=path, groups=groups(ip))


@register_format("synth",
                 description="embedded synthetic faces with every label (synth:ids=200,per_id=20,size=112)")
class FormatSynth:
    provides = frozenset(LABEL_KINDS)
    splits: tuple[str, ...] = ()

    def open(self, path: str, split: str | None = None) -> SynthDataset:
        if split is not None:
            raise DataError(f"synth: no official split {split!r} (synthetic data has none; use split=None "
                            "and make identity-disjoint splits)")
        return SynthDataset(parse_synth_options(path))
