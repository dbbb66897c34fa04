"""Run the figures: config → compute → data files → drawing → PNG and SVG, then the report.

Layout of an output folder ``DIR``::

    DIR/index.html                  the report (:mod:`.report`)
    DIR/run.json                    mode, version, figures, run times
    DIR/NAME/NAME.png, NAME.svg     the figure
    DIR/NAME/data/TABLE.csv         everything the drawing uses (restyle without recomputing:
                                    ``scalinglab reproduce --replot``)
    DIR/NAME/meta.json              the merged config, seconds, summary rows
    DIR/sweeps/NAME/                the figure's simulation sweep (resumable)
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import resource
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import load_figure_config
from .context import RunContext
from .registry import FIGURES, FigureSpec, figure_names
from .report import duration, write_report
from .style import house_style, save_figure

__all__ = ["FIGURES", "FigureSpec", "RunSummary", "figure_names", "replot", "reproduce"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):
        return _jsonable(value.item())
    return value


def _draw(name: str, tables: dict, cfg: Mapping[str, Any], folder: Path, draw) -> list[str]:
    with house_style():
        fig = draw(tables, cfg)
        paths = save_figure(fig, folder / name)
    return [p.name for p in paths]


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its finished child processes (sweep workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def run_figure(name: str, ctx: RunContext, quick: bool, overrides=None) -> dict[str, Any]:
    """Build one figure into ``ctx.out_dir/name``; return its meta record."""
    compute, draw, title = FIGURES[name].functions()
    cfg = load_figure_config(name, quick, overrides)
    folder = ctx.out_dir / name
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    ctx.plan_sweeps(1)
    tables = compute(cfg, ctx)
    compute_seconds = time.perf_counter() - start
    for key, frame in tables.items():
        frame.to_csv(data / f"{key}.csv", index=False)
    files = _draw(name, tables, cfg, folder, draw)
    meta = {
        "name": name,
        "title": cfg.get("title", title),
        "description": cfg.get("description", ""),
        "mode": cfg["mode"],
        "config": dict(cfg),
        "seconds": time.perf_counter() - start,
        "compute_seconds": compute_seconds,
        "cpu_seconds": _cpu_seconds() - cpu_start,
        "files": files,
        "tables": sorted(tables),
        "summary": tables["summary"].to_dict(orient="records"),
    }
    (folder / "meta.json").write_text(json.dumps(_jsonable(meta), indent=2, ensure_ascii=False))
    return meta


def replot(out_dir: str | Path, only: str | Iterable[str] | None = None) -> list[str]:
    """Redraw figures from their stored data (``DIR/NAME/data/*.csv``) without recomputing."""
    import pandas as pd

    from .config import Config

    out = Path(out_dir)
    done = []
    for name in figure_names(only):
        folder = out / name
        if not (folder / "meta.json").exists():
            continue
        meta = json.loads((folder / "meta.json").read_text())
        tables = {k: pd.read_csv(folder / "data" / f"{k}.csv") for k in meta["tables"]}
        _draw(name, tables, Config(meta["config"]), folder, FIGURES[name].functions()[1])
        done.append(name)
    return done


class _Progress:
    """Lines of text for the ``progress`` callback: one per started figure, one per finished
    simulation task (with the figure's ETA) and one per finished figure (with the run's ETA).

    Figures may run side by side (``jobs`` > 1), so every line names its figure. The run's ETA
    uses the expected time of each unfinished figure (:func:`_expected_seconds`, scaled by the
    finished figures' times over their expected ones), otherwise the mean time of the figures
    finished so far, less the time the running ones have already had,
    shared among the ``jobs`` processes.
    """

    def __init__(
        self, names: list[str], previous: dict[str, float], say: Callable[[str], None], jobs: int
    ):
        self.names, self.previous, self.say, self.jobs = names, previous, say, max(1, jobs)
        self.starts: dict[str, float] = {}
        self.finished: dict[str, float] = {}

    def _tag(self, name: str) -> str:
        return f"[{self.names.index(name) + 1}/{len(self.names)}] {name}"

    def begin(self, name: str) -> None:
        self.starts[name] = time.perf_counter()
        self.say(f"{self._tag(name)}: computing ...")

    def task(self, name: str, done: int, total: int) -> None:
        if done == 0:
            return
        elapsed = time.perf_counter() - self.starts.get(name, time.perf_counter())
        eta = f", ETA {duration(elapsed / done * (total - done))}" if 0 < done < total else ""
        self.say(f"{self._tag(name)}: simulation task {done}/{total} ({duration(elapsed)}{eta})")

    def end(self, name: str, seconds: float, where: Path) -> None:
        self.finished[name] = seconds
        rest = [n for n in self.names if n not in self.finished]
        mean = sum(self.finished.values()) / len(self.finished)
        # expected times scaled by how the finished figures compared with theirs (a loaded
        # machine runs slower than the one they were measured on)
        known = [n for n in self.finished if n in self.previous]
        pace = (
            sum(self.finished[n] for n in known) / sum(self.previous[n] for n in known)
            if known
            else 1.0
        )
        now = time.perf_counter()
        left = sum(
            max(
                0.0,
                (self.previous[n] * pace if n in self.previous else mean)
                - (now - self.starts.get(n, now)),
            )
            for n in rest
        )
        tail = f"; {len(rest)} to go, ETA {duration(left / self.jobs)}" if rest else ""
        self.say(f"{self._tag(name)}: done in {duration(seconds)} -> {where}{tail}")


@dataclass
class RunSummary:
    """What a :func:`reproduce` call built, where, and how long it took."""

    out_dir: Path
    mode: str
    figures: list[str]
    seconds: float
    figure_seconds: dict[str, float] = field(default_factory=dict)
    jobs: int = 1
    report: Path | None = None

    def line(self) -> str:
        """One line for the terminal: how many figures, the mode and the total wall time."""
        return (
            f"Built {len(self.figures)} figure(s) ({self.mode}, {self.jobs} at a time): "
            f"total wall time {duration(self.seconds)} ({self.seconds:.1f} s)."
        )


def _default_jobs(count: int) -> int:
    """Figures built at once: one per core (at most one per figure)."""
    return max(1, min(os.cpu_count() or 1, count))


_queue = None  # in a figure-building process: where its progress messages go


def _start_job_process(queue, threads: int) -> None:
    """Initialise a figure-building process: its progress queue and BLAS thread count."""
    global _queue
    from threadpoolctl import threadpool_limits

    _queue = queue
    threadpool_limits(threads)
    import matplotlib

    matplotlib.use("Agg")


def _job(name: str, out: Path, quick: bool, overrides, workers: int | None) -> dict[str, Any]:
    """Build one figure in a figure-building process; progress goes to the parent's queue."""

    def task(sweep: str, done: int, total: int) -> None:
        _queue.put(("task", name, done, total))

    _queue.put(("begin", name))
    ctx = RunContext(out, workers=workers, task_progress=task)
    return run_figure(name, ctx, quick, overrides)


def _expected_seconds(names: list[str], quick: bool, record: dict[str, Any]) -> dict[str, float]:
    """Each figure's expected time: from the previous run in this folder (same mode), else the
    ``expected_cpu_seconds`` of its config (measured on one idle core), where either has one."""
    previous = record.get("figure_seconds", {}) if record.get("quick") == quick else {}
    expected = {}
    for name in names:
        value = previous.get(name, load_figure_config(name, quick).get("expected_cpu_seconds"))
        if isinstance(value, int | float):
            expected[name] = float(value)
    return expected


def _run_side_by_side(
    names, out, quick, overrides, workers, jobs, tell, expected
) -> dict[str, dict]:
    """Build ``names`` in ``jobs`` processes, longest expected first (so that the long figures
    do not end the run alone); return their metas.

    The processes are started fresh (``spawn``: no threads inherited from this process) and
    each runs its sweeps in-process with ``cores // jobs`` BLAS threads. Progress messages come
    back through a pipe that is written before a figure's result, so they arrive in order.
    """
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.SimpleQueue()
    threads = max(1, (os.cpu_count() or 1) // jobs)
    order = sorted(names, key=lambda n: -expected.get(n, math.inf))
    metas: dict[str, dict] = {}

    def drain() -> None:
        while not queue.empty():
            kind, name, *counts = queue.get()
            if tell is None:
                continue
            if kind == "begin":
                tell.begin(name)
            else:
                tell.task(name, *counts)

    with ProcessPoolExecutor(
        jobs, ctx, initializer=_start_job_process, initargs=(queue, threads)
    ) as pool:
        pending = {
            pool.submit(_job, n, out, quick, (overrides or {}).get(n), workers): n for n in order
        }
        try:
            while pending:
                done, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                drain()
                for future in done:
                    name = pending.pop(future)
                    metas[name] = meta = future.result()
                    if tell is not None:
                        tell.end(name, meta["seconds"], out / name / f"{name}.png")
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return metas


def reproduce(
    out_dir: str | Path = "reproduce-out",
    *,
    quick: bool = True,
    only: str | Iterable[str] | None = None,
    workers: int | None = None,
    jobs: int | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    report: bool = True,
    progress: Callable[[str], None] | None = None,
) -> RunSummary:
    """Build the paper's figures (all, or ``only``) into ``out_dir`` and write the report.

    Parameters
    ----------
    out_dir : path
        Output folder (created); an interrupted run resumes its simulations from
        ``out_dir/sweeps``.
    quick : bool
        The ``[quick]`` sections of the configs (all figures in about a minute on 2 cores) or
        ``[full]`` (about 7 minutes on 2 idle cores).
    only : str or list of str, optional
        Figure names (comma-separated string or list); default all of :data:`FIGURES`.
    workers : int, optional
        Worker processes per simulation sweep (default: 1 when figures are built side by side
        or in the quick run, otherwise one per core).
    jobs : int, optional
        Figures built at once, each in its own process (default: one per core, at most one
        per figure). The figures are independent and every simulation draws from its own seed,
        so the numbers do not depend on ``jobs``.
    overrides : mapping, optional
        ``{name: {key: value}}`` merged into a figure's config last (e.g. tiny test configs).
    report : bool
        Write ``out_dir/index.html`` afterwards.
    progress : callable, optional
        Called with lines of text: each figure's start, each finished simulation task (with
        the figure's ETA) and each finished figure (with the run's ETA).
    """
    names = figure_names(only)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = _default_jobs(len(names)) if jobs is None else max(1, min(int(jobs), len(names)))
    if workers is None and (quick or jobs > 1):
        workers = 1
    record_path = out / "run.json"
    previous = json.loads(record_path.read_text()) if record_path.exists() else {}
    seconds = dict(previous.get("figure_seconds", {})) if previous.get("quick") == quick else {}
    expected = _expected_seconds(names, quick, previous)
    tell = _Progress(names, expected, progress, jobs) if progress is not None else None
    load_start = os.getloadavg()[0]
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    if jobs > 1:
        metas = _run_side_by_side(names, out, quick, overrides, workers, jobs, tell, expected)
    else:
        metas = {}
        current = [""]

        def task(sweep: str, done: int, total: int) -> None:
            tell.task(current[0], done, total)

        ctx = RunContext(out, workers=workers, task_progress=task if tell else None)
        for name in names:
            current[0] = name
            if tell is not None:
                tell.begin(name)
            metas[name] = meta = run_figure(name, ctx, quick, (overrides or {}).get(name))
            if tell is not None:
                tell.end(name, meta["seconds"], out / name / f"{name}.png")
    total = time.perf_counter() - start
    seconds.update({n: metas[n]["seconds"] for n in names})
    cpu = {n: metas[n]["cpu_seconds"] for n in names}
    from .. import __version__

    record = {
        "mode": "quick" if quick else "full",
        "quick": quick,
        "scalinglab_version": __version__,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "seconds": total,
        "cpu_seconds": _cpu_seconds() - cpu_start if jobs == 1 else sum(cpu.values()),
        "figures": names,
        "figure_seconds": seconds,
        "figure_cpu_seconds": cpu,
        "workers": workers,
        "jobs": jobs,
        "cpus": os.cpu_count(),
        "load_average": [load_start, os.getloadavg()[0]],
    }
    record_path.write_text(json.dumps(record, indent=2))
    summary = RunSummary(out, record["mode"], names, total, seconds, jobs=jobs)
    if report:
        summary.report = write_report(out)
    return summary
