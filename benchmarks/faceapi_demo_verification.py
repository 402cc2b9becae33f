"""Face verification on the real faces of face-api's six demo photos.

    python benchmarks/faceapi_demo_verification.py

The photos (``package/demo/sample1..6.jpg`` of ``@vladmandic/face-api@1.7.15``, from facerep's cache: run
``facerep weights faceapi`` first) show 22 people, three to five per photo, with no identity labels. Two faces
in one photo are two different people, so:

- *different* pairs: two faces of the same photo (31 face pairs; faces of different photos are left out, since
  nobody has checked that they are different people);
- *same* pairs: two views of one face: face-api's crop (the box of its 68 points grown by 20 %,
  ``alignedRect``), its mirror image, the 5-point aligned crop (ArcFace template, 10 % margin), and face-api's
  crop at a quarter of the resolution in grey.

Each backbone embeds every view (its own input size and normalisation; pooled features, and face-api's 128-d
descriptor) and pairs are scored by cosine similarity. Metrics as :mod:`facerep.bench.metrics` defines them:
ROC AUC, verification accuracy (LFW 10-fold best-threshold protocol), TAR at FAR 1e-2. Random-init backbones
use seed 0. Real faces, but a small and easy protocol (the same photo's pixels on both sides of a same pair).
"""
from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from facerep.backbones import create_backbone
from facerep.backbones.faceapi._image import box_crop, landmark_box
from facerep.backbones.faceapi.ssd import SsdFaceDetector
from facerep.backbones.faceapi.weights import demo_photos
from facerep.bench import metrics as M
from facerep.curate.align import align_face
from facerep.curate.landmarkers.faceapi import FaceApiLandmarker
from facerep.data.transforms import five_points

VIEW_SIZE = 160  # views are made at this size, then resized to each backbone's input
VIEWS = ("face-api crop", "mirrored", "5-point aligned", "low-res grey")


def read_rgb(path: Path) -> np.ndarray:
    import cv2

    return np.ascontiguousarray(cv2.imread(str(path), cv2.IMREAD_COLOR)[:, :, ::-1])


def views_of_faces() -> tuple[np.ndarray, np.ndarray]:
    """Views [F, 4, S, S, 3] uint8 of every detected face, and the photo of each face [F]."""
    import cv2

    ssd, lm = SsdFaceDetector(), FaceApiLandmarker()
    out, photo = [], []
    for i, path in enumerate(demo_photos()):
        image = read_rgb(path)
        faces = ssd.detect(image)
        boxes = [np.array([f.box[0], f.box[1], f.box[0] + f.box[2], f.box[1] + f.box[3]]) for f in faces]
        for _face, pts in zip(faces, lm.landmarks(image, boxes)):
            crop = box_crop(image, landmark_box(pts), VIEW_SIZE)
            aligned = align_face(image, five_points(pts), VIEW_SIZE, margin=0.1)[0]
            small = cv2.resize(crop, (VIEW_SIZE // 4,) * 2, interpolation=cv2.INTER_AREA)
            grey = cv2.cvtColor(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
            low = cv2.resize(grey, (VIEW_SIZE,) * 2, interpolation=cv2.INTER_LINEAR)
            out.append(np.stack([crop, crop[:, ::-1], aligned, low]))
            photo.append(i)
    return np.stack(out), np.array(photo)


def pairs(photo: np.ndarray, n_views: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(index_i, index_j, same, view pair) over the flattened views [F * n_views], shuffled (seed 0): for each
    two views (a, b), face f's view a against its own view b (same) and against view b of each other face of
    its photo (different), so both kinds of pair see the same change of view."""
    rows = []
    for k, (a, b) in enumerate(itertools.combinations(range(n_views), 2)):
        for f in range(len(photo)):
            rows.append((f * n_views + a, f * n_views + b, True, k))
            rows += [(f * n_views + a, g * n_views + b, False, k) for g in range(len(photo))
                     if g != f and photo[g] == photo[f]]
    arr = np.array(rows)[np.random.default_rng(0).permutation(len(rows))]
    return arr[:, 0], arr[:, 1], arr[:, 2].astype(bool), arr[:, 3]


def embed(spec: str, images: np.ndarray, descriptor: bool = False) -> np.ndarray:
    """images [N, S, S, 3] uint8 -> L2-normalised embeddings [N, D] (pooled, or face-api's descriptor)."""
    torch.manual_seed(0)
    model = create_backbone(spec)
    size = model.pretrained_cfg.input_size
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0
    x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", antialias=True,
                                        align_corners=False)
    with torch.no_grad():
        z = model.predict(model.normalize(x)) if descriptor else model(model.normalize(x))
    return torch.nn.functional.normalize(z.float(), dim=1).numpy()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backbones", default="faceapi:recognition,faceapi:expression,timm:resnet18")
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    views, photo = views_of_faces()
    flat = views.reshape(-1, *views.shape[2:])
    i, j, same, kind = pairs(photo, views.shape[1])
    combos = [f"{VIEWS[a]} / {VIEWS[b]}" for a, b in itertools.combinations(range(len(VIEWS)), 2)]
    print(f"{len(photo)} faces on {photo.max() + 1} photos; {same.sum()} same and {(~same).sum()} different "
          f"pairs over the view pairs: {'; '.join(combos)}")
    runs = [(s, False) for s in args.backbones.split(",")]
    if "faceapi:recognition" in args.backbones:
        runs.insert(0, ("faceapi:recognition", True))
    print(f"{'backbone (timm: random init)':<40} {'ROC AUC':>8} {'verif. acc':>11} {'TAR@FAR=1e-2':>13}   "
          "ROC AUC per view pair")
    for spec, desc in runs:
        z = embed(spec, flat, descriptor=desc)
        s = (z[i] * z[j]).sum(1)
        acc, std = M.verification_accuracy(s, same)
        per = " ".join(f"{M.roc_auc(s[kind == k], same[kind == k]):.2f}" for k in range(len(combos)))
        name = f"{spec} ({'descriptor' if desc else 'pooled'})"
        tar = M.tar_at_far(s, same, 1e-2)
        print(f"{name:<40} {M.roc_auc(s, same):8.3f} {acc:7.3f}±{std:.3f} {tar:13.3f}   {per}")
    print(f"{time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
