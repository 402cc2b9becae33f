"""Parameter records of the synthetic face source: who the face is (:class:`IdentityParams`, fixed per
identity) and how it is shown (:class:`SceneParams`, drawn per sample or per video frame).

Units of the face frame ("face units"): x to the image right, y down, z away from the camera; the
face half-width is about 1, eyes sit near y = -0.2 and the chin near y = +1.1.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

HAIR_STYLES: tuple[str, ...] = ("bald", "short", "medium", "long")
HAIR_COLOURS: dict[str, tuple[int, int, int]] = {
    "black": (28, 24, 22), "brown": (96, 62, 38), "blond": (212, 178, 112), "red": (158, 72, 38),
    "grey": (172, 170, 166),
}


@dataclass(frozen=True)
class IdentityParams:
    """Identity: face geometry (left/right symmetric) and appearance. All lengths in face units."""

    face_w: float = 0.92        # face half-width
    chin_y: float = 1.1         # chin height
    jaw_sq: float = 0.8         # jaw squareness exponent (lower = squarer)
    forehead_y: float = -0.9    # top of the forehead
    brow_y: float = -0.45
    brow_arch: float = 0.06
    brow_thick: float = 0.06
    brow_in: float = 0.16       # |x| of the inner brow end
    brow_out: float = 0.76      # |x| of the outer brow end
    eye_y: float = -0.2
    eye_cx: float = 0.4         # |x| of each eye centre
    eye_w: float = 0.19         # eye half-width
    eye_h: float = 0.07         # eye half-height (open, neutral)
    eye_tilt: float = 0.0       # outer corners raised by this much
    nose_tip_y: float = 0.18
    nose_w: float = 0.17
    nose_z: float = 0.42        # protrusion of the tip towards the camera
    mouth_y: float = 0.55
    mouth_w: float = 0.36
    lip_up: float = 0.07
    lip_lo: float = 0.085
    skin_tone: float = 0.3      # 0 = lightest .. 1 = darkest
    skin_rgb: tuple[int, int, int] = (228, 190, 160)
    lip_rgb: tuple[int, int, int] = (190, 100, 100)
    iris_rgb: tuple[int, int, int] = (80, 60, 40)
    hair_style: str = "short"
    hair_colour: str = "brown"
    bangs: bool = False
    glasses: bool = False
    glasses_rgb: tuple[int, int, int] = (30, 30, 30)
    beard: bool = False
    old: bool = False

    @property
    def hair_rgb(self) -> tuple[int, int, int]:
        return HAIR_COLOURS[self.hair_colour]


@dataclass
class SceneParams:
    """One rendering of an identity: expression, pose, framing, light and degradations."""

    au: np.ndarray = field(default_factory=lambda: np.zeros(12, np.float32))  # DISFA order, 0-5
    expression: int = 0
    strength: float = 0.0        # expression strength in [0, 1]
    contempt_side: int = 0       # +1: the image-right lip corner rises alone, -1: the image-left one
    pose: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))  # yaw, pitch, roll (degrees)
    scale: float = 0.3           # pixels per face unit / image size
    cx: float = 0.5              # pivot position / image size
    cy: float = 0.47
    gaze: tuple[float, float] = (0.0, 0.0)
    light: tuple[float, float, float] = (0.0, 0.0, 1.0)  # gradient x, gradient y, ambient gain
    bg_index: int = 0
    bg_rgb: tuple[tuple[int, int, int], tuple[int, int, int]] = ((90, 90, 90), (160, 160, 160))
    bg_offset: tuple[int, int] = (0, 0)
    clothes_rgb: tuple[int, int, int] = (60, 80, 120)
    blur: float = 0.0            # Gaussian sigma in pixels (0 = none)
    noise: float = 0.0           # noise sigma in grey levels
    noise_index: int = 0
    noise_offset: tuple[int, int] = (0, 0)
    jpeg: int = 0                # JPEG quality (0 = no JPEG round trip)


def mirror_scene(scene: SceneParams, size: int) -> SceneParams:
    """The scene seen in a mirror: yaw, roll, gaze x, light x, contempt side and the pivot's x flip,
    so that rendering the mirrored scene gives the horizontally flipped geometry."""
    yaw, pitch, roll = (float(v) for v in scene.pose)
    return dataclasses.replace(
        scene, pose=np.array([-yaw, pitch, -roll], np.float32), contempt_side=-scene.contempt_side,
        cx=((size - 1) - scene.cx * size) / size, gaze=(-scene.gaze[0], scene.gaze[1]),
        light=(-scene.light[0], scene.light[1], scene.light[2]))
