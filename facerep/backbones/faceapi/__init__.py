"""``faceapi:NETWORK`` — the face-trained networks of the npm package ``@vladmandic/face-api@1.7.15`` (MIT),
written in PyTorch from the package's TypeScript and loaded from its TF.js weights.

========================  ============================  ======  ========================================
spec                      network (``package/model``)   input   ``pooled`` / original output (``predict``)
========================  ============================  ======  ========================================
faceapi:recognition       face_recognition_model        150 px  256-d / 128-d descriptor
faceapi:landmarks68       face_landmark_68_model        112 px  256-d / 68 points
faceapi:landmarks68-tiny  face_landmark_68_tiny_model   112 px  128-d / 68 points
faceapi:expression        face_expression_model         112 px  256-d / 7 expression probabilities
faceapi:age-gender        age_gender_model              112 px  512-d / age, gender probabilities
========================  ============================  ======  ========================================

Weights come from facerep's cache (``facerep weights faceapi``), or from a file or folder given after a second
colon: ``faceapi:recognition:/path/to/face_recognition_model-weights_manifest.json`` (or
``…:/path/to/model``). The weights always load: these adapters have no random initialisation.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import ConfigError
from ...registry import Registry
from .. import register_backbone
from ._net import FaceApiBackbone
from .agegender import AgeGenderNet
from .expression import FaceExpressionNet
from .landmarks import FaceLandmark68Net, FaceLandmark68TinyNet
from .recognition import FaceRecognitionNet
from .weights import cache_dir, in_cache, manifest_path

NETWORKS: Registry[type[FaceApiBackbone]] = Registry("face-api network")
for _cls, _what in ((FaceRecognitionNet, "128-d face descriptor, 150 px"),
                    (FaceLandmark68Net, "68 iBUG landmarks, 112 px"),
                    (FaceLandmark68TinyNet, "68 iBUG landmarks, tiny net, 112 px"),
                    (FaceExpressionNet, "7 expressions, 112 px"),
                    (AgeGenderNet, "age and gender, 112 px")):
    NETWORKS.register(_cls.network, description=f"{_what} ({_cls.manifest})")(_cls)


def weights_file(network: str, path: str | Path | None = None) -> Path:
    """The manifest of ``network``: ``path`` (a manifest, or a folder holding the package's file), else the
    cache."""
    cls = NETWORKS.get(network)
    if path is None or str(path) == "":
        return manifest_path(cls.manifest)
    p = Path(path).expanduser()
    if p.is_dir():
        name = f"{cls.manifest}-weights_manifest.json"
        for cand in (p / name, p / "model" / name):
            if cand.is_file():
                return cand
        raise ConfigError(f"faceapi:{network}: {p} holds no {cls.manifest}-weights_manifest.json")
    return p


def create_faceapi_network(network: str, *, weights: str | Path | None = None,
                           image_size: int | None = None) -> FaceApiBackbone:
    """A face-api network with its weights loaded (from ``weights`` or the cache), in eval mode."""
    model = NETWORKS.get(network)(image_size=image_size)
    model.load_tfjs(weights_file(network, weights))
    return model.eval()


@register_backbone("faceapi", description="face-api's face-trained nets (`facerep weights faceapi`): "
                   + ", ".join(f"faceapi:{n}" for n in NETWORKS.list()))
def create_faceapi(arg: str, *, pretrained: bool = False, image_size: int | None = None,
                   **kwargs: Any) -> FaceApiBackbone:
    kwargs.pop("trust_checkpoint", None)  # reads no pickles
    network, _, path = arg.partition(":")
    return create_faceapi_network(network, weights=path or None, image_size=image_size)


def cache_status() -> dict[str, bool]:
    """Whether each network's manifest is in the cache."""
    model = cache_dir() / "package" / "model"
    return {n: in_cache() and (model / f"{NETWORKS.get(n).manifest}-weights_manifest.json").is_file()
            for n in NETWORKS.list()}


__all__ = ["NETWORKS", "FaceApiBackbone", "cache_status", "create_faceapi_network", "weights_file"]
