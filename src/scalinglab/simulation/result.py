"""The result of a simulation: per-seed losses on an (N, T, ridge) grid, with seed statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..model import DataModel


def seed_mean_sem(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error over the first (seed) axis; the s.e. is NaN for one seed."""
    mean = values.mean(axis=0)
    if values.shape[0] < 2:
        return mean, np.full_like(mean, np.nan)
    return mean, values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])


@dataclass
class SimulationResult:
    """Exact population losses of random-feature ridge regression, per seed and grid point.

    Arrays ``loss``, ``train_loss``, ``resolution`` (and ``instance_loss``) have shape
    ``(seeds, len(N), len(T), len(ridge))``. ``loss`` is averaged analytically over the
    teacher and the label noise (docs/theory.md §3); ``instance_loss`` is the loss of one fixed
    teacher and noise draw per seed; ``resolution`` is the float rounding floor of each loss.
    """

    model: DataModel
    N: np.ndarray
    T: np.ndarray
    ridge: np.ndarray
    seed: int | str  # the base seed, or the entropy record of a SeedSequence root
    loss: np.ndarray
    train_loss: np.ndarray
    resolution: np.ndarray
    instance_loss: np.ndarray | None = None
    activation: str = "linear"
    shared_draws: bool = True
    estimator: str = "full"  # "conditional" or "full" (docs/estimators.md)
    backend: str = "numpy"
    dtype: str = "float64"
    seed_entropy: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def seeds(self) -> int:
        return int(self.loss.shape[0])

    @property
    def loss_mean(self) -> np.ndarray:
        return seed_mean_sem(self.loss)[0]

    @property
    def loss_sem(self) -> np.ndarray:
        return seed_mean_sem(self.loss)[1]

    @property
    def train_loss_mean(self) -> np.ndarray:
        return seed_mean_sem(self.train_loss)[0]

    @property
    def train_loss_sem(self) -> np.ndarray:
        return seed_mean_sem(self.train_loss)[1]

    def _inputs(self) -> dict[str, Any]:
        return {**self.model.describe(), "activation": self.activation, "estimator": self.estimator}

    def records(self) -> list[dict[str, Any]]:
        """One record per (N, T, ridge) in the results schema (README, "Results tables").

        The inputs under their CLI flag names, the seed means ``loss``, ``train_loss`` (and
        ``instance_loss``) with standard errors ``loss_sem``, ``train_loss_sem``, and ``seeds``.
        """
        base = self._inputs()
        loss_mean, loss_sem = seed_mean_sem(self.loss)
        train_mean, train_sem = seed_mean_sem(self.train_loss)
        inst = None if self.instance_loss is None else seed_mean_sem(self.instance_loss)
        out = []
        for i, n in enumerate(self.N):
            for j, t in enumerate(self.T):
                for k, g in enumerate(self.ridge):
                    rec = {
                        **base,
                        "N": int(n),
                        "T": int(t),
                        "ridge": float(g),
                        "seeds": self.seeds,
                        "seed": self.seed,
                        "loss": float(loss_mean[i, j, k]),
                        "loss_sem": float(loss_sem[i, j, k]),
                        "train_loss": float(train_mean[i, j, k]),
                        "train_loss_sem": float(train_sem[i, j, k]),
                    }
                    if inst is not None:
                        rec["instance_loss"] = float(inst[0][i, j, k])
                        rec["instance_loss_sem"] = float(inst[1][i, j, k])
                    out.append(rec)
        return out

    def seed_records(self) -> list[dict[str, Any]]:
        """One record per (seed, N, T, ridge) with the per-seed losses (for tables and sweeps)."""
        base = self._inputs()
        out = []
        for s in range(self.seeds):
            for i, n in enumerate(self.N):
                for j, t in enumerate(self.T):
                    for k, g in enumerate(self.ridge):
                        out.append(
                            {
                                **base,
                                "N": int(n),
                                "T": int(t),
                                "ridge": float(g),
                                "seed_index": s,
                                "seed_entropy": self.seed_entropy[s] if self.seed_entropy else "",
                                "loss": float(self.loss[s, i, j, k]),
                                "train_loss": float(self.train_loss[s, i, j, k]),
                            }
                        )
        return out

    def to_frame(self, per_seed: bool = False):
        """The records as a :class:`pandas.DataFrame`."""
        import pandas as pd

        return pd.DataFrame(self.seed_records() if per_seed else self.records())
