"""The one LightningModule that runs any method: data, optimisation, schedule, hooks, bookkeeping."""

from __future__ import annotations

import math
from typing import Any

import lightning as L
import torch
from lightly.utils.lars import LARS
from lightning.pytorch.utilities.types import OptimizerLRScheduler

from ..config import PretrainConfig
from ..data.sample import FaceDataset
from ..errors import ConfigError
from .data import StepBatchSampler, ViewDataset, collate_views, position_seed
from .methods._base import Method

OPTIMIZERS = ("adamw", "sgd", "lars")


def lr_lambda(warmup: int, total: int, min_ratio: float):
    """Linear warm-up over ``warmup`` steps, then cosine decay to ``min_ratio`` at ``total``."""

    def f(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

    return f


class PretrainModule(L.LightningModule):
    """Wraps a :class:`Method`; feeds it views of ``dataset`` in the seeded, step-addressed order."""

    def __init__(self, method: Method, cfg: PretrainConfig, dataset: FaceDataset) -> None:
        super().__init__()
        self.method, self.cfg, self.dataset = method, cfg, dataset
        self.n_skipped = 0
        self.skipped_examples: list[str] = []

    # ---- data ------------------------------------------------------------------------------
    def per_device_batch(self) -> int:
        world = self.trainer.world_size
        if self.cfg.batch_size % world:
            raise ConfigError(
                f"batch size {self.cfg.batch_size} cannot be split evenly over {world} processes; "
                f"use a multiple of {world}"
            )
        return self.cfg.batch_size // world

    def train_dataloader(self) -> torch.utils.data.DataLoader:
        cfg, acc = self.cfg, self.cfg.accumulate
        views = type(self.method).views(cfg)
        ds = ViewDataset(self.dataset, views, cfg.seed, need_identity=self.method.needs_identity)
        sampler = StepBatchSampler(
            len(self.dataset),
            self.per_device_batch(),
            cfg.steps * acc,
            cfg.seed,
            rank=self.trainer.global_rank,
            world_size=self.trainer.world_size,
            start=lambda: self.trainer.global_step * acc,
        )
        return torch.utils.data.DataLoader(
            ds,
            batch_sampler=sampler,
            collate_fn=collate_views,
            num_workers=cfg.num_workers,
            pin_memory=torch.cuda.is_available(),
            persistent_workers=False,
        )

    # ---- steps -----------------------------------------------------------------------------
    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        self.method.step, self.method.max_steps = self.global_step, self.cfg.steps
        micro = self.global_step * self.cfg.accumulate + batch_idx % self.cfg.accumulate
        torch.manual_seed(
            position_seed(self.cfg.seed, -(10**9) - micro)
        )  # model-side randomness (masks, dropout)
        self._count_skipped(batch.pop("skipped", []))
        out = self.method.training_step(batch)
        loss = out["loss"]
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"{self.cfg.method}: non-finite loss {loss.item()} at step {self.global_step}"
            )
        bs = batch["views"][0].shape[0]
        self.log_dict(
            {f"train/{k}": v.detach().float() for k, v in out.items()}, prog_bar=True, batch_size=bs
        )
        self.log("train/lr", self.trainer.optimizers[0].param_groups[0]["lr"], batch_size=bs)
        self.log("train/skipped", float(self.n_skipped), batch_size=bs)
        return loss

    def _count_skipped(self, messages: list[str]) -> None:
        """Count each bad sample once (a later pass over the data meets it again), keeping every message."""
        if not messages:
            return
        seen = set(self.skipped_examples)
        for m in messages:
            if m not in seen:
                seen.add(m)
                self.skipped_examples.append(m)
        self.n_skipped = len(self.skipped_examples)

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        self.method.before_optimizer_step()

    def optimizer_step(
        self, epoch: int, batch_idx: int, optimizer: Any, optimizer_closure: Any = None
    ) -> None:
        super().optimizer_step(epoch, batch_idx, optimizer, optimizer_closure)
        self.method.after_optimizer_step()

    # ---- optimisation ----------------------------------------------------------------------
    def configure_optimizers(self) -> OptimizerLRScheduler:
        cfg = self.cfg
        decay: list[torch.nn.Parameter] = []
        no_decay: list[torch.nn.Parameter] = []
        for p in self.method.parameters():
            if p.requires_grad:
                (no_decay if p.ndim <= 1 else decay).append(p)
        groups = [
            {"params": decay, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]
        if cfg.optimizer == "adamw":
            opt: torch.optim.Optimizer = torch.optim.AdamW(groups, lr=cfg.lr)
        elif cfg.optimizer == "sgd":
            opt = torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum)
        elif cfg.optimizer == "lars":
            opt = LARS(groups, lr=cfg.lr, momentum=cfg.momentum)
        else:
            raise ConfigError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {cfg.optimizer!r}")
        warmup = cfg.warmup_steps if cfg.warmup_steps >= 0 else max(1, round(0.05 * cfg.steps))
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(warmup, cfg.steps, cfg.min_lr_ratio))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    # ---- bookkeeping -----------------------------------------------------------------------
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        persistent = set(self.method.state_dict())
        # non-persistent buffers (lightly's memory-bank queues) are part of the training state too
        extra = {k: v.detach().cpu().clone() for k, v in self.method.named_buffers() if k not in persistent}
        checkpoint["facerep"] = {
            "n_skipped": self.n_skipped,
            "skipped_examples": list(self.skipped_examples),
            "buffers": extra,
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        extra = checkpoint.get("facerep", {})
        self.n_skipped = int(extra.get("n_skipped", 0))
        self.skipped_examples = list(extra.get("skipped_examples", []))
        for name, value in extra.get("buffers", {}).items():
            owner, _, attr = name.rpartition(".")
            module = self.method.get_submodule(owner) if owner else self.method
            setattr(module, attr, value.to(getattr(module, attr).device))
