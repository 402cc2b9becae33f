"""Procedural renderer: the deformed 3D template is rotated by the head pose, projected (weak
perspective) and drawn with OpenCV polygon fills. The image and the LaPa parsing mask are filled from
the SAME polygons in the same order, so landmarks sit on the drawn parts and the mask matches the
drawn parts pixel for pixel. Details that belong to a part (iris, eyelid line, teeth, nostrils,
wrinkles, shading, glasses frames) are drawn on the image only, inside or across that part's region.

Left/right: 300W's landmarks 36-41 (and brow 17-21) are the subject's right eye (brow), on the image
left in a frontal face. For LaPa we read ``left_*``/``right_*`` as the IMAGE side in a frontal view
(the reading of JD's 106-point tooling that LaPa's masks were built from, whose "left" points lie on the
image left); LaPa's own release does not state it and our search of public code and issue threads found
no authoritative statement, so this is a documented choice. Hence the polygon of landmarks 36-41 is
drawn as ``left_eye`` and that of 17-21 as ``left_eyebrow`` (and 42-47 / 22-26 as ``right_*``).
:func:`facerep.data.transforms.hflip` swaps classes and landmark indices together, so either reading
stays self-consistent; flipping the convention means swapping the two class ids in ``_EYES`` and
``_BROWS``.
Beards are drawn as ``hair``; glasses, neck and clothes are not LaPa classes (frames keep the class
of what lies under them; neck and clothes are ``background``).

Speed: per-identity colours and the neutral shape are cached together (bounded), polygon index lists are
module constants, point arithmetic runs on one contiguous [N, 2] array, and lines of one colour go to
OpenCV in one call; the pixels are those of the straightforward per-part drawing, bit for bit.

Pose: yaw > 0 turns the nose towards the image right, pitch > 0 raises it, roll > 0 rotates the face
clockwise in the image (degrees; applied as roll · pitch · yaw about a pivot behind the face).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from ..vocab import DISFA_AUS, LAPA11
from . import template as T
from .effects import background, finish
from .params import IdentityParams, SceneParams

C = {name: k for k, name in enumerate(LAPA11)}
SHIFT = 4  # OpenCV sub-pixel bits: coordinates are drawn at 1/16 pixel
_ONE = float(1 << SHIFT)
_L8 = cv2.LINE_8
_AU = {code: k for k, code in enumerate(DISFA_AUS)}
# point index lists of the drawn polygons (module constants: no per-face list building)
_MOUTH_OUT = np.arange(48, 60)
_UPPER_LIP = np.array([48, 49, 50, 51, 52, 53, 54, 64, 63, 62, 61, 60])
_LOWER_LIP = np.array([54, 55, 56, 57, 58, 59, 48, 60, 67, 66, 65, 64])
_NOSE = np.concatenate([np.arange(27, 36), T.NOSE_AUX])
_FACE = np.concatenate([np.arange(17), T.FOREHEAD[::-1], np.arange(17, 27), np.arange(36, 48), _MOUTH_OUT])
_BEARD = np.concatenate([np.arange(2, 15), T.BEARD[::-1]])
_FRONT_HAIR = np.concatenate([T.HAIRLINE, T.HAIR_CAP[1:-1][::-1]])
_BROWS = ((np.concatenate([T.BROW_UP[0], T.BROW_LO[0][::-1]]), C["left_eyebrow"]),
          (np.concatenate([T.BROW_UP[1], T.BROW_LO[1][::-1]]), C["right_eyebrow"]))
_EYES = ((36, C["left_eye"]), (42, C["right_eye"]))
_FOREHEAD_LINES = np.array([0.13 + 0.06 * k for k in range(3)])[:, None]
_SIDES = np.array([[-1.0], [1.0]])
_WRINKLE_F = np.array([[0.35], [0.6]])
_EYE_WHITE, _PUPIL, _LID = (236.0, 234.0, 228.0), (10.0, 10.0, 10.0), (30.0, 25.0, 25.0)
_INNER_MOUTH, _TEETH = (70.0, 22.0, 28.0), (238.0, 236.0, 225.0)


@dataclass
class Rendered:
    image: np.ndarray     # [S, S, 3] uint8 RGB
    mask: np.ndarray      # [S, S] uint8 LaPa ids
    points: np.ndarray    # [N_POINTS, 3] float64 pixels (x, y, z; z larger = further)
    shape: np.ndarray     # [N_POINTS, 3] deformed face-unit shape before the pose


def _shade(rgb: tuple[int, ...], f: float) -> tuple[float, ...]:
    return tuple(min(255.0, v * f) for v in rgb)


@dataclass(frozen=True)
class _Look:
    """The drawing colours of one identity (float tuples, as OpenCV takes them)."""

    hair: tuple[float, ...]
    beard: tuple[float, ...]
    brow: tuple[float, ...]
    skin: tuple[float, ...]
    glow: tuple[float, ...]
    neck: tuple[float, ...]
    ear: tuple[float, ...]
    nose: tuple[float, ...]
    bridge: tuple[float, ...]
    nostril: tuple[float, ...]
    fold: tuple[float, ...]
    lip: tuple[float, ...]
    lip_up: tuple[float, ...]
    iris: tuple[float, ...]
    glasses: tuple[float, ...]


@lru_cache(maxsize=1024)
def _identity(ip: IdentityParams) -> tuple[np.ndarray, _Look]:
    """(neutral shape [N_POINTS, 3], colours) of an identity; bounded cache, one lookup per face."""
    hair = tuple(float(v) for v in ip.hair_rgb)
    lip = tuple(float(v) for v in ip.lip_rgb)
    sk = ip.skin_rgb
    look = _Look(
        hair=hair, beard=tuple(0.85 * v for v in hair),
        brow=tuple(0.8 * v for v in ip.hair_rgb) if ip.hair_style != "bald" else _shade(sk, 0.45),
        skin=tuple(float(v) for v in sk), glow=_shade(sk, 1.06), neck=_shade(sk, 0.85), ear=_shade(sk, 0.92),
        nose=_shade(sk, 0.93), bridge=_shade(sk, 1.05), nostril=_shade(sk, 0.45), fold=_shade(sk, 0.72),
        lip=lip, lip_up=tuple(0.9 * v for v in lip), iris=tuple(float(v) for v in ip.iris_rgb),
        glasses=tuple(float(v) for v in ip.glasses_rgb))
    return T.neutral_shape(ip), look


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """3×3 rotation (degrees) in camera axes x right, y down, z away: R = Rz(roll) Rx(pitch) Ry(yaw)."""
    a = np.deg2rad([yaw, pitch, roll])
    (cy, cp, cr), (sy, sp, sr) = np.cos(a).tolist(), np.sin(a).tolist()
    ry, rx, rz = np.array([[[cy, 0, -sy], [0, 1, 0], [sy, 0, cy]],
                           [[1, 0, 0], [0, cp, sp], [0, -sp, cp]],
                           [[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]]])
    return rz @ rx @ ry


def project(shape: np.ndarray, scene: SceneParams, size: int) -> tuple[np.ndarray, float]:
    """Face-unit shape [N, 3] -> (pixel points [N, 3], pixels per face unit); the scale shrinks if a
    landmark would otherwise leave the image."""
    q = (shape - T.PIVOT) @ rotation(*(float(v) for v in scene.pose)).T
    s = scene.scale * size
    c = np.array([scene.cx * size, scene.cy * size])
    lm = np.ascontiguousarray(q[:T.N68, :2])  # numpy loops over [K, 2] column views are slow: copy once
    # both branches are finite: the divisors are bounded away from 0
    room = np.where(lm < 0, (1.0 - c) / np.minimum(lm, -1e-9), (size - 2.0 - c) / np.maximum(lm, 1e-9))
    s = min(s, float(room.min()))
    out = q * s
    out[:, 0] += c[0]
    out[:, 1] += c[1]
    return out, s


class _Painter:
    """Fills the same polygons into the canvas and the mask; ``p`` = all points at 1/16 pixel [N, 2] int32."""

    def __init__(self, canvas: np.ndarray, mask: np.ndarray, q: np.ndarray) -> None:
        self.canvas, self.mask = canvas, mask
        self.p = _fixed(q)

    def fill(self, poly: np.ndarray, rgb: tuple[float, ...], cls: int | None) -> None:
        cv2.fillPoly(self.canvas, [poly], rgb, _L8, SHIFT)
        if cls is not None:
            cv2.fillPoly(self.mask, [poly], cls, _L8, SHIFT)

    def lines(self, polys: list[np.ndarray], rgb: tuple[float, ...]) -> None:
        """Open 1-pixel polylines at 1/16 pixel (already scaled int32 arrays [K, 2])."""
        cv2.polylines(self.canvas, polys, False, rgb, 1, _L8, SHIFT)


def _fixed(pts: np.ndarray) -> np.ndarray:
    """Pixel coordinates [..., 2] float -> 1/16-pixel int32."""
    return (pts * _ONE).round().astype(np.int32)


def _draw_head(pa: _Painter, ip: IdentityParams, look: _Look, scene: SceneParams, s: float) -> None:
    p, bald = pa.p, ip.hair_style == "bald"
    if not bald:
        pa.fill(p[T.HAIR_CAP], look.hair, C["hair"])
    pa.fill(p[T.NECK], look.neck, C["background"])
    pa.fill(p[T.CLOTHES], tuple(float(v) for v in scene.clothes_rgb), C["background"])
    roll = float(scene.pose[2])
    axes = (int(0.12 * s * _ONE), int(0.22 * s * _ONE))
    for cen in p[T.EAR].tolist():
        cv2.ellipse(pa.canvas, cen, axes, roll, 0, 360, look.ear, -1, _L8, SHIFT)
        cv2.ellipse(pa.mask, cen, axes, roll, 0, 360, C["skin"], -1, _L8, SHIFT)
    face = cv2.convexHull(p[_FACE])
    pa.fill(face, look.skin, C["skin"])
    centre = p[29].astype(np.float64)
    lx, ly, _ = scene.light
    glow = (face[:, 0, :] - centre) * 0.78 + centre + [lx * 0.08 * s * _ONE, ly * 0.08 * s * _ONE]
    pa.fill(glow.astype(np.int32), look.glow, None)
    if ip.beard:
        pa.fill(p[_BEARD], look.beard, C["hair"])
    if not bald:
        pa.fill(p[_FRONT_HAIR], look.hair, C["hair"])


def _draw_nose(pa: _Painter, look: _Look, q: np.ndarray, s: float) -> None:
    """``q`` = pixel points [N, 2]."""
    pa.fill(cv2.convexHull(pa.p[_NOSE]), look.nose, C["nose"])
    pa.lines([pa.p[27:31]], look.bridge)
    n30, n31, n32, n33, n34, n35 = q[30:36].tolist()  # Python floats: same arithmetic, less overhead
    shift = [(b - a) * 0.2 for a, b in zip(n30, n33)]  # a fifth of the tip-to-base nose vector
    axes = (max(1, int(0.045 * s * _ONE)), max(1, int(0.025 * s * _ONE)))
    for wing, side in ((n31, n32), (n35, n34)):  # each nostril: between its two points, moved up the nose
        cen = [round((a * 0.6 + b * 0.4 - u) * _ONE) for a, b, u in zip(wing, side, shift)]
        cv2.ellipse(pa.canvas, cen, axes, 0, 0, 360, look.nostril, -1, _L8, SHIFT)


def _draw_brows(pa: _Painter, look: _Look) -> None:
    for idx, cls in _BROWS:
        pa.fill(pa.p[idx], look.brow, cls)


def _draw_eyes(pa: _Painter, ip: IdentityParams, look: _Look, scene: SceneParams, q: np.ndarray,
               s: float) -> None:
    """Eye whites (image and mask), the iris and pupil clipped to the eye's mask region, the lid line."""
    h, w = pa.mask.shape
    xs, ys = q[36:48, 0].tolist(), q[36:48, 1].tolist()  # Python floats: same arithmetic, less overhead
    gx, gy = scene.gaze[0] * (ip.eye_w * 0.35 * s), scene.gaze[1] * (ip.eye_h * 0.3 * s)
    rad = max(1.0, ip.eye_h * 1.2 * s)
    r_iris, r_pupil = int(rad * _ONE), int(rad * 0.45 * _ONE)
    for k, ((first, cls), (cx, cy)) in enumerate(zip(_EYES, q[T.IRIS].tolist())):
        ex, ey = xs[6 * k:6 * k + 6], ys[6 * k:6 * k + 6]
        x0, y0 = max(math.floor(min(ex)) - 1, 0), max(math.floor(min(ey)) - 1, 0)
        x1, y1 = min(math.ceil(max(ex)) + 2, w), min(math.ceil(max(ey)) + 2, h)
        cen = (round((cx + gx - x0) * _ONE), round((cy + gy - y0) * _ONE))  # in ROI coordinates
        pa.fill(pa.p[first:first + 6], _EYE_WHITE, cls)
        if x1 > x0 and y1 > y0:
            roi = pa.canvas[y0:y1, x0:x1]
            iris = roi.copy()
            cv2.circle(iris, cen, r_iris, look.iris, -1, _L8, SHIFT)
            cv2.circle(iris, cen, r_pupil, _PUPIL, -1, _L8, SHIFT)
            cv2.copyTo(iris, (pa.mask[y0:y1, x0:x1] == cls).view(np.uint8), roi)  # in place, inside the eye
        pa.lines([pa.p[first:first + 4]], _LID)


def _draw_mouth(pa: _Painter, look: _Look, q: np.ndarray) -> None:
    pa.fill(pa.p[_UPPER_LIP], look.lip_up, C["upper_lip"])
    pa.fill(pa.p[_LOWER_LIP], look.lip, C["lower_lip"])
    pa.fill(pa.p[60:68], _INNER_MOUTH, C["inner_mouth"])
    down = q[66] - q[62]
    if np.hypot(*down) > 1.5:
        top = q[60:65]
        pa.fill(_fixed(np.concatenate([top, top[[3, 2, 1]] + 0.45 * down])), _TEETH, None)


def _draw_cues(pa: _Painter, ip: IdentityParams, look: _Look, scene: SceneParams, q: np.ndarray,
               s: float) -> None:
    """Expression and age cues drawn on the image only: folds, forehead and frown lines, nose wrinkles
    (all in the fold colour, so they are drawn with one polyline call)."""
    au = scene.au.tolist()
    au1, au2, au4, au6, au9, au12 = (au[_AU[k]] for k in (1, 2, 4, 6, 9, 12))
    up = q[27] - q[8]
    up = up / max(np.hypot(*up), 1e-6)
    groups = []
    if au12 > 1.0 or au6 > 2.0 or ip.old:  # nasolabial folds, image-left then image-right
        ala, corner = q[[79, 80]], q[[48, 54]]
        out = corner + (corner - q[51]) * 0.25
        groups.append(np.stack([ala, (ala + out) / 2 - up * 0.02 * s, out - up * 0.05 * s], 1))
    if au1 + au2 > 4.0 or ip.old:  # forehead lines
        n = 2 if ip.old and au1 + au2 <= 4.0 else 3
        groups.append(q[19:25] + (up * _FOREHEAD_LINES[:n])[:, None, :] * s)
    if au4 > 2.0:  # frown lines
        base = (q[21] + q[22]) / 2 + _SIDES * ((q[22] - q[21]) * 0.22)
        groups.append(np.stack([base - up * 0.02 * s, base + up * 0.1 * s], 1))
    if au9 > 2.0:  # nose wrinkles
        a, b = q[77] * (1 - _WRINKLE_F) + q[78] * _WRINKLE_F, q[82] * (1 - _WRINKLE_F) + q[81] * _WRINKLE_F
        groups.append(np.stack([a - (b - a) * 0.3, b + (b - a) * 0.3], 1))
    if groups:
        pa.lines([poly for g in groups for poly in _fixed(g)], look.fold)


def _draw_glasses(pa: _Painter, ip: IdentityParams, look: _Look, q: np.ndarray, s: float,
                  roll: float) -> None:
    thick = max(1, round(float(0.025 * s)))  # float(): s may be a numpy float (round() -> int needs numpy 2)
    a, b = q[36:48].reshape(2, 6, 2).mean(1)
    axes = (int(ip.eye_w * 1.4 * s * _ONE), int(ip.eye_h * 2.5 * s * _ONE))
    for cen in _fixed(np.stack([a, b])).tolist():
        cv2.ellipse(pa.canvas, cen, axes, roll, 0, 360, look.glasses, thick, _L8, SHIFT)
    d = (b - a) / max(np.hypot(*(b - a)), 1e-6)
    p0, p1 = _fixed(np.stack([a + d * ip.eye_w * 1.4 * s, b - d * ip.eye_w * 1.4 * s])).tolist()
    cv2.line(pa.canvas, p0, p1, look.glasses, thick, _L8, SHIFT)


def render(ip: IdentityParams, scene: SceneParams, size: int) -> Rendered:
    """Draw one face. Returns the image, the LaPa mask and the projected points (pixels)."""
    neutral, look = _identity(ip)
    shape = T.deform(neutral, scene.au, scene.contempt_side)
    pts, s = project(shape, scene, size)
    canvas = background(scene, size)
    mask = np.zeros((size, size), np.uint8)
    q = np.ascontiguousarray(pts[:, :2])  # [N, 2] pixels; contiguous, as numpy is slow on column views
    pa = _Painter(canvas, mask, q)
    _draw_head(pa, ip, look, scene, s)
    _draw_nose(pa, look, q, s)
    _draw_brows(pa, look)
    _draw_eyes(pa, ip, look, scene, q, s)
    _draw_mouth(pa, look, q)
    _draw_cues(pa, ip, look, scene, q, s)
    if ip.glasses:
        _draw_glasses(pa, ip, look, q, s, float(scene.pose[2]))
    return Rendered(finish(canvas, scene), mask, pts, shape)
