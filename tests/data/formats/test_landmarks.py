"""300w, wflw, cofw, aflw2000-3d, coco-keypoints against fixtures in their official layouts."""
from __future__ import annotations

import json

import numpy as np
import pytest
from format_fixtures import coco_json, cofw_arrays, make_300w, make_wflw, pts_text, save_aflw, save_cofw
from formats_util import write_image, write_text
from scipy.io import savemat

from facerep.data.formats import load_dataset
from facerep.errors import DataError


def test_300w_splits_and_one_based(tmp_path):
    truth = make_300w(tmp_path, np.random.default_rng(0))
    sizes = {s: len(load_dataset(f"300w:{tmp_path}", s)) for s in ("train", "common", "challenging", "full", "private")}
    assert sizes == {"train": 3, "common": 2, "challenging": 1, "full": 3, "private": 1}
    ds = load_dataset(f"300w:{tmp_path}")
    assert len(ds) == 7 and ds.info.landmark_scheme == "68"
    for i in range(len(ds)):
        s = ds[i]
        stem = s.path.rsplit("/", 1)[1][:-4]
        np.testing.assert_allclose(s.landmarks2d, truth[stem] - 1.0, atol=1e-4)  # 1-based -> 0-based
        assert s.image.shape == (32, 32, 3) and s.image.dtype == np.uint8


def test_300w_bad_inputs(tmp_path):
    rng = np.random.default_rng(1)
    write_image(tmp_path / "ibug" / "x.jpg")
    write_text(tmp_path / "ibug" / "x.pts", pts_text(rng.uniform(0, 9, (67, 2))).replace("n_points:  67", "n_points:  67"))
    with pytest.raises(DataError, match=r"x\.pts.*expected 68 points, found 67"):
        load_dataset(f"300w:{tmp_path}")
    text = pts_text(rng.uniform(0, 9, (68, 2))).splitlines()
    text[7] = "12.5 abc"
    write_text(tmp_path / "ibug" / "x.pts", "\n".join(text) + "\n")
    with pytest.raises(DataError, match=r"x\.pts:8: .*'abc', expected a number"):
        load_dataset(f"300w:{tmp_path}")
    (tmp_path / "ibug" / "x.jpg").unlink()
    with pytest.raises(DataError, match=r"x\.pts.*no image beside"):
        load_dataset(f"300w:{tmp_path}")


def test_wflw(tmp_path):
    rows = make_wflw(tmp_path, 1, 1)
    ann = tmp_path / "WFLW_annotations" / "list_98pt_rect_attr_train_test"
    ds = load_dataset(f"wflw:{tmp_path}", "test")
    s = ds[0]
    np.testing.assert_allclose(s.landmarks2d, rows["test"][0][1], atol=1e-4)
    assert s.box == (2, 3, 30, 20) and s.groups == {"pose": "1", "expression": "0", "illumination": "0",
                                                     "makeup": "0", "occlusion": "1", "blur": "0"}
    assert len(load_dataset(f"wflw:{tmp_path}")) == 2
    (tmp_path / "WFLW_images" / "51--Dresses" / "51_Dresses_wearingdress_51_train0.jpg").unlink()
    with pytest.raises(DataError, match=r"wearingdress_51_train0\.jpg: image file does not exist \(listed at "
                                        r".*list_98pt_rect_attr_train\.txt:1\)"):
        load_dataset(f"wflw:{tmp_path}", "train")[0]
    write_text(ann / "list_98pt_rect_attr_test.txt", rows["test"][0][0].split(" ", 1)[1] + "\n")
    with pytest.raises(DataError, match=r"_test\.txt:1: expected 207 fields"):
        load_dataset(f"wflw:{tmp_path}", "test")


def test_cofw_v5_and_v73(tmp_path):
    rng = np.random.default_rng(3)
    lm, occ, phis, boxes, images = cofw_arrays(2, rng)
    save_cofw(tmp_path / "COFW_test_color.mat", "test", phis, boxes, images)
    save_cofw(tmp_path / "COFW_train_color.mat", "train", phis, boxes, images, v73=True)
    for split in ("train", "test"):
        ds = load_dataset(f"cofw:{tmp_path}", split)
        assert len(ds) == 2 and ds.info.landmark_scheme == "29"
        np.testing.assert_allclose(ds[0].landmarks2d, lm[0] - 1.0, atol=1e-5)
        np.testing.assert_array_equal(ds[0].image, images[0])
        assert ds[1].image.shape == (20, 22, 3) and (ds[1].image[..., 0] == images[1]).all()
        assert ds[0].box == (2.0, 3.0, 22.0, 18.0)
        np.testing.assert_array_equal(ds.info.extra["occluded"], occ.astype(bool))
    assert len(load_dataset(f"cofw:{tmp_path}")) == 4
    save_cofw(tmp_path / "COFW_test_color.mat", "test", phis[:, :58], boxes, images)
    with pytest.raises(DataError, match=r"COFW_test_color\.mat.*phisT has shape \(2, 58\); expected N×87"):
        load_dataset(f"cofw:{tmp_path}", "test")


def test_aflw2000_3d(tmp_path):
    rng = np.random.default_rng(4)
    pts = rng.uniform(1, 30, (3, 68))
    pose = np.array([[0.1, -0.5, 0.2, 10, 20, 30, 0.001]])
    save_aflw(tmp_path / "AFLW2000", "image00002", pts, pose)
    s = load_dataset(f"aflw2000-3d:{tmp_path}")[0]
    np.testing.assert_allclose(s.landmarks3d[:, :2], pts[:2].T - 1.0, atol=1e-4)
    np.testing.assert_allclose(s.landmarks3d[:, 2], -pts[2], atol=1e-4)
    np.testing.assert_allclose(s.landmarks2d, pts[:2].T - 1.0, atol=1e-4)
    np.testing.assert_allclose(s.pose, np.degrees([-0.5, 0.1, 0.2]), atol=1e-4)  # yaw, pitch, roll
    savemat(tmp_path / "AFLW2000" / "image00002.mat", {"pt3d_68": pts[:, :67], "Pose_Para": pose})
    with pytest.raises(DataError, match=r"image00002\.mat.*pt3d_68 has shape \(3, 67\)"):
        load_dataset(f"aflw2000-3d:{tmp_path}")
    with pytest.raises(DataError, match="no split 'test'"):
        load_dataset(f"aflw2000-3d:{tmp_path}", "test")


def test_coco_keypoints_mmpose_layout(tmp_path):
    rng = np.random.default_rng(5)
    write_image(tmp_path / "images" / "afw" / "1.jpg")
    kps = {}
    for split in ("train", "valid_common", "test"):
        pts = rng.uniform(0, 30, (68, 2))
        vis = np.full((68, 1), 2.0)
        vis[5] = 0
        kps[split] = pts
        write_text(tmp_path / "annotations" / f"face_landmarks_300w_{split}.json",
                   coco_json(["afw/1.jpg"], [np.hstack([pts, vis])], box=(2, 3, 20, 10), size=(24, 32)))
    ds = load_dataset(f"coco-keypoints:{tmp_path}", "valid_common")
    s = ds[0]
    assert len(ds) == 1 and ds.info.landmark_scheme == "68" and s.box == (2, 3, 22, 13)
    assert np.isnan(s.landmarks2d[5]).all()
    np.testing.assert_allclose(np.delete(s.landmarks2d, 5, 0), np.delete(kps["valid_common"], 5, 0), atol=1e-4)
    assert s.image.shape == (24, 32, 3)
    assert len(load_dataset(f"coco-keypoints:{tmp_path}")) == 3
    one = tmp_path / "annotations" / "face_landmarks_300w_test.json"
    assert len(load_dataset(f"coco-keypoints:{one}?images={tmp_path / 'images'}")) == 1
    with pytest.raises(DataError, match="no split 'val'.*train, valid_common, test|no split 'val'"):
        load_dataset(f"coco-keypoints:{tmp_path}", "val")
    bad = json.loads(one.read_text())
    bad["annotations"][0]["keypoints"] = bad["annotations"][0]["keypoints"][:-1]
    write_text(one, json.dumps(bad))
    with pytest.raises(DataError, match=r"_test\.json.*'keypoints' has 203 values"):
        load_dataset(f"coco-keypoints:{one}")


def test_coco_keypoints_unlabelled_points(tmp_path):
    """COCO v = 0 (not labelled): NaN in the sample, accepted by validation only for a format that declares
    unlabelled points, left out of crops and NME; a face with no labelled point is a bad sample (--skip-bad)."""
    from facerep.bench.tasks.landmarks2d import landmark_scores
    from facerep.data.sample import DatasetInfo
    from facerep.data.skip import SkippingDataset
    from facerep.data.transforms import face_box
    from facerep.data.validate import validate_sample

    rng = np.random.default_rng(6)
    kps = [np.hstack([rng.uniform(4, 28, (68, 2)), np.full((68, 1), 2.0)]) for _ in range(3)]
    kps[0][[0, 5]] = 0.0  # two points not labelled: x = y = v = 0
    kps[0][7, 2] = 1.0  # labelled, not visible: kept
    kps[2][:, :] = 0.0  # nothing labelled
    for k in range(3):
        write_image(tmp_path / "images" / f"{k}.jpg", 32, 32, seed=k)
    one = write_text(tmp_path / "annotations" / "faces.json", coco_json([f"{k}.jpg" for k in range(3)], kps))
    ds = load_dataset(f"coco-keypoints:{one}")
    s = ds[0]
    assert ds.info.extra["unlabelled_points"] is True
    assert np.isnan(s.landmarks2d[[0, 5]]).all() and np.isfinite(np.delete(s.landmarks2d, [0, 5], 0)).all()
    np.testing.assert_allclose(s.landmarks2d[7], kps[0][7, :2], atol=1e-4)
    validate_sample(s, ds.info)  # unlabelled points are fine here
    s.box = None
    lab = np.delete(kps[0][:, :2], [0, 5], 0)
    np.testing.assert_allclose(face_box(s), (*lab.min(0), *lab.max(0)), atol=1e-4)
    with pytest.raises(DataError, match=r"2\.jpg: landmarks2d: no point is labelled"):
        validate_sample(ds[2], ds.info)
    with pytest.raises(DataError, match=r"0\.jpg: landmarks2d: point 0 is not a finite number"):
        validate_sample(s, DatasetInfo(name="other", provides=ds.info.provides, landmark_scheme="68"))
    good = SkippingDataset(ds, progress=False)
    assert len(good) == 2 and good.skipped[0].index == 2 and "no point is labelled" in good.skipped[0].reason
    # metrics: a prediction wrong only at unlabelled points scores as a perfect one
    target = np.stack([ds[0].landmarks2d, ds[1].landmarks2d]).astype(np.float64)
    pred = np.nan_to_num(target, nan=0.0)
    wrong = pred.copy()
    wrong[0, [0, 5]] += 50.0
    perfect, spoiled = landmark_scores(pred, target), landmark_scores(wrong, target)
    assert perfect["nme_interocular"] == 0.0 and spoiled == perfect
    wrong[0, 6, 0] += 3.0  # a labelled point: counted, averaged over the 66 labelled points of face 0
    d = np.linalg.norm(target[0, 36] - target[0, 45])
    assert landmark_scores(wrong, target)["nme_interocular"] == pytest.approx(3.0 / 66 / d / 2)
    target[1, 36] = np.nan  # an eye corner not labelled: the inter-ocular NME is not defined, box NMEs are
    out = landmark_scores(pred, target)
    assert "nme_interocular" not in out and out["nme_box"] == 0.0
