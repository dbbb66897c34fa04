"""A live progress bar for sweeps on stderr: tasks done, rate and ETA (rich)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def task_bar(description: str, enabled: bool = True) -> Iterator[Callable[[int, int], None] | None]:
    """Yield a ``progress(done, total)`` callback driving a rich bar, or None if disabled."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        """Tasks per second (or seconds per task when slower than one per second)."""

        def render(self, task) -> Text:
            speed = task.finished_speed or task.speed
            if not speed:
                return Text("-- tasks/s")
            if speed >= 1:
                return Text(f"{speed:.2f} tasks/s")
            return Text(f"{1 / speed:.1f} s/task")

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=None)
        first: list[int] = []

        def update(done: int, total: int) -> None:
            if not first:  # tasks finished before this run do not count towards the rate
                first.append(done)
                bar.update(task, total=total, completed=done)
                bar.reset(task, total=total, completed=done)
                return
            bar.update(task, completed=done, total=total)

        yield update
