"""``facerep pretrain`` and ``facerep methods``: thin calls into :mod:`facerep.pretrain.api`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ..config import PretrainConfig, resolve_config
from ..progress import console
from .methods import METHODS, list_methods


def register(app: typer.Typer) -> None:
    app.command("pretrain")(pretrain_cmd)
    app.command("methods")(methods_cmd)


def pretrain_cmd(
    overrides: list[str] | None = typer.Argument(
        None, help="key=value config overrides, e.g. swav.n_prototypes=1000"
    ),
    method: str | None = typer.Option(None, "--method", help="pre-training method (see `facerep methods`)"),
    backbone: str | None = typer.Option(None, "--backbone", help="e.g. timm:resnet50"),
    data: str | None = typer.Option(None, "--data", help="FORMAT:PATH, e.g. synth: or imagefolder:/faces"),
    steps: int | None = typer.Option(None, "--steps", help="optimizer steps"),
    batch_size: int | None = typer.Option(
        None, "--batch-size", help="global batch, split over all processes"
    ),
    image_size: int | None = typer.Option(None, "--image-size"),
    out: str | None = typer.Option(None, "--out", help="output directory"),
    seed: int | None = typer.Option(None, "--seed"),
    devices: str | None = typer.Option(None, "--devices", help="count, 'auto' or comma list of ids"),
    num_nodes: int | None = typer.Option(None, "--num-nodes"),
    accelerator: str | None = typer.Option(None, "--accelerator", help="auto | cpu | gpu"),
    strategy: str | None = typer.Option(None, "--strategy", help="auto | ddp | fsdp"),
    precision: str | None = typer.Option(None, "--precision", help="32 | bf16-mixed | 16-mixed"),
    num_workers: int | None = typer.Option(None, "--num-workers", help="data loader worker processes"),
    resume: bool = typer.Option(False, "--resume", help="continue from the latest checkpoint in OUT"),
    config: str | None = typer.Option(None, "--config", help="YAML file of PretrainConfig values"),
) -> None:
    """Pre-train a backbone (SwAV, MoCo, BYOL, SimCLR, DINO, MAE, supervised) and write OUT/backbone.*"""
    from .api import pretrain  # deferred: loads lightning (seconds), which only this command needs

    cfg = resolve_config(
        PretrainConfig,
        config,
        overrides or [],
        method=method,
        backbone=backbone,
        data=data,
        steps=steps,
        batch_size=batch_size,
        image_size=image_size,
        out=out,
        seed=seed,
        devices=devices,
        num_nodes=num_nodes,
        accelerator=accelerator,
        strategy=strategy,
        precision=precision,
        num_workers=num_workers,
        resume=resume or None,
    )
    path = pretrain(cfg)
    _print_skipped(console, path)
    console.print(
        f"backbone written to {path} (use: facerep bench --backbone {path})", soft_wrap=True, highlight=False
    )


def _print_skipped(console: Any, out: Path) -> None:
    """The summary line of bad samples met (and skipped) while streaming, from OUT/backbone.json."""
    meta_path = Path(out) / "backbone.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    n = int(meta.get("skipped_samples", 0))
    if n:
        console.print(f"skipped {n} bad sample(s) while streaming (the first 20 are listed in {meta_path}):",
                      markup=False, highlight=False, soft_wrap=True)
        for msg in meta.get("skipped_examples", []):
            console.print(f"  skipped {msg}", markup=False, highlight=False, soft_wrap=True)


def methods_cmd() -> None:
    """List pre-training methods with one-line descriptions."""
    table = Table(title="pre-training methods")
    table.add_column("method")
    table.add_column("needs")
    table.add_column("description")
    for name in list_methods():
        cls = METHODS.get(name)
        needs = ", ".join(
            x for x, on in (("identity labels", cls.needs_identity), ("ViT backbone", cls.vit_only)) if on
        )
        table.add_row(name, needs or "-", METHODS.entries(name)[0].description)
    console.print(table)
