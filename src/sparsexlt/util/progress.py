"""Progress output for long work: a rich bar for people, silence for scripts.

Set SPARSEXLT_QUIET=1 (the CLI's --quiet does) to turn every bar off; bars are also off when
stderr is not a terminal unless SPARSEXLT_PROGRESS=1 forces them on.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console(stderr=True)


def progress_enabled() -> bool:
    if os.environ.get("SPARSEXLT_QUIET") == "1":
        return False
    if os.environ.get("SPARSEXLT_PROGRESS") == "1":
        return True
    return sys.stderr.isatty()


@contextmanager
def progress_bar(
    description: str, total: int | None, extra: str = "", **fields: object
) -> Iterator[Progress]:
    """A bar with count, elapsed time and ETA; `extra` is a format string over task fields
    (for example "loss {task.fields[loss]:.3f}") updated with `progress.update(task_id, loss=…)`.

    `fields` give the initial values of those task fields, so the first draw has them.
    Yields the Progress object; the task id of the bar is `progress.task_ids[0]`.
    """
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    ]
    if extra:
        columns.append(TextColumn(extra))
    progress = Progress(*columns, console=console, disable=not progress_enabled(), transient=False)
    with progress:
        progress.add_task(description, total=total, **fields)
        yield progress


def log(message: str) -> None:
    """One line for people on stderr, unless quiet."""
    if os.environ.get("SPARSEXLT_QUIET") != "1":
        console.print(message)
