"""Regenerate the face-api equality fixture: ``python benchmarks/faceapi_reference/make_fixture.py``.

Runs the original JavaScript networks of ``@vladmandic/face-api@1.7.15`` in node (TF.js 4.22.0, pure-JS CPU
backend; ``package.json`` / ``package-lock.json`` here pin every npm package) and stores their outputs in
``tests/backbones/faceapi/faceapi_reference.npz``, which ``tests/backbones/faceapi/test_faceapi_reference.py``
compares the PyTorch ports against. Needs the weights in facerep's cache (``facerep weights faceapi``), node
and npm (the npm packages are installed into the cache, ``…/faceapi/node-reference``, not into the
repository).

1. Python decodes the six demo photos (OpenCV) and hands their RGB pixels to node as ``.npy``; node's SSD
   MobileNet v1 (``locateFaces``, min confidence 0.5) finds the faces.
2. Python cuts each detected box out (:func:`facerep.backbones.faceapi._image.box_crop`: rounded box, square
   padding and TF bilinear resize as face-api does, rounded to uint8) at 150 and 112 px and hands those exact
   pixels to node, which runs the recognition, both 68-point, the expression and the age/gender nets.
3. The boxes, the sha256 of every photo's and crop's pixels and every output go into the fixture; the test
   rebuilds the crops from the cached photos and checks the hashes before comparing outputs.
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from facerep.backbones.faceapi._image import box_crop  # noqa: E402 -- after the sys.path insert
from facerep.backbones.faceapi.weights import cache_dir, demo_photos, package_dir  # noqa: E402 -- as above

FIXTURE = ROOT / "tests" / "backbones" / "faceapi" / "faceapi_reference.npz"
NODE_FILES = ("package.json", "package-lock.json", "run.mjs")


def sha(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def read_photo(path: Path) -> np.ndarray:
    """A demo photo as [H, W, 3] uint8 RGB (OpenCV's JPEG decoder)."""
    import cv2

    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"{path}: cannot decode")
    return np.ascontiguousarray(bgr[:, :, ::-1])


def node_setup(node_dir: Path) -> None:
    """Copy the pinned npm project into ``node_dir`` and install it (``npm ci`` when the lock file exists)."""
    node_dir.mkdir(parents=True, exist_ok=True)
    for name in NODE_FILES:
        if (HERE / name).is_file():
            shutil.copyfile(HERE / name, node_dir / name)
    lock = (HERE / "package-lock.json").is_file()
    cmd = ["npm", "ci" if lock else "install", "--ignore-scripts", "--no-audit", "--no-fund"]
    subprocess.run(cmd, cwd=node_dir, check=True)
    if not lock:  # first run: keep the resolved versions
        shutil.copyfile(node_dir / "package-lock.json", HERE / "package-lock.json")


def run_node(node_dir: Path, work: Path, job: dict) -> dict:
    job = {"model_dir": str(package_dir() / "model"), "detect": [], "faces": [], **job,
           "out": str(work / "out.json")}
    (work / "job.json").write_text(json.dumps(job))
    subprocess.run(["node", "run.mjs", str(work / "job.json")], cwd=node_dir, check=True)
    return json.loads((work / "out.json").read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--node-dir", type=Path, default=cache_dir() / "node-reference")
    ap.add_argument("--out", type=Path, default=FIXTURE)
    args = ap.parse_args()
    node_setup(args.node_dir)
    photos = [read_photo(p) for p in demo_photos()]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for i, img in enumerate(photos):
            np.save(work / f"photo{i}.npy", img)
        det = run_node(args.node_dir, work, {"detect": [{"id": str(i), "npy": str(work / f"photo{i}.npy")}
                                                        for i in range(len(photos))]})
        faces = [(i, d) for i in range(len(photos)) for d in det["detections"][str(i)]]
        jobs, crops = [], {}
        for f, (i, d) in enumerate(faces):
            for size in (150, 112):
                crops[f, size] = box_crop(photos[i], tuple(d["box"]), size)
                np.save(work / f"face{f}_{size}.npy", crops[f, size])
            jobs.append({"id": str(f), "npy150": str(work / f"face{f}_150.npy"),
                         "npy112": str(work / f"face{f}_112.npy")})
        res = run_node(args.node_dir, work, {"faces": jobs})
    out = [res["faces"][str(f)] for f in range(len(faces))]
    meta = {"package": "@vladmandic/face-api@1.7.15", "versions": det["versions"], "backend": det["backend"],
            "made": datetime.date.today().isoformat(),
            "command": "python benchmarks/faceapi_reference/make_fixture.py",
            "photo_sha256": [sha(p) for p in photos], "landmarks_unit": "pixels of the 112 px crop",
            "ssd": {"min_confidence": 0.5, "max_results": 100, "iou_threshold": 0.5}}
    import cv2

    meta["opencv"] = cv2.__version__
    arrays = {
        "meta": np.array(json.dumps(meta)),
        "face_photo": np.array([i for i, _ in faces], np.int64),
        "face_box": np.array([d["box"] for _, d in faces], np.float64),
        "face_score": np.array([d["score"] for _, d in faces], np.float64),
        "crop150_sha256": np.array([sha(crops[f, 150]) for f in range(len(faces))]),
        "crop112_sha256": np.array([sha(crops[f, 112]) for f in range(len(faces))]),
        "descriptor": np.array([o["descriptor"] for o in out], np.float32),
        **{k: np.array([o[k] for o in out], np.float32).reshape(-1, 68, 2) * 112  # pixels of the 112 px crop
           for k in ("landmarks68", "landmarks68_tiny")},
        "expression": np.array([o["expression"] for o in out], np.float32),
        "age": np.array([o["age"] for o in out], np.float32),
        "gender": np.array([o["gender"] for o in out], np.float32),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(f"{len(faces)} faces on {len(photos)} photos -> {args.out} ({args.out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
