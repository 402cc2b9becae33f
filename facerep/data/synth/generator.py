"""Seeded sampling of identities, expressions and scenes, and the labels derived from them.

Every draw takes a ``numpy.random.Generator`` seeded from (dataset seed, identity or sample index, a
purpose tag), so a sample depends only on its (seed, index), never on access order or worker.

Expressions (:data:`facerep.data.vocab.EXPRESSIONS8`) are prototypical combinations of the 12 DISFA
action units (after EMFACS): happiness 6+12(+25), sadness 1+4+15(+17), surprise 1+2+5+25+26,
fear 1+2+4+5+20+25(+26), disgust 9+15+17(+4), anger 4+5+17, contempt a one-sided 12. An expression
has a strength s in [0.35, 1]; each AU intensity is ``5 * weight * s`` plus small noise, clipped to
0-5. Valence and arousal are the expression's circumplex position times s.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..vocab import DISFA_AUS, EXPRESSIONS8
from .params import HAIR_COLOURS, HAIR_STYLES, IdentityParams, SceneParams

# prototypical AU weights per expression (AU code -> weight in [0, 1])
PROTOTYPES: dict[str, dict[int, float]] = {
    "neutral": {},
    "happiness": {6: 0.75, 12: 1.0, 25: 0.35},
    "sadness": {1: 0.9, 4: 0.55, 15: 0.9, 17: 0.4},
    "surprise": {1: 1.0, 2: 1.0, 5: 0.8, 25: 0.6, 26: 0.9},
    "fear": {1: 0.9, 2: 0.6, 4: 0.7, 5: 1.0, 20: 0.9, 25: 0.6, 26: 0.35},
    "disgust": {4: 0.35, 9: 1.0, 15: 0.6, 17: 0.5},
    "anger": {4: 1.0, 5: 0.6, 17: 0.6},
    "contempt": {12: 0.7},
}
# (valence, arousal) of each expression at full strength (Russell's circumplex, approximate)
CIRCUMPLEX: dict[str, tuple[float, float]] = {
    "neutral": (0.0, 0.0), "happiness": (0.8, 0.45), "sadness": (-0.7, -0.4), "surprise": (0.15, 0.85),
    "fear": (-0.6, 0.75), "disgust": (-0.7, 0.35), "anger": (-0.65, 0.7), "contempt": (-0.45, 0.25),
}
ATTRIBUTES: tuple[str, ...] = ("smiling", "mouth_open", "eyeglasses", "beard", "bangs", "dark_hair",
                               "blond_hair", "bald", "long_hair", "old")
GROUPS: tuple[str, ...] = ("skin_tone", "hair", "glasses", "age", "beard")
_SKIN = np.array([[246, 214, 190], [226, 184, 152], [198, 146, 108], [150, 102, 70], [98, 64, 44]],
                 np.float64)
SKIN_PALETTE = _SKIN  # light -> dark anchor colours of the skin tone axis
_IRIS = ((70, 50, 30), (40, 30, 25), (70, 110, 150), (80, 120, 80), (110, 80, 50))
_AU_INDEX = {code: k for k, code in enumerate(DISFA_AUS)}
# per expression id: (AU indices, weights) of its prototype, as arrays
_PROTO_ARRAYS = [(np.array([_AU_INDEX[c] for c in PROTOTYPES[e]], np.intp),
                  np.array(list(PROTOTYPES[e].values())))
                 for e in EXPRESSIONS8]
_CONTEMPT = EXPRESSIONS8.index("contempt")


def rng_for(seed: int, *keys: int) -> np.random.Generator:
    """A generator that depends only on (seed, keys)."""
    words = [int(seed) & 0xFFFFFFFF, *(int(k) for k in keys)]
    if all(0 <= w <= 0xFFFFFFFF for w in words):  # the list's entropy words, without its slow coercion
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(np.array(words, np.uint32))))
    return np.random.default_rng(words)


_HALF_TOPS = np.array([16, 48], np.uint64)  # shifts to the top 16 bits of the low and the high 32-bit half


def uint16s(r: np.random.Generator, n: int) -> list[int]:
    """``r.integers(0, 1 << 16, n).tolist()`` for even n: the same numbers and generator state, read
    directly from the bit generator (``integers`` spends most of its time in argument handling). numpy
    draws each value from one 32-bit word, the low then the high half of each 64-bit output, by Lemire's
    multiply-shift, which for a power-of-two range is the word's top 16 bits and never rejects
    (tests/data/synth/test_synth_dataset.py checks the match)."""
    raw = r.bit_generator.random_raw(n // 2)
    return ((raw[:, None] >> _HALF_TOPS) & 0xFFFF).ravel().tolist()


def _skin_rgb(tone: float, r: np.random.Generator) -> tuple[int, int, int]:
    pos = tone * (len(_SKIN) - 1)
    k = min(int(pos), len(_SKIN) - 2)
    rgb = _SKIN[k] + (pos - k) * (_SKIN[k + 1] - _SKIN[k]) + r.normal(0, 5, 3)
    return tuple(int(v) for v in np.clip(rgb, 0, 255))  # type: ignore[return-value]


@lru_cache(maxsize=1024)
def sample_identity(seed: int, identity: int) -> IdentityParams:
    """The identity's face: geometry, colouring, hair, glasses, beard, age cue (seeded by identity)."""
    r = rng_for(seed, identity, 1)
    u = r.uniform
    old = bool(u() < 0.25)
    tone = float(u())
    style = str(r.choice(HAIR_STYLES, p=[0.1, 0.35, 0.25, 0.3]))
    colours = list(HAIR_COLOURS)
    colour = "grey" if old and u() < 0.7 else str(r.choice(colours, p=[0.35, 0.3, 0.15, 0.1, 0.1]))
    nose_tip = u(0.1, 0.24)
    skin = _skin_rgb(tone, r)
    lip = np.clip(np.array(skin) * 0.75 + np.array([45, -5, 0]) + r.normal(0, 6, 3), 0, 255)
    return IdentityParams(
        face_w=u(0.8, 1.02), chin_y=u(0.95, 1.35), jaw_sq=u(0.55, 1.0), forehead_y=u(-0.98, -0.82),
        brow_y=u(-0.5, -0.41), brow_arch=u(0.02, 0.1), brow_thick=u(0.04, 0.085), brow_in=u(0.12, 0.2),
        brow_out=u(0.68, 0.8), eye_y=u(-0.25, -0.16), eye_cx=u(0.33, 0.47), eye_w=u(0.14, 0.21),
        eye_h=u(0.055, 0.085), eye_tilt=u(-0.03, 0.04), nose_tip_y=nose_tip, nose_w=u(0.12, 0.24),
        nose_z=u(0.33, 0.5), mouth_y=nose_tip + u(0.32, 0.42), mouth_w=u(0.28, 0.44), lip_up=u(0.045, 0.085),
        lip_lo=u(0.055, 0.11), skin_tone=tone, skin_rgb=skin, lip_rgb=(int(lip[0]), int(lip[1]), int(lip[2])),
        iris_rgb=_IRIS[int(r.integers(len(_IRIS)))], hair_style=style, hair_colour=colour,
        bangs=bool(style != "bald" and u() < 0.3), glasses=bool(u() < 0.25),
        glasses_rgb=((25, 25, 25), (150, 120, 60), (170, 170, 180))[int(r.integers(3))],
        beard=bool(u() < 0.2), old=old)


@dataclass(frozen=True)
class PoseRange:
    """Largest |yaw|, |pitch|, |roll| (degrees) sampled uniformly."""

    yaw: float = 30.0
    pitch: float = 15.0
    roll: float = 15.0


def expression_aus(expression: int, strength: float, r: np.random.Generator) -> np.ndarray:
    """AU intensities [12] (0-5) of an expression at a strength, with small seeded noise."""
    return aus_from_noise(expression, strength, au_noise(r))


def au_noise(r: np.random.Generator) -> np.ndarray:
    """The standard normal draws [24] that :func:`aus_from_noise` turns into AU noise."""
    return r.normal(0.0, 1.0, 2 * len(DISFA_AUS))


def aus_from_noise(expression: int, strength: float, noise: np.ndarray) -> np.ndarray:
    """AU intensities [12] from an expression, a strength and the draws [24] of :func:`au_noise`."""
    au = np.abs(noise[:12] * 0.15)
    k, w = _PROTO_ARRAYS[expression]
    au[k] = 5.0 * w * strength + 0.2 * noise[12 + k]
    return au.clip(0.0, 5.0).astype(np.float32)


def sample_expression(r: np.random.Generator) -> tuple[int, float]:
    """(expression id, strength): neutral 1/4 of the time, else one of the 7 basic ones."""
    u = r.random(3).tolist()
    if u[0] < 0.25:
        return 0, 0.0
    return 1 + int(u[1] * (len(EXPRESSIONS8) - 1)), float(0.35 + 0.65 * u[2])


def sample_scene(r: np.random.Generator, poses: PoseRange = PoseRange(), degrade: bool = True) -> SceneParams:
    """A random scene: expression, pose, framing, gaze, light, background and degradations."""
    expression, strength = sample_expression(r)
    au = expression_aus(expression, strength, r)
    ua = r.random(24)
    u = ua.tolist()  # Python floats: cheaper scalar arithmetic, same values
    ints = uint16s(r, 16)
    side = (1 if u[0] < 0.5 else -1) if expression == _CONTEMPT else 0
    lim = np.array([poses.yaw, poses.pitch, poses.roll])
    pose = ((2 * ua[1:4] - 1) * lim).astype(np.float32)
    col = [20 + v % 216 for v in ints[:9]]
    return SceneParams(
        au=au, expression=expression, strength=strength, contempt_side=side, pose=pose,
        scale=0.25 + 0.05 * u[4],
        cx=0.5 + 0.08 * (u[5] - 0.5), cy=0.47 + 0.06 * (u[6] - 0.5), gaze=(2 * u[7] - 1, u[8] - 0.5),
        light=(0.6 * (u[9] - 0.5), 0.4 * (u[10] - 0.5), 0.8 + 0.32 * u[11]), bg_index=int(ints[9]),
        bg_rgb=(tuple(col[0:3]), tuple(col[3:6])),  # type: ignore[arg-type]
        bg_offset=(int(ints[10] % 16), int(ints[11] % 16)),
        clothes_rgb=tuple(col[6:9]),  # type: ignore[arg-type]
        blur=0.3 + 0.8 * float(u[13]) if degrade and u[12] < 0.3 else 0.0,
        noise=1.5 + 5.5 * float(u[15]) if degrade and u[14] < 0.5 else 0.0, noise_index=int(ints[12]),
        noise_offset=(int(ints[13] % 16), int(ints[14] % 16)),
        jpeg=35 + int(ints[15] % 61) if degrade and u[16] < 0.5 else 0)


def valence_arousal(scene: SceneParams) -> tuple[float, float]:
    v, a = CIRCUMPLEX[EXPRESSIONS8[scene.expression]]
    return min(max(float(v * scene.strength), -1.0), 1.0), min(max(float(a * scene.strength), -1.0), 1.0)


def attributes(ip: IdentityParams, scene: SceneParams, mouth_gap: float) -> np.ndarray:
    """Binary attributes [len(ATTRIBUTES)] float32; ``mouth_gap`` = inner-lip opening in face units."""
    smiling = float(scene.au[_AU_INDEX[12]]) >= 1.5 and scene.contempt_side == 0
    return np.array([smiling, mouth_gap > 0.03, *_identity_attributes(ip)], np.float32)


@lru_cache(maxsize=1024)
def _identity_attributes(ip: IdentityParams) -> tuple[bool, ...]:
    """The attributes fixed by the identity: ATTRIBUTES[2:] in order."""
    hair = ip.hair_style != "bald"
    return (ip.glasses, ip.beard, ip.bangs, hair and ip.hair_colour in ("black", "brown"),
            hair and ip.hair_colour == "blond", not hair, ip.hair_style == "long", ip.old)


def groups(ip: IdentityParams) -> dict[str, str]:
    """Subgroup labels of an identity (a fresh dict; the values are cached per identity)."""
    return dict(_groups(ip))


@lru_cache(maxsize=1024)
def _groups(ip: IdentityParams) -> tuple[tuple[str, str], ...]:
    tone = "light" if ip.skin_tone < 1 / 3 else ("medium" if ip.skin_tone < 2 / 3 else "dark")
    return (("skin_tone", tone), ("hair", "none" if ip.hair_style == "bald" else ip.hair_colour),
            ("glasses", "yes" if ip.glasses else "no"), ("age", "old" if ip.old else "young"),
            ("beard", "yes" if ip.beard else "no"))
