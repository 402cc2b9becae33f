"""Progress displays (rich) for anything longer than a few seconds; ``facerep --quiet`` turns them off.

A long run shows one live display per stage of work (:func:`stage`: pre-training, the bench cells, …) with
its counter (done / total, rate, ETA) that never restarts. Bars started inside a stage (:func:`bar`,
:func:`track`) join that display as extra lines and go away when they finish; outside a stage each bar is a
display of its own. Descriptions are cut to the terminal width (with an ellipsis), so counters always show.
Third-party banners, tips and warnings are silenced (:func:`quiet_libraries`) unless ``facerep --verbose``.
:data:`console` (stdout) and :data:`err_console` (stderr) are the consoles every command prints its results
and errors on.
"""
from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from rich import get_console
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TimeRemainingColumn,
)
from rich.table import Column
from rich.text import Text

T = TypeVar("T")
QUIET = False
VERBOSE = False
LIBRARY_LOGGERS = ("lightning", "lightning.pytorch", "lightning.fabric", "pytorch_lightning",
                   "lightning_utilities")
_STAGES: list[tuple[Progress, TaskID]] = []  # the live display of the running stage and its main bar
console = Console()  # the commands' results
err_console = Console(stderr=True)  # the commands' errors


# widths of the columns after the description: bar, done/total, rate, ETA (elapsed once done), and the 4
# spaces between the 5 columns; the description gets the rest of the terminal's width
BAR, DONE, RATE, TIME = 12, 9, 12, 8
RESERVED = BAR + DONE + RATE + TIME + 4


class DescriptionColumn(ProgressColumn):
    """The bar's description and its ``info`` field (e.g. the loss), cut with an ellipsis to the width the
    other columns leave on the terminal (measured at every refresh)."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console

    def get_table_column(self) -> Column:
        return Column(width=max(10, self.console.width - RESERVED), no_wrap=True, overflow="ellipsis")

    def render(self, task: Task) -> Text:
        info = str(task.fields.get("info", ""))
        return Text(task.description + (f"  {info}" if info else ""), no_wrap=True, overflow="ellipsis")


class RateColumn(ProgressColumn):
    """Speed in the bar's unit: ``scale`` units per step (e.g. images per optimizer step), per second; a slow
    bar shows seconds per unit instead."""

    def __init__(self) -> None:
        super().__init__(table_column=Column(width=RATE, no_wrap=True, justify="right"))

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if not speed and task.finished and task.elapsed:
            speed = task.completed / task.elapsed  # too few updates for rich's estimate (e.g. one slow step)
        unit = str(task.fields.get("unit", "it"))
        if not speed:
            return Text(f"– {unit}/s", style="progress.data.speed")
        value = speed * float(task.fields.get("scale", 1.0))
        text = f"{_number(value)} {unit}/s" if value >= 0.5 else f"{_number(1.0 / value)} s/{unit}"
        return Text(text, style="progress.data.speed")


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def make_progress() -> Progress:
    """A display with the description (and info), bar, done/total, rate and ETA (elapsed once finished)
    columns, fitted to the terminal's width."""
    console = get_console()
    done = Column(width=DONE, no_wrap=True, justify="right")
    time = Column(width=TIME, no_wrap=True, justify="right")
    return Progress(DescriptionColumn(console), BarColumn(bar_width=BAR, table_column=Column(width=BAR)),
                    MofNCompleteColumn(table_column=done), RateColumn(),
                    TimeRemainingColumn(elapsed_when_finished=True, table_column=time),
                    console=console, disable=QUIET, transient=False)


Update = Callable[..., None]


@contextmanager
def stage(description: str, total: float | None = None, *, unit: str = "it", scale: float = 1.0,
          completed: float = 0) -> Iterator[Update]:
    """One live display for a stage of work, with a main bar (starting at ``completed``, e.g. a resumed run's
    step). Yields ``update(advance=1, **fields)`` (fields: ``description``, ``completed``, ``info`` …). A
    stage of one item shows its main bar only once done (the item's own bars say more meanwhile). Inside
    another stage this is a bar of that stage."""
    if _STAGES:
        with bar(description, total, unit=unit, scale=scale, completed=completed) as update:
            yield update
        return
    progress = make_progress()
    with progress:
        # rich types completed as int; it keeps a float (a fractional resumed position)
        task = progress.add_task(description, total=total, completed=completed,  # type: ignore[arg-type]
                                 unit=unit, scale=scale,
                                 info="", visible=total != 1)
        _STAGES.append((progress, task))
        try:
            yield _updater(progress, task)
        finally:
            _STAGES.pop()
            progress.update(task, visible=True)


@contextmanager
def bar(description: str, total: float | None = None, *, unit: str = "it", scale: float = 1.0,
        completed: float = 0) -> Iterator[Update]:
    """A bar: a line of the running stage's display (removed when done), else a display of its own."""
    if not _STAGES:
        with stage(description, total, unit=unit, scale=scale, completed=completed) as update:
            yield update
        return
    progress = _STAGES[-1][0]
    task = progress.add_task(description, total=total, completed=completed,  # type: ignore[arg-type]  # as above
                             unit=unit, scale=scale, info="")
    try:
        yield _updater(progress, task)
    finally:
        progress.remove_task(task)


def _updater(progress: Progress, task: TaskID) -> Update:
    def update(advance: float = 1, **fields: Any) -> None:
        progress.update(task, advance=advance, **fields)

    return update


def update_stage(advance: float = 0, **fields: Any) -> None:
    """Advance (or relabel: ``description=…``) the main bar of the running stage; nothing outside a stage."""
    if _STAGES:
        progress, task = _STAGES[-1]
        progress.update(task, advance=advance, **fields)


def track(items: Iterable[T], description: str, total: int | None = None, unit: str = "it") -> Iterator[T]:
    """Iterate with a bar (none under ``--quiet``)."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with bar(description, total, unit=unit) as update:
        for item in items:
            yield item
            update()


def announce(message: str) -> None:
    """One status line on the console (none under ``--quiet``); printed verbatim, no rich markup."""
    if not QUIET:
        get_console().print(message, markup=False, highlight=False)


@contextmanager
def quiet_libraries() -> Iterator[None]:
    """Unless ``--verbose``: third-party libraries' banners and tips (INFO logs) and warnings are silenced in
    this block; facerep's own warnings and errors still show."""
    if VERBOSE:
        yield
        return
    loggers = [logging.getLogger(name) for name in LIBRARY_LOGGERS]
    levels = [lg.level for lg in loggers]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore")
        warnings.filterwarnings("default", module=r"facerep(\.|$)")
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels):
                lg.setLevel(level)
