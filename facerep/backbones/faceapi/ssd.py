"""face-api's face detector: SSD MobileNet v1 (``ssd_mobilenetv1_model``; ``src/ssdMobilenetv1``), with its
box decoding and non-maximum suppression, written from the package's TypeScript.

Input: the image padded to a square at the bottom/right with black, resized to 512 x 512 (TF bilinear), scaled
to [-1, 1]. MobileNet v1: a 3x3 stride-2 conv, then 13 pairs of (3x3 depthwise conv + batch norm, 1x1 conv),
stride 2 in pairs 2, 4, 6, 12, every conv followed by ReLU6 (``clipByValue(0, 6)``; the 1x1 convs carry their
folded batch-norm offset). Eight extra convs (1x1, then 3x3 stride 2, four times) shrink the last map to 1 x
1. Six box predictors (1x1 convs) read the 32 x 32 map of pair 11 (3 anchors per cell) and the 16, 8, 4, 2, 1
maps (6): 5118 anchors in all (``Output/extra_dim``). A box decodes as in TF's object detection API (centre
offsets / 10, log sizes / 5) to (ymin, xmin, ymax, xmax) in the 512 square; the face score is the sigmoid of
class 1. Greedy NMS keeps a box unless an already kept one overlaps it by IoU > 0.5.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._image import chw, pad_to_square, resize_bilinear
from ._layers import TfConv, pad_same
from ._net import load_network
from .weights import manifest_path

INPUT_SIZE = 512
BN_EPSILON = 0.0010000000474974513
DOWN_PAIRS = (2, 4, 6, 12)
WIDTHS = (64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024)  # 1x1 outputs of pairs 1..13
EXTRA = ((256, 1), (512, 3), (128, 1), (256, 3), (128, 1), (256, 3), (64, 1), (128, 3))  # (width, kernel)
# constants of the exported TF graph (reshape sizes, slices, pre-processing) that face-api does not read
UNUSED = ("Postprocessor/Slice/begin", "Postprocessor/Slice/size", "Postprocessor/stack/1",
          "Preprocessor/mul/x", "Preprocessor/ResizeImage/size", "Preprocessor/sub/y", "concat_1/axis",
          "Prediction/BoxPredictor_0/stack/3", "Prediction/BoxPredictor_0/stack_1/2",
          "Prediction/BoxPredictor_0/strided_slice/stack",
          "Prediction/BoxPredictor_0/strided_slice/stack_1",
          *(f"Prediction/BoxPredictor_{i}/stack_1/1" for i in range(6)))


def _pointwise(prefix: str, c_in: int, c_out: int, k: int = 1, stride: int = 1) -> TfConv:
    return TfConv(prefix, c_in, c_out, k, stride, names=("weights", "convolution_bn_offset"))


class DepthwiseBN(nn.Module):
    """3x3 depthwise conv ('same') + batch norm (moving statistics) + ReLU6."""

    def __init__(self, prefix: str, c: int, stride: int) -> None:
        super().__init__()
        self.prefix, self.stride = prefix, stride
        self.weight = nn.Parameter(torch.zeros(c, 1, 3, 3))
        self.gamma, self.beta = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c))
        self.mean, self.var = nn.Parameter(torch.zeros(c)), nn.Parameter(torch.ones(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: [B, C, H, W] -> [B, C, ceil(H/s), ceil(W/s)]."""
        out = F.conv2d(pad_same(x, 3, self.stride), self.weight, None, self.stride, groups=x.shape[1])
        beta, mean, gamma, var = (p.view(1, -1, 1, 1) for p in (self.beta, self.mean, self.gamma, self.var))
        return (beta + (out - mean) * gamma / torch.sqrt(var + BN_EPSILON)).clamp(0, 6)

    def tf_params(self) -> Iterator[tuple[str, nn.Parameter, str]]:
        yield f"{self.prefix}/depthwise_weights", self.weight, "depthwise"
        for name, p in (("gamma", self.gamma), ("beta", self.beta), ("moving_mean", self.mean),
                        ("moving_variance", self.var)):
            yield f"{self.prefix}/BatchNorm/{name}", p, "vector"


class SsdMobilenetV1(nn.Module):
    network = "ssd"
    manifest = "ssd_mobilenetv1_model"

    def __init__(self) -> None:
        super().__init__()
        self.conv0 = _pointwise("MobilenetV1/Conv2d_0_pointwise", 3, 32, 3, 2)
        pairs, c = [], 32
        for i, w in enumerate(WIDTHS, start=1):
            stride = 2 if i in DOWN_PAIRS else 1
            pairs.append(nn.Sequential(DepthwiseBN(f"MobilenetV1/Conv2d_{i}_depthwise", c, stride),
                                       _pointwise(f"MobilenetV1/Conv2d_{i}_pointwise", c, w)))
            c = w
        self.pairs = nn.ModuleList(pairs)
        extra, c = [], 1024
        for i, (w, k) in enumerate(EXTRA):
            extra.append(_pointwise(f"Prediction/Conv2d_{i}_pointwise", c, w, k, 2 if k == 3 else 1))
            c = w
        self.extra = nn.ModuleList(extra)
        ins = (512, 1024, 512, 256, 256, 128)
        anchors = (3, 6, 6, 6, 6, 6)
        heads = list(enumerate(zip(ins, anchors)))
        self.box = nn.ModuleList([TfConv(f"Prediction/BoxPredictor_{i}/BoxEncodingPredictor", c_in, 4 * a, 1,
                                         names=("weights", "biases")) for i, (c_in, a) in heads])
        self.cls = nn.ModuleList([TfConv(f"Prediction/BoxPredictor_{i}/ClassPredictor", c_in, 3 * a, 1,
                                         names=("weights", "biases")) for i, (c_in, a) in heads])
        self.anchors = nn.Parameter(torch.zeros(1, 5118, 4), requires_grad=False)

    def tf_params(self) -> Iterator[tuple[str, nn.Parameter, str]]:
        yield "Output/extra_dim", self.anchors, "as-is"

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: [B, 3, 512, 512] in [-1, 1] -> boxes [B, 5118, 4] (ymin, xmin, ymax, xmax as fractions of the
        input) and face scores [B, 5118]."""
        out = self.conv0(x).clamp(0, 6)
        for i, pair in enumerate(self.pairs, start=1):
            out = pair(out).clamp(0, 6)  # depthwise, then pointwise
            if i == 11:
                conv11 = out
        feats = [conv11, out]
        for i, conv in enumerate(self.extra):
            out = conv(out).clamp(0, 6)
            if i % 2:
                feats.append(out)
        b = x.shape[0]
        enc = torch.cat([p(f).permute(0, 2, 3, 1).reshape(b, -1, 4) for p, f in zip(self.box, feats)], 1)
        cls = torch.cat([p(f).permute(0, 2, 3, 1).reshape(b, -1, 3) for p, f in zip(self.cls, feats)], 1)
        return decode(self.anchors[0], enc), torch.sigmoid(cls[..., 1])


def decode(anchors: torch.Tensor, enc: torch.Tensor) -> torch.Tensor:
    """anchors [A, 4] (corners), enc [B, A, 4] (dy, dx, dh, dw encodings) -> boxes [B, A, 4] (ymin, xmin,
    ymax, xmax): centre + d / 10 * size, half size exp(d / 5) * size / 2 (``outputLayer.ts``)."""
    size = anchors[:, 2:] - anchors[:, :2]
    centre = anchors[:, :2] + size / 2
    half = torch.exp(enc[..., 2:] / 5) * size / 2
    mid = enc[..., :2] / 10 * size + centre
    return torch.cat([mid - half, mid + half], -1)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two (ymin, xmin, ymax, xmax) boxes; 0 when either has no area (``nonMaxSuppression.ts``)."""
    a = np.concatenate([np.minimum(a[:2], a[2:]), np.maximum(a[:2], a[2:])])
    b = np.concatenate([np.minimum(b[:2], b[2:]), np.maximum(b[:2], b[2:])])
    area_a, area_b = np.prod(a[2:] - a[:2]), np.prod(b[2:] - b[:2])
    if area_a <= 0 or area_b <= 0:
        return 0.0
    inter = np.prod(np.maximum(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0.0))
    return float(inter / (area_a + area_b - inter))


def nms(boxes: np.ndarray, scores: np.ndarray, max_results: int, iou_threshold: float,
        min_score: float) -> list[int]:
    """Greedy NMS: boxes above ``min_score`` by falling score (stable), each kept unless a kept box overlaps
    it by IoU > ``iou_threshold``; at most ``max_results``. Returns indices."""
    order = sorted((i for i in range(len(scores)) if scores[i] > min_score), key=lambda i: -scores[i])
    keep: list[int] = []
    for i in order:
        if len(keep) >= min(max_results, len(scores)):
            break
        if all(iou(boxes[i], boxes[j]) <= iou_threshold for j in keep):
            keep.append(i)
    return keep


@dataclass
class FaceBox:
    """A detected face: ``box`` (x, y, width, height) image pixels, ``score`` in (0, 1)."""

    box: tuple[float, float, float, float]
    score: float


class SsdFaceDetector:
    """face-api's ``ssdMobilenetv1.locateFaces`` (min confidence 0.5, at most 100 faces, IoU 0.5)."""

    def __init__(self, weights: str | Path | None = None, *, min_confidence: float = 0.5,
                 max_results: int = 100, iou_threshold: float = 0.5) -> None:
        path = Path(weights) if weights is not None else manifest_path(SsdMobilenetV1.manifest)
        if path.is_dir():
            path = path / f"{SsdMobilenetV1.manifest}-weights_manifest.json"
        self.net = SsdMobilenetV1().eval()
        load_network(self.net, path, SsdMobilenetV1.network, SsdMobilenetV1.manifest, UNUSED)
        self.min_confidence, self.max_results, self.iou_threshold = min_confidence, max_results, iou_threshold

    def detect(self, image: np.ndarray) -> list[FaceBox]:
        """image: [H, W, 3] uint8 RGB -> faces by falling score."""
        h, w = image.shape[:2]
        square, _ = pad_to_square(np.asarray(image), centre=False)
        x = resize_bilinear(chw(square), INPUT_SIZE)
        with torch.no_grad():
            boxes, scores = self.net((x / 127.5 - 1).unsqueeze(0))
        boxes, scores = boxes[0].double().numpy(), scores[0].double().numpy()
        keep = nms(boxes, scores, self.max_results, self.iou_threshold, self.min_confidence)
        scale = INPUT_SIZE / max(h, w)
        pad_x, pad_y = INPUT_SIZE / math.floor(w * scale + 0.5), INPUT_SIZE / math.floor(h * scale + 0.5)
        out = []
        for i in keep:
            top, bottom = max(0.0, boxes[i, 0]) * pad_y, min(1.0, boxes[i, 2]) * pad_y
            left, right = max(0.0, boxes[i, 1]) * pad_x, min(1.0, boxes[i, 3]) * pad_x
            out.append(FaceBox((left * w, top * h, (right - left) * w, (bottom - top) * h), float(scores[i])))
        return out
