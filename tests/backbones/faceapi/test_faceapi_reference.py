"""The PyTorch ports reproduce the original JavaScript networks (face-api 1.7.15 on TF.js 4.22.0's CPU
backend) on the 22 faces of the package's six demo photos: faceapi_reference.npz, made by `python
benchmarks/faceapi_reference/make_fixture.py`. Tolerances of issue 15: descriptor cosine >= 0.9999, landmarks
<= 0.25 px at 112 px, probabilities <= 1e-3, age <= 0.05 years."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from facerep.backbones import create_backbone
from facerep.backbones.faceapi.predict import FaceApi


def run(spec: str, crops: np.ndarray):
    model = create_backbone(spec)
    x = model.normalize(torch.from_numpy(crops).permute(0, 3, 1, 2).float() / 255.0)
    with torch.no_grad():
        return model.predict(x)


def test_fixture_is_real(reference):
    meta = reference["meta"]
    assert meta["backend"] == "cpu" and meta["versions"]["tfjs-core"] == "4.22.0"
    assert len(reference["face_photo"]) == 22
    assert sorted(set(reference["face_photo"].tolist())) == list(range(6))
    assert reference["face_score"].min() >= 0.5


def test_recognition_descriptors(demo_crops, reference):
    d = run("faceapi:recognition", demo_crops[150]).numpy()
    ref = reference["descriptor"]
    cos = (d * ref).sum(1) / np.linalg.norm(d, axis=1) / np.linalg.norm(ref, axis=1)
    assert cos.min() >= 0.9999, cos.min()
    assert np.abs(d - ref).max() < 1e-4


@pytest.mark.parametrize("spec, key", [("faceapi:landmarks68", "landmarks68"),
                                       ("faceapi:landmarks68-tiny", "landmarks68_tiny")])
def test_landmarks(demo_crops, reference, spec, key):
    pts = run(spec, demo_crops[112]).numpy() * 112
    assert np.abs(pts - reference[key]).max() <= 0.25
    assert reference[key].std(0).mean() > 1.0  # the points move with the face: not a constant output


def test_expression(demo_crops, reference):
    p = run("faceapi:expression", demo_crops[112]).numpy()
    assert np.abs(p - reference["expression"]).max() <= 1e-3
    assert len(set(reference["expression"].argmax(1).tolist())) > 1


def test_age_gender(demo_crops, reference):
    out = run("faceapi:age-gender", demo_crops[112])
    assert np.abs(out.age.numpy() - reference["age"]).max() <= 0.05
    assert np.abs(out.gender.numpy() - reference["gender"]).max() <= 1e-3


def test_python_api_gives_the_original_predictions(demo_crops, reference):
    api = FaceApi()
    d = api.descriptors(list(demo_crops[150]))
    assert ((d * reference["descriptor"]).sum(1) / np.linalg.norm(d, axis=1)
            / np.linalg.norm(reference["descriptor"], axis=1)).min() >= 0.9999
    faces = list(demo_crops[112])
    res = api.analyse(faces)
    assert np.abs(res.landmarks68 - reference["landmarks68"]).max() <= 0.25
    assert np.abs(res.expression - reference["expression"]).max() <= 1e-3
    assert np.abs(res.age - reference["age"]).max() <= 0.05
    assert res.gender_labels().count("female") == int((reference["gender"][:, 1] > 0.5).sum())
    # a narrower face image: face-api pads it back to the square and maps the points into its own pixels
    narrow = [f[:, 20:92] for f in faces[:3]]
    np.testing.assert_allclose(api.landmarks(narrow), api.landmarks([_pad_cols(f) for f in narrow]) - [20, 0],
                               atol=1e-3)


def _pad_cols(face: np.ndarray) -> np.ndarray:
    out = np.zeros((112, 112, 3), np.uint8)
    out[:, 20:92] = face
    return out


def test_ssd_detector_boxes_and_scores(demo_rgb, reference):
    from facerep.backbones.faceapi.ssd import SsdFaceDetector

    det = SsdFaceDetector()
    found = [(i, f) for i, img in enumerate(demo_rgb) for f in det.detect(img)]
    assert [i for i, _ in found] == reference["face_photo"].tolist()
    assert np.abs(np.array([f.box for _, f in found]) - reference["face_box"]).max() <= 0.5  # pixels
    assert np.abs(np.array([f.score for _, f in found]) - reference["face_score"]).max() <= 1e-3
