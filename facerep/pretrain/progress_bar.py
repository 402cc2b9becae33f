"""The pre-training progress display (rank 0): step k/N, images per second, ETA and the current loss, as a bar
of :mod:`facerep.progress` (a line of the running stage's display, e.g. a sweep's, else its own); none under
``--quiet``. Replaces Lightning's own bar; a summary line is printed at the end."""
from __future__ import annotations

import time
from contextlib import ExitStack
from typing import Any

import lightning as L

from .. import progress


class StepProgress(L.Callback):
    """Shows ``pre-training METHOD`` steps done / ``steps``, ``images_per_step`` × steps per second, and the
    loss."""

    def __init__(self, method: str, steps: int, images_per_step: int) -> None:
        self.method, self.steps, self.images_per_step = method, steps, images_per_step
        self._stack: ExitStack | None = None
        self._update: progress.Update | None = None
        self._start = (0, 0.0)  # (step, time) when this process started training
        self._losses: list[float] = []

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        self._stack = ExitStack()
        self._update = self._stack.enter_context(progress.bar(
            f"pre-training {self.method}", total=self.steps, unit="img", scale=self.images_per_step,
            completed=trainer.global_step))
        self._start = (trainer.global_step, time.perf_counter())

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        if self._update is None:
            return
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if loss is None:
            loss = trainer.callback_metrics.get("train/loss")
        info = ""
        if loss is not None:
            self._losses.append(float(loss))
            info = f"loss {self._losses[-1]:.3f}"
        self._update(advance=0, completed=trainer.global_step, info=info)

    def _close(self) -> None:
        if self._stack is not None:
            self._stack.close()
        self._stack = self._update = None

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._update is None:
            return
        self._close()
        step0, t0 = self._start
        seconds = time.perf_counter() - t0
        done = trainer.global_step - step0
        rate = done * self.images_per_step / seconds if seconds > 0 else float("nan")
        loss = f", loss {self._losses[0]:.3f} -> {self._losses[-1]:.3f}" if self._losses else ""
        resumed = f" (from step {step0})" if step0 else ""
        steps = f"{done} step{'s' if done != 1 else ''}{resumed}"
        progress.announce(
            f"pre-training {self.method}: {steps} in {seconds:.0f} s, {rate:.1f} images/s{loss}")

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule,
                     exception: BaseException) -> None:
        self._close()
