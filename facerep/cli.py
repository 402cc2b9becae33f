"""The ``facerep`` command: a typer app whose commands are thin calls into the Python API.

Core commands live here. A subsystem adds its commands in its own ``cli`` module exposing
``register(app)``; list that module in ``COMMAND_MODULES``.
"""
from __future__ import annotations

import dataclasses
import importlib
import sys
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from . import config, progress
from .backbones import BACKBONES, list_adapters
from .backbones.check import check_checkpoint
from .backbones.faceapi import NETWORKS, cache_status
from .config import field_default
from .data.formats import FORMATS, Format, list_formats
from .errors import FacerepError
from .progress import console, err_console
from .registry import close_names

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="facerep: pre-train, curate and benchmark facial representations.")
# the config dataclass behind each command: an option left unset (None) takes that class's default, which
# ``--help`` shows (so the help never drifts from facerep/config.py)
COMMAND_CONFIGS: dict[str, str] = {
    "bench": "BenchConfig", "pretrain": "PretrainConfig", "curate": "CurateConfig",
    "redundancy": "RedundancyConfig", "subset": "SubsetConfig", "sweep": "SweepConfig",
    "report": "ReportConfig", "demo": "DemoConfig", "redundancy-study": "RedundancyStudyConfig",
}

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
    pattern: str | None = typer.Argument(None, help="a word (resnet: names containing it) or a glob "
                                                    "('resnet*')"),
    check: str | None = typer.Option(None, "--check", metavar="PATH",
                                        help="identify a checkpoint file's layout and the adapter "
                                             "that loads it"),
) -> None:
    """List backbone adapters, and timm models matching PATTERN; or --check a checkpoint file."""
    if check is not None:
        report = check_checkpoint(check)
        console.print(report.text(), highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(0 if report.fits else 1)
    table = Table(title="backbone adapters")
    table.add_column("adapter")
    table.add_column("description")
    for name in list_adapters():
        table.add_row(name, BACKBONES.entries(name)[0].description)
    console.print(table)

    nets = Table(title="faceapi networks (weights: `facerep weights faceapi`)")
    for col in ("backbone", "network", "weights"):
        nets.add_column(col)
    for name, cached in cache_status().items():
        state = "in cache" if cached else "missing"
        nets.add_row(f"faceapi:{name}", NETWORKS.entries(name)[0].description, state)
    console.print(nets)
    if pattern:
        import timm  # deferred: seconds to import, and only a PATTERN needs it

        glob = pattern if any(c in pattern for c in "*?[") else f"*{pattern}*"  # a bare word: a substring
        names = timm.list_models(glob)
        what = f"matching {pattern!r}" if glob == pattern else f"containing {pattern!r}"
        shown = ", ".join(f"timm:{n}" for n in names[:200])
        shown += f", … ({len(names) - 200} more)" if len(names) > 200 else ""
        console.print(f"timm models {what} ({len(names)}): {shown}", highlight=False, soft_wrap=True)
        if not names:
            console.print(f"closest names: {', '.join(close_names(pattern.strip('*?'), timm.list_models()))}",
                          highlight=False)


@app.command("formats")
def formats_cmd(pattern: str = typer.Argument("*", help="glob over format names")) -> None:
    """List dataset formats (use as FORMAT:PATH wherever a dataset is expected)."""
    table = Table(title="dataset formats")
    for col in ("format", "provides", "official splits", "description"):
        table.add_column(col)
    for name in list_formats(pattern):
        cls: type[Format] = FORMATS.get(name)
        table.add_row(name, ", ".join(sorted(cls.provides)), ", ".join(cls.splits) or "-",
                      FORMATS.entries(name)[0].description)
    console.print(table)


@app.callback()
def _root(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bars"),
    verbose: bool = typer.Option(False, "--verbose", "-v",
                                 help="also show the banners, tips and warnings of third-party libraries"),
) -> None:
    progress.QUIET = quiet
    progress.VERBOSE = verbose


_registered = False


def get_app() -> typer.Typer:
    """The app with every subsystem's commands registered (once)."""
    global _registered
    if not _registered:
        for module in COMMAND_MODULES:
            importlib.import_module(module).register(app)
        _registered = True
    return app


def default_text(value: Any) -> str:
    """A config default as ``--help`` shows it ("" when there is nothing useful to show)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict) or value is None or dataclasses.is_dataclass(value):
        return ""
    return str(value)


def _no_value_type(command: Any) -> None:
    """On/off flags of ``command`` (and its ``--help``) show no ``<bool>`` value type: they take no value."""
    params = list(command.params)
    try:  # click >= 8.2 and typer's copy cache the help option, so it can be tidied once
        params.append(command.get_help_option(command.context_class(command, info_name=command.name)))
    except (AttributeError, TypeError):
        pass
    for param in params:
        on_off = getattr(param, "is_flag", False) and not getattr(param, "secondary_opts", None)
        if param is not None and on_off:
            param.metavar = ""


def tidy_help(command: Any) -> None:
    """``--help`` of the app and every subcommand: flags show no ``<bool>``, and an option whose default is
    None shows the default of its config field (:data:`COMMAND_CONFIGS`)."""
    _no_value_type(command)
    for name, sub in getattr(command, "commands", {}).items():
        _no_value_type(sub)
        cls = getattr(config, COMMAND_CONFIGS[name]) if name in COMMAND_CONFIGS else None
        fields = {f.name: f for f in dataclasses.fields(cls)} if cls is not None else {}
        for param in sub.params:
            field = fields.get(param.name or "")
            is_option = getattr(param, "param_type_name", "") == "option"
            if field is None or param.default is not None or not is_option:
                continue
            default = field_default(field)
            text = default_text(default)
            if text and not isinstance(default, bool):
                param.show_default = text


def usage_error_types(command: Any) -> tuple[type[BaseException], ...]:
    """The ClickException classes of the click that ``command`` runs on: typer >= 0.29 bundles its own copy
    (``typer._click``), older typers use the ``click`` package; both are caught when present."""
    found: list[type[BaseException]] = []
    cores = [c.__module__ for c in type(command).__mro__ if c.__module__.endswith(".core")]
    modules = {m.rpartition(".")[0] for m in cores}
    for package in sorted(modules | {"typer._click", "click"}):
        try:
            cls = importlib.import_module(f"{package}.exceptions").ClickException
        except (ImportError, AttributeError):
            continue
        if cls not in found:
            found.append(cls)
    return tuple(found)


def main(argv: list[str] | None = None) -> None:
    """Entry point. A :class:`FacerepError` is printed as one line (no traceback), exit code 2; a usage error
    (unknown option or command, missing argument) prints click's short usage message, exit code 2."""
    command = typer.main.get_command(get_app())
    tidy_help(command)
    try:
        rc = command.main(args=argv, prog_name="facerep", standalone_mode=False)
    except FacerepError as e:
        err_console.print(f"[bold red]error:[/] {escape(str(e))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except usage_error_types(command) as e:  # usage errors: bad option, unknown command, missing argument
        e.show()  # type: ignore[attr-defined]
        sys.exit(e.exit_code)  # type: ignore[attr-defined]
    if isinstance(rc, int) and rc:
        sys.exit(rc)


if __name__ == "__main__":
    main()
