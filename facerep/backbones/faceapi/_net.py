"""What every face-api network shares: the backbone base class, its input convention, and which network a
TF.js weight file belongs to.

face-api feeds its networks RGB tensors in 0..255 and subtracts the per-channel mean ``MEAN_RGB``, then
divides by 255 (``ops/normalize.ts`` and each net's ``forwardInput``). On facerep's [0, 1] images that is
``(x - MEAN_RGB / 255) / 1``: ``pretrained_cfg.mean = MEAN_RGB / 255`` and ``std = 1``. Inputs are square:
face-api pads a face crop to a square with black (centred) and resizes it to the input size
(``NetInput.toBatchTensor``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import torch

from ...errors import ConfigError, DataError
from ..base import Backbone, PretrainedCfg
from ._layers import load_tf_params
from .tfjs import load_weights

PACKAGE = "@vladmandic/face-api"
VERSION = "1.7.15"
MEAN_RGB = (122.782, 117.001, 104.298)
CROP_NOTE = ("face box (the detector's box for the 68-point nets, the box of the 68 points for the others), "
             "padded to a square with black, centred, resized to input_size")


def identify(names: set[str], shapes: dict[str, tuple[int, ...]]) -> str | None:
    """Which face-api network a TF.js weight map (its names and shapes) belongs to, or None."""
    if "conv32_down/conv/filters" in names:
        return "recognition"
    if "entry_flow/conv_in/filters" in names:
        return "age-gender"
    if "MobilenetV1/Conv2d_0_pointwise/weights" in names:
        return "ssd"
    if "conv8/filters" in names and "conv0/filters" in names:
        return "tiny-face-detector"
    if "dense0/conv0/filters" in names and "fc/weights" in shapes:
        outputs = shapes["fc/weights"][-1]
        if "dense3/conv0/depthwise_filter" in names:
            return {7: "expression", 136: "landmarks68"}.get(outputs)
        return "landmarks68-tiny" if outputs == 136 else None
    return None


class FaceApiBackbone(Backbone):
    """Base of the face-api networks. Subclasses set the class attributes, build their layers and implement
    ``forward_features`` and ``predict`` (the original network's output)."""

    network: ClassVar[str]  # facerep name: faceapi:<network>
    manifest: ClassVar[str]  # the package's file stem: <manifest>-weights_manifest.json
    native_size: ClassVar[int]  # the input size face-api resizes faces to
    unused: ClassVar[tuple[str, ...]] = ()  # tensors of the file the original network ignores too
    min_size: ClassVar[int] = 16  # the smallest input the layers can take

    def __init__(self, image_size: int | None = None) -> None:
        super().__init__()
        if image_size is not None and image_size < self.min_size:
            raise ConfigError(f"faceapi:{self.network} takes inputs of at least {self.min_size} px, not "
                              f"{image_size} (face-api feeds it {self.native_size} px)")
        self.arch = f"faceapi:{self.network}"
        self.pretrained_cfg = PretrainedCfg(
            mean=(MEAN_RGB[0] / 255.0, MEAN_RGB[1] / 255.0, MEAN_RGB[2] / 255.0), std=(1.0, 1.0, 1.0),
            input_size=image_size or self.native_size, crop="face-box", margin=0.0,
            extra={"faceapi": self.network, "weights": f"{PACKAGE}@{VERSION} model/{self.manifest}",
                   "native_size": self.native_size, "crop_note": CROP_NOTE, "licence": "MIT"})
        self.provenance: dict[str, Any] = {}

    @property
    def map_channels(self) -> list[int]:
        """Channels of each entry of ``maps`` (one forward at the native size: some nets need large
        inputs)."""
        if not hasattr(self, "_map_channels"):
            p = next(self.parameters())
            with torch.no_grad():
                x = torch.zeros(1, 3, self.native_size, self.native_size, device=p.device, dtype=p.dtype)
                self._map_channels = [int(m.shape[1]) for m in self.forward_features(x)["maps"]]
        return self._map_channels

    def predict(self, x: torch.Tensor) -> Any:  # pragma: no cover - abstract
        """The original network's output for normalised faces x: [B, 3, S, S]."""
        raise NotImplementedError

    def load_tfjs(self, manifest: str | Path) -> FaceApiBackbone:
        """Fill the layers from a TF.js manifest (+ shards); see :func:`load_network`."""
        self.provenance = load_network(self, manifest, self.network, self.manifest, self.unused)
        return self


def load_network(module: torch.nn.Module, manifest: str | Path, network: str, stem: str,
                 unused: tuple[str, ...] = ()) -> dict[str, str]:
    """Fill ``module``'s TF layers from a TF.js manifest (+ shards); returns its provenance. A file of another
    face-api network, a missing or extra tensor or a shape that does not fit raises :class:`DataError` naming
    the file and the layer."""
    manifest = Path(manifest)
    weights = load_weights(manifest)
    found = identify(set(weights), {k: v.shape for k, v in weights.items()})
    if found is not None and found != network:
        raise DataError(f"holds the weights of the face-api {found} network, not of faceapi:{network} "
                        f"(its file is {stem}-weights_manifest.json)", str(manifest))
    load_tf_params(module, weights, network=f"faceapi:{network}", source=manifest, unused=unused)
    return {"weights": str(manifest), "package": f"{PACKAGE}@{VERSION}"}


def global_mean(x: torch.Tensor) -> torch.Tensor:
    """[B, C, H, W] -> [B, C]. At the native size the last map is 7 x 7 and this is face-api's final
    ``avgPool(7, stride 2, 'valid')``; at other sizes it pools the whole map."""
    return x.mean(dim=(2, 3))
