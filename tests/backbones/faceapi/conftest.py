"""Fixtures of the face-api tests. Tests that need the real weights read them from facerep's cache and FAIL
(never skip) when it is missing: run `facerep weights faceapi` first (.ci/run does)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from facerep.backbones.faceapi._image import box_crop
from facerep.backbones.faceapi.weights import demo_photos, in_cache

REFERENCE = Path(__file__).with_name("faceapi_reference.npz")


def sha(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


@pytest.fixture(scope="session")
def faceapi_cache() -> None:
    if not in_cache():
        pytest.fail("the face-api weights are not in facerep's cache: run `facerep weights faceapi` "
                    "(or set FACEREP_CACHE to a cache that has them)", pytrace=False)


@pytest.fixture(scope="session")
def reference() -> dict:
    with np.load(REFERENCE) as z:
        ref = {k: z[k] for k in z.files}
    ref["meta"] = json.loads(str(ref["meta"]))
    return ref


@pytest.fixture(scope="session")
def demo_rgb(faceapi_cache, reference) -> list[np.ndarray]:
    """The six demo photos as [H, W, 3] uint8 RGB, checked against the pixels node saw."""
    import cv2

    photos = [np.ascontiguousarray(cv2.imread(str(p), cv2.IMREAD_COLOR)[:, :, ::-1]) for p in demo_photos()]
    bad = [i + 1 for i, (p, s) in enumerate(zip(photos, reference["meta"]["photo_sha256"])) if sha(p) != s]
    assert not bad, (f"OpenCV {cv2.__version__} decodes demo photos {bad} to other pixels than OpenCV "
                     f"{reference['meta']['opencv']} did when the fixture was made; regenerate it "
                     "(python benchmarks/faceapi_reference/make_fixture.py)")
    return photos


@pytest.fixture(scope="session")
def demo_crops(demo_rgb, reference) -> dict[int, np.ndarray]:
    """The fixture's face crops, rebuilt: {150: [F, 150, 150, 3], 112: [F, 112, 112, 3]} uint8."""
    crops = {}
    for size in (150, 112):
        crops[size] = np.stack([box_crop(demo_rgb[i], tuple(b), size)
                                for i, b in zip(reference["face_photo"], reference["face_box"])])
        got = [sha(c) for c in crops[size]]
        assert got == list(reference[f"crop{size}_sha256"]), f"the {size} px crops differ from those node saw"
    return crops
