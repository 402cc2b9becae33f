"""Throughput of facerep's SwAV step vs a plain SwAV loop written after lightly's example, in one process.

Both use the same backbone, batch, crops (2 global + 6 local), heads, loss and optimizer; the plain
loop forwards each crop on its own as lightly's example does, facerep batches crops of one
resolution. Prints images/s of each, the ratio (target >= 1.0), peak memory, and on CUDA the model
FLOP utilisation (MFU).

    python benchmarks/bench_pretrain.py [--backbone timm:resnet18] [--batch-size 32] [--image-size 64]
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Callable

import torch
from torch import nn

os.environ.setdefault("HF_HUB_OFFLINE", "1")

PEAK_TFLOPS = {
    "H200": 989.0,
    "H100": 989.0,
    "A100": 312.0,
    "L40S": 362.0,
    "A10G": 125.0,
    "L4": 121.0,
    "V100": 125.0,
}


class PlainSwaV(nn.Module):
    """SwAV as in lightly's example: backbone -> projection -> L2 norm -> prototypes, one crop at a time."""

    def __init__(self, backbone: nn.Module, dim: int, n_prototypes: int) -> None:
        from lightly.models.modules import SwaVProjectionHead, SwaVPrototypes

        super().__init__()
        self.backbone = backbone
        self.projection_head = SwaVProjectionHead(dim, 2048, 128)
        self.prototypes = SwaVPrototypes(128, n_prototypes=n_prototypes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.projection_head(self.backbone(self.backbone.normalize(x)))
        return self.prototypes(nn.functional.normalize(z, dim=1, p=2))


def plain_step(
    model: PlainSwaV, criterion: nn.Module, opt: torch.optim.Optimizer
) -> Callable[[list], torch.Tensor]:
    def step(views: list[torch.Tensor]) -> torch.Tensor:
        model.prototypes.normalize()
        outs = [model(v) for v in views]
        loss = criterion(outs[:2], outs[2:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    return step


def facerep_step(method: nn.Module, opt: torch.optim.Optimizer) -> Callable[[list], torch.Tensor]:
    def step(views: list[torch.Tensor]) -> torch.Tensor:
        loss = method.training_step({"views": views})["loss"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        method.before_optimizer_step()
        opt.step()
        method.after_optimizer_step()
        return loss

    return step


class PeakRSS:
    """Peak resident memory above the starting point, sampled every 2 ms (CPU runs)."""

    def __enter__(self) -> PeakRSS:
        self.base = self.peak = self._rss()
        self._stop = False
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def _rss(self) -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _poll(self) -> None:
        while not self._stop:
            self.peak = max(self.peak, self._rss())
            time.sleep(0.002)

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        self._thread.join()

    @property
    def mib(self) -> float:
        return (self.peak - self.base) / 2**20


def timed(
    step: Callable, views: list, steps: int, warmup: int, device: torch.device, autocast: bool
) -> tuple[float, float]:
    """Seconds per step and peak memory (MiB) of ``step`` on ``views``."""
    ctx = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if autocast else torch.enable_grad
    for _ in range(warmup):
        with ctx():
            step(views)
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    with PeakRSS() as rss:
        t = time.perf_counter()
        for _ in range(steps):
            with ctx():
                step(views)
        if device.type == "cuda":
            torch.cuda.synchronize()
        sec = (time.perf_counter() - t) / steps
    mem = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else rss.mib
    return sec, mem


def step_flops(step: Callable, views: list, autocast: bool) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
            step(views)
    return float(counter.get_total_flops())


def main() -> None:
    from lightly.loss import SwaVLoss

    from facerep.backbones import create_backbone
    from facerep.config import PretrainConfig, resolve_config
    from facerep.pretrain.methods import get_method

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backbone", default="timm:resnet18")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--image-size", type=int, default=64)
    ap.add_argument("--prototypes", type=int, default=3000)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument(
        "--peak-tflops", type=float, default=0.0, help="device peak (bf16) for MFU; default from the GPU name"
    )
    a = ap.parse_args()
    device = torch.device(a.device)
    on_cuda = device.type == "cuda"
    torch.manual_seed(0)
    cfg = resolve_config(
        PretrainConfig,
        None,
        [f"swav.n_prototypes={a.prototypes}", "swav.freeze_prototypes_steps=0"],
        backbone=a.backbone,
        image_size=a.image_size,
        batch_size=a.batch_size,
        channels_last=on_cuda,
    )
    local = max(8, round(a.image_size * cfg.options.local_size_ratio))
    g = torch.Generator().manual_seed(0)
    views = [
        torch.rand(a.batch_size, 3, s, s, generator=g).to(device) for s in [a.image_size] * 2 + [local] * 6
    ]

    def backbone() -> nn.Module:
        torch.manual_seed(0)
        return create_backbone(a.backbone, image_size=a.image_size).train()

    bb = backbone()
    plain = PlainSwaV(bb, bb.num_features, a.prototypes).to(device)
    p_step = plain_step(plain, SwaVLoss(), torch.optim.AdamW(plain.parameters(), lr=1e-3))
    method = get_method("swav").build(backbone(), cfg).to(device)
    if on_cuda:
        method = method.to(memory_format=torch.channels_last)
    f_step = facerep_step(
        method, torch.optim.AdamW([p for p in method.parameters() if p.requires_grad], lr=1e-3)
    )

    results = {}
    for name, step in (("lightly-example loop", p_step), ("facerep swav", f_step)):
        sec, mem = timed(step, views, a.steps, a.warmup, device, autocast=on_cuda)
        results[name] = (a.batch_size / sec, mem, sec)
    print(
        f"device={device} backbone={a.backbone} batch={a.batch_size} crops=2x{a.image_size}px+6x{local}px "
        f"prototypes={a.prototypes}"
    )
    for name, (ips, mem, _) in results.items():
        print(f"  {name:22s} {ips:9.1f} images/s   peak memory {mem:8.1f} MiB")
    ratio = results["facerep swav"][0] / results["lightly-example loop"][0]
    print(f"  ratio facerep / lightly-example = {ratio:.2f} (target >= 1.0)")
    if on_cuda:
        name = torch.cuda.get_device_name(device)
        peak = a.peak_tflops or next((v for k, v in PEAK_TFLOPS.items() if k in name), 0.0)
        for label, step in (("lightly-example loop", p_step), ("facerep swav", f_step)):
            flops = step_flops(step, views, autocast=True)
            achieved = flops / results[label][2] / 1e12
            mfu = f"{100 * achieved / peak:.1f} %" if peak else "n/a (pass --peak-tflops)"
            print(
                f"  {label:22s} {flops / 1e9:9.1f} GFLOP/step  {achieved:7.1f} TFLOP/s  "
                f"MFU {mfu} of {peak or '?'} TFLOP/s ({name})"
            )


if __name__ == "__main__":
    main()
