"""Five alignment points found by MTCNN for faces that come without landmarks, cached on disk."""
from __future__ import annotations

import numpy as np
import pytest

from facerep.curate.five_points import FivePointFinder, resolve_landmarker
from facerep.errors import ConfigError


@pytest.fixture(scope="module")
def face(astronaut) -> np.ndarray:
    """A tight 96-px crop of the astronaut's face (no context around it, like FER's or CK+48's faces)."""
    import cv2

    return cv2.resize(np.ascontiguousarray(astronaut[30:230, 130:330]), (96, 96), interpolation=cv2.INTER_AREA)


def test_points_on_a_tight_real_face_and_the_cache(face, tmp_path):
    finder = FivePointFinder("mtcnn", tmp_path)
    pts = finder(face)
    assert pts is not None and pts.shape == (5, 2)
    left_eye, right_eye, nose, mouth_l, mouth_r = pts
    assert left_eye[0] < right_eye[0] and mouth_l[0] < mouth_r[0]  # image-left before image-right
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_l[1], mouth_r[1])  # eyes, nose, mouth downwards
    assert (pts > 0).all() and (pts < 96).all()
    assert finder(np.zeros((48, 48, 3), np.uint8)) is None  # no face
    finder.save()
    again = FivePointFinder("mtcnn", tmp_path)
    again._detect = None  # a cached image must not be detected again
    np.testing.assert_allclose(again(face), pts)
    assert again(np.zeros((48, 48, 3), np.uint8)) is None


def test_landmarker_names():
    assert resolve_landmarker("none") is None
    assert resolve_landmarker("auto") == "mtcnn"  # facenet-pytorch is installed for the tests
    with pytest.raises(ConfigError, match="not one of auto, mtcnn, faceapi, none"):
        resolve_landmarker("dlib")


def test_faceapi_points_agree_with_mtcnn_on_a_real_face(face, tmp_path):
    """face-api's 68-point net (its 5 points derived from the 68) and MTCNN place the same eyes, nose and mouth
    on the astronaut's face within a few pixels of 96."""
    mtcnn = FivePointFinder("mtcnn", tmp_path)(face)
    faceapi = FivePointFinder("faceapi", tmp_path)(face)
    assert faceapi is not None and np.abs(faceapi - mtcnn).max() < 3.0
    assert resolve_landmarker("faceapi") == "faceapi"
