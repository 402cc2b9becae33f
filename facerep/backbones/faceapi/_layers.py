"""PyTorch layers that compute what TF.js computes, and the loader that fills them from a TF.js weight map.

TF.js works in NHWC; these layers take and return NCHW tensors. ``same`` padding is TensorFlow's: the
total padding ``max((ceil(n / s) - 1) * s + k - n, 0)`` is split with the smaller half first, so a stride-2
3x3 convolution of an even size pads one pixel on the bottom/right only (PyTorch's symmetric padding would
shift every output by half a pixel). Each layer names the TF.js tensors it holds (``tf_params``) with the
layout that maps them onto its PyTorch parameters:

- ``conv``: filters [kh, kw, c_in, c_out] -> weight [c_out, c_in, kh, kw];
- ``depthwise``: filters [kh, kw, c, 1] -> weight [c, 1, kh, kw];
- ``matrix``: [in, out] (``x @ W``) -> [out, in] (``nn.Linear`` convention);
- ``vector`` (and ``as-is``, any rank): unchanged.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...errors import DataError

# TF layout -> torch layout (numpy axes), and its inverse for the shape a TF.js file must have
_TO_TORCH = {"conv": (3, 2, 0, 1), "depthwise": (2, 3, 0, 1), "matrix": (1, 0), "vector": (0,)}
_TO_TF = {k: tuple(int(i) for i in np.argsort(v)) for k, v in _TO_TORCH.items()}


def _axes(layout: str, ndim: int, to_tf: bool) -> tuple[int, ...]:
    if layout == "as-is":
        return tuple(range(ndim))
    return (_TO_TF if to_tf else _TO_TORCH)[layout]


def same_padding(size: int, k: int, s: int) -> tuple[int, int]:
    """TensorFlow ``same`` padding (before, after) of one axis of ``size`` for kernel ``k``, stride ``s``."""
    total = max((math.ceil(size / s) - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def pad_same(x: torch.Tensor, k: int, s: int, value: float = 0.0) -> torch.Tensor:
    """x: [B, C, H, W] padded as TF's ``same`` does before a k x k window of stride s."""
    top, bottom = same_padding(x.shape[-2], k, s)
    left, right = same_padding(x.shape[-1], k, s)
    if top == bottom == left == right == 0:
        return x
    return F.pad(x, (left, right, top, bottom), value=value)


def max_pool_same(x: torch.Tensor, k: int, s: int) -> torch.Tensor:
    """``tf.maxPool(x, k, s, 'same')``: padding never wins the max."""
    return F.max_pool2d(pad_same(x, k, s, value=float("-inf")), k, s)


class TfConv(nn.Module):
    """``tf.conv2d(x, filters, stride, padding) + bias``; TF names ``{prefix}/filters``, ``{prefix}/bias``."""

    def __init__(self, prefix: str, c_in: int, c_out: int, k: int, stride: int = 1, padding: str = "same",
                 names: tuple[str, str] = ("filters", "bias")) -> None:
        super().__init__()
        self.prefix, self.k, self.stride, self.padding, self.names = prefix, k, stride, padding, names
        self.weight = nn.Parameter(torch.empty(c_out, c_in, k, k))
        self.bias = nn.Parameter(torch.zeros(c_out))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: [B, C_in, H, W] -> [B, C_out, H', W']."""
        if self.padding == "same":
            x = pad_same(x, self.k, self.stride)
        return F.conv2d(x, self.weight, self.bias, self.stride)

    def tf_params(self) -> Iterator[tuple[str, nn.Parameter, str]]:
        yield f"{self.prefix}/{self.names[0]}", self.weight, "conv"
        yield f"{self.prefix}/{self.names[1]}", self.bias, "vector"


class TfSeparable(nn.Module):
    """``tf.separableConv2d(x, depthwise_filter, pointwise_filter, stride, 'same') + bias`` (3x3 depthwise
    with the stride, then 1x1 pointwise); TF names ``{prefix}/depthwise_filter|pointwise_filter|bias``."""

    def __init__(self, prefix: str, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.prefix, self.stride = prefix, stride
        self.depthwise = nn.Parameter(torch.empty(c_in, 1, 3, 3))
        self.pointwise = nn.Parameter(torch.empty(c_out, c_in, 1, 1))
        self.bias = nn.Parameter(torch.zeros(c_out))
        nn.init.kaiming_uniform_(self.depthwise, a=math.sqrt(5))
        nn.init.kaiming_uniform_(self.pointwise, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: [B, C_in, H, W] -> [B, C_out, ceil(H / s), ceil(W / s)]."""
        x = F.conv2d(pad_same(x, 3, self.stride), self.depthwise, None, self.stride, groups=x.shape[1])
        return F.conv2d(x, self.pointwise, self.bias)

    def tf_params(self) -> Iterator[tuple[str, nn.Parameter, str]]:
        yield f"{self.prefix}/depthwise_filter", self.depthwise, "depthwise"
        yield f"{self.prefix}/pointwise_filter", self.pointwise, "conv"
        yield f"{self.prefix}/bias", self.bias, "vector"


class TfLinear(nn.Module):
    """``x @ weights + bias`` (weights [in, out] in the file); TF names ``{prefix}/weights``,
    ``{prefix}/bias``."""

    def __init__(self, prefix: str, c_in: int, c_out: int, bias: bool = True) -> None:
        super().__init__()
        self.prefix = prefix
        self.weight = nn.Parameter(torch.empty(c_out, c_in))
        self.bias = nn.Parameter(torch.zeros(c_out)) if bias else None
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: [B, in] -> [B, out]."""
        return F.linear(x, self.weight, self.bias)

    def tf_params(self) -> Iterator[tuple[str, nn.Parameter, str]]:
        if self.bias is None:  # the recognition net's fc: one tensor named by the prefix itself
            yield self.prefix, self.weight, "matrix"
            return
        yield f"{self.prefix}/weights", self.weight, "matrix"
        yield f"{self.prefix}/bias", self.bias, "vector"


def tf_params(module: nn.Module) -> list[tuple[str, nn.Parameter, str]]:
    """Every (TF.js name, parameter, layout) of the TF layers inside ``module``, in module order."""
    out = []
    for m in module.modules():
        params = getattr(m, "tf_params", None)  # a TF layer's method (m.tf_params types as Tensor | Module)
        if params is not None:
            out.extend(params())
    return out


def tf_shape(param: nn.Parameter, layout: str) -> tuple[int, ...]:
    """The shape a TF.js file stores ``param`` as."""
    return tuple(int(param.shape[i]) for i in _axes(layout, param.dim(), True))


def load_tf_params(module: nn.Module, weights: dict[str, np.ndarray], *, network: str, source: Path,
                   unused: tuple[str, ...] = ()) -> None:
    """Copy ``weights`` (TF.js names -> arrays) into ``module``'s TF layers.

    Every tensor the network needs must be present with the TF shape its layer implies, and every tensor of
    the file must be used (or listed in ``unused``: constants the original network also ignores); otherwise a
    :class:`DataError` names ``source``, the layer and both shapes."""
    params = tf_params(module)
    expected = {name for name, _, _ in params}
    extra = sorted(set(weights) - expected - set(unused))
    if extra:
        raise DataError(f"{len(extra)} tensors that the {network} network does not have, e.g. {extra[:3]}",
                        str(source))
    for name, param, layout in params:
        if name not in weights:
            raise DataError(f"tensor {name!r} is missing: the {network} network needs it", str(source))
        arr = weights[name]
        want = tf_shape(param, layout)
        if tuple(arr.shape) != want:
            raise DataError(f"layer {name!r}: the file has shape {list(arr.shape)}, the {network} network "
                            f"expects {list(want)}", str(source))
        torch_order = arr.transpose(_axes(layout, arr.ndim, False))
        value = torch.from_numpy(np.ascontiguousarray(torch_order, np.float32))
        with torch.no_grad():
            param.copy_(value)


def export_tf_params(module: nn.Module) -> dict[str, np.ndarray]:
    """``module``'s TF layers as a TF.js weight map (names -> arrays in TF layout): the inverse of
    :func:`load_tf_params`."""
    return {name: param.detach().cpu().numpy().transpose(_axes(layout, param.dim(), True)).copy()
            for name, param, layout in tf_params(module)}
