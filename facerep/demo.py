"""``facerep demo --out DIR [--quick]``: the whole system on embedded synthetic faces, as one small sweep.

Synthetic faces -> a short SwAV pre-training -> the bench of random init against the pre-trained backbone
on every task at label fractions 0.05, 0.2 and 1.0 -> ``DIR/report.html``. Every step runs through the
sweep machinery, so an interrupted demo resumes where it stopped.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd
import typer
import yaml

from .config import DemoConfig, ReportConfig, SweepConfig
from .errors import ConfigError
from .io import atomic_write_text

RANDOM_PREFIX = "random:"


def apply_quick(cfg: DemoConfig) -> DemoConfig:
    """``cfg`` with its ``quick`` keys applied (unknown keys are a ConfigError)."""
    names = {f.name for f in dataclasses.fields(DemoConfig)} - {"quick"}
    unknown = sorted(set(cfg.quick) - names)
    if unknown:
        raise ConfigError(f"DemoConfig.quick: unknown key(s) {unknown}; valid: {', '.join(sorted(names))}")
    return dataclasses.replace(cfg, **cfg.quick)


def demo_spec(cfg: DemoConfig) -> dict[str, Any]:
    """The sweep spec of the demo: one pre-training run and the evaluation of it and of random init."""
    pretrain_options = {**cfg.pretrain_options, "steps": cfg.steps, "batch_size": cfg.batch_size,
                        "image_size": cfg.image_size}
    return {
        "name": "facerep demo",
        "pretrain": [{"method": cfg.method, "data": cfg.pretrain_data, "seed": 0, "backbone": cfg.backbone,
                      "label": f"{cfg.method} pre-trained", "options": pretrain_options}],
        "evaluate": {"tasks": list(cfg.tasks), "modes": [cfg.mode], "fractions": list(cfg.fractions),
                     "seeds": list(cfg.seeds), "baselines": [RANDOM_PREFIX + cfg.backbone],
                     "options": {"synth": cfg.bench_data, "image_size": cfg.image_size, **cfg.bench_options}},
    }


def pretrained_ahead(records: pd.DataFrame, pretrained: str, baseline: str) -> dict[str, bool]:
    """Per task: is ``pretrained`` better than ``baseline`` on the primary metric (mean over seeds and
    label fractions, in the metric's direction)?"""
    from .report import tables

    agg = tables.aggregate(tables.select_primary(tables.main_records(records)))
    out = {}
    for task, g in agg.groupby("task"):
        means = g.groupby("backbone")["mean"].mean()
        if pretrained in means and baseline in means:
            better = means[pretrained] > means[baseline]
            out[str(task)] = bool(better if g["direction"].iloc[0] == "max" else means[pretrained] < means[baseline])
    return out


def run_demo(out: str | Path, cfg: DemoConfig | None = None, quick: bool = False) -> Path:
    """Run the demo under ``out``; returns the path of ``report.html``."""
    from .report.api import make_report
    from .sweep.api import run_sweep
    from .sweep.spec import load_spec

    cfg = cfg or DemoConfig()
    cfg = apply_quick(cfg) if quick else cfg
    out = Path(out)
    spec_path = out / "demo_spec.yaml"
    atomic_write_text(spec_path, yaml.safe_dump(demo_spec(cfg), sort_keys=False))
    spec = load_spec(spec_path)
    run_sweep(spec, out, SweepConfig(executor=cfg.executor, workers=cfg.workers, keep_going=False))
    title = f"facerep demo{' (quick)' if quick else ''}: {cfg.method} pre-training vs random init"
    return make_report([out], out / "report.html", ReportConfig(title=title))


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_cmd(
        out: Path = typer.Option(Path("facerep-demo"), "--out", "-o", help="output dir (rerun to resume)"),
        quick: bool = typer.Option(False, "--quick", help="smaller data and fewer steps (about 3 minutes)"),
        config: Path | None = typer.Option(None, "--config", help="DemoConfig YAML"),
        overrides: list[str] | None = typer.Argument(None, help="DemoConfig key=value overrides"),
    ) -> None:
        """Synthetic faces -> short SwAV pre-training -> bench vs random init on all tasks -> report.html."""
        from .cli import console
        from .config import resolve_config
        from .report.records import read_records

        cfg = resolve_config(DemoConfig, config, overrides or [])
        report = run_demo(out, cfg, quick)
        effective = apply_quick(cfg) if quick else cfg
        ahead = pretrained_ahead(read_records(out / "records.csv"), f"{effective.method} pre-trained",
                                 RANDOM_PREFIX + effective.backbone)
        wins = ", ".join(t for t, w in ahead.items() if w) or "none"
        console.print(f"pre-trained ahead of random init on {sum(ahead.values())}/{len(ahead)} tasks ({wins})")
        console.print(f"report: {report.resolve()}")
