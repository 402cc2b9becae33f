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
stays self-consistent; flipping the convention means swapping the two class ids in ``_draw_eyes`` and
``_draw_brows``.
Beards are drawn as ``hair``; glasses, neck and clothes are not LaPa classes (frames keep the class
of what lies under them; neck and clothes are ``background``).

Pose: yaw > 0 turns the nose towards the image right, pitch > 0 raises it, roll > 0 rotates the face
clockwise in the image (degrees; applied as roll · pitch · yaw about a pivot behind the face).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..vocab import LAPA11
from . import template as T
from .effects import background, finish
from .params import IdentityParams, SceneParams

C = {name: k for k, name in enumerate(LAPA11)}
SHIFT = 4  # OpenCV sub-pixel bits: coordinates are drawn at 1/16 pixel
_ONE = float(1 << SHIFT)
_MOUTH_OUT = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59]
_UPPER_LIP = [48, 49, 50, 51, 52, 53, 54, 64, 63, 62, 61, 60]
_LOWER_LIP = [54, 55, 56, 57, 58, 59, 48, 60, 67, 66, 65, 64]
_NOSE = list(range(27, 36)) + list(T.NOSE_AUX)
_FACE = list(range(17)) + list(T.FOREHEAD[::-1]) + list(range(17, 27)) + list(range(36, 48)) + _MOUTH_OUT


@dataclass
class Rendered:
    image: np.ndarray     # [S, S, 3] uint8 RGB
    mask: np.ndarray      # [S, S] uint8 LaPa ids
    points: np.ndarray    # [N_POINTS, 3] float64 pixels (x, y, z; z larger = further)
    shape: np.ndarray     # [N_POINTS, 3] deformed face-unit shape before the pose


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """3×3 rotation (degrees) in camera axes x right, y down, z away: R = Rz(roll) Rx(pitch) Ry(yaw)."""
    y, p, r = np.deg2rad([yaw, pitch, roll])
    ry = np.array([[np.cos(y), 0, -np.sin(y)], [0, 1, 0], [np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), np.sin(p)], [0, -np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ rx @ ry


def project(shape: np.ndarray, scene: SceneParams, size: int) -> tuple[np.ndarray, float]:
    """Face-unit shape [N, 3] -> (pixel points [N, 3], pixels per face unit); the scale shrinks if a
    landmark would otherwise leave the image."""
    q = (shape - T.PIVOT) @ rotation(*(float(v) for v in scene.pose)).T
    s = scene.scale * size
    c = np.array([scene.cx * size, scene.cy * size])
    lm = q[:T.N68, :2]
    lo, hi = np.array([1.0, 1.0]), np.array([size - 2.0, size - 2.0])
    with np.errstate(divide="ignore"):
        room = np.where(lm < 0, (lo - c) / np.minimum(lm, -1e-9), (hi - c) / np.maximum(lm, 1e-9))
    s = min(s, float(room.min()))
    out = q * s
    out[:, :2] += c
    return out, s


def _skin_shade(rgb: tuple[int, ...], f: float) -> tuple[float, ...]:
    return tuple(min(255.0, v * f) for v in rgb)


class _Painter:
    """Fills the same polygons into the canvas and the mask."""

    def __init__(self, canvas: np.ndarray, mask: np.ndarray, pts: np.ndarray) -> None:
        self.canvas, self.mask = canvas, mask
        self.p = np.round(pts[:, :2] * _ONE).astype(np.int32)

    def fill(self, poly: np.ndarray, rgb: tuple[float, ...], cls: int | None) -> None:
        cv2.fillPoly(self.canvas, [poly], rgb, cv2.LINE_8, SHIFT)
        if cls is not None:
            cv2.fillPoly(self.mask, [poly], cls, cv2.LINE_8, SHIFT)

    def idx(self, idx: list[int] | np.ndarray) -> np.ndarray:
        return self.p[np.asarray(idx)]

    def hull(self, idx: list[int] | np.ndarray) -> np.ndarray:
        return cv2.convexHull(self.p[np.asarray(idx)])

    def line(self, pts: np.ndarray, rgb: tuple[float, ...], closed: bool = False) -> None:
        cv2.polylines(self.canvas, [np.round(pts * _ONE).astype(np.int32)], closed, rgb, 1, cv2.LINE_8, SHIFT)


def _draw_head(pa: _Painter, ip: IdentityParams, scene: SceneParams, s: float) -> None:
    hair = tuple(float(v) for v in ip.hair_rgb)
    if ip.hair_style != "bald":
        pa.fill(pa.idx(T.HAIR_CAP), hair, C["hair"])
    pa.fill(pa.idx(T.NECK), _skin_shade(ip.skin_rgb, 0.85), C["background"])
    pa.fill(pa.idx(T.CLOTHES), tuple(float(v) for v in scene.clothes_rgb), C["background"])
    roll = float(scene.pose[2])
    for e in T.EAR:
        cen = tuple(int(v) for v in pa.p[e])
        cv2.ellipse(pa.canvas, cen, (int(0.12 * s * _ONE), int(0.22 * s * _ONE)), roll, 0, 360,
                    _skin_shade(ip.skin_rgb, 0.92), -1, cv2.LINE_8, SHIFT)
        cv2.ellipse(pa.mask, cen, (int(0.12 * s * _ONE), int(0.22 * s * _ONE)), roll, 0, 360, C["skin"], -1,
                    cv2.LINE_8, SHIFT)
    face = pa.hull(_FACE)
    pa.fill(face, tuple(float(v) for v in ip.skin_rgb), C["skin"])
    centre = pa.p[29].astype(np.float64)
    lx, ly, _ = scene.light
    glow = (face[:, 0, :] - centre) * 0.78 + centre + np.array([lx, ly]) * 0.08 * s * _ONE
    pa.fill(glow.astype(np.int32), _skin_shade(ip.skin_rgb, 1.06), None)
    if ip.beard:
        beard = np.concatenate([pa.idx(list(range(2, 15))), pa.idx(T.BEARD[::-1])])
        pa.fill(beard, tuple(0.85 * v for v in hair), C["hair"])
    if ip.hair_style != "bald":
        front = np.concatenate([pa.idx(T.HAIRLINE), pa.idx(T.HAIR_CAP[1:-1][::-1])])
        pa.fill(front, hair, C["hair"])


def _draw_nose(pa: _Painter, ip: IdentityParams, pts: np.ndarray, s: float) -> None:
    pa.fill(pa.hull(_NOSE), _skin_shade(ip.skin_rgb, 0.93), C["nose"])
    pa.line(pts[[27, 28, 29, 30], :2], _skin_shade(ip.skin_rgb, 1.05))
    dark = _skin_shade(ip.skin_rgb, 0.45)
    for a, b in ((31, 32), (35, 34)):
        cen = (pts[a, :2] * 0.6 + pts[b, :2] * 0.4 - (pts[33, :2] - pts[30, :2]) * 0.2)
        cv2.ellipse(pa.canvas, tuple(int(v) for v in np.round(cen * _ONE)),
                    (max(1, int(0.045 * s * _ONE)), max(1, int(0.025 * s * _ONE))), 0, 0, 360, dark, -1,
                    cv2.LINE_8, SHIFT)


def _draw_eyes(pa: _Painter, ip: IdentityParams, scene: SceneParams, pts: np.ndarray, s: float) -> None:
    h, w = pa.mask.shape
    for k, (first, cls) in enumerate(((36, C["left_eye"]), (42, C["right_eye"]))):
        idx = list(range(first, first + 6))
        pa.fill(pa.idx(idx), (236.0, 234.0, 228.0), cls)
        x0, y0 = np.floor(pts[idx, :2].min(0)).astype(int) - 1
        x1, y1 = np.ceil(pts[idx, :2].max(0)).astype(int) + 2
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 > x0 and y1 > y0:
            roi = pa.canvas[y0:y1, x0:x1]
            iris = roi.copy()
            cen = pts[T.IRIS[k], :2] + np.array(scene.gaze) * [ip.eye_w * 0.35 * s, ip.eye_h * 0.3 * s] - [x0, y0]
            c = tuple(int(v) for v in np.round(cen * _ONE))
            rad = max(1.0, ip.eye_h * 1.2 * s)
            cv2.circle(iris, c, int(rad * _ONE), tuple(float(v) for v in ip.iris_rgb), -1, cv2.LINE_8, SHIFT)
            cv2.circle(iris, c, int(rad * 0.45 * _ONE), (10.0, 10.0, 10.0), -1, cv2.LINE_8, SHIFT)
            np.copyto(roi, iris, where=(pa.mask[y0:y1, x0:x1] == cls)[:, :, None])
        pa.line(pts[idx[:4], :2], (30.0, 25.0, 25.0))


def _draw_brows(pa: _Painter, ip: IdentityParams) -> None:
    rgb = tuple(0.8 * v for v in ip.hair_rgb) if ip.hair_style != "bald" else _skin_shade(ip.skin_rgb, 0.45)
    for up, lo, cls in ((T.BROW_UP[0], T.BROW_LO[0], C["left_eyebrow"]), (T.BROW_UP[1], T.BROW_LO[1],
                                                                            C["right_eyebrow"])):
        pa.fill(np.concatenate([pa.idx(up), pa.idx(lo[::-1])]), rgb, cls)


def _draw_mouth(pa: _Painter, ip: IdentityParams, pts: np.ndarray) -> None:
    lip = tuple(float(v) for v in ip.lip_rgb)
    pa.fill(pa.idx(_UPPER_LIP), tuple(0.9 * v for v in lip), C["upper_lip"])
    pa.fill(pa.idx(_LOWER_LIP), lip, C["lower_lip"])
    inner = list(range(60, 68))
    pa.fill(pa.idx(inner), (70.0, 22.0, 28.0), C["inner_mouth"])
    down = pts[66, :2] - pts[62, :2]
    if np.hypot(*down) > 1.5:
        top = pts[[60, 61, 62, 63, 64], :2]
        teeth = np.concatenate([top, top[[3, 2, 1]] + 0.45 * down])
        pa.fill(np.round(teeth * _ONE).astype(np.int32), (238.0, 236.0, 225.0), None)


def _draw_cues(pa: _Painter, ip: IdentityParams, scene: SceneParams, pts: np.ndarray, s: float) -> None:
    """Expression and age cues drawn on the image only: folds, forehead and frown lines, nose wrinkles."""
    au = dict(zip((1, 2, 4, 5, 6, 9, 12, 15, 17, 20, 25, 26), (float(v) for v in scene.au)))
    line = _skin_shade(ip.skin_rgb, 0.72)
    up = pts[27, :2] - pts[8, :2]
    up = up / max(np.hypot(*up), 1e-6)
    if au[12] > 1.0 or au[6] > 2.0 or ip.old:
        for ala, corner, mid in ((79, 48, 51), (80, 54, 51)):
            out = pts[corner, :2] + (pts[corner, :2] - pts[mid, :2]) * 0.25
            pa.line(np.stack([pts[ala, :2], (pts[ala, :2] + out) / 2 - up * 0.02 * s, out - up * 0.05 * s]), line)
    if au[1] + au[2] > 4.0 or ip.old:
        brow = pts[list(range(17, 27)), :2]
        for k in range(2 if ip.old and au[1] + au[2] <= 4.0 else 3):
            pa.line(brow[2:-2] + up * (0.13 + 0.06 * k) * s, line)
    if au[4] > 2.0:
        mid, half = (pts[21, :2] + pts[22, :2]) / 2, (pts[22, :2] - pts[21, :2]) * 0.22
        for sign in (-1.0, 1.0):
            base = mid + sign * half
            pa.line(np.stack([base - up * 0.02 * s, base + up * 0.1 * s]), line)
    if au[9] > 2.0:
        for f in (0.35, 0.6):
            a, b = pts[77, :2] * (1 - f) + pts[78, :2] * f, pts[82, :2] * (1 - f) + pts[81, :2] * f
            pa.line(np.stack([a - (b - a) * 0.3, b + (b - a) * 0.3]), line)


def _draw_glasses(pa: _Painter, ip: IdentityParams, pts: np.ndarray, s: float, roll: float) -> None:
    rgb = tuple(float(v) for v in ip.glasses_rgb)
    thick = max(1, int(round(0.025 * s)))
    cens = []
    for first in (36, 42):
        cen = pts[first:first + 6, :2].mean(0)
        cens.append(cen)
        axes = (int(ip.eye_w * 1.4 * s * _ONE), int(ip.eye_h * 2.5 * s * _ONE))
        cv2.ellipse(pa.canvas, tuple(int(v) for v in np.round(cen * _ONE)), axes, roll, 0, 360, rgb, thick,
                    cv2.LINE_8, SHIFT)
    a, b = cens
    d = (b - a) / max(np.hypot(*(b - a)), 1e-6)
    p0, p1 = a + d * ip.eye_w * 1.4 * s, b - d * ip.eye_w * 1.4 * s
    cv2.line(pa.canvas, tuple(int(v) for v in np.round(p0 * _ONE)), tuple(int(v) for v in np.round(p1 * _ONE)),
             rgb, thick, cv2.LINE_8, SHIFT)


def render(ip: IdentityParams, scene: SceneParams, size: int) -> Rendered:
    """Draw one face. Returns the image, the LaPa mask and the projected points (pixels)."""
    shape = T.deform(T.neutral_shape(ip), scene.au, scene.contempt_side)
    pts, s = project(shape, scene, size)
    canvas = background(scene, size)
    mask = np.zeros((size, size), np.uint8)
    pa = _Painter(canvas, mask, pts)
    _draw_head(pa, ip, scene, s)
    _draw_nose(pa, ip, pts, s)
    _draw_brows(pa, ip)
    _draw_eyes(pa, ip, scene, pts, s)
    _draw_mouth(pa, ip, pts)
    _draw_cues(pa, ip, scene, pts, s)
    if ip.glasses:
        _draw_glasses(pa, ip, pts, s, float(scene.pose[2]))
    return Rendered(finish(canvas, scene), mask, pts, shape)
