"""What a figure function gets besides its config: where to write, and how to simulate.

Every simulation of a figure goes through the sweep machinery
(:func:`scalinglab.sweeps.run_sweep` into ``DIR/sweeps/NAME``): one task per seed, all N, T and
ridges of the figure evaluated on that seed's shared draw (docs/theory.md §4). Finished tasks are
stored as Parquet parts, so an interrupted run resumes where it stopped; a changed config starts the
figure's sweep afresh (the old parts are kept in a ``superseded-*`` folder).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import ConfigError
from ..model import DataModel

__all__ = ["MODEL_KEYS", "RunContext", "build_model", "model_text"]

MODEL_KEYS = ("M", "alpha", "lambda_plus", "sigma_w", "sigma_u", "noise")


def build_model(spec: Mapping[str, Any]) -> DataModel:
    """A :class:`DataModel` from a config's ``[model]`` table (paper names, docs/theory.md §1)."""
    unknown = sorted(set(spec) - set(MODEL_KEYS))
    if unknown:
        raise ConfigError(
            f"The 'model' parameter must only set {', '.join(MODEL_KEYS)}. Got {unknown} instead."
        )
    return DataModel(**dict(spec))


def model_text(model: DataModel) -> str:
    """The model's parameters as one short line (for figure footers)."""
    parts = [f"M={model.M}", f"α={model.alpha:g}"]
    if model.lambda_plus != 1.0:
        parts.append(f"λ₊={model.lambda_plus:g}")
    if model.sigma_w != 1.0 or model.sigma_u != 1.0:
        parts.append(f"σ_w={model.sigma_w:g}, σ_u={model.sigma_u:g}")
    parts.append(f"σ_ε={model.noise:g}")
    return ", ".join(parts)


@dataclass
class RunContext:
    """Output folder of a run, its sweep folder, the worker count for simulations, and a
    ``task_progress(figure, done, total)`` callback told after each finished simulation task."""

    out_dir: Path
    workers: int | None = 1
    quiet: bool = True
    task_progress: Callable[[str, int, int], None] | None = None
    _sweeps: tuple[int, int] = (0, 1)  # sweeps of the current figure: (finished, planned)

    def plan_sweeps(self, count: int) -> None:
        """Declare that the figure about to run makes ``count`` :meth:`simulate` calls of as
        many tasks each, so that task progress counts them together (1: the default)."""
        self._sweeps = (0, max(1, int(count)))

    @property
    def sweep_dir(self) -> Path:
        return self.out_dir / "sweeps"

    def simulate(
        self,
        name: str,
        model: DataModel,
        N: Sequence[int],
        T: Sequence[int],
        ridge: Sequence[float],
        seeds: int,
        seed: int,
        activation: str = "linear",
    ):
        """Seed mean and s.e. of the loss on the outer grid N x T x ridge (a DataFrame).

        ``activation`` is the feature map (``linear``, ``relu``, ...; docs/theory.md §11).

        Columns ``N``, ``T``, ``ridge``, ``loss`` (the seed mean), ``loss_sem``, ``seeds``,
        ``warning``.
        Runs (or resumes) the sweep ``DIR/sweeps/name``.
        """
        from ..sweeps import load_results

        ridges = sorted({float(r) for r in ridge})
        grid: dict[str, Any] = {k: [getattr(model, k)] for k in MODEL_KEYS}
        grid.update(N=sorted({int(n) for n in N}), T=sorted({int(t) for t in T}), ridge=ridges)
        if activation != "linear":
            grid["activation"] = [activation]
        table = self._sweep(name, {"seeds": int(seeds), "seed": int(seed), "grid": grid})
        out = self.sweep_dir / name
        rows = load_results(out)
        warn = rows.groupby(["N", "T", "ridge"])["warning"].agg(lambda s: "; ".join(set(s) - {""}))
        table = table.merge(warn.reset_index(), on=["N", "T", "ridge"], how="left")
        table = table[["N", "T", "ridge", "loss", "loss_sem", "seeds", "warning"]]
        return table.astype({"N": np.int64, "T": np.int64}).reset_index(drop=True)

    def train(
        self,
        name: str,
        model: DataModel,
        dynamics: dict[str, Any],
        N: Sequence[int],
        T: Sequence[int] | None = None,
        seeds: int = 1,
        seed: int = 0,
    ):
        """Seed mean and s.e. of GD or one-pass SGD losses (docs/dynamics.md §6c).

        ``dynamics`` is the sweep's ``[dynamics]`` table (``optimizer``, ``lr``, ``steps``,
        ``batch``, ``schedule``); ``T`` the GD sample sizes (None for SGD). Columns of
        :func:`scalinglab.sweeps.collect`: the axes, ``optimizer``, ``lr``, ``schedule``,
        ``batch``, ``step``, ``loss``, ``loss_sem``, ``train_loss``, ``train_loss_sem``,
        ``seeds``. Runs (or resumes) the sweep ``DIR/sweeps/name``.
        """
        grid: dict[str, Any] = {k: [getattr(model, k)] for k in MODEL_KEYS}
        grid["N"] = sorted({int(n) for n in N})
        if T is not None:
            grid["T"] = sorted({int(t) for t in T})
        sweep = {"seeds": int(seeds), "seed": int(seed), "grid": grid, "dynamics": dynamics}
        return self._sweep(name, sweep).reset_index(drop=True)

    def _sweep(self, name: str, sweep: dict[str, Any]):
        """Run (or resume) the sweep ``DIR/sweeps/name``; its collected table."""
        from ..sweeps import collect, run_sweep

        out = self.sweep_dir / name
        tell = None
        if self.task_progress is not None:
            report, (before, parts) = self.task_progress, self._sweeps
            before = min(before, parts - 1)

            def tell(done: int, total: int) -> None:
                if done:  # a sweep's start (done = 0) is no news after an earlier part
                    report(name, before * total + done, parts * total)

        summary = run_sweep(
            sweep, out, workers=self.workers, quiet=self.quiet, force_new=True, progress=tell
        )
        self._sweeps = (self._sweeps[0] + 1, self._sweeps[1])
        if not summary.ok:
            first = next(iter(summary.failures.values()), "unknown error")
            raise RuntimeError(f"The simulation of figure {name!r} failed: {first}")
        return collect(out)

    def simulate_parts(
        self,
        name: str,
        model: DataModel,
        parts: Sequence[tuple[Sequence[int], Sequence[int]]],
        ridge: Sequence[float],
        seeds: int,
        seed: int,
        activation: str = "linear",
    ):
        """:meth:`simulate` on a union of outer grids ``parts = [(N list, T list), ...]``.

        For figures whose points do not fill an outer N x T grid (a curve per N with its own
        T range, points along N·T = C): each part is its own sweep ``DIR/sweeps/name-k``, so
        no point outside the figure is simulated and each sweep draws only up to its own
        largest (N, T). A task's seed depends on the model and the seed index, not on the
        sizes, and a smaller draw is the leading block of a larger one (docs/theory.md §4): every
        point gets exactly the numbers it would get in one sweep over the whole outer grid.
        Progress counts the tasks of all parts together.
        """
        import pandas as pd

        self.plan_sweeps(len(parts))
        tables = []
        for k, (Ns, Ts) in enumerate(parts):
            part = f"{name}-{k + 1}" if len(parts) > 1 else name
            tables.append(self.simulate(part, model, Ns, Ts, ridge, seeds, seed, activation))
        table = pd.concat(tables, ignore_index=True)
        table = table.drop_duplicates(["N", "T", "ridge"]).sort_values(["N", "T", "ridge"])
        return table.reset_index(drop=True)
