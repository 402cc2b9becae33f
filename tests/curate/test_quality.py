from __future__ import annotations

import numpy as np
import pytest

from facerep.curate.quality import failed_filter, frontal, measure, parse_minimums, sharpness
from facerep.data.geometry import template
from facerep.errors import ConfigError


def test_sharpness_drops_with_blur(astronaut):
    import cv2

    crop = cv2.resize(astronaut, (112, 112))
    blurred = cv2.GaussianBlur(crop, (0, 0), 2.0)
    assert sharpness(crop) > 3 * sharpness(blurred)
    assert sharpness(np.full((32, 32, 3), 128, np.uint8)) == 0.0


def test_frontal_is_one_for_the_template_and_drops_with_yaw():
    lm = template(112)
    assert frontal(lm) > 0.97  # the template itself is almost symmetric
    turned = lm.copy()
    turned[2, 0] += 12.0  # nose towards one side, as in a turned head
    assert frontal(turned) < frontal(lm) - 0.2
    far = lm.copy()
    far[2, 0] = lm[1, 0] + 5  # nose beyond the eye: profile
    assert frontal(far) < 0.3


def test_measure_and_filters():
    crop = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    q = measure(crop, template(64), face_size=40.0, score=0.9)
    assert set(q) == {"sharpness", "face_size", "score", "frontal"}
    assert failed_filter(q, {"face_size": 30, "score": 0.5}) is None
    assert failed_filter(q, {"face_size": 50}) == "face_size"
    assert failed_filter(q, {"score": 0.95}) == "score"
    assert failed_filter(q, {"score": 0.0}) is None  # 0 disables a filter


def test_parse_minimums():
    assert parse_minimums(["sharpness=50", "face-size=20"]) == {"sharpness": 50.0, "face_size": 20.0}
    with pytest.raises(ConfigError, match="key=value"):
        parse_minimums(["sharpness"])
    with pytest.raises(ConfigError, match="not a number"):
        parse_minimums(["sharpness=abc"])
