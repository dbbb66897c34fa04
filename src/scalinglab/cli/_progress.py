"""A rich progress bar on stderr, exposed as a ``progress(done, total)`` callback."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_bar(
    description: str, enabled: bool | None = None, total: int | None = None
) -> Iterator[Callable[[int, int], None]]:
    """Yield a callback that advances a live bar (tasks done, rate, ETA); silent if disabled.

    ``enabled`` defaults to whether stderr is a terminal (no bar in pipes, logs and tests).
    ``total``, when known before the first step, is shown from the start (never ``0/?``).
    """
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda done, total: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
