"""``facerep sweep SPEC.yaml --out DIR [--dry-run] [--executor local|pool|slurm] [--workers N]``."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ..config import SweepConfig, resolve_config, save_config
from ..errors import ConfigError
from ..progress import console
from .api import run_sweep
from .cells import is_done
from .executors import EXECUTORS
from .spec import load_spec


def print_plan(cells: list, out: Path | None) -> None:
    table = Table(title="sweep cells")
    for col in ("#", "id", "kind", "cell", "after", "status"):
        table.add_column(col)
    for i, c in enumerate(cells, 1):
        status = "done" if out is not None and is_done(out, c.id) else "to run"
        table.add_row(str(i), c.id, c.kind, c.label, ",".join(c.deps) or "-", status)
    console.print(table)


def register(app: typer.Typer) -> None:
    @app.command("sweep")
    def sweep_cmd(
        spec: Path = typer.Argument(..., help="sweep spec (YAML): pretrain:, evaluate:, cells:"),
        out: Path | None = typer.Option(None, "--out", "-o",
                                        help="output dir (cells/<id>/ + merged records.csv)"),
        dry_run: bool = typer.Option(False, "--dry-run",
                                     help="validate, print the cells and their count; run nothing"),
        executor: str | None = typer.Option(None, help="local | pool | slurm"),
        workers: int | None = typer.Option(None, help="pool processes / concurrent slurm jobs"),
        config: Path | None = typer.Option(None, "--config", help="SweepConfig YAML"),
        overrides: list[str] | None = typer.Argument(None, help="SweepConfig key=value overrides"),
    ) -> None:
        """Run a grid of pre-training runs and evaluations, resumably (finished cells are skipped)."""
        cfg = resolve_config(SweepConfig, config, overrides or [], executor=executor, workers=workers)
        if cfg.executor not in EXECUTORS:
            raise ConfigError(EXECUTORS.unknown_message(cfg.executor))
        plan = load_spec(spec)
        if dry_run:
            print_plan(plan.cells, out)
            kinds = {k: sum(c.kind == k for c in plan.cells)
                     for k in dict.fromkeys(c.kind for c in plan.cells)}
            detail = ", ".join(f"{n} {k}" for k, n in kinds.items())
            console.print(f"{len(plan.cells)} cells ({detail}); spec {spec} is valid")
            return
        if out is None:
            raise ConfigError("--out DIR is required to run a sweep (or use --dry-run)")
        save_config(cfg, out / "sweep_config.yaml")
        merged = run_sweep(plan, out, cfg)
        console.print(f"{len(plan.cells)} cells finished; {len(merged)} records in {out / 'records.csv'}")
