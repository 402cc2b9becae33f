"""Progress bars (rich) for anything longer than a few seconds; ``facerep --quiet`` turns them off."""
from __future__ import annotations

from typing import Iterable, Iterator, TypeVar

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

T = TypeVar("T")
QUIET = False


def make_progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), disable=QUIET, transient=False)


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a progress bar (none under ``--quiet``)."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with make_progress() as progress:
        task = progress.add_task(description, total=total)
        for item in items:
            yield item
            progress.advance(task)


def announce(message: str) -> None:
    """One status line on the console (none under ``--quiet``); printed verbatim, no rich markup."""
    if not QUIET:
        from rich import get_console

        get_console().print(message, markup=False, highlight=False)
