"""Label consistency of the synthetic faces: landmarks on the drawn parts, mask classes, flips, AU semantics."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from facerep.data.synth import SynthDataset, make_sample
from facerep.data.synth import template as T
from facerep.data.synth.generator import expression_aus, rng_for, sample_identity
from facerep.data.synth.params import SceneParams, mirror_scene
from facerep.data.transforms import flip_landmark_permutation, hflip
from facerep.data.vocab import EXPRESSIONS8, LAPA11

C = {n: k for k, n in enumerate(LAPA11)}
SIZE = 64


@pytest.fixture(scope="module")
def ds() -> SynthDataset:
    return SynthDataset(ids=8, per_id=4, size=SIZE, seed=3)


@pytest.fixture(scope="module")
def samples(ds):
    return [ds[i] for i in range(len(ds))]


def classes_near(mask: np.ndarray, x: float, y: float) -> set[int]:
    """Mask classes in the 3×3 pixel neighbourhood of (x, y)."""
    xi, yi = int(round(x)), int(round(y))
    return set(np.unique(mask[max(yi - 1, 0):yi + 2, max(xi - 1, 0):xi + 2]).tolist())


def test_landmarks_inside_image_and_mask_ids(samples):
    for s in samples:
        assert s.image.shape == (SIZE, SIZE, 3) and s.image.dtype == np.uint8
        lm = s.landmarks2d
        assert lm.shape == (68, 2) and lm.dtype == np.float32
        assert (lm >= 0).all() and (lm <= SIZE - 1).all()
        assert s.mask.shape == (SIZE, SIZE) and s.mask.dtype == np.uint8 and s.mask.max() <= 10
        assert np.allclose(s.landmarks3d[:, :2], lm)
        assert set(np.unique(s.mask)) >= {C["background"], C["skin"], C["left_eye"], C["right_eye"], C["nose"]}


@pytest.mark.parametrize("points,allowed", [
    (range(36, 42), {C["left_eye"]}), (range(42, 48), {C["right_eye"]}),
    (range(17, 22), {C["left_eyebrow"]}), (range(22, 27), {C["right_eyebrow"]}),
    (range(27, 36), {C["nose"]}), (range(48, 68), {C["upper_lip"], C["inner_mouth"], C["lower_lip"]}),
    (range(17), {C["skin"], C["hair"]}),
])
def test_landmarks_sit_on_their_parts(samples, points, allowed):
    for s in samples:
        for k in points:
            near = classes_near(s.mask, *s.landmarks2d[k])
            assert near & allowed, f"{s.path} landmark {k} at {s.landmarks2d[k]} touches {near}, not {allowed}"


def test_eye_region_is_around_eye_landmarks(samples):
    """The eye class pixels lie inside the landmarks' bounding box (left/right not swapped)."""
    for s in samples:
        for first, cls in ((36, C["left_eye"]), (42, C["right_eye"])):
            ys, xs = np.nonzero(s.mask == cls)
            lo, hi = s.landmarks2d[first:first + 6].min(0), s.landmarks2d[first:first + 6].max(0)
            assert len(xs) > 0
            assert xs.min() >= lo[0] - 1.5 and xs.max() <= hi[0] + 1.5
            assert ys.min() >= lo[1] - 1.5 and ys.max() <= hi[1] + 1.5


def test_template_is_symmetric_under_the_flip_permutation():
    assert (T.PERM[:68] == flip_landmark_permutation(68)).all()
    shape = T.neutral_shape(sample_identity(0, 5))
    assert np.array_equal(shape[T.PERM] * [-1, 1, 1], shape)
    assert np.array_equal(T.AU_BASIS[:, T.PERM] * [-1, 1, 1], T.AU_BASIS)


def test_hflip_equals_rendering_the_mirrored_scene(ds):
    for i in (0, 5, 9, 14, 27):
        identity, ip, scene, _, _ = ds.params(i)
        flipped = hflip(make_sample(ip, scene, SIZE, identity), ds.info)
        mirrored = make_sample(ip, mirror_scene(scene, SIZE), SIZE, identity)
        assert np.allclose(flipped.landmarks2d, mirrored.landmarks2d, atol=1e-3)
        assert np.allclose(flipped.landmarks3d, mirrored.landmarks3d, atol=1e-3)
        assert np.allclose(flipped.pose, mirrored.pose)
        agree = (flipped.mask == mirrored.mask).mean()
        assert agree > 0.97, f"sample {i}: flipped mask agrees with the mirrored rendering on {agree:.3f}"
        for cls in ("left_eye", "right_eye", "left_eyebrow", "right_eyebrow"):
            a, b = flipped.mask == C[cls], mirrored.mask == C[cls]
            assert (a & b).sum() / max((a | b).sum(), 1) > 0.6, (i, cls)


def _frontal(expression: int, strength: float = 1.0, side: int = 0) -> SceneParams:
    au = expression_aus(expression, strength, rng_for(0, 1))
    return SceneParams(au=au, expression=expression, strength=strength, contempt_side=side)


def test_expressions_move_landmarks_as_their_action_units():
    ip = sample_identity(0, 2)
    lm = {e: make_sample(ip, _frontal(EXPRESSIONS8.index(e)), 128, 2).landmarks2d
          for e in ("neutral", "happiness", "sadness", "surprise", "anger")}
    corners = lambda p: p[[48, 54], 1].mean()
    brows = lambda p: p[17:27, 1].mean()
    gap = lambda p: p[66, 1] - p[62, 1]
    assert corners(lm["happiness"]) < corners(lm["neutral"]) - 1.0  # corners up (AU12)
    assert corners(lm["sadness"]) > corners(lm["neutral"]) + 1.0  # corners down (AU15)
    assert brows(lm["surprise"]) < brows(lm["neutral"]) - 2.0  # brows up (AU1+2)
    assert brows(lm["anger"]) > brows(lm["neutral"]) + 1.0  # brows down (AU4)
    assert gap(lm["surprise"]) > gap(lm["neutral"]) + 3.0  # mouth open (AU25+26)
    contempt = make_sample(ip, _frontal(EXPRESSIONS8.index("contempt"), side=1), 128, 2).landmarks2d
    assert contempt[54, 1] < contempt[48, 1] - 1.0  # only the image-right corner rises


def test_label_values_are_consistent(samples, ds):
    names = ds.info.attribute_names
    for s in samples:
        assert s.au.shape == (12,) and (s.au >= 0).all() and (s.au <= 5).all()
        assert -1 <= s.valence <= 1 and -1 <= s.arousal <= 1
        assert s.attributes.shape == (len(names),) and set(np.unique(s.attributes)) <= {0.0, 1.0}
        assert s.attributes[names.index("eyeglasses")] == (s.groups["glasses"] == "yes")
        assert s.attributes[names.index("beard")] == (s.groups["beard"] == "yes")
        gap = s.landmarks2d[66, 1] - s.landmarks2d[62, 1]
        if s.attributes[names.index("mouth_open")]:
            assert (s.mask == C["inner_mouth"]).sum() > 0 and gap > 0
        expr = EXPRESSIONS8[s.expression]
        if expr == "happiness" and s.au[6] > 2.5:  # AU12 index 6 in DISFA order
            assert s.valence > 0
        if expr == "neutral":
            assert s.valence == 0 and s.arousal == 0
        assert s.subject == f"synth_{s.identity:06d}"


def test_identities_differ_and_repeat():
    """Same identity + scene -> same face; different identities in one scene differ in shape and looks."""
    scene = _frontal(0, 0.0)
    faces = [make_sample(sample_identity(0, k), dataclasses.replace(scene), 96, k) for k in range(6)]
    again = make_sample(sample_identity(0, 0), dataclasses.replace(scene), 96, 0)
    assert np.array_equal(faces[0].image, again.image) and np.array_equal(faces[0].mask, again.mask)
    shape_d, image_d = [], []
    for a in range(6):
        for b in range(a + 1, 6):
            shape_d.append(np.abs(faces[a].landmarks2d - faces[b].landmarks2d).mean())
            image_d.append(np.abs(faces[a].image.astype(int) - faces[b].image.astype(int)).mean())
    assert min(shape_d) > 0.3 and np.mean(shape_d) > 1.0, shape_d
    assert min(image_d) > 3 and np.mean(image_d) > 10, image_d
