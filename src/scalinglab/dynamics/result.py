"""Loss curves of a training run on a grid, with the common results schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..model import DataModel


def _mean_sem(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over the seed axis and its standard error (NaN for a single seed)."""
    n = values.shape[0]
    spread = values.std(axis=0, ddof=1) if n > 1 else np.full(values.shape[1:], np.nan)
    return values.mean(axis=0), spread / np.sqrt(n)


@dataclass
class DynamicsResult:
    """Per-seed losses of GD or one-pass SGD on an (N, T or batch, step) grid.

    ``loss`` (and ``train_loss`` for GD) have shape ``(seeds, len(N), len(size), len(step))``
    where ``size`` is T for GD and the batch for SGD. For SGD the column ``T`` of a record is
    the number of samples seen, ``step × batch``.
    """

    model: DataModel
    optimizer: str
    N: np.ndarray
    size: np.ndarray
    step: np.ndarray
    lr: float
    loss: np.ndarray
    train_loss: np.ndarray | None = None
    schedule: str = "constant"
    seed: int | str = 0
    method: str = "exact"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def seeds(self) -> int:
        return int(self.loss.shape[0])

    @property
    def loss_mean(self) -> np.ndarray:
        return _mean_sem(self.loss)[0]

    @property
    def loss_sem(self) -> np.ndarray:
        return _mean_sem(self.loss)[1]

    def records(self) -> list[dict[str, Any]]:
        """One record per (N, T or batch, step): inputs under the CLI's flag names and losses."""
        base = {**self.model.describe(), "optimizer": self.optimizer, "lr": self.lr}
        base.update(schedule=self.schedule, method=self.method, **self.extra)
        mean, sem = _mean_sem(self.loss)
        train = None if self.train_loss is None else _mean_sem(self.train_loss)
        out = []
        for i, n in enumerate(self.N):
            for j, size in enumerate(self.size):
                for k, step in enumerate(self.step):
                    rec = dict(base, N=int(n), step=int(step))
                    if self.optimizer == "gd":
                        rec.update(T=int(size), batch=int(size))
                    else:
                        rec.update(batch=int(size), T=int(size) * int(step))
                    rec["loss"] = float(mean[i, j, k])
                    if self.method != "theory":
                        rec["loss_sem"] = float(sem[i, j, k])
                    if train is not None:
                        rec["train_loss"] = float(train[0][i, j, k])
                        rec["train_loss_sem"] = float(train[1][i, j, k])
                    if self.method != "theory":
                        rec.update(seeds=self.seeds, seed=self.seed)
                    out.append(rec)
        return out

    def to_frame(self):
        """The records as a :class:`pandas.DataFrame`."""
        import pandas as pd

        return pd.DataFrame(self.records())
