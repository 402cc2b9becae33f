"""``parsing``: per-pixel face parsing. Head outputs are logits at the resolution of each backbone map they
come from, packed ([N, K, Σ H_i·W_i], :func:`facerep.bench.pixels.pack`); decoding upsamples every level
bilinearly to the crop, sums them, takes the arg-max and **warps the mask back to original image pixels**
(nearest; pixels outside the crop are predicted background), where it is scored against the original mask
(pixels labelled 255 are ignored). Linear mode: the dense per-pixel probe of :mod:`facerep.bench.pixels` (maps
of strides 4/8/16 at native resolution, a linear classifier per pixel fitted in closed form on class-balanced
pixel samples); fine-tuning: the FPN-style decoder of :mod:`facerep.bench.finetune_heads` (or, with
``finetune_linear_heads``, the probe itself), trained with cross-entropy weighted by median-frequency class
balancing (Eigen & Fergus, ICCV 2015: w_c = median_c'(f_c') / f_c over the training pixels' class frequencies
f).

Metrics (dataset-level, TP/FP/FN summed over all pixels, as LaPa / CelebAMask-HQ results are reported):
``f1_<class>`` and ``iou_<class>`` per class; ``mean_f1`` over every class except the background (class 0, or
the class named "background") -- e.g. LaPa's 10 classes skin, brows, eyes, nose, lips, inner mouth, hair;
``miou`` over all classes present (background included); ``pixel_accuracy``.
"""
from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import torch
from torch.nn import functional as F

from .. import metrics as M
from ..pixels import PixelProbe, upsample_packed
from . import register_task
from ._base import HeadSpec, Task

_CHUNK = 64


@register_task("parsing",
               description="face parsing: per-class F1 / IoU, mean F1 over foreground classes, mIoU")
class Parsing(Task):
    name = "parsing"
    needs = frozenset({"mask"})
    primary = ("mean_f1", "max")
    input = "pixels"
    knn = "none"

    def setup(self, info: Any, train: dict[str, Any]) -> None:
        self.info = info
        mask = train["mask"]
        labelled = mask[mask != 255]
        self.n = len(info.mask_classes) or (int(labelled.max()) + 1 if labelled.numel() else 1)
        names = list(info.mask_classes) or [f"class{i}" for i in range(self.n)]
        self.names = names
        bg = names.index("background") if "background" in names else 0
        self.background = bg
        self.foreground = [i for i in range(self.n) if i != bg]
        freq = torch.bincount(labelled.long().clamp(max=self.n - 1), minlength=self.n).double()
        freq = freq / freq.sum().clamp(min=1)
        present = freq > 0
        median = freq[present].median() if present.any() else torch.tensor(1.0, dtype=torch.float64)
        self.class_weights = torch.where(present, median / freq.clamp(min=1e-12), 0.0).float()
        self.levels: list[tuple[int, int]] = [(1, 1)]  # (H_i, W_i) of the packed logits; set by build_head

    def build_head(self, spec: HeadSpec) -> torch.nn.Module:
        """The per-pixel linear probe on the native maps ``spec.levels``
        (:class:`facerep.bench.pixels.PixelProbe`)."""
        if not spec.levels:
            raise ValueError("parsing reads native-resolution maps: the head spec has no levels")
        self.levels = [(h, w) for _, h, w in spec.levels]
        return PixelProbe([c for c, _, _ in spec.levels], self.n)

    def targets(self, batch: dict[str, Any]) -> torch.Tensor:
        """The crop masks [N, S, S] (uint8 class ids, 255 = unlabelled)."""
        return batch["mask"]

    def loss(self, out: torch.Tensor, y: torch.Tensor, head: torch.nn.Module) -> torch.Tensor:
        """Class-weighted cross-entropy of the packed logits ``out`` upsampled to the crop masks ``y`` [B, S,
        S]."""
        logits = upsample_packed(out, self.levels, int(y.shape[-1]))
        target = y.long()
        if not (target != 255).any():
            return out.sum() * 0.0
        return F.cross_entropy(logits, target, weight=self.class_weights.to(logits.device), ignore_index=255)

    def trivial(self, y_train: torch.Tensor, n: int) -> torch.Tensor:
        """Packed logits that predict the most frequent *foreground* class (by labelled training pixels)
        everywhere: the best constant for mean F1 over the foreground classes (a constant c scores F1 > 0 on c
        alone, 2·f_c / (1 + f_c) at pixel frequency f_c), where predicting the background would score 0."""
        labelled = y_train[y_train != 255].long()
        top = self.foreground[0] if self.foreground else self.background
        if labelled.numel() and self.foreground:
            counts = torch.bincount(labelled.clamp(max=self.n - 1), minlength=self.n)
            top = max(self.foreground, key=lambda c: int(counts[c]))
        out = torch.full((n, self.n, sum(h * w for h, w in self.levels)), -10.0)
        out[:, top] = 10.0
        return out

    def decode(self, out: torch.Tensor, batch: dict[str, Any]) -> list[np.ndarray]:
        """Packed logits [N, K, L] -> arg-max masks in original image pixels (list of H_i × W_i uint8)."""
        size, masks = self.settings.image_size, []
        for start in range(0, len(out), _CHUNK):
            up = upsample_packed(out[start:start + _CHUNK], self.levels, size)
            # = argmax(1) (first maximum), several times faster
            crop = up.max(1).indices.to(torch.uint8).numpy()
            for c, a, (h, w) in zip(crop, batch["affine"][start:start + _CHUNK],
                                    batch["orig_size"][start:start + _CHUNK]):
                masks.append(cv2.warpAffine(c, a, (int(w), int(h)),
                                            flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
                                            borderMode=cv2.BORDER_CONSTANT, borderValue=self.background))
        return masks

    def truth(self, batch: dict[str, Any]) -> list[np.ndarray]:
        return list(batch["orig_mask"])

    def metrics(self, pred: list[np.ndarray], target: list[np.ndarray]) -> dict[str, float]:
        acc = M.ConfusionAccumulator(self.n, ignore_index=255)
        for p, t in zip(pred, target):
            acc.update(p.astype(np.int64), np.asarray(t).astype(np.int64))
        s: dict[str, Any] = acc.scores(self.foreground)
        out = {f"f1_{name}": float(v) for name, v in zip(self.names, s["f1"])}
        out.update({f"iou_{name}": float(v) for name, v in zip(self.names, s["iou"])})
        out.update(mean_f1=s["mean_f1"], miou=s["miou"], pixel_accuracy=s["pixel_accuracy"])
        return out
