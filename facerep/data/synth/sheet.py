"""Contact sheets of any dataset (``facerep show``): each sample as two tiles, the image with its
landmarks (subject's right-side points in red, left-side in blue, the rest green) and the image with
its parsing mask blended in, captioned with identity and expression when the sample has them.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from ...io import atomic_write_bytes
from ..sample import DatasetInfo, FaceDataset, FaceSample
from ..transforms import crop_resize

# colours for mask classes 0..; class 0 (background) is left unblended
PALETTE = np.array([[0, 0, 0], [230, 190, 150], [120, 60, 20], [20, 60, 120], [255, 60, 60], [60, 60, 255],
                    [240, 160, 40], [200, 40, 120], [40, 200, 200], [140, 40, 200], [90, 220, 60],
                    [250, 250, 90], [170, 110, 200], [40, 140, 80], [200, 200, 200], [255, 140, 200],
                    [120, 120, 40], [40, 90, 160], [160, 70, 70]], np.uint8)
_RIGHT_68 = set(range(8)) | set(range(17, 22)) | set(range(36, 42)) | {31, 32, 48, 49, 50, 58, 59, 60, 61, 67}
_LEFT_68 = {p for p in range(68) if p not in _RIGHT_68} - {8, 27, 28, 29, 30, 33, 51, 57, 62, 66}


def _tile_pair(sample: FaceSample, info: DatasetInfo, tile: int) -> np.ndarray:
    """[tile, 2*tile, 3] uint8: landmarks tile | mask tile."""
    crop, _ = crop_resize(sample, tile, margin=0.25)
    img = np.ascontiguousarray(crop.image)
    marks = img.copy()
    if crop.landmarks2d is not None:
        n = len(crop.landmarks2d)
        for k, (x, y) in enumerate(crop.landmarks2d):
            if not (np.isfinite(x) and np.isfinite(y)):
                continue
            colour = (255, 40, 40) if n == 68 and k in _RIGHT_68 else (
                (40, 80, 255) if n == 68 and k in _LEFT_68 else (40, 220, 40))
            cv2.circle(marks, (int(round(x * 4)), int(round(y * 4))), 4, colour, -1, cv2.LINE_AA, 2)
    over = img.copy()
    if crop.mask is not None:
        m = crop.mask
        colours = PALETTE[np.minimum(m, len(PALETTE) - 1)]
        blend = (0.45 * img + 0.55 * colours).astype(np.uint8)
        keep = ((m > 0) & (m != 255))[:, :, None]
        over = np.where(keep, blend, img)
    caption = []
    if sample.identity is not None:
        caption.append(f"id {sample.identity}")
    if sample.expression is not None and info.expression_classes:
        caption.append(info.expression_classes[sample.expression][:8])
    if caption:
        cv2.putText(marks, " ".join(caption), (2, tile - 4), cv2.FONT_HERSHEY_PLAIN, 0.8, (255, 255, 255), 1,
                    cv2.LINE_AA)
    return np.concatenate([marks, over], axis=1)


def contact_sheet(dataset: Sequence[FaceSample] | FaceDataset, info: DatasetInfo, n: int = 32, tile: int = 128,
                  indices: Sequence[int] | None = None) -> np.ndarray:
    """[rows*tile, cols*2*tile, 3] uint8 sheet of ``n`` samples spread evenly over the dataset."""
    if indices is None:
        indices = sorted(set(np.linspace(0, len(dataset) - 1, num=min(n, len(dataset))).round().astype(int).tolist()))
    cols = max(1, int(math.ceil(math.sqrt(len(indices) / 2))))
    rows = int(math.ceil(len(indices) / cols))
    sheet = np.full((rows * tile, cols * 2 * tile, 3), 32, np.uint8)
    for k, i in enumerate(indices):
        r, c = divmod(k, cols)
        sheet[r * tile:(r + 1) * tile, c * 2 * tile:(c + 1) * 2 * tile] = _tile_pair(dataset[int(i)], info, tile)
    return sheet


def write_png(path: str | Path, image: np.ndarray) -> Path:
    """Write an RGB uint8 image as PNG, atomically."""
    ok, buf = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise RuntimeError(f"PNG encoding failed for {path}")
    return atomic_write_bytes(path, buf.tobytes())
