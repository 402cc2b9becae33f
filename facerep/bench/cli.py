"""``facerep bench``: benchmark a backbone on the face tasks (a thin call into :mod:`facerep.bench.api`)."""
from __future__ import annotations

from typing import Any

import typer

from ..errors import ConfigError


def _floats(text: str | None, what: str) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(f"{what} must be a comma-separated list of numbers, got {text!r}") from None


def _ints(text: str | None, what: str) -> list[int] | None:
    values = _floats(text, what)
    if values is None:
        return None
    if any(v != int(v) for v in values):
        raise ConfigError(f"{what} must be integers, got {text!r}")
    return [int(v) for v in values]


def _data(items: list[str] | None) -> dict[str, str] | None:
    """``TASK=FORMAT:PATH`` (one task) or ``FORMAT:PATH`` (every task) -> {task or "*": spec}."""
    if not items:
        return None
    out: dict[str, str] = {}
    for item in items:
        head, sep, spec = item.partition("=")
        if sep and ":" not in head:
            out[head.strip()] = spec.strip()
        else:
            out["*"] = item.strip()
    return out


def _train_data(items: list[str] | None) -> dict[str, str] | None:
    """``TASK=FORMAT:PATH`` items -> {task: spec}; a task must be named."""
    out = _data(items)
    if out and "*" in out:
        raise ConfigError("--train-data takes TASK=FORMAT:PATH (the task whose heads train on it), got "
                          f"{out['*']!r}")
    return out


def bench_cmd(
    backbone: str | None = typer.Option(None, help="ADAPTER:NAME (timm:resnet18) or a facerep backbone dir"),
    tasks: str | None = typer.Option(None, help="all, or a comma list: recognition,landmarks2d,…"),
    data: list[str] | None = typer.Option(
        None, help="TASK=FORMAT:PATH or FORMAT:PATH (repeatable); default synth:"),
    train_data: list[str] | None = typer.Option(
        None, "--train-data",
        help="TASK=FORMAT:PATH (repeatable): train that task's heads on this source and test "
             "on all of its --data source, e.g. recognition on a pairs file"),
    mode: str | None = typer.Option(None, help="linear | knn | finetune"),
    fractions: str | None = typer.Option(None, help="label fractions, e.g. 0.01,0.1,1.0"),
    seeds: str | None = typer.Option(None, help="seeds, e.g. 0,1,2"),
    shots: str | None = typer.Option(
        None, help="K per class / identity, e.g. 1,5 (replaces the default fractions)"),
    image_size: int | None = typer.Option(None, "--image-size",
                                          help="side of the face crop fed to the backbone"),
    out: str | None = typer.Option(None, help="output directory"),
    config: str | None = typer.Option(None, "--config", help="YAML file of BenchConfig fields"),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="skip (and count) samples that fail to decode"),
    corruptions: list[str] | None = typer.Option(
        None,
        help="test-time corruptions NAME:S1,S2 (repeatable or space-separated): lowres:16,24 blur:1,2,3 "
             "jpeg:10,30 noise:1,2,3 light:1,2,3 occlusion:sunglasses,mask,hand"),
    train_corruptions: list[str] | None = typer.Option(
        None, "--train-corruptions", help="also train heads on these corrupted copies of the training split "
                                          "(same syntax as --corruptions); default: clean training"),
    reference_backbone: str | None = typer.Option(
        None, "--reference-backbone", help="also run this backbone (same protocol); robustness.csv gets the "
                                           "corruption error CE / mCE relative to it (ImageNet-C)"),
    train_skew: str | None = typer.Option(
        None, "--train-skew",
        help="skew the training split to one subgroup: ATTR=VALUE[:SHARE], e.g. skin_tone=light"),
    groups: str | None = typer.Option(
        None, help="subgroup attributes to break every metric down by, e.g. skin_tone"),
    trust_checkpoint: bool = typer.Option(False, "--trust-checkpoint",
                                          help="allow full unpickling of a backbone checkpoint (runs code "
                                               "from the file)"),
    overrides: list[str] | None = typer.Argument(None, help="key=value overrides of BenchConfig fields"),
) -> None:
    """Benchmark a backbone: tasks × fractions/shots × seeds; writes records, summary and config to --out."""
    from ..config import BenchConfig, resolve_config
    from ..progress import console
    from .api import bench, summary_table

    values: dict[str, Any] = {
        "backbone": backbone, "mode": mode, "image_size": image_size, "out": out, "data": _data(data),
        "train_data": _train_data(train_data),
        "tasks": [t.strip() for t in tasks.split(",") if t.strip()] if tasks else None,
        "fractions": _floats(fractions, "--fractions"), "seeds": _ints(seeds, "--seeds"),
        "shots": _ints(shots, "--shots"),
        "skip_bad": True if skip_bad else None, "trust_checkpoint": True if trust_checkpoint else None,
        "corruptions": [c for item in corruptions for c in item.split()] if corruptions else None,
        "train_corruptions": [c for item in train_corruptions for c in item.split()]
        if train_corruptions else None,
        "reference_backbone": reference_backbone, "train_skew": train_skew,
        "groups": [g.strip() for g in groups.split(",") if g.strip()] if groups else None}
    if shots is not None and fractions is None:
        values["fractions"] = []
    cfg = resolve_config(BenchConfig, config, list(overrides or []), **values)
    plan = _plan_line(cfg, default_backbone=backbone is None, default_out=out is None)
    console.print(plan, highlight=False, soft_wrap=True)
    df, result = bench(cfg)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    if not cfg.pretrained and cfg.backbone.partition(":")[0] in ("timm", "torchvision"):  # others read files
        console.print(f"[yellow]note:[/] {cfg.backbone} has randomly initialised weights (seed "
                      f"{cfg.backbone_seed}); pass pretrained=true for its published weights",
                      highlight=False)
    console.print(summary_table(df, skipped=len(result.skipped)))
    if cfg.corruptions:
        import pandas as pd

        from .robustness import robustness_text

        deg = pd.read_csv(f"{cfg.out}/robustness.csv")
        console.print("robustness (primary metric; relative error increase over severities"
                      + (f"; CE and mCE (row 'mean') relative to {cfg.reference_backbone}"
                         if cfg.reference_backbone
                         else "") + ", as ImageNet-C):", highlight=False)
        console.print(robustness_text(deg), highlight=False, soft_wrap=True)
    if result.skipped:
        console.print(f"{len(result.skipped)} bad sample(s) skipped: see {cfg.out}/skipped.csv",
                      highlight=False)
    console.print(f"{len(df)} records -> {cfg.out}/records.csv (features encoded this run: "
                  f"{result.forwarded} images)",
                  highlight=False)


def _plan_line(cfg: Any, *, default_backbone: bool, default_out: bool) -> str:
    """What the bench runs and where it writes, saying which of the two are defaults."""
    backbone = cfg.backbone + (" (the default; choose with --backbone)" if default_backbone else "")
    out = cfg.out + (" (the default; choose with --out)" if default_out else "")
    return f"facerep bench: backbone {backbone}, tasks {','.join(cfg.tasks)}; writing to {out}"


def register(app: typer.Typer) -> None:
    app.command("bench")(bench_cmd)
