"""Run by test_engine.py as a script: a 2-process CPU DDP (gloo) pre-training; every rank dumps its weights.

Lightning's launcher re-runs this file for rank 1, so it must be a file (not ``python -c``)."""

from __future__ import annotations

import sys
from pathlib import Path

import lightning as L
import torch
from pretrain_helpers import TINY_HEADS, random_faces

from facerep.config import PretrainConfig, resolve_config
from facerep.pretrain.api import pretrain


class DumpWeights(L.Callback):
    def __init__(self, out: Path) -> None:
        self.out = out

    def _dump(self, trainer: L.Trainer, module: L.LightningModule, tag: str) -> None:
        # parameters (incl. momentum branches); BN running stats are per process on CPU (no SyncBatchNorm)
        state = {k: v.detach().cpu().clone() for k, v in module.method.named_parameters()}
        torch.save(state, self.out / f"{tag}-rank{trainer.global_rank}.pt")

    def on_train_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._dump(trainer, module, "start")

    def on_train_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._dump(trainer, module, "end")


if __name__ == "__main__":
    torch.set_num_threads(1)
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    cfg = resolve_config(
        PretrainConfig,
        None,
        TINY_HEADS,
        method="swav",
        backbone="timm:test_resnet",
        steps=3,
        batch_size=8,
        image_size=32,
        out=str(out / "run"),
        num_workers=0,
        accelerator="cpu",
        devices="2",
        strategy="ddp",
        warmup_steps=0,
        log_every=1,
    )
    from facerep import progress

    progress.QUIET = True
    pretrain(cfg, dataset=random_faces(16), callbacks=[DumpWeights(out)])
