"""300w, wflw, cofw, aflw2000-3d, coco-keypoints against fixtures in their official layouts."""
from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
from formats_util import write_image, write_text
from scipy.io import savemat

from facerep.data.formats import load_dataset
from facerep.errors import DataError


def pts_text(pts: np.ndarray, header: bool = True) -> str:
    body = "".join(f"{x:.3f} {y:.3f}\n" for x, y in pts)
    return f"version: 1\nn_points:  {len(pts)}\n{{\n{body}}}\n" if header else body


def make_300w(root, rng):
    layout = {"afw": "a1", "helen/trainset": "h1", "lfpw/trainset": "l1", "helen/testset": "h2",
              "lfpw/testset": "l2", "ibug": "i1", "01_Indoor": "indoor_001"}
    truth = {}
    for k, (folder, stem) in enumerate(layout.items()):
        pts = rng.uniform(1, 30, (68, 2)).round(3)
        write_image(root / folder / f"{stem}.jpg", 32, 32, seed=k)
        nl = "\r\n" if folder == "ibug" else "\n"
        text = pts_text(pts, header=folder != "afw")
        if folder == "lfpw/trainset":
            text = text.replace("\n", "   \n")  # trailing spaces
        write_text(root / folder / f"{stem}.pts", text, nl)
        truth[stem] = pts
    return truth


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
    rng = np.random.default_rng(2)
    ann = tmp_path / "WFLW_annotations" / "list_98pt_rect_attr_train_test"
    rows, truth = [], []
    for k in range(2):
        pts = rng.uniform(0, 30, (98, 2)).round(6)
        rel = f"51--Dresses/51_Dresses_wearingdress_51_{k}.jpg"
        write_image(tmp_path / "WFLW_images" / rel, seed=k)
        rows.append(" ".join(f"{v}" for v in pts.reshape(-1)) + f" 2 3 30 20 1 0 0 0 1 0 {rel}")
        truth.append(pts)
    write_text(ann / "list_98pt_rect_attr_train.txt", rows[0] + " \n", "\r\n")
    write_text(ann / "list_98pt_rect_attr_test.txt", rows[1] + "\n")
    ds = load_dataset(f"wflw:{tmp_path}", "test")
    s = ds[0]
    np.testing.assert_allclose(s.landmarks2d, truth[1], atol=1e-4)
    assert s.box == (2, 3, 30, 20) and s.groups == {"pose": "1", "expression": "0", "illumination": "0",
                                                     "makeup": "0", "occlusion": "1", "blur": "0"}
    assert len(load_dataset(f"wflw:{tmp_path}")) == 2
    (tmp_path / "WFLW_images" / "51--Dresses" / "51_Dresses_wearingdress_51_0.jpg").unlink()
    with pytest.raises(DataError, match=r"wearingdress_51_0\.jpg: image file does not exist \(listed at "
                                        r".*list_98pt_rect_attr_train\.txt:1\)"):
        load_dataset(f"wflw:{tmp_path}", "train")[0]
    write_text(ann / "list_98pt_rect_attr_test.txt", rows[1].split(" ", 1)[1] + "\n")
    with pytest.raises(DataError, match=r"_test\.txt:1: expected 207 fields"):
        load_dataset(f"wflw:{tmp_path}", "test")


def cofw_arrays(n, rng):
    lm = rng.uniform(1, 20, (n, 29, 2))
    occ = rng.integers(0, 2, (n, 29))
    phis = np.concatenate([lm[:, :, 0], lm[:, :, 1], occ], axis=1)
    boxes = np.tile([3.0, 4.0, 20.0, 15.0], (n, 1))
    images = [rng.integers(0, 256, (24, 28, 3), dtype=np.uint8), rng.integers(0, 256, (20, 22), dtype=np.uint8)][:n]
    return lm, occ, phis, boxes, images


def test_cofw_v5_and_v73(tmp_path):
    rng = np.random.default_rng(3)
    lm, occ, phis, boxes, images = cofw_arrays(2, rng)
    cell = np.empty((2, 1), dtype=object)
    cell[0, 0], cell[1, 0] = images
    savemat(tmp_path / "COFW_test_color.mat", {"IsT": cell, "phisT": phis, "bboxesT": boxes})
    # MATLAB v7.3 = HDF5, column-major: arrays appear transposed; the cell is an array of references
    with h5py.File(tmp_path / "COFW_train_color.mat", "w") as f:
        refs = []
        for k, im in enumerate(images):
            refs.append(f.create_dataset(f"#refs#/{k}", data=im.T).ref)
        f.create_dataset("IsTr", data=np.array([refs], dtype=h5py.ref_dtype))
        f.create_dataset("phisTr", data=phis.T)
        f.create_dataset("bboxesTr", data=boxes.T)
    for split in ("train", "test"):
        ds = load_dataset(f"cofw:{tmp_path}", split)
        assert len(ds) == 2 and ds.info.landmark_scheme == "29"
        np.testing.assert_allclose(ds[0].landmarks2d, lm[0] - 1.0, atol=1e-5)
        np.testing.assert_array_equal(ds[0].image, images[0])
        assert ds[1].image.shape == (20, 22, 3) and (ds[1].image[..., 0] == images[1]).all()
        assert ds[0].box == (2.0, 3.0, 22.0, 18.0)
        np.testing.assert_array_equal(ds.info.extra["occluded"], occ.astype(bool))
    assert len(load_dataset(f"cofw:{tmp_path}")) == 4
    savemat(tmp_path / "COFW_test_color.mat", {"IsT": cell, "phisT": phis[:, :58], "bboxesT": boxes})
    with pytest.raises(DataError, match=r"COFW_test_color\.mat.*phisT has shape \(2, 58\); expected N×87"):
        load_dataset(f"cofw:{tmp_path}", "test")


def test_aflw2000_3d(tmp_path):
    rng = np.random.default_rng(4)
    pts = rng.uniform(1, 30, (3, 68))
    pose = np.array([[0.1, -0.5, 0.2, 10, 20, 30, 0.001]])
    write_image(tmp_path / "AFLW2000" / "image00002.jpg")
    savemat(tmp_path / "AFLW2000" / "image00002.mat", {"pt3d_68": pts, "Pose_Para": pose,
                                                       "pt2d": rng.uniform(0, 9, (2, 21))})
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
        data = {"images": [{"id": 7, "file_name": "afw/1.jpg", "height": 24, "width": 32}],
                "annotations": [{"id": 1, "image_id": 7, "category_id": 1, "num_keypoints": 67, "iscrowd": 0,
                                 "bbox": [2, 3, 20, 10], "keypoints": np.hstack([pts, vis]).reshape(-1).tolist()}],
                "categories": [{"id": 1, "name": "person"}]}
        write_text(tmp_path / "annotations" / f"face_landmarks_300w_{split}.json", json.dumps(data))
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
