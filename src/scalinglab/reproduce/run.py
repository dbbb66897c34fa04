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
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import load_figure_config
from .context import RunContext
from .registry import FIGURES, FigureSpec, figure_names
from .report import write_report
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


def run_figure(name: str, ctx: RunContext, quick: bool, overrides=None) -> dict[str, Any]:
    """Build one figure into ``ctx.out_dir/name``; return its meta record."""
    compute, draw, title = FIGURES[name].functions()
    cfg = load_figure_config(name, quick, overrides)
    folder = ctx.out_dir / name
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
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


def _duration(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"


class _Progress:
    """Lines of text for the ``progress`` callback: one per finished simulation task (with the
    figure's ETA) and one per finished figure (with the run's ETA).

    The run's ETA uses the previous run's time of each remaining figure (same mode) where
    ``run.json`` has one, otherwise the mean time of the figures finished so far.
    """

    def __init__(self, names: list[str], previous: dict[str, float], say: Callable[[str], None]):
        self.names, self.previous, self.say = names, previous, say
        self.index, self.start = 0, time.perf_counter()
        self.finished: list[float] = []

    def _tag(self) -> str:
        return f"[{self.index + 1}/{len(self.names)}] {self.names[self.index]}"

    def begin(self, index: int) -> None:
        self.index, self.start = index, time.perf_counter()
        self.say(f"{self._tag()}: computing ...")

    def task(self, sweep: str, done: int, total: int) -> None:
        if done == 0:
            return
        elapsed = time.perf_counter() - self.start
        eta = f", ETA {_duration(elapsed / done * (total - done))}" if 0 < done < total else ""
        self.say(f"{self._tag()}: simulation task {done}/{total} ({_duration(elapsed)}{eta})")

    def end(self, seconds: float, where: Path) -> None:
        self.finished.append(seconds)
        rest = self.names[self.index + 1 :]
        mean = sum(self.finished) / len(self.finished)
        eta = sum(self.previous.get(n, mean) for n in rest)
        tail = f"; {len(rest)} to go, ETA {_duration(eta)}" if rest else ""
        self.say(f"{self._tag()}: done in {_duration(seconds)} -> {where}{tail}")


@dataclass
class RunSummary:
    """What a :func:`reproduce` call built, where, and how long it took."""

    out_dir: Path
    mode: str
    figures: list[str]
    seconds: float
    figure_seconds: dict[str, float] = field(default_factory=dict)
    report: Path | None = None


def reproduce(
    out_dir: str | Path = "reproduce-out",
    *,
    quick: bool = True,
    only: str | Iterable[str] | None = None,
    workers: int | None = None,
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
        The ``[quick]`` sections of the configs (all figures in a few minutes) or ``[full]``.
    only : str or list of str, optional
        Figure names (comma-separated string or list); default all of :data:`FIGURES`.
    workers : int, optional
        Worker processes per simulation sweep (default: 1 for quick, one per core for full).
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
    if workers is None and quick:
        workers = 1
    record_path = out / "run.json"
    previous = json.loads(record_path.read_text()) if record_path.exists() else {}
    seconds = dict(previous.get("figure_seconds", {})) if previous.get("quick") == quick else {}
    tell = _Progress(names, dict(seconds), progress) if progress is not None else None
    ctx = RunContext(out, workers=workers, task_progress=tell.task if tell else None)
    load_start = os.getloadavg()[0]
    start = time.perf_counter()
    for index, name in enumerate(names):
        if tell is not None:
            tell.begin(index)
        meta = run_figure(name, ctx, quick, (overrides or {}).get(name))
        seconds[name] = meta["seconds"]
        if tell is not None:
            tell.end(meta["seconds"], out / name / f"{name}.png")
    total = time.perf_counter() - start
    from .. import __version__

    record = {
        "mode": "quick" if quick else "full",
        "quick": quick,
        "scalinglab_version": __version__,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "seconds": total,
        "figures": names,
        "figure_seconds": seconds,
        "workers": workers,
        "cpus": os.cpu_count(),
        "load_average": [load_start, os.getloadavg()[0]],
    }
    record_path.write_text(json.dumps(record, indent=2))
    summary = RunSummary(out, record["mode"], names, total, seconds)
    if report:
        summary.report = write_report(out)
    return summary
