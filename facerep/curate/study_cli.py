"""CLI: ``facerep redundancy-study --out DIR [key=value ...]``, thin over :mod:`facerep.curate.study`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..config import RedundancyStudyConfig, resolve_config
from ..progress import console
from .study import redundancy_study, study_table


def study_cmd(
    out: Path = typer.Option(
        ..., "--out", "-o", help="output folder (rerun to resume: finished stages are reused)"
    ),
    config: Path | None = typer.Option(None, "--config", help="YAML file of RedundancyStudyConfig values"),
    overrides: list[str] | None = typer.Argument(
        None, help="RedundancyStudyConfig key=value overrides, e.g. steps=300 redundancy.threshold=0.99"
    ),
) -> None:
    """Redundancy of synthetic video clips, then the same pre-training on all vs deduplicated frames,
    benchmarked against random init: the paper's redundancy experiment in one command."""
    cfg = resolve_config(RedundancyStudyConfig, config, overrides or [])
    df = redundancy_study(cfg, out)
    info = json.loads((out / "study.json").read_text())
    curve = "; ".join(
        f"stride {c['stride']}: {c['effective']} groups / {c['faces']} faces" for c in info["effective_size"]
    )
    console.print(
        f"redundancy of {info['video_data']}: {info['faces']} frames, {info['groups']} near-duplicate "
        f"groups (ratio {info['redundancy']:.4f}); dedup keeps {info['kept']} frames",
        highlight=False,
        soft_wrap=True,
    )
    if curve:
        console.print(f"effective size vs frame stride: {curve}", highlight=False, soft_wrap=True)
    console.print(study_table(df))
    console.print(
        f"study: {(out / 'study.csv').resolve()} ({len(df)} rows; this run took "
        f"{info['wall_seconds_this_run']:.0f} s)",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    app.command("redundancy-study")(study_cmd)
