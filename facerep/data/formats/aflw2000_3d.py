"""AFLW2000-3D (Zhu et al., CVPR 2016): per image ``imageNNNNN.jpg`` + ``imageNNNNN.mat``.

Each ``.mat`` holds ``pt3d_68`` (3×68: x, y, z of the 68 iBUG points fitted by 3DDFA) and
``Pose_Para`` (1×7: pitch, yaw, roll in radians, then tx, ty, tz, scale). facerep gives:

- ``landmarks3d`` (68×3): x, y converted from MATLAB 1-based to 0-based (minus 1); z negated, since
  3DDFA's z points towards the camera and facerep's z grows away from it;
- ``landmarks2d`` (68×2): the x, y of ``landmarks3d`` (the usual 2D AFLW2000-3D protocol);
- ``pose``: (yaw, pitch, roll) in degrees, signs as in ``Pose_Para``.

The dataset has no official split (it is a test set): ``split=None`` only. The folder may hold the
files directly or in ``AFLW2000/``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import DataError
from . import register_format
from ._common import (
    FormatBase,
    Item,
    LazyDataset,
    check_no_split,
    find_image,
    float_array,
    make_info,
    need_dir,
)
from ._matlab import read_matlab


def read_mat(mat: Path) -> dict[str, np.ndarray]:
    """Labels of one AFLW2000-3D ``.mat`` (see the module doc for conventions)."""
    data = read_matlab(mat)
    for key in ("pt3d_68", "Pose_Para"):
        if key not in data:
            raise DataError(f"variable {key!r} missing; expected pt3d_68 (3×68) and Pose_Para (1×7)",
                            str(mat))
    pts = float_array(data["pt3d_68"], mat, "pt3d_68")
    pose = float_array(data["Pose_Para"], mat, "Pose_Para").reshape(-1)
    if pts.shape != (3, 68):
        raise DataError(f"pt3d_68 has shape {pts.shape}; expected 3×68", str(mat))
    if pose.size != 7:
        raise DataError(f"Pose_Para has {pose.size} values; expected 7 (pitch yaw roll tx ty tz scale)",
                        str(mat))
    lm3 = np.stack([pts[0] - 1.0, pts[1] - 1.0, -pts[2]], axis=1).astype(np.float32)
    return {"landmarks3d": lm3, "landmarks2d": lm3[:, :2].copy(),
            "pose": np.degrees([pose[1], pose[0], pose[2]]).astype(np.float32)}


@register_format("aflw2000-3d",
                 description="AFLW2000-3D: per-image .mat (pt3d_68, Pose_Para) -> 3D/2D landmarks, pose")
class FormatAFLW2000(FormatBase):
    provides = frozenset({"landmarks2d", "landmarks3d", "pose"})
    splits = ()

    def open(self, path: str, split: str | None = None) -> LazyDataset:
        check_no_split("aflw2000-3d", split)
        root = need_dir(path, "aflw2000-3d")
        folder = root / "AFLW2000" if (root / "AFLW2000").is_dir() else root
        items = []
        for mat in sorted(folder.glob("*.mat")):
            image = find_image(mat.with_suffix(""))
            if image is None:
                raise DataError("no image beside this .mat file (expected the same name with .jpg)", str(mat))
            items.append(Item(str(image), read_mat(mat)))
        if not items:
            raise DataError("aflw2000-3d: no .mat files in this folder", str(folder))
        return LazyDataset(items, make_info("aflw2000-3d", self.provides, landmark_scheme="68"))
