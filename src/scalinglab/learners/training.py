"""Measured learning curves: the held-out loss of trained learners vs T (docs/exponents.md §4).

For each seed, the rows of the data set are permuted by that seed's generator: the first
``n_test`` rows are the held-out set, the next ``max(T)`` the training rows, and the curve uses
nested prefixes (the first T training rows) so its points share one draw. The loss is
``½ mean_i |f(x_i) − y_i|²`` over the held-out rows (summed over target columns).

* ``kernel``: kernel ridge ``f = k_xᵀ(K_TT + λI)⁻¹Y`` by a Cholesky solve.
* ``rf``: ridge regression on N random features ``σ(Ux)``, ``U ~ N(0, I/d)``, ``σ`` ReLU
  (arc-cosine kernel) or linear, with ``γ = Nλ`` on ``FᵀF`` (so that it tends to kernel ridge).
* ``mlp``: a fully connected ReLU network trained by :mod:`.mlp`.

Each point of a curve (one seed, one T or width) is one unit of a :mod:`.cache` scope: read
when an earlier run finished it, else computed (on the same shared draws as an uninterrupted
run: the seed's whole kernel matrix or feature bank) and written as it finishes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from .._rng import child, root_sequence
from ..realdata.covariance import feature_map
from .cache import Scope, scope_or_nothing
from .kernels import kernel_matrix

__all__ = ["measure_curve", "measure_width_curve", "split"]

_STREAM_SPLIT, _STREAM_FEATURES, _STREAM_NET, _STREAM_WIDTH_NET = 0, 1, 2, 3


def split(n: int, n_test: int, t_max: int, seq: np.random.SeedSequence) -> tuple[np.ndarray, ...]:
    """Held-out rows and training rows (in order) of one seed (module docstring)."""
    rows = np.random.default_rng(child(seq, _STREAM_SPLIT)).permutation(n)
    return rows[:n_test], rows[n_test : n_test + t_max]


def _loss(pred: np.ndarray, Y: np.ndarray) -> float:
    return 0.5 * float(np.mean(np.sum((pred - Y) ** 2, axis=1)))


def _kernel_fit(X_tr, Y_tr, X_te, Y_te, ridge, kernel, bandwidth, depth) -> Callable:
    """``fit(t)``: the held-out loss of kernel ridge on the first t rows (one Gram per seed)."""
    from scipy.linalg import cho_factor, cho_solve

    K = kernel_matrix(kernel, X_tr, bandwidth=bandwidth, depth=depth)
    K_te = kernel_matrix(kernel, X_te, X_tr, bandwidth=bandwidth, depth=depth)

    def fit(t: int) -> float:
        A = K[:t, :t] + ridge * np.eye(t)
        coef = cho_solve(cho_factor(A, check_finite=False), Y_tr[:t], check_finite=False)
        return _loss(K_te[:, :t] @ coef, Y_te)

    return fit


def _rf_fit(X_tr, Y_tr, X_te, Y_te, n_max, ridge, kernel, seq) -> Callable:
    """``fit((t, n))``: the loss of ridge on the first n features of one bank of ``n_max``
    and the first t rows."""
    activation = "relu" if kernel == "arccos" else "linear"
    F_all = feature_map(X_tr, n_max, activation, 1.0, child(seq, _STREAM_FEATURES))
    F_te_all = feature_map(X_te, n_max, activation, 1.0, child(seq, _STREAM_FEATURES))

    def fit(point: tuple[int, int]) -> float:
        t, n = point
        Ft, gamma = F_all[:t, :n], ridge * n
        if n <= t:
            theta = np.linalg.solve(Ft.T @ Ft + gamma * np.eye(n), Ft.T @ Y_tr[:t])
        else:
            theta = Ft.T @ np.linalg.solve(Ft @ Ft.T + gamma * np.eye(t), Y_tr[:t])
        return _loss(F_te_all[:, :n] @ theta, Y_te)

    return fit


def _run_units(scope: Scope, units: list[dict], points: list, make_fit: Callable[[], Callable],
               tick: Callable[[], None]) -> list[float]:  # fmt: skip
    """The value of each unit: stored, else ``fit(point)`` with ``fit = make_fit()`` built
    once, when the first unit is missing."""
    fit: list[Callable] = []
    out = []
    for unit, point in zip(units, points, strict=True):

        def compute(point=point) -> float:
            if not fit:
                fit.append(make_fit())
            return fit[0](point)

        out.append(scope.fetch(unit, compute))
        tick()
    return out


def _on_data(build: Callable, data: Callable, *args) -> Callable:
    """``build(X_tr, Y_tr, X_te, Y_te, *args)`` on the seed's rows ``data()``."""
    return build(*data(), *args)


def _ticker(progress: Callable[[int], None] | None) -> Callable[[], None]:
    done = [0]

    def tick() -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0])

    return tick


def measure_width_curve(X: np.ndarray, Y: np.ndarray, widths: list[int], T: int, *,
                        learner: str, kernel: str, ridge: float, n_test: int, seeds: int,
                        seed: int, mlp: dict[str, Any] | None = None, cache: Scope | None = None,
                        progress: Callable[[int], None] | None = None) -> np.ndarray:  # fmt: skip
    """Held-out losses at T training rows for each width N, shape ``(seeds, len(widths))``, on
    the same splits as :func:`measure_curve`: ``rf`` ridge on the first N features of one bank
    (the same draws), ``mlp`` a network of N hidden units per width (its own initialisation
    stream). ``progress(k)`` is called after each of the ``seeds x len(widths)`` units."""
    root = root_sequence(seed)
    scope, tick = scope_or_nothing(cache), _ticker(progress)
    out = np.empty((seeds, len(widths)))
    for s in range(seeds):
        seq = child(root, s)

        def data(s=s, seq=seq):
            test, train = split(X.shape[0], n_test, T, seq)
            return X[train], Y[train], X[test], Y[test]

        if learner == "rf":
            bank = max(widths)
            units = [{"curve": "width", "s": s, "T": T, "N": n, "bank": bank} for n in widths]
            points = [(T, n) for n in widths]
            make = partial(_on_data, _rf_fit, data, bank, ridge, kernel, seq)
        else:
            from .mlp import network_seeds, train_mlp

            rule = {**(mlp or {})}
            net = child(seq, _STREAM_WIDTH_NET)
            points = [(n, *network_seeds(net, j)) for j, n in enumerate(widths)]
            units = [{"curve": "width", "s": s, "T": T, "N": n, "init": i, "batches": b}
                     for n, i, b in points]  # fmt: skip

            def make(data=data, rule=rule):
                X_tr, Y_tr, X_te, Y_te = data()
                return lambda p: train_mlp(X_tr, Y_tr, X_te, Y_te, init_seed=p[1],
                                           batch_seed=p[2], **{**rule, "width": p[0]})  # fmt: skip

        out[s] = _run_units(scope, units, points, make, tick)
    return out


def measure_curve(
    X: np.ndarray,
    Y: np.ndarray,
    T: list[int],
    *,
    learner: str,
    kernel: str,
    ridge: float,
    n_test: int,
    seeds: int,
    seed: int,
    bandwidth: float = 1.0,
    depth: int = 2,
    width: int = 1000,
    mlp: dict[str, Any] | None = None,
    cache: Scope | None = None,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Held-out losses, shape ``(seeds, len(T))`` (module docstring); ``progress(k)`` is
    called after each of the ``seeds x len(T)`` units."""
    root = root_sequence(seed)
    scope, tick = scope_or_nothing(cache), _ticker(progress)
    out = np.empty((seeds, len(T)))
    for s in range(seeds):
        seq = child(root, s)

        def data(s=s, seq=seq):
            test, train = split(X.shape[0], n_test, max(T), seq)
            return X[train], Y[train], X[test], Y[test]

        units = [{"curve": "T", "s": s, "T": t, "rows": max(T)} for t in T]
        points: list = list(T)
        if learner == "kernel":
            make = partial(_on_data, _kernel_fit, data, ridge, kernel, bandwidth, depth)
        elif learner == "rf":
            units = [{**u, "N": width, "bank": width} for u in units]
            points = [(t, width) for t in T]
            make = partial(_on_data, _rf_fit, data, width, ridge, kernel, seq)
        else:
            from .mlp import network_seeds, train_mlp

            rule = {**(mlp or {})}
            net = child(seq, _STREAM_NET)
            points = [(t, *network_seeds(net, i)) for i, t in enumerate(T)]
            units = [{**u, "N": rule.get("width"), "init": i, "batches": b}
                     for u, (_, i, b) in zip(units, points, strict=True)]  # fmt: skip

            def make(data=data, rule=rule):
                X_tr, Y_tr, X_te, Y_te = data()
                return lambda p: train_mlp(X_tr[: p[0]], Y_tr[: p[0]], X_te, Y_te,
                                           init_seed=p[1], batch_seed=p[2], **rule)  # fmt: skip

        out[s] = _run_units(scope, units, points, make, tick)
    return out
