from __future__ import annotations

import numpy as np
import pytest

from facerep.curate.detect import create_detector, list_detectors
from facerep.errors import UnknownNameError

# the astronaut's eyes (image-left, image-right), measured once by hand on the 512×512 image
EYES = np.array([[205.0, 102.0], [247.0, 104.0]])


def test_registry_lists_detectors_and_rejects_unknown():
    assert {"mtcnn", "haar"} <= set(list_detectors())
    with pytest.raises(UnknownNameError, match="haar"):
        create_detector("haarr")


def test_mtcnn_finds_the_astronaut_with_landmarks(astronaut):
    dets = create_detector("mtcnn").detect(astronaut)
    assert len(dets) == 1
    d = dets[0]
    assert d.score > 0.99 and d.landmarks_source == "detector" and d.landmarks.shape == (5, 2)
    assert np.linalg.norm(d.landmarks[:2] - EYES, axis=1).max() < 4
    assert d.box[0] < d.landmarks[:, 0].min() and d.landmarks[:, 0].max() < d.box[2]
    assert d.landmarks[2, 1] < d.landmarks[3, 1]  # nose above the mouth


def test_haar_fallback_finds_the_face_and_places_landmarks(astronaut):
    dets = create_detector("haar").detect(astronaut)
    assert len(dets) >= 1
    d = dets[0]
    assert d.landmarks_source in ("eye-cascade", "box-estimate")
    assert np.linalg.norm(d.landmarks[:2] - EYES, axis=1).max() < 12
    assert 0 < d.score <= 1


def test_auto_falls_back_to_haar_without_facenet(monkeypatch):
    from facerep.curate import detect

    monkeypatch.setattr(detect, "mtcnn_available", lambda: False)
    with pytest.warns(UserWarning, match="Haar"):
        assert create_detector("auto").name == "haar"


def test_no_face_gives_no_detection():
    blank = np.full((96, 96, 3), 127, np.uint8)
    assert create_detector("mtcnn").detect(blank) == []
    assert create_detector("haar").detect(blank) == []
