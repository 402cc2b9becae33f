import numpy as np
import pytest

from facerep.data.sample import DatasetInfo, FaceSample
from facerep.data.transforms import (
    apply_affine,
    crop_resize,
    face_box,
    flip_landmark_permutation,
    flip_mask_permutation,
    hflip,
    invert_affine,
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


def test_five_points_from_each_landmark_scheme():
    from facerep.data.transforms import five_points

    p68 = np.arange(136, dtype=np.float64).reshape(68, 2)
    five = five_points(p68)
    assert np.allclose(five[0], p68[36:42].mean(0)) and np.allclose(five[1], p68[42:48].mean(0))
    assert np.allclose(five[2:], p68[[30, 48, 54]])
    p98 = np.arange(196, dtype=np.float64).reshape(98, 2)
    assert np.allclose(five_points(p98), p98[[96, 97, 54, 76, 82]])
    p5 = np.arange(10, dtype=np.float64).reshape(5, 2)
    assert np.allclose(five_points(p5), p5)
    assert five_points(np.zeros((19, 2))) is None and five_points(None) is None
    p68[30] = np.nan  # the nose tip unlabelled
    assert five_points(p68) is None


def test_align_resize_puts_the_five_points_on_the_template_and_warps_labels_alike():
    from facerep.data.geometry import template
    from facerep.data.transforms import affine_scale, align_resize, five_points

    rng = np.random.default_rng(0)
    tpl = template(112) / 112.0
    # a face rotated by 20 degrees, scaled and shifted in a 96-px image, with 68 points built around the 5
    ang, scale, shift = np.deg2rad(20), 40.0, np.array([30.0, 25.0])
    rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
    pts = np.zeros((68, 2))
    pts[36:42], pts[42:48], pts[30], pts[48], pts[54] = tpl[0], tpl[1], tpl[2], tpl[3], tpl[4]
    pts[:17] = rng.uniform(0, 1, (17, 2))
    pts = pts @ rot.T * scale + shift
    mask = np.zeros((96, 96), np.uint8)
    mask[40:60, 40:60] = 1
    s = FaceSample(image=rng.integers(0, 255, (96, 96, 3), dtype=np.uint8), landmarks2d=pts.astype(np.float32),
                   landmarks3d=np.concatenate([pts, np.ones((68, 1))], 1).astype(np.float32), mask=mask,
                   box=(10.0, 10.0, 50.0, 60.0))
    crop, a = align_resize(s, 64)
    assert crop.image.shape == (64, 64, 3) and crop.mask.shape == (64, 64)
    assert np.allclose(five_points(crop.landmarks2d), template(64), atol=1e-3)  # exact points: exact fit
    assert np.isclose(affine_scale(a), 64 / 112 / scale * 112, rtol=1e-4)  # template span 1 -> 64 px
    assert np.allclose(crop.landmarks3d[:, 2], affine_scale(a))  # z scaled like x and y
    assert np.allclose(crop.landmarks2d, apply_affine(pts, a), atol=1e-3)
    x0, y0, x1, y1 = crop.box  # the rotated box's bounding box holds its warped corners
    corners = apply_affine(np.array([[10, 10], [50, 10], [10, 60], [50, 60]], np.float64), a)
    assert np.allclose([x0, y0, x1, y1], [*corners.min(0), *corners.max(0)])
    assert align_resize(FaceSample(image=s.image), 64) is None  # no landmarks: no alignment
