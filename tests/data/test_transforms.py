import numpy as np
import pytest

from facerep.data.sample import DatasetInfo, FaceSample
from facerep.data.transforms import (
    apply_affine, crop_resize, face_box, flip_landmark_permutation, flip_mask_permutation, hflip, invert_affine,
)
from facerep.data.vocab import CELEBAMASK19, LAPA11
from facerep.errors import ConfigError

INFO = DatasetInfo("t", frozenset({"landmarks2d", "mask"}), "68", mask_classes=LAPA11)


def test_flip_permutation_is_involution_and_swaps_eyes():
    p = flip_landmark_permutation(68)
    assert (p[p] == np.arange(68)).all()
    assert p[36] == 45 and p[39] == 42 and p[0] == 16 and p[30] == 30 and p[51] == 51
    with pytest.raises(ConfigError, match="13 points"):
        flip_landmark_permutation(13)


def test_mask_permutation_by_names():
    p = flip_mask_permutation(LAPA11)
    assert LAPA11[p[LAPA11.index("left_eye")]] == "right_eye" and p[0] == 0 and p[LAPA11.index("nose")] == 6
    q = flip_mask_permutation(CELEBAMASK19)
    i = CELEBAMASK19.index
    assert q[i("l_eye")] == i("r_eye") and q[i("ear_r")] == i("ear_r") and q[i("neck_l")] == i("neck_l")


def test_hflip_consistent():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)
    lm = rng.uniform(0, 29, (68, 2)).astype(np.float32)
    mask = np.zeros((20, 30), np.uint8)
    mask[5:8, 2:6] = LAPA11.index("left_eye")
    s = FaceSample(img, landmarks2d=lm, mask=mask, pose=np.array([10.0, 5.0, 3.0]), box=(2.0, 3.0, 10.0, 12.0))
    f = hflip(s, INFO)
    assert (f.image[:, 0] == img[:, -1]).all()
    assert np.allclose(f.landmarks2d[45], [29 - lm[36, 0], lm[36, 1]])
    assert (f.mask[5:8, 24:28] == LAPA11.index("right_eye")).all() and f.mask.sum() == mask.sum() + 3 * 4
    assert f.pose.tolist() == [-10.0, 5.0, -3.0] and f.box == (19.0, 3.0, 27.0, 12.0)
    back = hflip(f, INFO)
    assert np.allclose(back.landmarks2d, lm, atol=1e-4) and (back.mask == mask).all() and (back.image == img).all()


def test_face_box_fallbacks():
    img = np.zeros((10, 12, 3), np.uint8)
    assert face_box(FaceSample(img, box=(1, 2, 3, 4))) == (1, 2, 3, 4)
    assert face_box(FaceSample(img, landmarks2d=np.array([[1.0, 2.0], [5.0, 7.0]]))) == (1, 2, 5, 7)
    m = np.zeros((10, 12), np.uint8)
    m[3:5, 4:9] = 1
    assert face_box(FaceSample(img, mask=m)) == (4, 3, 8, 4)
    assert face_box(FaceSample(img)) == (0, 0, 11, 9)


def test_crop_resize_maps_labels_and_inverts():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (100, 80, 3), dtype=np.uint8)
    lm = rng.uniform(20, 60, (68, 2)).astype(np.float32)
    mask = np.zeros((100, 80), np.uint8)
    mask[40:50, 30:40] = 3
    s = FaceSample(img, landmarks2d=lm, mask=mask)
    c, a = crop_resize(s, 32, margin=0.5)
    assert c.image.shape == (32, 32, 3) and c.mask.shape == (32, 32)
    assert (c.landmarks2d >= 0).all() and (c.landmarks2d <= 32).all()
    back = apply_affine(c.landmarks2d.astype(np.float64), invert_affine(a))
    assert np.allclose(back, lm, atol=1e-4)
    cy, cx = np.argwhere(c.mask == 3).mean(0)
    assert np.allclose(apply_affine(np.array([[cx, cy]]), invert_affine(a)), [[34.5, 44.5]], atol=2.0)
