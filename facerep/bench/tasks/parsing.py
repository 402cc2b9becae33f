"""``parsing``: per-pixel face parsing with a 1×1 conv on the cached dense grid (G×G logits, bilinearly upsampled;
a 1×1 conv commutes with bilinear upsampling, so this is the "1×1 conv on upsampled maps"). The head is trained
against the class histogram of each grid cell (soft labels, cheap): in linear mode by ridge regression of the
histograms on the cell's features (closed form, penalty by identity-grouped cross-validation), when fine-tuning
by soft cross-entropy; at test time logits are upsampled to the crop,
the arg-max mask is **warped back to original image pixels** (nearest; pixels outside the crop are predicted
background) and scored against the original mask (pixels labelled 255 are ignored).

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
from ..heads import conv1x1_head
from . import register_task
from ._base import HeadSpec, Task

_CHUNK = 64


@register_task("parsing", description="face parsing: per-class F1 / IoU, mean F1 over foreground classes, mIoU")
class Parsing(Task):
    name = "parsing"
    needs = frozenset({"mask"})
    primary = ("mean_f1", "max")
    input = "dense"
    knn = False
    closed_form = True

    def setup(self, info: Any, train: dict[str, Any]) -> None:
        self.info = info
        mask = train["mask"]
        labelled = mask[mask != 255]
        self.n = len(info.mask_classes) or (int(labelled.max()) + 1 if labelled.numel() else 1)
        names = list(info.mask_classes) or [f"class{i}" for i in range(self.n)]
        self.names = names
        bg = names.index("background") if "background" in names else 0
        self.foreground = [i for i in range(self.n) if i != bg]

    def build_head(self, spec: HeadSpec) -> torch.nn.Module:
        return conv1x1_head(spec.dense_channels, self.n)

    def targets(self, batch: dict[str, Any]) -> torch.Tensor:
        """[N, C, G, G]: the fraction of each class among the labelled pixels of each grid cell (all 0 where a
        cell has no labelled pixel)."""
        g, out = self.cfg.dense_grid, []
        for start in range(0, len(batch["mask"]), _CHUNK):
            m = batch["mask"][start:start + _CHUNK].long()
            onehot = F.one_hot(m.clamp(max=self.n), self.n + 1)[..., :self.n]  # 255 -> the dropped extra class
            hist = F.adaptive_avg_pool2d(onehot.permute(0, 3, 1, 2).float(), g)
            out.append(hist / hist.sum(1, keepdim=True).clamp(min=1e-8))
        return torch.cat(out)

    def loss(self, out: torch.Tensor, y: torch.Tensor, head: torch.nn.Module) -> torch.Tensor:
        ce = -(y * F.log_softmax(out, dim=1)).sum(1)  # [N, G, G]
        valid = y.sum(1) > 0
        return ce[valid].mean() if valid.any() else out.sum() * 0.0

    def trivial(self, y_train: torch.Tensor, n: int) -> torch.Tensor:
        """Logits that predict the most frequent class (by labelled pixels) everywhere."""
        top = int(torch.argmax(y_train.sum((0, 2, 3))))
        out = torch.full((n, self.n, *y_train.shape[2:]), -10.0)
        out[:, top] = 10.0
        return out

    def vote_targets(self, y: torch.Tensor) -> torch.Tensor:
        """The linear mode's ridge classifier fits the cell histograms themselves ([N, C, G, G])."""
        return y

    def from_scores(self, s: torch.Tensor) -> torch.Tensor:
        """Fitted histograms are used as logits: the upsampled arg-max decides each pixel."""
        return s

    def decode(self, out: torch.Tensor, batch: dict[str, Any]) -> list[np.ndarray]:
        """Logits [N, C, G, G] -> arg-max masks in original image pixels (list of H_i × W_i uint8)."""
        size, masks = self.cfg.image_size, []
        for start in range(0, len(out), _CHUNK):
            up = F.interpolate(out[start:start + _CHUNK].float(), size=(size, size), mode="bilinear", align_corners=False)
            crop = up.max(1).indices.to(torch.uint8).numpy()  # = argmax(1) (first maximum), several times faster
            for c, a, (h, w) in zip(crop, batch["affine"][start:start + _CHUNK], batch["orig_size"][start:start + _CHUNK]):
                masks.append(cv2.warpAffine(c, a, (int(w), int(h)), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
                                            borderMode=cv2.BORDER_CONSTANT, borderValue=0))
        return masks

    def truth(self, batch: dict[str, Any]) -> list[np.ndarray]:
        return list(batch["orig_mask"])

    def metrics(self, pred: list[np.ndarray], target: list[np.ndarray]) -> dict[str, float]:
        acc = M.ConfusionAccumulator(self.n, ignore_index=255)
        for p, t in zip(pred, target):
            acc.update(p.astype(np.int64), np.asarray(t).astype(np.int64))
        s = acc.scores(self.foreground)
        out = {f"f1_{name}": float(v) for name, v in zip(self.names, s["f1"])}
        out.update({f"iou_{name}": float(v) for name, v in zip(self.names, s["iou"])})
        out.update(mean_f1=s["mean_f1"], miou=s["miou"], pixel_accuracy=s["pixel_accuracy"])
        return out
