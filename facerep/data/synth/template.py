"""The 3D face template: the 68 iBUG/300W landmarks plus auxiliary points that outline the drawn parts
(forehead, nose wings, brow edges, hair, beard, neck, clothes), built from :class:`IdentityParams`,
and the action-unit displacement basis that moves them.

Landmark order (0-based, iBUG/300W): jaw 0-16, subject's right brow 17-21 (outer -> inner), left brow
22-26 (inner -> outer), nose bridge 27-30, nostrils 31-35, subject's right eye 36-41 (outer corner,
upper lid, inner corner, lower lid), left eye 42-47, outer lips 48-59, inner lips 60-67. The subject's
right side is at negative x, i.e. on the image left in a frontal face.

Every shape is exactly left/right symmetric: the points of one side are built and the others are their
mirror images through :data:`PERM` (the index permutation of a horizontal flip, equal to
:func:`facerep.data.transforms.flip_landmark_permutation` on the first 68 points).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..vocab import DISFA_AUS
from .params import IdentityParams

N68 = 68
FOREHEAD = np.arange(68, 77)       # 9 points, image-left -> image-right, over the top of the head
NOSE_AUX = np.arange(77, 83)       # bridge sides and nose wings: 77-79 image-left, 80-82 image-right
IRIS = np.array([83, 84])          # eye-ball centres (right eye, left eye)
EAR = np.array([85, 86])
BROW_UP = (np.arange(87, 92), np.arange(97, 102))    # upper brow edge, per brow, in landmark order
BROW_LO = (np.arange(92, 97), np.arange(102, 107))   # lower brow edge
HAIR_CAP = np.arange(107, 120)     # 13 points: image-left bottom -> top -> image-right bottom
HAIRLINE = np.arange(120, 129)     # 9 points, image-left -> image-right
BEARD = np.arange(129, 133)        # moustache line, image-left -> image-right
NECK = np.arange(133, 137)
CLOTHES = np.arange(137, 144)
N_POINTS = 144
PIVOT = np.array([0.0, 0.15, 0.45])  # head rotation centre (face units)


def _flip_pairs() -> list[tuple[int, int]]:
    pairs = [(i, 16 - i) for i in range(8)] + [(17 + i, 26 - i) for i in range(5)] + [(31, 35), (32, 34)]
    pairs += [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]
    pairs += [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58), (60, 64), (61, 63), (65, 67)]
    for group in (FOREHEAD, NOSE_AUX, IRIS, EAR, HAIR_CAP, HAIRLINE, BEARD, NECK):
        n = len(group)
        pairs += [(int(group[i]), int(group[n - 1 - i])) for i in range(n // 2)]
    for up_lo in (BROW_UP, BROW_LO):
        pairs += [(int(up_lo[0][i]), int(up_lo[1][4 - i])) for i in range(5)]
    c = CLOTHES
    pairs += [(int(c[0]), int(c[3])), (int(c[1]), int(c[2])), (int(c[4]), int(c[6]))]
    return pairs


def _perm() -> np.ndarray:
    perm = np.arange(N_POINTS)
    for a, b in _flip_pairs():
        perm[a], perm[b] = b, a
    return perm


PERM = _perm()
_MIDLINE = np.nonzero(PERM == np.arange(N_POINTS))[0]  # points that map to themselves (x = 0)


def _jaw(ip: IdentityParams) -> np.ndarray:
    phi = np.pi * np.arange(9) / 16.0
    c, s = np.cos(phi), np.sin(phi)
    top = ip.eye_y - 0.02
    x = -ip.face_w * np.abs(c) ** ip.jaw_sq
    y = top + (ip.chin_y - top) * s ** 1.3
    z = 0.45 * np.abs(c) + 0.08
    return np.stack([x, y, z], 1)


def _brow(ip: IdentityParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.arange(5) / 4.0
    x = -ip.brow_out + (ip.brow_out - ip.brow_in) * t
    y = ip.brow_y - ip.brow_arch * np.sin(np.pi * (0.2 + 0.75 * t))
    z = 0.12 - 0.1 * t
    thick = ip.brow_thick * (0.6 + 0.4 * t)
    mid = np.stack([x, y, z], 1)
    down = np.array([0.0, 1.0, 0.0]) * thick[:, None] / 2
    return mid, mid - down, mid + down


def _eye(ip: IdentityParams) -> np.ndarray:
    ex, ey, w, h = -ip.eye_cx, ip.eye_y, ip.eye_w, ip.eye_h
    pts = np.array([[ex - w, ey, 0.16], [ex - w / 3, ey - h, 0.08], [ex + w / 3, ey - 0.95 * h, 0.08],
                    [ex + w, ey, 0.12], [ex + w / 3, ey + 0.7 * h, 0.1], [ex - w / 3, ey + 0.75 * h, 0.1]])
    pts[:, 1] -= ip.eye_tilt * (ex - pts[:, 0]) / (2 * w)  # outer (more negative x) corner up
    return pts


def _mouth(ip: IdentityParams) -> dict[int, list[float]]:
    w, y, u, lo = ip.mouth_w, ip.mouth_y, ip.lip_up, ip.lip_lo
    return {48: [-w, y, 0.14], 49: [-0.55 * w, y - 0.85 * u, 0.05], 50: [-0.2 * w, y - 1.05 * u, 0.0],
            51: [0.0, y - 0.8 * u, -0.01], 59: [-0.55 * w, y + 0.8 * lo, 0.05], 58: [-0.22 * w, y + lo, 0.01],
            57: [0.0, y + 1.02 * lo, 0.0], 60: [-0.85 * w, y, 0.12], 61: [-0.4 * w, y - 0.004, 0.04],
            62: [0.0, y - 0.004, 0.02], 67: [-0.4 * w, y + 0.004, 0.04], 66: [0.0, y + 0.004, 0.02]}


def _nose(ip: IdentityParams) -> dict[int, list[float]]:
    top, tip, nz, nw = ip.eye_y - 0.02, ip.nose_tip_y, ip.nose_z, ip.nose_w
    return {27: [0.0, top, 0.0], 28: [0.0, top + (tip - top) / 3, -0.4 * nz],
            29: [0.0, top + 2 * (tip - top) / 3, -0.7 * nz], 30: [0.0, tip, -nz],
            31: [-nw, tip + 0.08, -0.35 * nz], 32: [-0.5 * nw, tip + 0.1, -0.55 * nz],
            33: [0.0, tip + 0.11, -0.7 * nz],
            77: [-0.07, top, 0.0], 78: [-0.09, top + 2 * (tip - top) / 3, -0.4 * nz],
            79: [-1.15 * nw, tip + 0.02, -0.25 * nz]}


def _hair(ip: IdentityParams) -> tuple[np.ndarray, np.ndarray]:
    """Hair cap (13 points) and hairline (9 points); only the image-left half and the middle are used."""
    rx = ip.face_w * {"bald": 1.0, "short": 1.07, "medium": 1.13, "long": 1.2}[ip.hair_style]
    end = {"bald": -0.2, "short": -0.2, "medium": 0.55, "long": 1.9}[ip.hair_style]
    yc, ry = -0.2, abs(ip.forehead_y + 0.2) + 0.22
    a = np.pi * np.arange(13) / 12.0
    cap = np.stack([-rx * np.cos(a), yc - ry * np.sin(a), 0.35 + 0.0 * a], 1)
    cap[0, 1], cap[0, 0] = end, -rx * (1.08 if end > 0.5 else 1.0)
    b = np.pi * np.arange(9) / 8.0
    y_temple = ip.eye_y - 0.16
    y_mid = -0.6 if ip.bangs else (-0.84 if ip.old else -0.72)
    if ip.hair_style == "bald":
        y_mid = ip.forehead_y - 0.05
    line_y = y_temple - (y_temple - y_mid) * np.sin(b) ** 0.6
    if ip.bangs:
        line_y[1:-1] += 0.035 * (np.arange(1, 8) % 2)
    line = np.stack([-0.97 * ip.face_w * np.cos(b), line_y, 0.1 + 0.0 * b], 1)
    return cap, line


def _assemble(ip: IdentityParams) -> np.ndarray:
    p = np.full((N_POINTS, 3), np.nan)
    p[0:9] = _jaw(ip)
    mid, up, lo = _brow(ip)
    p[17:22], p[BROW_UP[0]], p[BROW_LO[0]] = mid, up, lo
    p[36:42] = _eye(ip)
    for k, v in {**_nose(ip), **_mouth(ip)}.items():
        p[k] = v
    top = ip.eye_y - 0.02
    f = np.pi * np.arange(1, 10) / 10.0
    p[FOREHEAD[:5]] = np.stack([-ip.face_w * np.cos(f), top - (top - ip.forehead_y) * np.sin(f),
                                0.3 + 0.0 * f], 1)[:5]
    p[IRIS[0]] = [-ip.eye_cx, ip.eye_y - 0.05 * ip.eye_h, 0.05]
    p[EAR[0]] = [-ip.face_w * 1.02, ip.eye_y + 0.14, 0.6]
    cap, line = _hair(ip)
    p[HAIR_CAP[:7]], p[HAIRLINE[:5]] = cap[:7], line[:5]
    p[BEARD[0]] = [-ip.mouth_w - 0.12, ip.mouth_y + 0.06, 0.1]
    p[BEARD[1]] = [-0.75 * ip.mouth_w, ip.nose_tip_y + 0.15, 0.0]
    p[NECK[0]], p[NECK[1]] = [-0.45 * ip.face_w, 0.55, 0.5], [-0.5 * ip.face_w, ip.chin_y + 1.2, 0.5]
    c, ch = CLOTHES, ip.chin_y
    p[c[0]], p[c[1]], p[c[4 + 2]] = [-1.5, ch + 0.45, 0.5], [-2.6, ch + 2.6, 0.5], [-0.5, ch + 0.32, 0.5]
    p[c[5]] = [0.0, ch + 0.6, 0.5]
    return p


def _symmetrize(p: np.ndarray) -> np.ndarray:
    """Fill each unset (NaN) point with the mirror image of its partner; midline points get x = 0."""
    out = p.copy()
    unset = np.isnan(out[:, 0])
    if np.isnan(p[PERM[unset]]).any():
        raise AssertionError("a point and its mirror partner are both unset")
    out[unset] = p[PERM[unset]] * [-1.0, 1.0, 1.0]
    out[_MIDLINE, 0] = 0.0
    if np.isnan(out).any():
        raise AssertionError(f"template points left unset: {np.nonzero(np.isnan(out[:, 0]))[0].tolist()}")
    return out


@lru_cache(maxsize=1024)
def neutral_shape(ip: IdentityParams) -> np.ndarray:
    """[N_POINTS, 3] float64 neutral 3D shape of an identity (face units). Read-only."""
    out = _symmetrize(_assemble(ip))
    out.setflags(write=False)
    return out


# --- action units: displacement per intensity unit (face units), [12, N_POINTS, 3] ----------------

def _au_rows() -> dict[int, dict[int, tuple[float, float]]]:
    """Displacements (dx, dy) of the image-left side and midline, per AU code; mirrored below."""
    w_in = {17 + i: i / 4.0 for i in range(5)}  # 0 at the outer brow end, 1 at the inner
    corner = {48: 1.0, 60: 1.0, 49: 0.5, 59: 0.5, 61: 0.4, 67: 0.4, 50: 0.15, 58: 0.15}
    rows: dict[int, dict[int, tuple[float, float]]] = {code: {} for code in DISFA_AUS}
    for i, w in w_in.items():
        rows[1][i] = (0.0, -0.024 * w - 0.003)
        rows[2][i] = (0.0, -0.024 * (1 - w) - 0.003)
        rows[4][i] = (0.013 * w, 0.018 * (0.4 + 0.6 * w))
        rows[9][i] = (0.0, 0.006 * w)
    for i in (37, 38):
        rows[5][i] = (0.0, -0.012)
    for i in (40, 41):
        rows[6][i] = (0.0, -0.009)
    for i, w in corner.items():
        rows[6][i] = (0.0, -0.004 * w)
        rows[12][i] = (-0.014 * w, -0.022 * w)
        rows[15][i] = (0.002 * w, 0.02 * w)
        rows[20][i] = (-0.02 * w, 0.004 * w)
    for i in (31, 32, 33, 79):
        rows[9][i] = (-0.004 if i in (31, 79) else 0.0, -0.012)
    for i in (49, 50, 51, 61, 62):
        rows[9][i] = (0.0, -0.006)
        rows[17][i] = (0.0, -0.003)
    for i in (57, 58, 59, 66, 67):
        rows[17][i] = (0.0, -0.008)
        rows[25][i] = (0.0, 0.012 if i in (66, 67) else 0.01)
        rows[26][i] = (0.0, 0.04)
    for i in (61, 62):
        rows[25][i] = (0.0, -0.006)
    for k in range(9):
        w = np.sin(np.pi * k / 16.0) ** 2
        rows[17][k] = (0.0, -0.01 * w)
        rows[26][k] = (0.0, 0.04 * w)
    rows[26][48] = rows[26][60] = (0.0, 0.01)
    rows[26][int(BEARD[0])] = (0.0, 0.02)
    rows[12][int(BEARD[0])] = (-0.01, -0.01)
    return rows


def _au_basis() -> np.ndarray:
    rows = _au_rows()
    basis = np.zeros((len(DISFA_AUS), N_POINTS, 3))
    for a, code in enumerate(DISFA_AUS):
        for i, (dx, dy) in rows[code].items():
            basis[a, i, :2] = (dx, dy)
        for b in range(5):  # brow edges move with their brow landmark
            basis[a, BROW_UP[0][b]] = basis[a, BROW_LO[0][b]] = basis[a, 17 + b]
        basis[a, _RIGHT] = basis[a, PERM[_RIGHT]] * [-1.0, 1.0, 1.0]
    basis.setflags(write=False)
    return basis


_REF = neutral_shape(IdentityParams())
_RIGHT = np.nonzero((_REF[:, 0] > 0) & (PERM != np.arange(N_POINTS)))[0]  # built as mirror images
AU_BASIS = _au_basis()
_AU_BASIS_2D = AU_BASIS.reshape(len(DISFA_AUS), N_POINTS * 3)
# (image-left, image-right) weights of each point, 0.5 on the midline: one-sided movements (contempt)
_LEFT_W = np.where(_REF[:, 0] < 0, 1.0, np.where(_REF[:, 0] > 0, 0.0, 0.5))
SIDE_WEIGHTS = (_LEFT_W, _LEFT_W[PERM])


def deform(shape: np.ndarray, au: np.ndarray, contempt_side: int = 0) -> np.ndarray:
    """Neutral shape [N, 3] + AU intensities [12] -> expressive shape [N, 3]. With ``contempt_side``
    (+1 image-right, -1 image-left) AU12 moves only that side's lip corner (unilateral AU12)."""
    au = np.asarray(au, np.float64)
    if contempt_side == 0:
        return shape + _au_offsets(au)
    idx12 = DISFA_AUS.index(12)
    others = au.copy()
    others[idx12] = 0.0
    w = SIDE_WEIGHTS[1] if contempt_side > 0 else SIDE_WEIGHTS[0]
    return shape + _au_offsets(others) + (au[idx12] * w)[:, None] * AU_BASIS[idx12]


def _au_offsets(au: np.ndarray) -> np.ndarray:
    """AU intensities [12] -> displacements [N_POINTS, 3]; the product ``np.tensordot(au, AU_BASIS, 1)``
    computes, without its reshaping overhead."""
    return np.dot(au[None, :], _AU_BASIS_2D).reshape(N_POINTS, 3)
