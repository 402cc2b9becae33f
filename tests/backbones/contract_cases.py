"""A tiny instance of each backbone adapter for the contract test, which runs every *registered* adapter
(``list_adapters()``): a registered adapter without a case here fails there, by name, so a new adapter is
covered or the suite says it is not.

A case writes whatever files its adapter reads under ``root`` and returns the specs to build. Published
checkpoints are random tensors under the released key names (written as the adapters' own tests do)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import torch
from published_ckpt import random_state
from test_arcface import iresnet_shapes
from test_clip import clip_file_state, reference_tower
from test_dinov2 import dinov2_shapes
from test_mae import mae_shapes

from facerep.backbones import create_backbone
from facerep.backbones.local import save_backbone

Case = Callable[[str, Path], list]  # (adapter, root) -> specs, or (spec, input size) for a net that needs more px
CASES: dict[str, Case] = {}


def case(*adapters: str) -> Callable[[Case], Case]:
    def deco(fn: Case) -> Case:
        for a in adapters:
            CASES[a] = fn
        return fn

    return deco


def uncovered(adapters: Iterable[str]) -> list[str]:
    """The adapters that have no contract case."""
    return [a for a in adapters if a not in CASES]


PUBLISHED: dict[str, tuple[str, Callable[[], object]]] = {  # layout -> (file name, its content)
    "clip": ("clip.pt", lambda: clip_file_state(reference_tower("quick_gelu"))),
    "dinov2": ("dino.pth", lambda: random_state(dinov2_shapes(regs=4))),
    "mae": ("mae.pth", lambda: {"model": random_state(mae_shapes())}),
    "arcface": ("backbone.pth", lambda: random_state(iresnet_shapes())),
}


def published_file(layout: str, root: Path) -> str:
    """A random checkpoint in ``layout`` (released key names and shapes) under ``root``."""
    name, content = PUBLISHED[layout]
    root.mkdir(parents=True, exist_ok=True)
    torch.save(content(), root / name)
    return str(root / name)


def published_files(root: Path) -> dict[str, str]:
    """One file of each published-checkpoint layout that ``facerep backbones --check`` tells apart."""
    return {layout: published_file(layout, root) for layout in PUBLISHED}


@case("timm")
def _timm(adapter: str, root: Path) -> list[str]:
    return ["timm:resnet18", "timm:vit_tiny_patch16_224"]


@case("torchvision")
def _torchvision(adapter: str, root: Path) -> list[str]:
    return ["torchvision:resnet18"]


@case("local")
def _local(adapter: str, root: Path) -> list[str]:
    save_backbone(create_backbone("timm:resnet18", image_size=64), root / "bb", method="test", steps=3)
    return [f"local:{root / 'bb'}", str(root / "bb")]  # a facerep output dir also works without the prefix


def write_frl(path: Path, net: torch.nn.Module) -> Path:
    """A checkpoint of the FRL paper's layout: torchvision ResNet-50 ``net`` under ``module.base_net.`` plus
    the SwAV prototypes, in a training state dict."""
    state = {f"module.base_net.{k}": v for k, v in net.state_dict().items()}
    state["module.prototypes.weight"] = torch.zeros(3, 4)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": state, "epoch": 3}, path)
    return path


@case("frl")
def _frl(adapter: str, root: Path) -> list[str]:
    import torchvision

    return [f"frl:{write_frl(root / 'frl.pth', torchvision.models.resnet50())}"]


@case("clip", "openclip", "dinov2", "mae", "arcface")
def _published(adapter: str, root: Path) -> list[str]:
    return [f"{adapter}:{published_file('clip' if adapter == 'openclip' else adapter, root)}"]


@case("farl")
def _farl(adapter: str, root: Path) -> list[str]:
    ref = reference_tower("quick_gelu", width=768, patch=16, grid=14, depth=2, embed=512, seed=11)  # FaRL's width
    root.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": clip_file_state(ref)}, root / "farl.pth")
    return [f"farl:{root / 'farl.pth'}"]


@case("faceapi")
def _faceapi(adapter: str, root: Path) -> list:
    """The real face-api weights from facerep's cache (`facerep weights faceapi`; missing: a failure that says so)."""
    from facerep.backbones.faceapi import NETWORKS, in_cache

    assert in_cache(), "the face-api weights are not in facerep's cache: run `facerep weights faceapi`"
    return [(f"faceapi:{n}", 112 if n == "recognition" else 64) for n in NETWORKS.list()]
