"""Test-time corruptions for the robustness axis: ``--corruptions lowres:16,24,32 blur:1,2,3 …``.

Each corruption is registered with the severities it accepts and applies to a face crop (after
``crop_resize``, so "lowres:16" means a 16-pixel face). Occluders are placed from the 68 landmarks
when the sample has them, else from the crop's face box, and return the occluded region so dense
metrics can be split into visible and occluded parts. All randomness comes from ``seed``.

Severity scales (levels 1-3 follow the spirit of ImageNet-C: clearly visible to strong):
- ``lowres:S`` downsample the face to S×S pixels (area) and back up (bilinear).
- ``blur:L`` Gaussian blur, sigma = L × 1.0 % … of the crop size (``BLUR_SIGMA``).
- ``jpeg:Q`` JPEG re-encoding at quality Q.
- ``noise:L`` additive Gaussian noise, sigma = ``NOISE_SIGMA[L]`` grey levels.
- ``light:L`` under-exposure and a side light gradient (``LIGHT_GAIN[L]``).
- ``occlusion:sunglasses|mask|hand`` a synthetic occluder over the eyes / nose-mouth-chin / one cheek and
  mouth.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from ..data.sample import FaceSample
from ..data.transforms import face_box
from ..errors import ConfigError
from ..registry import Registry

CorruptFn = Callable[[FaceSample, str, np.random.Generator], tuple[np.ndarray, "np.ndarray | None"]]


@dataclass(frozen=True)
class CorruptionDef:
    fn: CorruptFn
    severities: tuple[str, ...] | None  # None: any positive integer
    doc: str


CORRUPTIONS: Registry[CorruptionDef] = Registry("corruption")
BLUR_SIGMA = {1: 0.01, 2: 0.02, 3: 0.035}  # × crop size
NOISE_SIGMA = {1: 8.0, 2: 16.0, 3: 32.0}
LIGHT_GAIN = {1: 0.7, 2: 0.5, 3: 0.3}


def register_corruption(name: str, severities: tuple[str, ...] | None,
                        doc: str) -> Callable[[CorruptFn], CorruptFn]:
    def deco(fn: CorruptFn) -> CorruptFn:
        CORRUPTIONS.register(name, description=doc)(CorruptionDef(fn, severities, doc))
        return fn
    return deco


def parse_corruptions(specs: list[str] | tuple[str, ...]) -> list[tuple[str, str]]:
    """``["lowres:16,24", "occlusion:mask"]`` -> ``[("lowres", "16"), ("lowres", "24"), ("occlusion",
    "mask")]``; unknown names or severities raise ConfigError listing the valid ones."""
    out: list[tuple[str, str]] = []
    for spec in specs:
        name, sep, sev = spec.partition(":")
        d = CORRUPTIONS.get(name.strip())
        if not sep or not sev.strip():
            raise ConfigError(f"corruption {spec!r}: give severities as NAME:S1,S2 (e.g. blur:1,2,3)")
        for s in (x.strip() for x in sev.split(",")):
            if d.severities is not None and s not in d.severities:
                raise ConfigError(f"corruption {name}: unknown severity {s!r}; valid: "
                                  f"{', '.join(d.severities)}")
            if d.severities is None and not (s.isdigit() and int(s) > 0):
                raise ConfigError(f"corruption {name}: severity {s!r} must be a positive integer")
            out.append((name.strip(), s))
    return out


def corrupt(sample: FaceSample, name: str, severity: str, seed: int) -> tuple[FaceSample, np.ndarray | None]:
    """Apply one corruption. Returns the corrupted sample (labels unchanged) and the occluded region
    (H×W bool) for occluders, else None."""
    rng = np.random.default_rng(seed)
    image, occluded = CORRUPTIONS.get(name).fn(sample, severity, rng)
    return dataclasses.replace(sample, image=image), occluded


@register_corruption("lowres", None, "downsample the face to S×S and back")
def _lowres(s: FaceSample, sev: str, rng: np.random.Generator) -> tuple[np.ndarray, None]:
    h, w = s.image.shape[:2]
    r = int(sev)
    small = cv2.resize(s.image, (r, r), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), None


@register_corruption("blur", tuple(map(str, BLUR_SIGMA)), "Gaussian blur")
def _blur(s: FaceSample, sev: str, rng: np.random.Generator) -> tuple[np.ndarray, None]:
    sigma = BLUR_SIGMA[int(sev)] * max(s.image.shape[:2])
    return cv2.GaussianBlur(s.image, (0, 0), sigmaX=sigma), None


@register_corruption("jpeg", None, "JPEG re-encoding at quality Q")
def _jpeg(s: FaceSample, sev: str, rng: np.random.Generator) -> tuple[np.ndarray, None]:
    q = min(int(sev), 100)
    ok, buf = cv2.imencode(".jpg", s.image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, q])
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
    if decoded is None:
        raise RuntimeError(f"OpenCV could not JPEG-encode and decode a {s.image.shape} image at quality {q}")
    return np.ascontiguousarray(decoded[:, :, ::-1]), None


@register_corruption("noise", tuple(map(str, NOISE_SIGMA)), "additive Gaussian noise")
def _noise(s: FaceSample, sev: str, rng: np.random.Generator) -> tuple[np.ndarray, None]:
    noisy = s.image.astype(np.float32) + rng.normal(0.0, NOISE_SIGMA[int(sev)],
                                                    s.image.shape).astype(np.float32)
    return np.clip(noisy + 0.5, 0, 255).astype(np.uint8), None


@register_corruption("light", tuple(map(str, LIGHT_GAIN)), "under-exposure with a side light gradient")
def _light(s: FaceSample, sev: str, rng: np.random.Generator) -> tuple[np.ndarray, None]:
    w = s.image.shape[1]
    gain = LIGHT_GAIN[int(sev)]
    ramp = np.linspace(gain, min(1.0, gain + 0.3), w, dtype=np.float32)[None, :, None]
    if rng.random() < 0.5:
        ramp = ramp[:, ::-1]
    return np.clip(s.image.astype(np.float32) * ramp, 0, 255).astype(np.uint8), None


def _region_points(s: FaceSample, kind: str) -> np.ndarray:
    """Polygon (N×2, int) of the occluder from 68 landmarks, or from box proportions without them."""
    lm = s.landmarks2d
    if lm is not None and len(lm) == 68 and np.isfinite(lm).all():
        if kind == "sunglasses":
            eyes = lm[36:48]
            lo, hi = eyes.min(0), eyes.max(0)
            pad = (hi - lo) * np.array([0.12, 0.9])
            lo, hi = lo - pad, hi + pad
            return np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
        if kind == "mask":
            return np.concatenate([lm[2:15], lm[[29]]])
        # hand: over the subject's left cheek and half the mouth
        return np.concatenate([lm[[29, 33]], lm[51:58], lm[10:15][::-1], lm[[13, 14, 15]]])
    x0, y0, x1, y1 = face_box(s)
    w, h = x1 - x0, y1 - y0
    rel = {"sunglasses": [(0.05, 0.25), (0.95, 0.25), (0.95, 0.5), (0.05, 0.5)],
           "mask": [(0.05, 0.55), (0.95, 0.55), (0.85, 1.0), (0.15, 1.0)],
           "hand": [(0.5, 0.45), (1.0, 0.45), (1.0, 1.0), (0.45, 1.0)]}[kind]
    return np.array([[x0 + u * w, y0 + v * h] for u, v in rel])


_OCCLUDER_COLOUR = {"sunglasses": (20, 20, 25), "mask": (170, 200, 225), "hand": (200, 150, 120)}


@register_corruption("occlusion", ("sunglasses", "mask", "hand"),
                     "synthetic occluder placed from landmarks or box")
def _occlusion(s: FaceSample, sev: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    pts = _region_points(s, sev).astype(np.float64)
    poly = cv2.convexHull(np.round(pts).astype(np.int32))
    region = np.zeros(s.image.shape[:2], np.uint8)
    cv2.fillConvexPoly(region, poly, 1)
    img = s.image.copy()
    colour = np.array(_OCCLUDER_COLOUR[sev], np.float32) * rng.uniform(0.9, 1.1)
    img[region.astype(bool)] = np.clip(colour, 0, 255).astype(np.uint8)
    return img, region.astype(bool)
