"""Embeddings of every face of a dataset with any facerep backbone (``pooled`` features, L2-normalised),
written block by block into a float32 ``.npy`` memmap so memory stays bounded at any dataset size."""
from __future__ import annotations

import warnings
from pathlib import Path

import cv2
import numpy as np
import torch

from ..backbones import create_backbone
from ..data.sample import FaceDataset, image_to_tensor
from ..progress import track

DEFAULT_BACKBONE = "timm:test_resnet"
DEFAULT_IMAGE_SIZE = 112


def resolve_backbone(spec: str) -> tuple[str, bool]:
    """(spec to build, whether it is the untrained default). An empty spec means the default, with a
    warning."""
    if spec:
        return spec, False
    warnings.warn(f"no --backbone given: embedding with {DEFAULT_BACKBONE} (tiny, random weights; embeddings "
                  "mean-centred), which only groups faces that are near-identical in pixels; pass a trained "
                  "backbone (e.g. a facerep pretrain output dir) for semantic near-duplicates", stacklevel=2)
    return DEFAULT_BACKBONE, True


def _batch(ds: FaceDataset, idx: range, size: int) -> torch.Tensor:
    """Images of ``idx`` resized to size×size -> [B, 3, size, size] in [0, 1]."""
    imgs = []
    for i in idx:
        img = ds[i].image
        if img.shape[0] != size or img.shape[1] != size:
            img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
        imgs.append(image_to_tensor(img))
    return torch.stack(imgs)


@torch.no_grad()
def embed_dataset(ds: FaceDataset, backbone: str = "", *, image_size: int = 0, batch_size: int = 64,
                  out: str | Path | None = None) -> np.ndarray:
    """Embed every sample -> [N, D] float32 unit rows (a memmap at ``out`` when given, else in memory).
    With the default (random) backbone the embeddings are mean-centred before normalising."""
    spec, is_default = resolve_backbone(backbone)
    model = create_backbone(spec)
    size = image_size or (DEFAULT_IMAGE_SIZE if is_default else model.pretrained_cfg.input_size)
    n, d = len(ds), model.num_features
    emb = (np.lib.format.open_memmap(out, mode="w+", dtype=np.float32, shape=(n, d)) if out is not None
           else np.empty((n, d), np.float32))
    for start in track(range(0, n, batch_size), "embed"):
        idx = range(start, min(n, start + batch_size))
        feats = model(model.normalize(_batch(ds, idx, size))).float()
        emb[idx.start:idx.stop] = torch.nn.functional.normalize(feats, dim=1).numpy()
    if is_default:
        _center(emb)
    if isinstance(emb, np.memmap):
        emb.flush()
    return emb


def _center(emb: np.ndarray, block: int = 65536) -> None:
    """Subtract the mean embedding and re-normalise, in place. A random network maps every image near one
    direction (cosines ~0.95+); centring spreads them so that only near-identical pictures stay close."""
    mean = np.zeros(emb.shape[1], np.float64)
    for s in range(0, len(emb), block):
        mean += emb[s:s + block].sum(0)
    mean /= max(1, len(emb))
    for s in range(0, len(emb), block):
        x = emb[s:s + block] - mean.astype(np.float32)
        emb[s:s + block] = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
