"""Writers of dataset fixtures in each format's official layout, shared by the format tests, the bench-on-every-
format test and the parser property tests (``tests/reliability/test_parser_fuzz_more.py``).

Each ``write_<format>(root, n=…)`` writes a small copy of the dataset under ``root`` (``n`` scales it: samples per
split, identities or subjects) and returns the ``FORMAT:PATH`` spec that opens it. Sizes are chosen so that a
bench can split every copy into non-empty train and test sides (official splits where the dataset has them,
else identity/subject-disjoint seeded splits); the property tests replace one annotation file of such a copy
(their ``CASES`` name it) with arbitrary content. The writers of the landmark and parsing formats live here; those of the other formats in ``format_fixtures_global`` (re-exported here), and
``WRITERS`` maps every format name to its writer.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
from format_fixtures_global import (  # noqa: F401 - re-exported for the tests
    AFFECTNET_HEADER,
    CELEBA_ATTRS,
    SIDE,
    _points,
    add_member,
    affectnet_row,
    bp4d_csv,
    ck_file,
    ck_landmarks,
    make_celeba,
    make_disfa,
    png_bytes,
    write_affectnet,
    write_bp4d,
    write_celeba,
    write_ckplus,
    write_disfa,
    write_fer2013,
    write_frl_hdf5,
    write_imagefolder,
    write_manifest,
    write_pairs,
    write_rafdb,
    write_webdataset,
)
from formats_util import write_ids, write_image, write_text
from PIL import Image
from scipy.io import savemat


# ------------------------------------------------------------------------------------------------ landmarks
def pts_text(pts: np.ndarray, header: bool = True) -> str:
    body = "".join(f"{x:.3f} {y:.3f}\n" for x, y in pts)
    return f"version: 1\nn_points:  {len(pts)}\n{{\n{body}}}\n" if header else body


W300_LAYOUT = {"afw": "a1", "helen/trainset": "h1", "lfpw/trainset": "l1", "helen/testset": "h2",
               "lfpw/testset": "l2", "ibug": "i1", "01_Indoor": "indoor_001"}


def make_300w(root: Path, rng: np.random.Generator, n: int = 1) -> dict[str, np.ndarray]:
    """``n`` faces per 300W folder (afw without header, ibug CRLF, lfpw/trainset trailing spaces); stem -> points."""
    truth = {}
    for k, (folder, stem0) in enumerate(W300_LAYOUT.items()):
        for j in range(n):
            stem = stem0 if j == 0 else f"{stem0}_{j}"
            pts = rng.uniform(1, 30, (68, 2)).round(3)
            write_image(root / folder / f"{stem}.jpg", 32, 32, seed=k * 100 + j)
            text = pts_text(pts, header=folder != "afw")
            if folder == "lfpw/trainset":
                text = text.replace("\n", "   \n")  # trailing spaces
            write_text(root / folder / f"{stem}.pts", text, "\r\n" if folder == "ibug" else "\n")
            truth[stem] = pts
    return truth


def write_300w(root: Path, n: int = 3) -> str:
    make_300w(root, np.random.default_rng(0), n)
    return f"300w:{root}"


def wflw_row(pts: np.ndarray, rel: str, box=(2, 3, 30, 20), attrs=(1, 0, 0, 0, 1, 0)) -> str:
    return " ".join(f"{v}" for v in pts.reshape(-1)) + " " + " ".join(map(str, box)) + " " + \
        " ".join(map(str, attrs)) + f" {rel}"


def make_wflw(root: Path, n_train: int = 1, n_test: int = 1, seed: int = 2) -> dict[str, list[tuple[str, np.ndarray]]]:
    """WFLW_images/ + WFLW_annotations/list_98pt_rect_attr_train_test/*.txt (train CRLF, trailing space);
    split -> [(row, points)]."""
    rng = np.random.default_rng(seed)
    ann = root / "WFLW_annotations" / "list_98pt_rect_attr_train_test"
    out: dict[str, list[tuple[str, np.ndarray]]] = {}
    for split, n in (("train", n_train), ("test", n_test)):
        out[split] = []
        for k in range(n):
            pts = rng.uniform(0, 30, (98, 2)).round(6)
            rel = f"51--Dresses/51_Dresses_wearingdress_51_{split}{k}.jpg"
            write_image(root / "WFLW_images" / rel, seed=len(out[split]) + (100 if split == "test" else 0))
            out[split].append((wflw_row(pts, rel), pts))
        rows = "".join(r + (" \n" if split == "train" else "\n") for r, _ in out[split])
        write_text(ann / f"list_98pt_rect_attr_{split}.txt", rows, "\r\n" if split == "train" else "\n")
    return out


def write_wflw(root: Path, n: int = 6) -> str:
    make_wflw(root, n, n)
    return f"wflw:{root}"


def cofw_arrays(n: int, rng: np.random.Generator, shapes=((24, 28), (20, 22))):
    """(landmarks [n, 29, 2] 1-based, occlusion [n, 29], phis [n, 87], boxes [n, 4], images): colour and grey
    images alternate through ``shapes``."""
    lm = rng.uniform(1, 20, (n, 29, 2))
    occ = rng.integers(0, 2, (n, 29))
    phis = np.concatenate([lm[:, :, 0], lm[:, :, 1], occ], axis=1)
    boxes = np.tile([3.0, 4.0, 20.0, 15.0], (n, 1))
    images = [rng.integers(0, 256, (*shapes[k % len(shapes)], 3) if k % 2 == 0 else shapes[k % len(shapes)],
                           dtype=np.uint8) for k in range(n)]
    return lm, occ, phis, boxes, images


def save_cofw(path: Path, split: str, phis: np.ndarray, boxes: np.ndarray, images: list[np.ndarray],
              v73: bool = False) -> None:
    """A COFW .mat: MATLAB v5 (scipy), or v7.3 = HDF5, column-major (arrays transposed, the cell an array of refs)."""
    ims, phi_key, box_key = ("IsTr", "phisTr", "bboxesTr") if split == "train" else ("IsT", "phisT", "bboxesT")
    if not v73:
        cell = np.empty((len(images), 1), dtype=object)
        for k, im in enumerate(images):
            cell[k, 0] = im
        savemat(path, {ims: cell, phi_key: phis, box_key: boxes})
        return
    with h5py.File(path, "w") as f:
        refs = [f.create_dataset(f"#refs#/{k}", data=im.T).ref for k, im in enumerate(images)]
        f.create_dataset(ims, data=np.array([refs], dtype=h5py.ref_dtype))
        f.create_dataset(phi_key, data=phis.T)
        f.create_dataset(box_key, data=boxes.T)


def write_cofw(root: Path, n: int = 6) -> str:
    rng = np.random.default_rng(3)
    root.mkdir(parents=True, exist_ok=True)
    for split, v73 in (("train", True), ("test", False)):
        _, _, phis, boxes, images = cofw_arrays(n, rng, shapes=((SIDE, SIDE),))
        save_cofw(root / f"COFW_{split}_color.mat", split, phis, boxes, images, v73)
    return f"cofw:{root}"


def save_aflw(folder: Path, stem: str, pts: np.ndarray, pose: np.ndarray, seed: int = 0) -> None:
    """AFLW2000-3D: ``<stem>.jpg`` + ``<stem>.mat`` (pt3d_68 3×68, Pose_Para 1×7, and an unused pt2d)."""
    write_image(folder / f"{stem}.jpg", SIDE, SIDE, seed=seed)
    savemat(folder / f"{stem}.mat", {"pt3d_68": pts, "Pose_Para": pose, "pt2d": np.zeros((2, 21))})


def write_aflw2000_3d(root: Path, n: int = 12) -> str:
    rng = np.random.default_rng(4)
    for k in range(n):
        pts = np.vstack([_points(rng, 68).T + 1.0, rng.uniform(-5, 5, (1, 68))])
        pose = np.concatenate([rng.uniform(-0.5, 0.5, 3), [10, 20, 30, 0.001]])[None]
        save_aflw(root / "AFLW2000", f"image{k + 2:05d}", pts, pose, seed=k)
    return f"aflw2000-3d:{root}"


def coco_json(files: list[str], keypoints: list[np.ndarray], box=(2, 3, 20, 10), size=(SIDE, SIDE)) -> str:
    """A COCO keypoint JSON: one image and one annotation per file; keypoints [K, 3] (x, y, v)."""
    data = {"images": [{"id": k + 7, "file_name": f, "height": size[0], "width": size[1]} for k, f in enumerate(files)],
            "annotations": [{"id": k + 1, "image_id": k + 7, "category_id": 1, "iscrowd": 0,
                             "num_keypoints": int((kp[:, 2] > 0).sum()), "bbox": list(box),
                             "keypoints": kp.reshape(-1).tolist()} for k, kp in enumerate(keypoints)],
            "categories": [{"id": 1, "name": "person"}]}
    return json.dumps(data)


def write_coco_keypoints(root: Path, n: int = 6, unlabelled: int = 0) -> str:
    """mmpose layout: annotations/face_landmarks_300w_{train,test}.json + images/; ``unlabelled`` points of
    every annotation have v = 0 (x = y = 0, as COCO writes them)."""
    rng = np.random.default_rng(5)
    for s, split in enumerate(("train", "test")):
        files, kps = [], []
        for k in range(n):
            kp = np.hstack([_points(rng, 68), np.full((68, 1), 2.0)])
            kp[(np.arange(unlabelled) * 7 + k) % 68] = 0.0
            files.append(f"afw/{split}{k}.jpg")
            kps.append(kp)
            write_image(root / "images" / files[-1], SIDE, SIDE, seed=s * 100 + k)
        write_text(root / "annotations" / f"face_landmarks_300w_{split}.json",
                   coco_json(files, kps, box=(1, 1, SIDE - 3, SIDE - 3)))
    return f"coco-keypoints:{root}"


# ------------------------------------------------------------------------------------------------ parsing
def ids_map(h: int, w: int, n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, (h, w)).astype(np.uint8)


def make_lapa(root: Path, n: int = 1, side: tuple[int, int] = (20, 16)) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """LaPa: <split>/{images,labels,landmarks}/ (val landmarks CRLF); (split, k) truth of the first face per split."""
    truth = {}
    w, h = side
    for s, split in enumerate(("train", "val", "test")):
        for k in range(n):
            name, seed = f"{s}_face" if k == 0 else f"{s}_face{k}", s * 100 + k
            write_image(root / split / "images" / f"{name}.jpg", w, h, seed=seed)
            ids = ids_map(h, w, 11, seed)
            write_ids(root / split / "labels" / f"{name}.png", ids)
            pts = np.random.default_rng(seed).uniform(0, w - 1, (106, 2))
            write_text(root / split / "landmarks" / f"{name}.txt",
                       "106\n" + "".join(f"{x:.4f} {y:.4f}\n" for x, y in pts), "\r\n" if split == "val" else "\n")
            if k == 0:
                truth[split] = (ids, pts)
    return truth


def write_lapa(root: Path, n: int = 4) -> str:
    make_lapa(root, n, (SIDE, SIDE))
    return f"lapa:{root}"


def make_celebamask(root: Path, parts_of: dict[int, dict[str, tuple]], side: int = 16) -> None:
    """CelebA-HQ-img/<id>.jpg (2× the mask side) + CelebAMask-HQ-mask-anno/<id // 2000>/<id:05d>_<part>.png."""
    for face, parts in parts_of.items():
        write_image(root / "CelebA-HQ-img" / f"{face}.jpg", 2 * side, 2 * side, seed=face)
        for part, region in parts.items():
            m = np.zeros((side, side, 3), dtype=np.uint8)
            m[region] = 255
            path = root / "CelebAMask-HQ-mask-anno" / str(face // 2000) / f"{face:05d}_{part}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(m).save(path)


def write_celebamask_hq(root: Path, n: int = 8) -> str:
    """``n`` faces, every other one in CelebA's test partition (through the mapping file)."""
    rng = np.random.default_rng(6)
    parts_of = {}
    for k in range(n):
        a, b = rng.integers(2, 8, 2)
        parts_of[k] = {"skin": np.s_[2:14, 2:14], "nose": np.s_[a:a + 4, b:b + 4], "hair": np.s_[0:3, :],
                       "l_eye": np.s_[5, 4:7]}
    make_celebamask(root, parts_of, side=SIDE // 2)
    write_text(root / "CelebA-HQ-to-CelebA-mapping.txt", "idx         orig_idx        orig_file\n" +
               "".join(f"{k}           {1000 + k}          {1001 + k:06d}.jpg\n" for k in range(n)))
    write_text(root / "list_eval_partition.txt", "".join(f"{1001 + k:06d}.jpg {2 * (k % 2)}\n" for k in range(n)),
               "\r\n")
    return f"celebamask-hq:{root}"


def write_segfolder(root: Path, n: int = 4) -> str:
    """<split>/images/*.png + <split>/labels/*.png (palette label PNGs), classes from the lapa11 preset."""
    for s, split in enumerate(("train", "test")):
        for k in range(n):
            write_image(root / split / "images" / f"f{k}.png", SIDE, SIDE, seed=s * 100 + k)
            write_ids(root / split / "labels" / f"f{k}.png", ids_map(SIDE, SIDE, 11, s * 100 + k), "P")
    return f"segfolder:{root}?classes=lapa11"


def make_helen(root: Path, names: list[str], side: tuple[int, int] = (12, 10)) -> dict[str, np.ndarray]:
    """images/<name>.jpg + labels/<name>/<name>_lbl00..10.png (one grey map per class); name -> class ids."""
    truth = {}
    w, h = side
    for k, name in enumerate(names):
        write_image(root / "images" / f"{name}.jpg", w, h, seed=k)
        ids = ids_map(h, w, 11, k)
        for c in range(11):
            write_ids(root / "labels" / name / f"{name}_lbl{c:02d}.png", np.where(ids == c, 200, 10))
        truth[name] = ids
    return truth


def write_helen(root: Path, n: int = 4) -> str:
    """``n`` faces in each of exemplars.txt (train, CRLF), tuning.txt (val) and testing.txt (test, trailing spaces)."""
    names = [f"{100032540 + k}_1" for k in range(3 * n)]
    make_helen(root, names, (SIDE, SIDE))
    for s, (name, end) in enumerate((("exemplars.txt", "\r\n"), ("tuning.txt", "\n"), ("testing.txt", "\n"))):
        rows = "".join(f"{k + 1} , {nm}" + (" \n" if s == 2 else "\n") for k, nm in enumerate(names[s * n:(s + 1) * n]))
        write_text(root / name, rows, end)
    return f"helen:{root}"


def write_synth(root: Path, ids: int = 12, per_id: int = 4) -> str:
    """The embedded synthetic faces: no files, the spec alone (``root`` is unused)."""
    return f"synth:ids={ids},per_id={per_id},size={SIDE},seed=0"


WRITERS: dict[str, Callable[..., str]] = {  # one fixture per registered format (test_common checks it)
    "300w": write_300w, "wflw": write_wflw, "cofw": write_cofw, "aflw2000-3d": write_aflw2000_3d,
    "coco-keypoints": write_coco_keypoints, "lapa": write_lapa, "celebamask-hq": write_celebamask_hq,
    "segfolder": write_segfolder, "helen": write_helen, "disfa": write_disfa, "bp4d": write_bp4d,
    "affectnet": write_affectnet, "rafdb": write_rafdb, "fer2013": write_fer2013, "ckplus": write_ckplus,
    "imagefolder": write_imagefolder, "pairs": write_pairs, "celeba": write_celeba, "frl-hdf5": write_frl_hdf5,
    "webdataset": write_webdataset, "manifest": write_manifest, "synth": write_synth,
}
