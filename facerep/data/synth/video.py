"""Video mode: clips of one identity whose pose, expression strength, gaze and framing drift smoothly
from a start scene to an end scene (smoothstep in time plus a slow sway). Light, background and
degradation settings are fixed per clip; only the sensor noise pattern changes from frame to frame.
"""
from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from .generator import PoseRange, au_noise, aus_from_noise, rng_for, sample_scene
from .params import SceneParams


@lru_cache(maxsize=256)
def _clip_ends(seed: int, identity: int, clip: int, poses: PoseRange,
               degrade: bool) -> tuple[SceneParams, SceneParams, np.ndarray]:
    """(start scene, end scene, AU noise [24]) of one clip: drawn once per clip, shared by its frames
    (bounded cache; the cached objects are never modified, frames are built with dataclasses.replace)."""
    start = sample_scene(rng_for(seed, identity, clip, 3), poses, degrade)
    end = sample_scene(rng_for(seed, identity, clip, 4), poses, degrade)
    noise = au_noise(rng_for(seed, identity, clip, 5))
    noise.setflags(write=False)
    return start, end, noise


def clip_scene(seed: int, identity: int, clip: int, frame: int, n_frames: int, poses: PoseRange,
               degrade: bool = True) -> SceneParams:
    """The scene of one frame of clip ``clip`` of ``identity`` (deterministic in all arguments)."""
    start, end, noise = _clip_ends(int(seed), int(identity), int(clip), poses, bool(degrade))
    t = frame / max(n_frames - 1, 1)
    w = t * t * (3.0 - 2.0 * t)
    sway = np.sin(np.pi * t) * 0.15

    def lerp(a: npt.ArrayLike, b: npt.ArrayLike) -> np.ndarray:
        return (1.0 - w) * np.asarray(a, np.float64) + w * np.asarray(b, np.float64)

    limits = np.array([poses.yaw, poses.pitch, poses.roll])
    pose = np.clip(lerp(start.pose, end.pose) + sway * limits * [1.0, 0.5, 0.3], -limits, limits)
    strength = 0.0 if start.expression == 0 else float(lerp(max(start.strength * 0.5, 0.3), 1.0))
    au = aus_from_noise(start.expression, strength, noise)
    fr = rng_for(seed, identity, clip, frame, 6)
    return dataclasses.replace(
        start, au=au, strength=strength, pose=pose.astype(np.float32),
        scale=float(lerp(start.scale, end.scale)),
        cx=float(lerp(start.cx, end.cx)), cy=float(lerp(start.cy, end.cy)),
        gaze=tuple(float(v) for v in lerp(start.gaze, end.gaze)),  # type: ignore[arg-type]
        noise_offset=(int(fr.integers(16)), int(fr.integers(16))))
