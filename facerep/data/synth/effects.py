"""Image-wide effects of the synthetic renderer: background textures, lighting, noise, blur and JPEG.

Textures and noise fields are precomputed once per image size from fixed seeds (a small bank, read
through a per-sample offset), so a sample costs a few saturating uint8 OpenCV passes.
"""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from .params import SceneParams

PAD = 16  # banks are PAD pixels larger than the image; a sample reads them at an offset in [0, PAD)
N_TEXTURES = 8
N_NOISE = 4


def _texture(k: int, n: int, r: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32) / n
    if k in (0, 1, 7):
        grid = r.random((4 + 6 * k, 4 + 6 * k)).astype(np.float32)
        return cv2.resize(grid, (n, n), interpolation=cv2.INTER_CUBIC)
    if k == 2:
        return 0.5 + 0.5 * np.sin(2 * np.pi * 7 * xx)
    if k == 3:
        return xx * 0.7 + yy * 0.3
    if k == 4:
        return 0.5 + 0.5 * np.sin(2 * np.pi * 5 * (xx + yy))
    if k == 5:
        out = np.zeros((n, n), np.float32)
        for cx, cy, s in r.random((6, 3)):
            out += np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (0.02 + 0.05 * s))
        return out
    return ((np.floor(xx * 6) + np.floor(yy * 6)) % 2).astype(np.float32)


NOISE_SD = 32.0  # the uint8 noise bank holds 128 + NOISE_SD * N(0, 1)
LIGHT_STEPS = 0.05  # light gradients are quantised to this step (a bank of gain fields per size)


@lru_cache(maxsize=8)
def banks(size: int) -> tuple[np.ndarray, np.ndarray]:
    """(textures [8, S+PAD, S+PAD] uint8 grey, noise [4, S+PAD, S+PAD, 3] uint8 = 128 + 32 N(0, 1))."""
    n = size + PAD
    r = np.random.default_rng(20260101)
    tex = np.stack([_texture(k, n, r) for k in range(N_TEXTURES)])
    lo, hi = tex.min(axis=(1, 2), keepdims=True), tex.max(axis=(1, 2), keepdims=True)
    tex = np.round((tex - lo) / np.maximum(hi - lo, 1e-6) * 255).astype(np.uint8)
    noise = np.clip(128 + NOISE_SD * r.standard_normal((N_NOISE, n, n, 3)), 0, 255).round().astype(np.uint8)
    for a in (tex, noise):
        a.setflags(write=False)
    return tex, noise


@lru_cache(maxsize=512)
def gain_field(size: int, qx: int, qy: int) -> np.ndarray:
    """[S, S, 3] uint8 = 128 * (1 + gx x + gy y) with x, y in [-1, 1] and g = q * LIGHT_STEPS."""
    ramp = np.linspace(-1.0, 1.0, size)
    g = 1.0 + qx * LIGHT_STEPS * ramp[None, :] + qy * LIGHT_STEPS * ramp[:, None]
    field = np.repeat(np.clip(np.round(128 * g), 0, 255).astype(np.uint8)[..., None], 3, axis=2)
    field.setflags(write=False)
    return field


_RAMP = np.linspace(0.0, 1.0, 256)[:, None, None]  # [256, 1, 1] colour-map positions


def background(scene: SceneParams, size: int) -> np.ndarray:
    """[S, S, 3] uint8 canvas: a grey bank texture mapped between the scene's two colours by a 256-entry
    colour map (``cv2.applyColorMap`` with a user map: one pass, about twice as fast as a 3-channel LUT)."""
    tex = banks(size)[0][scene.bg_index % N_TEXTURES]
    oy, ox = scene.bg_offset
    c1, c2 = np.array(scene.bg_rgb, np.float64)
    cmap = (c1 + _RAMP * (c2 - c1)).round().astype(np.uint8)  # [256, 1, 3]
    return cv2.applyColorMap(tex[oy:oy + size, ox:ox + size], cmap)


def finish(canvas: np.ndarray, scene: SceneParams) -> np.ndarray:
    """Lighting gradient, noise, blur and JPEG round trip: uint8 canvas [S, S, 3] -> uint8 image."""
    size = canvas.shape[0]
    lx, ly, amb = scene.light
    # float(): the light may hold numpy floats, whose round() gives an int only from numpy 2 on
    field = gain_field(size, round(float(lx / LIGHT_STEPS)), round(float(ly / LIGHT_STEPS)))
    image = cv2.multiply(canvas, field, scale=amb / 128.0)
    if scene.noise > 0:
        oy, ox = scene.noise_offset
        noise = banks(size)[1][scene.noise_index % N_NOISE, oy:oy + size, ox:ox + size]
        beta = scene.noise / NOISE_SD
        image = cv2.addWeighted(image, 1.0, noise, beta, -128.0 * beta)
    if scene.blur > 0:
        image = cv2.GaussianBlur(image, (0, 0), scene.blur)
    if scene.jpeg > 0:
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(scene.jpeg)])
        decoded = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if ok else None
        if decoded is None:
            raise RuntimeError("JPEG round trip failed")
        image = decoded
    return image
