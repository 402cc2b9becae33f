"""Parsing masks drawn from real 68-point landmarks: the real-face parsing set of docs/real-data.md.

No public copy of LaPa, HELEN-parsing or more than 4 CelebAMask-HQ faces was found, so the dense parsing
probe is measured on real faces with masks drawn from their iBUG-68 points (300W's HELEN + AFW). These are
*not* human parsing labels: each part is the polygon of its points (eyes 36-41 / 42-47, inner mouth 60-67,
lips between the outer 48-59 and the inner contour, nose = hull of 27-35, brows = 17-21 / 22-26 drawn as
lines 0.08 x the inter-ocular distance thick, skin = hull of the jaw 0-16 and the brows lifted by a third of
the brow-eye distance). The classes follow LaPa's names; LaPa's hair is listed but never drawn. Each face is
cropped around its landmarks (a square 1.7 x the points' extent, clipped to the image) and resized to 160 px
on the long side::

    python benchmarks/make_landmark_masks.py --root /data/real/300w --out /data/real/300w-lmkparse

writes a ``segfolder`` (``OUT/{train,test}/{images,labels}/`` + ``classes.yaml``): train = afw +
helen/trainset, test = helen/testset (300W's split rules).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from facerep.data.formats.ibug300w import read_pts

CLASSES = ["background", "skin", "left_eyebrow", "right_eyebrow", "left_eye", "right_eye", "nose",
           "upper_lip", "inner_mouth", "lower_lip", "hair"]
SIDE = 160


def _poly(pts: np.ndarray, idx: list[int]) -> np.ndarray:
    return np.round(pts[idx]).astype(np.int32)


def mask_of(pts: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The class-id mask (H x W uint8) of one face's 68 points ``pts`` [68, 2] (0-based pixel coordinates)."""
    m = np.zeros(shape, np.uint8)
    lift = (pts[17:27].mean(0) - pts[36:48].mean(0)) / 3.0
    skin = cv2.convexHull(np.round(np.concatenate([pts[:17], pts[17:27] + lift])).astype(np.int32))
    cv2.fillPoly(m, [skin], 1)
    thick = max(2, round(0.08 * float(np.linalg.norm(pts[36] - pts[45]))))
    cv2.polylines(m, [_poly(pts, list(range(17, 22)))], False, 2, thickness=thick)
    cv2.polylines(m, [_poly(pts, list(range(22, 27)))], False, 3, thickness=thick)
    cv2.fillPoly(m, [cv2.convexHull(_poly(pts, list(range(27, 36))))], 6)
    cv2.fillPoly(m, [_poly(pts, list(range(36, 42)))], 4)
    cv2.fillPoly(m, [_poly(pts, list(range(42, 48)))], 5)
    cv2.fillPoly(m, [_poly(pts, list(range(48, 55)) + list(range(64, 59, -1)))], 7)
    cv2.fillPoly(m, [_poly(pts, [*range(54, 60), 48, 60, *range(67, 63, -1)])], 9)
    cv2.fillPoly(m, [_poly(pts, list(range(60, 68)))], 8)
    return m


def write(out: Path, folders: list[Path]) -> int:
    """Crop, resize and draw every face with a ``.pts`` file in ``folders`` into ``out``; the face count."""
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(parents=True, exist_ok=True)
    n = 0
    for folder in folders:
        for pts_file in sorted(folder.glob("*.pts")):
            image_file = next((f for e in (".jpg", ".png") if (f := pts_file.with_suffix(e)).exists()), None)
            if image_file is None:
                raise SystemExit(f"{pts_file}: no .jpg or .png image beside it")
            image = cv2.imread(str(image_file))
            if image is None:
                raise SystemExit(f"{image_file}: not a readable image")
            pts = read_pts(pts_file) - 1.0  # 300W's points are 1-based
            lo, hi = pts.min(0), pts.max(0)
            half, c = (hi - lo).max() * 1.7 / 2, (lo + hi) / 2
            x0, y0 = int(max(0, c[0] - half)), int(max(0, c[1] - half))
            x1, y1 = int(min(image.shape[1], c[0] + half)), int(min(image.shape[0], c[1] + half))
            crop, p = image[y0:y1, x0:x1], pts - [x0, y0]
            s = SIDE / max(crop.shape[:2])
            size = (max(1, round(crop.shape[1] * s)), max(1, round(crop.shape[0] * s)))
            crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
            stem = f"{folder.parent.name}_{pts_file.stem}"
            cv2.imwrite(str(out / "images" / f"{stem}.jpg"), crop, [cv2.IMWRITE_JPEG_QUALITY, 95])
            cv2.imwrite(str(out / "labels" / f"{stem}.png"), mask_of((p + 0.5) * s - 0.5, crop.shape[:2]))
            n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", required=True, type=Path, help="300W folder: afw/afw, helen/trainset, ...")
    parser.add_argument("--out", required=True, type=Path, help="output segfolder")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "classes.yaml").write_text("".join(f"- {c}\n" for c in CLASSES))
    print("train", write(args.out / "train", [args.root / "afw" / "afw", args.root / "helen" / "trainset"]))
    print("test", write(args.out / "test", [args.root / "helen" / "testset"]))


if __name__ == "__main__":
    main()
