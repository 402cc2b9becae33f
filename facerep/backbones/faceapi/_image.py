"""How face-api turns an image tensor into a network input (``NetInput.toBatchTensor``): pad to a square with
zeros (``padToSquare``), then ``tf.image.resizeBilinear(alignCorners=false, halfPixelCenters=false)`` to the
input size. The same ops in numpy/PyTorch, so facerep feeds its ports the pixels face-api would.
"""
from __future__ import annotations

import math

import numpy as np
import torch


def pad_to_square(image: np.ndarray, centre: bool) -> tuple[np.ndarray, tuple[int, int]]:
    """image [H, W, C] -> the square [S, S, C] (S = max(H, W)) with black added on the short axis, and the
    (top, left) offset of the image in it. ``centre``: ``round(d / 2)`` after and the rest before the image,
    as ``padToSquare(…, isCenterImage=true)``; else all of it after (bottom/right)."""
    h, w = image.shape[:2]
    if h == w:
        return image, (0, 0)
    diff = abs(h - w)
    before = diff - math.floor(diff * 0.5 + 0.5) if centre else 0
    side = max(h, w)
    out = np.zeros((side, side, *image.shape[2:]), dtype=image.dtype)
    top, left = (before, 0) if h < w else (0, before)
    out[top:top + h, left:left + w] = image
    return out, (top, left)


def _axis_weights(n_in: int, n_out: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Source indices (low, high) and the weight of high for each output index (TF's legacy mapping
    ``src = i * n_in / n_out``, no half-pixel offset)."""
    src = torch.arange(n_out, dtype=torch.float64) * (n_in / n_out)
    lo = torch.floor(src).long().clamp(max=n_in - 1)
    hi = torch.ceil(src).long().clamp(max=n_in - 1)
    return lo, hi, src - lo.double()


def resize_bilinear(x: torch.Tensor, size: int | tuple[int, int]) -> torch.Tensor:
    """``tf.image.resizeBilinear(x, size, alignCorners=false, halfPixelCenters=false)`` for x: [..., H, W]
    (computed in float64, returned in x's float dtype or float32)."""
    oh, ow = (size, size) if isinstance(size, int) else size
    h, w = x.shape[-2:]
    if (h, w) == (oh, ow):
        return x if x.is_floating_point() else x.float()
    xd = x.double()
    lo, hi, fx = _axis_weights(w, ow)  # along x first, then y, as the TF.js CPU kernel does
    cols = xd[..., lo] + (xd[..., hi] - xd[..., lo]) * fx
    lo, hi, fy = _axis_weights(h, oh)
    out = cols[..., lo, :] + (cols[..., hi, :] - cols[..., lo, :]) * fy.view(-1, 1)
    return out.to(x.dtype if x.is_floating_point() else torch.float32)


def chw(image: np.ndarray) -> torch.Tensor:
    """[H, W, C] array -> [C, H, W] float32 tensor (copied when read-only)."""
    return torch.from_numpy(np.require(image, requirements=("C", "W"))).permute(2, 0, 1).float()


def face_input(face: np.ndarray, size: int) -> torch.Tensor:
    """A face image [H, W, 3] uint8 RGB -> [3, size, size] float in 0..255, as face-api makes it (centred
    square padding, TF bilinear resize)."""
    square, _ = pad_to_square(np.asarray(face), centre=True)
    return resize_bilinear(chw(square), size)


def box_crop(image: np.ndarray, box: tuple[float, float, float, float], size: int) -> np.ndarray:
    """The face crop facerep's face-api fixture uses: ``box`` (x, y, width, height) rounded to whole pixels
    and clipped to the image, cut out, padded and resized as face-api does (:func:`face_input`), rounded to
    uint8. Returns [size, size, 3] uint8."""
    h, w = image.shape[:2]
    x, y, bw, bh = (float(v) for v in box)
    x0, y0, x1, y1 = max(0, round(x)), max(0, round(y)), min(w, round(x + bw)), min(h, round(y + bh))
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"box {box} holds no pixel of a {w}x{h} image")
    crop = face_input(image[y0:y1, x0:x1], size)
    return crop.round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()


def landmark_box(points: np.ndarray, padding: float = 0.2) -> tuple[float, float, float, float]:
    """face-api's ``alignedRect``: the bounding box of the 68 points [68, 2], grown by ``padding`` x its width
    and height (half on each side) -> (x, y, width, height). face-api cuts faces there for the recognition,
    expression and age/gender nets."""
    lo, hi = np.min(points, 0), np.max(points, 0)
    w, h = hi - lo
    x, y = lo - padding * (hi - lo) / 2
    return float(x), float(y), float(w * (1 + padding)), float(h * (1 + padding))
