"""Contact sheets of any dataset (``facerep show``): a legend on top, then each sample as two tiles, the image
with its landmarks (subject's right-side points in red, left-side in blue, the rest green) and the image with
its parsing mask blended in (one colour per class, named in the legend), captioned in full below the pair with
identity and expression when the sample has them.
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
FONT, TEXT, BACKGROUND = cv2.FONT_HERSHEY_SIMPLEX, (235, 235, 235), (24, 24, 24)
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
            # float(): x, y are numpy floats, whose round() gives an int only from numpy 2 on
            cv2.circle(marks, (round(float(x * 4)), round(float(y * 4))), 4, colour, -1, cv2.LINE_AA, 2)
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
        caption.append(info.expression_classes[sample.expression])
    strip = np.full((caption_height(tile), 2 * tile, 3), BACKGROUND, np.uint8)
    _text(strip, ", ".join(caption), (3, strip.shape[0] - 4), TEXT, max_width=2 * tile - 6)
    return np.concatenate([np.concatenate([marks, over], axis=1), strip], axis=0)


def caption_height(tile: int) -> int:
    return max(14, tile // 7)


def _text(canvas: np.ndarray, text: str, origin: tuple[int, int], colour: tuple[int, int, int],
          scale: float = 0.4, max_width: int | None = None) -> int:
    """Draw ``text`` (whole: the font shrinks until it fits ``max_width``); returns the width drawn, pixels.
    """
    if not text:
        return 0
    while True:
        (w, _), _ = cv2.getTextSize(text, FONT, scale, 1)
        if max_width is None or w <= max_width or scale <= 0.2:
            break
        scale *= 0.9
    cv2.putText(canvas, text, origin, FONT, scale, colour, 1, cv2.LINE_AA)
    return w


def legend(info: DatasetInfo, width: int, classes: Sequence[int] | None = None) -> np.ndarray:
    """[H, width, 3] uint8 band saying what the tiles show: the landmark colours, and the mask classes
    ``classes`` (ids; None: every class of ``info``; background is never blended) with their colour swatches,
    flowed over as many lines as ``width`` needs."""
    items: list[tuple[str, tuple[int, int, int] | None]] = []
    if info.landmark_scheme == "68":
        items += [("left tile: landmarks", None), ("subject's right side", (255, 40, 40)),
                  ("subject's left side", (40, 80, 255)), ("midline", (40, 220, 40))]
    elif info.landmark_scheme:
        items += [(f"left tile: {info.landmark_scheme} landmarks", None), ("points", (40, 220, 40))]
    else:
        items.append(("left tile: image (no landmarks)", None))
    names = list(info.mask_classes)
    ids = [c for c in (range(len(names)) if classes is None else classes) if 0 < c < len(names)]
    items.append(("right tile: parsing mask" if ids else "right tile: no parsing mask", None))
    rgb = [PALETTE[min(c, len(PALETTE) - 1)] for c in ids]
    items += [(names[c], (int(r), int(g), int(b))) for c, (r, g, b) in zip(ids, rgb)]
    line_h, pad, x, y = 16, 6, 6, 0
    placed: list[tuple[str, tuple[int, int, int] | None, int, int]] = []
    for text, colour in items:
        (w, _), _ = cv2.getTextSize(text, FONT, 0.4, 1)
        need = w + (16 if colour is not None else 0) + 12
        if (colour is None and placed) or x + need > width - pad:  # a heading or a full line: a new line
            x, y = pad, y + line_h
        placed.append((text, colour, x, y))
        x += need
    band = np.full((y + line_h + pad, width, 3), BACKGROUND, np.uint8)
    for text, colour, x, y in placed:
        if colour is not None:
            cv2.rectangle(band, (x, y + 5), (x + 11, y + 14), colour, -1)
            x += 16
        _text(band, text, (x, y + 14), TEXT, max_width=width - x - pad)
    return band


def contact_sheet(dataset: Sequence[FaceSample] | FaceDataset, info: DatasetInfo, n: int = 32,
                  tile: int = 128, indices: Sequence[int] | None = None) -> np.ndarray:
    """[legend + rows*(tile + caption), cols*2*tile, 3] uint8 sheet of ``n`` samples spread evenly over the
    dataset, under a :func:`legend` of the mask classes they show."""
    if indices is None:
        indices = sorted(set(np.linspace(0, len(dataset) - 1,
                                         num=min(n, len(dataset))).round().astype(int).tolist()))
    cols = max(1, math.ceil(math.sqrt(len(indices) / 2)))
    rows = math.ceil(len(indices) / cols)
    cell = tile + caption_height(tile)
    grid = np.full((rows * cell, cols * 2 * tile, 3), 32, np.uint8)
    shown: set[int] = set()
    for k, i in enumerate(indices):
        r, c = divmod(k, cols)
        sample = dataset[int(i)]
        if sample.mask is not None:
            shown |= {int(v) for v in np.unique(sample.mask) if v != 255}
        grid[r * cell:(r + 1) * cell, c * 2 * tile:(c + 1) * 2 * tile] = _tile_pair(sample, info, tile)
    return np.concatenate([legend(info, grid.shape[1], sorted(shown)), grid], axis=0)


def write_png(path: str | Path, image: np.ndarray) -> Path:
    """Write an RGB uint8 image as PNG, atomically."""
    ok, buf = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise RuntimeError(f"PNG encoding failed for {path}")
    return atomic_write_bytes(path, buf.tobytes())
