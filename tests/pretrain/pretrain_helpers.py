"""Shared helpers of the pre-training tests (a uniquely named module: tests/ folders are not packages)."""

from __future__ import annotations

import numpy as np

from facerep.data.sample import DatasetInfo, FaceSample, ListDataset
from facerep.pretrain.methods import get_method, list_methods

# small heads for the built-in methods (sections of other methods are checked and ignored); a method not
# listed here runs with its defaults
TINY_HEADS = [
    "swav.n_prototypes=16",
    "swav.proj_hidden_dim=32",
    "swav.proj_dim=16",
    "swav.local_crops=2",
    "swav.freeze_prototypes_steps=0",
    "moco.proj_hidden_dim=32",
    "moco.proj_dim=16",
    "moco.queue_length=16",
    "byol.proj_hidden_dim=32",
    "byol.proj_dim=16",
    "simclr.proj_hidden_dim=32",
    "simclr.proj_dim=16",
    "dino.out_dim=64",
    "dino.proj_hidden_dim=32",
    "dino.bottleneck_dim=16",
    "dino.local_crops=2",
    "mae.decoder_dim=32",
    "mae.decoder_depth=1",
    "mae.decoder_heads=2",
    "supervised.scale=16",
]
METHODS = list_methods()  # every registered method: a new registration is tested without editing a list


def backbone_for(method: str) -> str:
    """A tiny timm backbone the method accepts (a ViT for ViT-only methods)."""
    return "timm:test_vit" if get_method(method).vit_only else "timm:test_resnet"


def random_faces(
    n: int = 16, size: int = 40, ids: int = 4, seed: int = 0, identity: bool = True
) -> ListDataset:
    rng = np.random.default_rng(seed)
    samples = [
        FaceSample(
            image=rng.integers(0, 256, (size, size, 3), dtype=np.uint8),
            identity=(i % ids) if identity else None,
            path=f"face{i}.png",
        )
        for i in range(n)
    ]
    return ListDataset(samples, DatasetInfo("random", frozenset({"identity"} if identity else set())))
