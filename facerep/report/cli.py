"""``facerep report DIR... --out report.html``."""
from __future__ import annotations

from pathlib import Path

import typer

from ..config import ReportConfig, resolve_config
from ..progress import console


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_cmd(
        paths: list[Path] = typer.Argument(...,
                                           help="result dirs (bench or sweep outputs) or records.csv files"),
        out: Path = typer.Option(Path("report.html"), "--out", "-o",
                                 help="HTML file; report.md is written beside it"),
        title: str | None = typer.Option(None, help="page title"),
        config: Path | None = typer.Option(None, "--config", help="ReportConfig YAML"),
        overrides: list[str] | None = typer.Option(None, "--set", help="ReportConfig key=value (repeatable)"),
    ) -> None:
        """Render records as a static HTML report (few-shot curves, tables, summary) and report.md."""
        from .api import make_report  # deferred: loads matplotlib, which `facerep --help` does not need

        cfg = resolve_config(ReportConfig, config, overrides or [], title=title)
        path = make_report(paths, out, cfg)
        console.print(f"report: {path.resolve()}" + (f" (and {path.with_suffix('.md')})"
                                                     if cfg.markdown else ""))
