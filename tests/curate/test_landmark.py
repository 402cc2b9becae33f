"""Landmarkers in curation (a stand-in landmarker; the real face-api one is in test_faceapi_ssd.py): the 68
points go into the manifest and the crop is aligned by the 5 points derived from them."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from curate_media import save_image

from facerep.config import CurateConfig
from facerep.curate.curate import curate
from facerep.curate.detect import Detection
from facerep.curate.landmark import create_landmarker, refine
from facerep.data.geometry import template
from facerep.data.transforms import five_points
from facerep.errors import UnknownNameError


class BoxLandmarker:
    """68 points laid out in the box: eyes at 30 % / 70 % of the width, 35 % of the height (one pixel of
    spread per point), nose tip at the centre, mouth corners at 35 % / 65 %, 75 %."""

    name = "stand-in"

    def landmarks(self, image, boxes):
        out = []
        for box in boxes:
            origin, size = np.asarray(box[:2], float), np.asarray(box[2:], float) - box[:2]
            p = np.zeros((68, 2))
            spread = np.linspace(-2.5, 2.5, 6)[:, None] * [1, 0]
            p[36:42] = origin + size * [0.3, 0.35] + spread
            p[42:48] = origin + size * [0.7, 0.35] + spread
            p[[30, 48, 54]] = origin + size * [[0.5, 0.55], [0.35, 0.75], [0.65, 0.75]]
            out.append(p.astype(np.float32))
        return out


def test_refine_takes_the_five_points_from_the_68():
    det = Detection(box=np.array([0, 0, 100, 100], np.float32), score=0.9,
                    landmarks=np.zeros((5, 2), np.float32))
    (got,) = refine(BoxLandmarker(), np.zeros((100, 100, 3), np.uint8), [det])
    assert got.landmarks_source == "stand-in-68" and got.landmarks68.shape == (68, 2)
    np.testing.assert_allclose(got.landmarks, [[30, 35], [70, 35], [50, 55], [35, 75], [65, 75]], atol=1e-4)
    assert create_landmarker("none") is None
    with pytest.raises(UnknownNameError, match="unknown landmarker 'faceapii'.*faceapi"):
        create_landmarker("faceapii")


def test_curate_writes_68_points_and_aligns_by_them(tmp_path, astronaut):
    save_image(tmp_path / "in" / "astronaut.png", astronaut)
    cfg = CurateConfig(detector="haar", landmarker="stand-in")
    curate(tmp_path / "in", tmp_path / "out", cfg, landmarker=BoxLandmarker())
    row = pd.read_parquet(tmp_path / "out" / "manifest.parquet").iloc[0]
    assert row.landmarks_source == "stand-in-68" and len(row.landmarks68) == len(row.crop_landmarks68) == 136
    crop68 = np.asarray(row.crop_landmarks68).reshape(68, 2)
    np.testing.assert_allclose(five_points(crop68), np.asarray(row.crop_landmarks).reshape(5, 2), atol=1e-3)
    assert np.abs(five_points(crop68)[:2] - template(112)[:2]).max() < 3  # the eyes landed on the template
    curate(tmp_path / "in", tmp_path / "plain", CurateConfig(detector="haar"))
    plain = pd.read_parquet(tmp_path / "plain" / "manifest.parquet").iloc[0]
    assert plain.landmarks68 is None and plain.crop_landmarks68 is None
    assert plain.landmarks_source != "stand-in-68"
