from __future__ import annotations

import cv2
import numpy as np

from facerep.curate.align import align_face
from facerep.data.geometry import apply, template


def test_align_face_warps_pixels_to_the_template():
    # a marker drawn at each landmark ends up at the template point in the crop
    img = np.zeros((300, 300, 3), np.uint8)
    forward = cv2.getRotationMatrix2D((0.0, 0.0), 12.0, 1.7)  # scale 1.7, 12 degrees, then shift by (60, 80)
    forward[:, 2] = (60.0, 80.0)
    landmarks = apply(forward, template(64))
    for x, y in landmarks:
        img[int(round(y)) - 1:int(round(y)) + 2, int(round(x)) - 1:int(round(x)) + 2] = 255
    crop, _, aligned = align_face(img, landmarks, 64)
    assert crop.shape == (64, 64, 3) and crop.dtype == np.uint8
    for x, y in template(64):
        patch = crop[int(y) - 1:int(y) + 3, int(x) - 1:int(x) + 3, 0]
        assert patch.max() > 100
    np.testing.assert_allclose(aligned, template(64), atol=1e-2)
