"""``facerep demo --out DIR [--quick]``: the whole system on embedded synthetic faces, as one small sweep.

Synthetic faces -> a short SwAV pre-training -> the bench of random init against the pre-trained backbone
on every task at label fractions 0.05, 0.2 and 1.0 -> ``DIR/report.html``. Every step runs through the
sweep machinery, so an interrupted demo resumes where it stopped.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import typer
import yaml

from .config import DemoConfig, ReportConfig, SweepConfig, resolve_config
from .data.formats import load_dataset
from .errors import ConfigError
from .io import atomic_write_text
from .progress import console
from .records import read_records
from .report import tables
from .sweep.api import run_sweep
from .sweep.cells import is_done
from .sweep.spec import load_spec

RANDOM_PREFIX = "random:"
# Rates of the demo's work on 2 idle CPU cores, for the estimate of its first line ("about N min"), which
# scales with steps, faces and cells. Measured 2026-12-04 on the quick demo: pre-training 45 x 32 images in
# 113 s with the cores idle; the bench stage (cold feature cache) took 366 s on cores shared with other jobs,
# where the same pre-training took 5.8x its idle time: about 63 s idle, split as 0.9 s per cell (heads;
# warm-cache cells) and the rest for encoding 2 x 256 faces.
PRETRAIN_IMAGES_PER_S = 12.0  # SwAV (2 global + 4 local crops) on timm:resnet18 at 64 px
BENCH_FACES_PER_S = 15.0  # one backbone: decode, crop, encode the bench faces (box, aligned, mirrored crops)
SECONDS_PER_CELL = 0.9  # one eval cell's heads on cached features


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
    agg = tables.aggregate(tables.select_primary(tables.main_records(records)))
    out = {}
    for task, g in agg.groupby("task"):
        means = g.groupby("backbone")["mean"].mean()
        if pretrained in means and baseline in means:
            better = means[pretrained] > means[baseline]
            worse = means[pretrained] < means[baseline]
            out[str(task)] = bool(better if g["direction"].iloc[0] == "max" else worse)
    return out


def plan_text(cfg: DemoConfig, quick: bool, cells: list[Any], done: set[str]) -> str:
    """The demo's first line: what will run (the unfinished cells of its sweep) and about how long."""
    todo = [c for c in cells if c.id not in done]
    pretrain = [c for c in todo if c.kind == "pretrain"]
    evals = [c for c in todo if c.kind == "eval"]
    n_tasks = len({c.config["task"] for c in cells if c.kind == "eval"})
    faces = len(load_dataset(cfg.bench_data))
    seconds = (len(pretrain) * cfg.steps * cfg.batch_size / PRETRAIN_IMAGES_PER_S
               + len({str(c.config["backbone"]) for c in evals}) * faces / BENCH_FACES_PER_S
               + len(evals) * SECONDS_PER_CELL)
    name = f"facerep demo{' --quick' if quick else ''}"
    if not todo:
        return f"{name}: every step is finished already (an empty --out starts over); writing the report"
    parts = []
    if pretrain:
        parts.append(f"{cfg.method} pre-training of {cfg.backbone} ({cfg.steps} steps of {cfg.batch_size} "
                     f"synthetic faces at {cfg.image_size} px)")
    if evals:
        parts.append(f"the bench of the pre-trained backbone and of random init on {n_tasks} tasks x "
                     f"{len(cfg.seeds)} seeds ({len(evals)} cells, {faces} faces, label fractions "
                     f"{', '.join(f'{f:g}' for f in cfg.fractions)})")
    done_n = len(cells) - len(todo)
    resumed = f" (resuming: {done_n} of {len(cells)} steps done)" if done_n else ""
    minutes = max(0.5, round(seconds / 30) / 2)
    about = f"about {minutes:g} min on 2 idle CPU cores"
    return f"{name}: {', then '.join(parts)}{resumed}; {about}, then report.html"


def run_demo(out: str | Path, cfg: DemoConfig | None = None, quick: bool = False,
             say: Callable[[str], None] | None = None) -> Path:
    """Run the demo under ``out``; returns the path of ``report.html``. ``say`` gets the first line (what will
    run and about how long) before anything runs."""
    from .report.api import make_report  # deferred: loads matplotlib, which `facerep --help` does not need

    cfg = cfg or DemoConfig()
    cfg = apply_quick(cfg) if quick else cfg
    out = Path(out)
    spec_path = out / "demo_spec.yaml"
    atomic_write_text(spec_path, yaml.safe_dump(demo_spec(cfg), sort_keys=False))
    spec = load_spec(spec_path)
    if say is not None:
        say(plan_text(cfg, quick, spec.cells, {c.id for c in spec.cells if is_done(out, c.id)}))
    run_sweep(spec, out, SweepConfig(executor=cfg.executor, workers=cfg.workers, keep_going=False))
    title = f"facerep demo{' (quick)' if quick else ''}: {cfg.method} pre-training vs random init"
    return make_report([out], out / "report.html", ReportConfig(title=title))


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_cmd(
        out: Path = typer.Option(Path("facerep-demo"), "--out", "-o", help="output dir (rerun to resume)"),
        quick: bool = typer.Option(False, "--quick", help="smaller data and fewer steps (a few minutes)"),
        config: Path | None = typer.Option(None, "--config", help="DemoConfig YAML"),
        overrides: list[str] | None = typer.Argument(None, help="DemoConfig key=value overrides"),
    ) -> None:
        """Synthetic faces -> short SwAV pre-training -> bench vs random init on all tasks -> report.html."""
        cfg = resolve_config(DemoConfig, config, overrides or [])
        def say(line: str) -> None:
            console.print(line, highlight=False, soft_wrap=True)

        report = run_demo(out, cfg, quick, say=say)
        effective = apply_quick(cfg) if quick else cfg
        ahead = pretrained_ahead(read_records(out / "records.csv"), f"{effective.method} pre-trained",
                                 RANDOM_PREFIX + effective.backbone)
        wins = ", ".join(t for t, w in ahead.items() if w) or "none"
        console.print(
            f"pre-trained ahead of random init on {sum(ahead.values())}/{len(ahead)} tasks ({wins})")
        console.print(f"report: {report.resolve()}")
