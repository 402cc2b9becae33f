"""Checkpoints every N optimizer steps and at the end, written atomically; ``--resume`` finds the latest."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.fabric.plugins import TorchCheckpointIO

from ..io import atomic_write

PATTERN = re.compile(r"^step-(\d+)\.ckpt$")


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning's torch checkpoint IO with a temp-file + rename write: a crash never leaves half a file."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any = None) -> None:
        atomic_write(Path(path), lambda tmp: torch.save(checkpoint, tmp))

    def load_checkpoint(
        self, path: Any, map_location: Any = None, weights_only: bool | None = None
    ) -> dict[str, Any]:
        return torch.load(path, map_location=map_location or "cpu", weights_only=True)


class StepCheckpoint(L.Callback):
    """Saves ``DIR/step-XXXXXXXX.ckpt`` every ``every`` optimizer steps and at the end; keeps ``keep``."""

    def __init__(self, directory: Path, every: int, keep: int = 1) -> None:
        self.directory, self.every, self.keep = Path(directory), max(1, every), keep
        self._last_saved = -1

    def _save(self, trainer: L.Trainer) -> None:
        step = trainer.global_step
        if step == self._last_saved:
            return
        # the full state (optimizer, schedulers, loops) for an exact resume; read back with weights_only=True
        trainer.save_checkpoint(self.directory / f"step-{step:08d}.ckpt", weights_only=False)
        self._last_saved = step
        if trainer.is_global_zero:
            for old in list_checkpoints(self.directory)[: -self.keep]:
                old.unlink(missing_ok=True)

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        if trainer.global_step > 0 and trainer.global_step % self.every == 0:
            self._save(trainer)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._save(trainer)


def list_checkpoints(directory: Path) -> list[Path]:
    """Checkpoints in ``directory`` sorted by step (oldest first)."""
    if not Path(directory).is_dir():
        return []
    found = [(int(m.group(1)), p) for p in Path(directory).iterdir() if (m := PATTERN.match(p.name))]
    return [p for _, p in sorted(found)]


def latest_checkpoint(directory: Path) -> Path | None:
    found = list_checkpoints(directory)
    return found[-1] if found else None


def remove_stale_temps(out: Path) -> list[Path]:
    """Delete temp files (``.NAME.*.tmp*``) that a killed run left in ``out`` and ``out/checkpoints``.

    Only rank 0 of a run calls this, before training starts: nothing of this run is being written yet, and
    an output directory is never shared by two runs (a second one is refused unless it resumes)."""
    stale = [p for d in (Path(out), Path(out) / "checkpoints") if d.is_dir()
             for p in d.glob(".*.tmp*") if p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale
