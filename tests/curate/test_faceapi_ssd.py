"""`facerep curate --detector faceapi-ssd --landmarker faceapi` on the astronaut (real weights from the cache;
the detector's boxes equal the original's on the demo photos:
tests/backbones/faceapi/test_faceapi_reference.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from curate_media import save_image

from facerep.backbones.faceapi.weights import in_cache
from facerep.curate.detect import create_detector
from facerep.data.geometry import template

EYES = np.array([[205.0, 102.0], [247.0, 104.0]])  # the astronaut's eyes, as in test_detect.py


@pytest.fixture(scope="module", autouse=True)
def weights():
    if not in_cache():
        pytest.fail("the face-api weights are not in facerep's cache: run `facerep weights faceapi`",
                    pytrace=False)


def test_ssd_finds_the_astronaut_with_68_points(astronaut):
    (d,) = create_detector("faceapi-ssd").detect(astronaut)
    assert d.score > 0.9 and d.landmarks_source == "faceapi-68" and d.landmarks68.shape == (68, 2)
    assert np.linalg.norm(d.landmarks[:2] - EYES, axis=1).max() < 6
    assert (d.box[:2] < d.landmarks68.min(0) + 10).all() and (d.landmarks68.max(0) < d.box[2:] + 10).all()
    assert create_detector("faceapi-ssd").detect(np.full((128, 128, 3), 127, np.uint8)) == []


def test_cli_curates_with_faceapi(tmp_path, astronaut, cli):
    save_image(tmp_path / "in" / "astronaut.png", astronaut)
    code, _, err = cli("--quiet", "curate", tmp_path / "in", tmp_path / "out", "--detector", "faceapi-ssd",
                         "--landmarker", "faceapi")
    assert code == 0, err
    (row,) = pd.read_parquet(tmp_path / "out" / "manifest.parquet").itertuples()
    assert row.landmarks_source == "faceapi-68" and len(row.landmarks68) == 136
    eyes = np.asarray(row.crop_landmarks).reshape(5, 2)[:2]
    assert np.abs(eyes - template(112)[:2]).max() < 3
