"""Frozen-backbone features, computed once per (backbone weights, crops, transform) and cached on disk.

Layout: ``CACHE/<key>/pooled.npy`` [N, D] and ``dense.npy`` [N, C, G, G], float16 ``.npy`` files opened as
memory maps (never read whole into RAM), and ``meta.json`` written last (the "complete" marker); a cache entry
is built in a temporary folder and renamed into place, so an interrupted run never leaves a partial entry. The
key hashes the backbone's weights and architecture, the crop pixels (so the dataset spec, split, box, margin
and image size) and the dense-map settings. Every fraction, seed and task on the same data reuses one entry.

Dense features: each map whose stride (image size / map size) is in ``dense_strides`` is average-pooled to
``dense_grid`` × ``dense_grid`` and the maps are concatenated along channels, which bounds the cache size.
Native maps (``native_strides``, only when a task reads them: the per-pixel parsing probe): the maps of those
strides at their own resolution, ``native<i>.npy`` [N, C_i, H_i, W_i] finest first (ResNet-18 at 112 px,
strides 4/8/16: 64·28² + 128·14² + 256·7² = 87 808 values, 172 KiB per face).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from ..backbones.base import Backbone
from ..data.sample import FaceSample, image_to_tensor
from ..errors import ConfigError
from ..progress import track

CACHE_VERSION = 1
FORWARD_COUNT = {"images": 0}  # images pushed through a backbone by this module (tests check cache reuse)


def default_cache_dir(cache_dir: str = "") -> Path:
    """``cache_dir``, else ``$FACEREP_CACHE/features``, else ``~/.cache/facerep/features``."""
    if cache_dir:
        return Path(cache_dir)
    env = os.environ.get("FACEREP_CACHE")
    return Path(env, "features") if env else Path.home() / ".cache" / "facerep" / "features"


def weights_digest(backbone: torch.nn.Module) -> str:
    """sha256 over the architecture string and every tensor of the state dict (names, dtypes, shapes,
    bytes)."""
    h = hashlib.sha256(str(getattr(backbone, "arch", type(backbone).__name__)).encode())
    for name, t in sorted(backbone.state_dict().items()):
        t = t.detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()[:24]


def select_maps(maps: Sequence[torch.Tensor], image_size: int, strides: Sequence[int]) -> list[int]:
    """Indices of the maps whose stride is closest to each of ``strides`` (deduplicated, in order)."""
    if not maps:
        raise ConfigError("the backbone exposes no feature maps; dense tasks need forward_features()['maps']")
    have = [image_size / m.shape[-1] for m in maps]
    picks: list[int] = []
    for s in strides:
        i = int(np.argmin([abs(np.log2(h / s)) for h in have]))
        if i not in picks:
            picks.append(i)
    return picks


def encode(backbone: Backbone, images: torch.Tensor, *, strides: Sequence[int], grid: int,
           dense: bool = True, native: Sequence[int] = ()) -> dict[str, Any]:
    """images: [B, 3, S, S] in [0, 1] -> {"pooled": [B, D], "dense": [B, C, grid, grid]} and with ``native``
    strides "native": [[B, C_i, H_i, W_i], …] (those maps at their own resolution, finest first).
    Differentiable."""
    out = backbone.forward_features(backbone.normalize(images))
    FORWARD_COUNT["images"] += len(images)
    res: dict[str, Any] = {"pooled": out["pooled"]}
    if dense:
        picks = select_maps(out["maps"], images.shape[-1], strides)
        res["dense"] = torch.cat([F.adaptive_avg_pool2d(out["maps"][i], grid) for i in picks], dim=1)
    if native:
        picks = select_maps(out["maps"], images.shape[-1], native)
        res["native"] = sorted((out["maps"][i] for i in picks), key=lambda m: -m.shape[-1])
    return res


def global_vector(pooled: torch.Tensor, dense: torch.Tensor | None, grid: int) -> torch.Tensor:
    """The input of global tasks: ``pooled`` [N, D], with ``grid`` > 0 followed by the dense maps
    average-pooled to grid × grid and flattened ([N, D + C·grid²]): a linear probe that can see where things
    are."""
    if grid <= 0 or dense is None:
        return pooled
    same = dense.shape[-1] == grid and dense.shape[-2] == grid
    grid_maps = dense if same else F.adaptive_avg_pool2d(dense, grid)
    return torch.cat([pooled, grid_maps.flatten(1)], dim=1)


def task_input(feats: Features, rows: np.ndarray, *, kind: str, grid: int) -> torch.Tensor:
    """Rows of the cached features a task reads (float32): kind "dense" [n, C, G, G], "pooled" [n, D] (kNN) or
    "global" (:func:`global_vector`)."""
    from .heads import as_tensor

    rows = feats.rows_at(np.asarray(rows))
    if kind == "dense":
        return as_tensor(feats.dense, rows)
    pooled = as_tensor(feats.pooled, rows)
    return pooled if kind == "pooled" else global_vector(pooled, as_tensor(feats.dense, rows), grid)


def stack_images(crops: Sequence[FaceSample]) -> torch.Tensor:
    """Crops -> [B, 3, S, S] float in [0, 1]."""
    return torch.stack([image_to_tensor(c.image) for c in crops])


@dataclass
class Features:
    """Cached features of one prepared dataset: memory maps (float16)."""

    pooled: np.ndarray  # [N, D]
    dense: np.ndarray  # [N, C, G, G]
    key: str
    computed: bool  # False when read from the cache
    # sorted dataset positions of the rows when not all (mirrored training crops)
    positions: np.ndarray | None = None
    native: list[np.ndarray] = field(default_factory=list)  # [N, C_i, H_i, W_i] maps at native resolution

    def rows_at(self, positions: np.ndarray) -> np.ndarray:
        """Row indices of the dataset ``positions``."""
        if self.positions is None:
            return positions
        return rows_of_positions(self.positions, positions, "these features")


def rows_of_positions(held: np.ndarray, positions: np.ndarray, what: str) -> np.ndarray:
    """Indices into the sorted dataset positions ``held`` of ``positions``; ValueError for one ``held``
    lacks."""
    at = np.searchsorted(held, positions)
    if len(positions) and (at.max() >= len(held) or not np.array_equal(held[at], positions)):
        raise ValueError(f"positions outside {what}")
    return at


def cache_key(weights: str, digest: str, strides: Sequence[int], grid: int,
              native: Sequence[int] = ()) -> str:
    spec = {"v": CACHE_VERSION, "weights": weights, "crops": digest, "strides": list(strides), "grid": grid}
    if native:  # entries without native maps keep their keys
        spec["native"] = list(native)
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:32]


def cached_features(backbone: Backbone, crops: Sequence[FaceSample] | None, *, weights: str, digest: str,
                    name: str,
                    cache_dir: Path, strides: Sequence[int], grid: int, batch_size: int,
                    native: Sequence[int] = ()) -> Features:
    """The features of ``crops``: read from ``cache_dir`` when present, else computed once and written there.
    ``native``: strides of the maps also kept at their own resolution (:attr:`Features.native`)."""
    key = cache_key(weights, digest, strides, grid, native)
    entry = cache_dir / key
    if cache_dir.is_dir():
        remove_stale_temps(cache_dir)
    if (entry / "meta.json").is_file():
        return _open(entry, key, computed=False)
    if crops is None:
        raise ConfigError(f"{name}: features are not cached and the crops were dropped")
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.{socket.gethostname()}.{os.getpid()}.", dir=cache_dir))
    try:
        n_native = _compute(backbone, crops, tmp, name=name, strides=strides, grid=grid,
                            batch_size=batch_size, native=native)
        (tmp / "meta.json").write_text(json.dumps({"name": name, "n": len(crops), "strides": list(strides),
                                                   "grid": grid, "arch": getattr(backbone, "arch", ""),
                                                   "native": list(native), "native_maps": n_native}))
        try:
            os.replace(tmp, entry)
        except OSError:  # another process finished the same entry first
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return _open(entry, key, computed=True)


def remove_stale_temps(cache_dir: Path) -> int:
    """Delete the temporary entry folders (``.KEY.HOST.PID.*``) of processes of this host that no longer run
    (a killed bench); folders of live processes, e.g. a parallel sweep cell, are left alone. Returns the
    count."""
    removed = 0
    for d in cache_dir.glob(".*"):
        host, _, rest = d.name[1:].partition(".")[2].rpartition(".")[0].rpartition(".")
        pid = int(rest) if rest.isdigit() else 0
        if not d.is_dir() or host != socket.gethostname() or pid <= 0 or _alive(pid):
            continue
        shutil.rmtree(d, ignore_errors=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@torch.no_grad()
def _compute(backbone: Backbone, crops: Sequence[FaceSample], folder: Path, *, name: str,
             strides: Sequence[int],
             grid: int, batch_size: int, native: Sequence[int] = ()) -> int:
    """Write pooled.npy, dense.npy and native<i>.npy (float16) into ``folder``; returns the native maps'
    count."""
    backbone.eval()
    files: dict[str, np.memmap] = {}
    starts = range(0, len(crops), batch_size)
    for start in track(starts, f"features of {name}", total=len(starts)):
        out = encode(backbone, stack_images(crops[start:start + batch_size]), strides=strides, grid=grid,
                     native=native)
        arrays = {"pooled": out["pooled"], "dense": out["dense"],
                  **{f"native{i}": m for i, m in enumerate(out.get("native", []))}}
        for fname, t in arrays.items():
            if fname not in files:
                files[fname] = np.lib.format.open_memmap(folder / f"{fname}.npy", "w+", np.float16,
                                                         (len(crops), *t.shape[1:]))
            files[fname][start:start + len(t)] = t.float().numpy()
    for arr in files.values():
        arr.flush()
    return sum(k.startswith("native") for k in files)


def _open(entry: Path, key: str, computed: bool) -> Features:
    n_native = int(json.loads((entry / "meta.json").read_text()).get("native_maps", 0))
    native = [np.load(entry / f"native{i}.npy", mmap_mode="r") for i in range(n_native)]
    return Features(np.load(entry / "pooled.npy", mmap_mode="r"), np.load(entry / "dense.npy", mmap_mode="r"),
                    key, computed, native=native)


def load_backbone(spec: str | Backbone, *, pretrained: bool, image_size: int, seed: int,
                  trust_checkpoint: bool = False) -> Backbone:
    """A backbone from its spec (random initialisation seeded by ``seed``, so runs are reproducible), eval
    mode."""
    from ..backbones import create_backbone, parse_backbone

    if isinstance(spec, torch.nn.Module):
        return spec.eval()
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        # a local (facerep-written) backbone rebuilds itself at its own input size
        kw: dict[str, Any] = {} if parse_backbone(spec)[0] == "local" else {"image_size": image_size}
        if trust_checkpoint:  # only file adapters read pickles; the flag lets them unpickle fully
            kw["trust_checkpoint"] = True
        model = create_backbone(spec, pretrained=pretrained, **kw)
    finally:
        torch.random.set_rng_state(state)
    return model.eval()


def head_spec(x: torch.Tensor, *, image_size: int, dense_grid: int, info: Any) -> Any:
    """The HeadSpec of a head reading ``x`` ([n, D] or [n, C, G, G])."""
    from .tasks._base import HeadSpec

    if x.dim() == 4:
        return HeadSpec(0, int(x.shape[1]), int(x.shape[-1]), image_size, info)
    return HeadSpec(int(x.shape[1]), 0, dense_grid, image_size, info)

