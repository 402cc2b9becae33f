"""The dense per-pixel linear probe (parsing, ``--mode linear``): features of several strides upsampled to the
label resolution, one linear classifier per pixel, fitted on class-balanced pixel samples.

As DINOv2's linear segmentation evaluation and FaRL's frozen setting do, the backbone maps of
``BenchConfig.native_strides`` (default 4, 8, 16) are kept at their own resolution in the feature cache
(:attr:`facerep.bench.features.Features.native`) and bilinearly upsampled to the crop's pixels; each pixel's
feature vector (the maps' channels concatenated, finest map first) is classified by one linear layer. Bilinear
upsampling is linear and its weights sum to one, so the logits are computed at each map's own resolution by a
1×1 map (with the standardisation folded in) and only the logits are upsampled and summed: a head's output is
the *packed* per-level logits [N, K, Σ H_i·W_i] (:func:`pack` / :func:`unpack`; the task decodes them to
pixels).

Fit: ``pixels_per_class`` × (classes present) pixels are drawn (seeded) from the training subset's crop masks,
shared out among the classes in proportion to f_c^power (f_c: the class's pixel frequency;
``pixels_class_power``, 0 = the same number per class), with replacement when a class has fewer (an eye is
~0.2 % of a face's pixels: an unweighted least-squares fit with arg-max never predicts it). Their features are
bilinearly sampled from the maps (exactly as ``F.interpolate(..., mode="bilinear", align_corners=False)`` to
the crop size would give them) and a ridge classifier (:func:`facerep.bench.heads.fit_ridge` on one-hot
targets, penalty by identity-grouped 5-fold held-out error) is fitted on them.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..errors import ConfigError
from .features import Features
from .heads import ProbeHead, fit_ridge, linear_head

MapsOf = Callable[[np.ndarray], list[torch.Tensor]]  # face rows -> their maps [[n, C_i, H_i, W_i], …] float32
_CHUNK = 64  # faces per read of the maps


def pack(levels: Sequence[torch.Tensor]) -> torch.Tensor:
    """Per-level logits [[N, K, H_i, W_i], …] -> [N, K, Σ H_i·W_i]."""
    return torch.cat([lv.flatten(2) for lv in levels], dim=2)


def unpack(out: torch.Tensor, sizes: Sequence[tuple[int, int]]) -> list[torch.Tensor]:
    """Inverse of :func:`pack` for level sizes [(H_i, W_i), …]."""
    if out.shape[-1] != sum(h * w for h, w in sizes):
        raise ValueError(f"packed logits have {out.shape[-1]} positions; levels {list(sizes)} have "
                         f"{sum(h * w for h, w in sizes)}")
    parts = torch.split(out, [h * w for h, w in sizes], dim=2)
    return [p.reshape(*out.shape[:2], h, w) for p, (h, w) in zip(parts, sizes)]


def upsample_packed(out: torch.Tensor, sizes: Sequence[tuple[int, int]], size: int) -> torch.Tensor:
    """Packed logits -> the sum of the levels bilinearly upsampled to size × size: [N, K, size, size]."""
    levels = unpack(out, sizes)
    up = F.interpolate(levels[0].float(), size=(size, size), mode="bilinear", align_corners=False)
    for lv in levels[1:]:  # summed in order, as before
        up = up + F.interpolate(lv.float(), size=(size, size), mode="bilinear", align_corners=False)
    return up


class PixelProbe(nn.Module):
    """A per-pixel linear classifier on maps of several resolutions. ``probe`` (a :class:`ProbeHead`:
    standardisation + Linear over the channels of all levels, finest first) is what is fitted on sampled
    pixels; ``forward`` applies it to whole maps: [[B, C_i, H_i, W_i], …] -> packed logits [B, K, Σ H_i·W_i]
    (levels summed after upsampling)."""

    def __init__(self, channels: Sequence[int], n_classes: int) -> None:
        super().__init__()
        self.channels = [int(c) for c in channels]
        self.probe: ProbeHead = linear_head(sum(self.channels), n_classes)
        self.last = self.probe.last  # the fitted / trained layer (fine-tuning's learning rate reads it)

    def forward(self, maps: Sequence[torch.Tensor]) -> torch.Tensor:
        w: torch.Tensor = self.probe.last.weight
        b: torch.Tensor = self.probe.last.bias
        norm = self.probe.norm
        if norm.fitted and not norm.identity and norm.mean.numel():  # fold (x - mean) / std into the weights
            w = w / norm.std.reshape(1, -1)
            b = b - w @ norm.mean.reshape(-1)
        outs, start = [], 0
        for i, m in enumerate(maps):
            c = m.shape[1]
            if i >= len(self.channels) or c != self.channels[i]:
                raise ValueError(f"map {i} has {c} channels; the probe was built for {self.channels}")
            logits = torch.einsum("kc,bchw->bkhw", w[:, start:start + c], m.float())
            outs.append(logits + b[None, :, None, None] if i == 0 else logits)
            start += c
        return pack(outs)


def sample_pixels(masks: torch.Tensor, n_classes: int, per_class: int, seed: int,
                  power: float = 0.0) -> tuple[np.ndarray, ...]:
    """Class-balanced pixel sample of crop masks [n, S, S] (255 = unlabelled). ``per_class`` × (classes
    present) pixels in all, shared out in proportion to f_c^power (f_c: the class's pixel frequency; power 0:
    the same number per class, 1: the natural frequencies), each class's drawn with a seeded RNG (with
    replacement when the class has fewer pixels). Returns (face [R], y [R], x [R], label [R]) sorted by
    face."""
    m = masks.numpy() if isinstance(masks, torch.Tensor) else np.asarray(masks)
    s = m.shape[-1]
    flat = m.reshape(-1)
    counts = np.bincount(flat[flat < n_classes].astype(np.int64), minlength=n_classes).astype(np.float64)
    share = np.where(counts > 0, (counts / max(counts.sum(), 1.0)) ** power, 0.0)
    quota = np.round(per_class * np.count_nonzero(counts) * share / max(share.sum(), 1e-12)).astype(np.int64)
    rng = np.random.default_rng(seed)
    picks = []
    for c in np.flatnonzero(counts):
        where = np.flatnonzero(flat == c)
        picks.append(rng.choice(where, size=max(1, int(quota[c])), replace=len(where) < quota[c]))
    take = np.sort(np.concatenate(picks)) if picks else np.zeros(0, dtype=np.int64)
    face, pix = np.divmod(take, s * s)
    yy, xx = np.divmod(pix, s)
    return face, yy, xx, flat[take].astype(np.int64)


def bilinear_at(maps: torch.Tensor, faces: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor,
                size: int) -> torch.Tensor:
    """Features [R, C] of crop pixels (ys, xs) of faces ``faces`` (row indices into ``maps`` [B, C, H, W])
    after bilinear upsampling of the maps to size × size (``align_corners=False``), computed only at those
    pixels."""
    h, w = maps.shape[-2:]

    def axis(p: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        src = ((p.double() + 0.5) * n / size - 0.5).clamp(min=0.0)
        lo = src.floor().long().clamp(max=n - 1)
        return lo, (lo + 1).clamp(max=n - 1), (src - lo).clamp(0.0, 1.0).float()[:, None]

    y0, y1, fy = axis(ys, h)
    x0, x1, fx = axis(xs, w)
    at = maps.permute(0, 2, 3, 1)  # [B, H, W, C]
    return ((1 - fy) * ((1 - fx) * at[faces, y0, x0] + fx * at[faces, y0, x1])
            + fy * ((1 - fx) * at[faces, y1, x0] + fx * at[faces, y1, x1]))


def gather_pixels(maps_of: MapsOf, rows: np.ndarray, face: np.ndarray, ys: np.ndarray, xs: np.ndarray,
                  size: int) -> torch.Tensor:
    """Upsampled features [R, ΣC_i] (levels concatenated, finest first) of the sampled pixels; ``face``
    (sorted) indexes ``rows`` (the feature rows of the subset's faces)."""
    out = []
    for start in range(0, len(rows), _CHUNK):
        lo, hi = np.searchsorted(face, [start, start + _CHUNK])
        if hi == lo:
            continue
        maps = maps_of(rows[start:start + _CHUNK])
        f, y, x = (torch.from_numpy(np.ascontiguousarray(a[lo:hi])) for a in (face - start, ys, xs))
        out.append(torch.cat([bilinear_at(m, f, y, x, size) for m in maps], dim=1))
    return torch.cat(out) if out else torch.zeros(0, 0)


def fit_pixel_probe(head: PixelProbe, maps_of: list[MapsOf], rows: np.ndarray, masks: torch.Tensor,
                    groups: np.ndarray | None, *, per_class: int, seed: int, n_classes: int,
                    power: float = 0.0) -> float:
    """Fit ``head`` by ridge on one-hot targets of a class-balanced pixel sample of ``masks`` [n, S, S] (the
    crop masks of the faces at feature rows ``rows``); ``maps_of``: one reader per copy of the features (clean
    first, then e.g. corrupted copies: each adds the same pixels' features once more); ``groups`` [n]:
    identity of each face (whole identities are held out to choose the penalty); ``power``: see
    :func:`sample_pixels`. Returns the penalty."""
    face, ys, xs, label = sample_pixels(masks, n_classes, per_class, seed, power)
    if len(label) == 0:
        raise ConfigError("no labelled pixel in the training masks (every pixel is 255)")
    x = torch.cat([gather_pixels(m, rows, face, ys, xs, masks.shape[-1]) for m in maps_of])
    reps = len(maps_of)
    y = F.one_hot(torch.from_numpy(np.tile(label, reps)), n_classes).float()
    g = None if groups is None else np.tile(np.asarray(groups)[face], reps)
    return fit_ridge(head.probe, x, y, g)


def memmap_reader(feats: Features) -> MapsOf:
    """Maps of dataset positions from cached native maps (float16 memory maps -> float32 tensors)."""
    if not feats.native:
        raise ConfigError("these cached features hold no native-resolution maps (set native_strides)")

    def read(positions: np.ndarray) -> list[torch.Tensor]:
        rows = feats.rows_at(np.asarray(positions))
        return [torch.from_numpy(np.ascontiguousarray(m[rows], dtype=np.float32)) for m in feats.native]

    return read


def predict_maps(head: nn.Module, maps_of: MapsOf, rows: np.ndarray) -> torch.Tensor:
    """Packed head output on the faces at ``rows``, read and predicted chunk by chunk."""
    with torch.no_grad():
        return torch.cat([head(maps_of(rows[s:s + _CHUNK])) for s in range(0, len(rows), _CHUNK)])
