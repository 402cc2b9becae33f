"""The ``facerep`` command: a typer app whose commands are thin calls into the Python API.

Core commands live here. A subsystem adds its commands in its own ``cli`` module exposing
``register(app)``; list that module in ``COMMAND_MODULES``.
"""
from __future__ import annotations

import importlib
import sys
from typing import Optional

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .errors import FacerepError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="facerep: pre-train, curate and benchmark facial representations.")
console = Console()
err_console = Console(stderr=True)

COMMAND_MODULES: list[str] = [
    "facerep.data.cli",
    "facerep.data.synth.cli",
    "facerep.sweep.cli",
    "facerep.report.cli",
    "facerep.demo",
    "facerep.pretrain.cli",
    "facerep.bench.cli",
    "facerep.curate.cli",
    "facerep.curate.study_cli",
    "facerep.backbones.cli",
]


@app.command("backbones")
def backbones_cmd(
    pattern: Optional[str] = typer.Argument(None, help="glob over timm model names, e.g. 'resnet*'"),
    check: Optional[str] = typer.Option(None, "--check", metavar="PATH",
                                        help="identify a checkpoint file's layout and the adapter that loads it"),
) -> None:
    """List backbone adapters, and timm models matching PATTERN; or --check a checkpoint file."""
    from .backbones import BACKBONES, list_adapters

    if check is not None:
        from .backbones.check import check_checkpoint

        report = check_checkpoint(check)
        console.print(report.text(), highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(0 if report.fits else 1)
    table = Table(title="backbone adapters")
    table.add_column("adapter")
    table.add_column("description")
    for name in list_adapters():
        table.add_row(name, BACKBONES.entries(name)[0].description)
    console.print(table)
    from .backbones.faceapi import NETWORKS, cache_status

    nets = Table(title="faceapi networks (weights: `facerep weights faceapi`)")
    for col in ("backbone", "network", "weights"):
        nets.add_column(col)
    for name, cached in cache_status().items():
        state = "in cache" if cached else "missing"
        nets.add_row(f"faceapi:{name}", NETWORKS.entries(name)[0].description, state)
    console.print(nets)
    if pattern:
        import timm

        names = timm.list_models(pattern)
        console.print(f"timm models matching {pattern!r} ({len(names)}): " + ", ".join(f"timm:{n}" for n in names[:200]))


@app.command("formats")
def formats_cmd(pattern: str = typer.Argument("*", help="glob over format names")) -> None:
    """List dataset formats (use as FORMAT:PATH wherever a dataset is expected)."""
    from .data.formats import FORMATS, list_formats

    table = Table(title="dataset formats")
    for col in ("format", "provides", "official splits", "description"):
        table.add_column(col)
    for name in list_formats(pattern):
        cls = FORMATS.get(name)
        table.add_row(name, ", ".join(sorted(cls.provides)), ", ".join(cls.splits) or "-", FORMATS.entries(name)[0].description)
    console.print(table)


@app.callback()
def _root(quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bars")) -> None:
    from . import progress

    progress.QUIET = quiet


_registered = False


def get_app() -> typer.Typer:
    """The app with every subsystem's commands registered (once)."""
    global _registered
    if not _registered:
        for module in COMMAND_MODULES:
            importlib.import_module(module).register(app)
        _registered = True
    return app


def main(argv: Optional[list[str]] = None) -> None:
    """Entry point: a :class:`FacerepError` is printed as one line (no traceback), exit code 2."""
    try:
        rc = get_app()(args=argv, standalone_mode=False)
    except FacerepError as e:
        err_console.print(f"[bold red]error:[/] {escape(str(e))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except click.exceptions.ClickException as e:  # usage errors: bad option, missing argument
        e.show()
        sys.exit(e.exit_code)
    if isinstance(rc, int) and rc:
        sys.exit(rc)


if __name__ == "__main__":
    main()
