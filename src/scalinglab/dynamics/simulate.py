"""Exact simulation of GD and one-pass SGD on the MRS model (docs/dynamics.md §1–§2).

* :func:`simulate_gd`: full-batch GD on T samples; per draw of (U, X) one eigendecomposition
  gives the loss at every requested step (:mod:`.gd_exact`), averaged analytically over the
  teacher and the label noise.
* :func:`simulate_sgd`: one-pass SGD; per draw of U the expected loss over the teacher, the label
  noise and the fresh samples is exact (:mod:`.recursion`, Isserlis closure on the eigenbasis of
  ``C = UΛUᵀ``).
* :func:`sample_sgd`: explicit sampled SGD runs (seeded) on one draw of U, to check the above.
* :func:`stable_lr`: the largest stable learning rate of a draw.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np

from .._arrays import as_numpy
from .._rng import child, entropy_string, spawn_seeds
from .._validation import check_choice, check_float, check_int, parse_list
from ..exceptions import ConfigError, NumericalWarning
from ..features import feature_covariance
from ..model import DataModel
from ..simulation.accumulate import accumulate, draw_latent
from ..simulation.backend import Backend
from ._checks import check_model, parse_steps
from .gd_exact import filter_losses
from .recursion import sgd_mode_losses, sgd_stable_lr
from .result import DynamicsResult
from .schedules import Schedule, learning_rates

OPTIMIZERS = ("gd", "sgd")
STREAM_SGD = 5  # teacher, noise and fresh samples of explicit SGD runs

ProgressCallback = Callable[[int, int], None]


def _sizes(name: str, values) -> np.ndarray:
    return np.asarray([check_int(name, v, low=1) for v in parse_list(name, values, int)])


def _seed(seed):
    return seed if isinstance(seed, np.random.SeedSequence) else check_int("seed", seed, low=0)


def _seed_label(seed) -> int | str:
    return seed if isinstance(seed, int) else entropy_string(seed)


def simulate_gd(
    model: DataModel,
    N: int | Sequence[int] | str,
    T: int | Sequence[int] | str,
    steps: int | Sequence[int] | str,
    lr: float,
    *,
    seeds: int = 1,
    seed: int | np.random.SeedSequence = 0,
    backend: str | Backend = "numpy",
    chunk: int | None = None,
    progress: ProgressCallback | None = None,
) -> DynamicsResult:
    """Exact test and training loss of full-batch GD at every requested step (docs §1).

    ``θ ← θ − (lr/T) Fᵀ(Fθ − y)`` from ``θ_0 = 0``. The draws of (U, X) are those of
    :func:`scalinglab.simulation.simulate` with the same seed (one draw per seed at the largest
    (N, T), leading sub-blocks for the grid), so ``steps → ∞`` reproduces its ridge-0 loss.
    A :class:`NumericalWarning` names the points where ``lr ≥ 2T/s_max`` (GD diverges).
    """
    model = check_model(model)
    Ns, Ts, step = _sizes("N", N), _sizes("T", T), parse_steps(steps)
    lr = check_float("lr", lr, 0.0, low_open=True)
    seeds = check_int("seeds", seeds, low=1)
    seed = _seed(seed)
    be = backend if isinstance(backend, Backend) else Backend(backend)
    shape = (seeds, Ns.size, Ts.size, step.size)
    loss, train = np.empty(shape), np.empty(shape)
    lr_max = np.full(shape[:3], np.inf)
    for s, seq in enumerate(spawn_seeds(seed, seeds)):
        stats = accumulate(model, seq, int(Ns.max()), int(Ts.max()), backend=be, chunk=chunk)
        for i, n in enumerate(Ns):
            for j, t in enumerate(Ts):
                sub = stats.sub(int(n), int(t))
                F, C, B, K = (as_numpy(a) for a in (sub.F, sub.C, sub.B, sub.K))
                out = filter_losses(F, C, B, K, sub.signal, model.noise, lr, step)
                loss[s, i, j], train[s, i, j] = out.loss, out.train_loss
                lr_max[s, i, j] = 2.0 * int(t) / out.top_eigenvalue
        if progress:
            progress(s + 1, seeds)
    bad = lr >= lr_max.min(axis=0)
    if np.any(bad):
        i, j = np.argwhere(bad)[0]
        warnings.warn(
            f"lr = {lr:g} is at or above the GD stability limit 2T/s_max = "
            f"{lr_max.min(axis=0)[i, j]:.4g} at N = {Ns[i]}, T = {Ts[j]}: the loss diverges "
            "(lower --lr; see stable_lr).",
            NumericalWarning,
            stacklevel=2,
        )
    return DynamicsResult(model=model, optimizer="gd", N=Ns, size=Ts, step=step, lr=lr, loss=loss,
                          train_loss=train, seed=_seed_label(seed))  # fmt: skip


def _feature_modes(model: DataModel, C: np.ndarray, G: np.ndarray, signal: float):
    """Eigenvalues c_k of C, initial per-mode losses u_k(0) = q_kᵀGq_k / c_k and L0."""
    c, Q = np.linalg.eigh(C)
    g = np.sum(Q * (G @ Q), axis=0)
    keep = c > C.shape[0] * np.finfo(np.float64).eps * max(float(c[-1]), 0.0)
    u0 = np.where(keep, g / np.where(keep, c, 1.0), 0.0)
    floor = max(signal - float(u0.sum()), 0.0)
    return np.where(keep, c, 0.0), u0, floor


def simulate_sgd(
    model: DataModel,
    N: int | Sequence[int] | str,
    steps: int | Sequence[int] | str,
    lr: float,
    *,
    batch: int | Sequence[int] | str = 1,
    schedule: Schedule = "constant",
    seeds: int = 1,
    seed: int | np.random.SeedSequence = 0,
    progress: ProgressCallback | None = None,
) -> DynamicsResult:
    """Exact expected loss of one-pass SGD given each draw of U (docs §2).

    For each seed, U is the draw :func:`scalinglab.simulation.simulate` uses with that seed;
    the expectation over the teacher, the label noise and the fresh Gaussian samples is exact
    (:func:`.recursion.sgd_mode_losses`). The schedule's horizon is ``max(steps)``.
    """
    model = check_model(model)
    Ns, batches, step = _sizes("N", N), _sizes("batch", batch), parse_steps(steps)
    lr = check_float("lr", lr, 0.0, low_open=True)
    seeds = check_int("seeds", seeds, low=1)
    seed = _seed(seed)
    lrs = learning_rates(schedule, lr, int(step.max()))
    signal = model.signal_variance()
    loss = np.empty((seeds, Ns.size, batches.size, step.size))
    for s, seq in enumerate(spawn_seeds(seed, seeds)):
        C_all, G_all = feature_covariance(model, seq, int(Ns.max()), teacher=True)
        for i, n in enumerate(Ns):
            c, u0, floor = _feature_modes(model, C_all[:n, :n], G_all[:n, :n], signal)
            for j, b in enumerate(batches):
                residual = floor + model.noise**2
                ones = np.ones_like(c)
                loss[s, i, j] = sgd_mode_losses(c, ones, u0, floor, residual, lrs, int(b), step)
        if progress:
            progress(s + 1, seeds)
    _warn_diverged(loss, lr)
    name = schedule if isinstance(schedule, str) else "custom"
    return DynamicsResult(model=model, optimizer="sgd", N=Ns, size=batches, step=step, lr=lr,
                          loss=loss, schedule=name, seed=_seed_label(seed))  # fmt: skip


def _warn_diverged(loss: np.ndarray, lr: float) -> None:
    if not np.all(np.isfinite(loss)):
        warnings.warn(
            f"SGD diverged at lr = {lr:g} on some points (loss inf): lower --lr (see stable_lr).",
            NumericalWarning,
            stacklevel=3,
        )


def sample_sgd(
    model: DataModel,
    N: int,
    steps: int | Sequence[int] | str,
    lr: float,
    *,
    batch: int = 1,
    schedule: Schedule = "constant",
    runs: int = 32,
    seed: int | np.random.SeedSequence = 0,
    draw: int = 0,
    backend: str = "numpy",
    device: str = "cpu",
) -> DynamicsResult:
    """Explicit one-pass SGD runs on one draw of U (seed child ``draw``), for checking.

    Each run draws its own teacher ``w ~ N(0, Ω)`` and fresh samples ``x ~ N(0, Λ)`` with labels
    ``wᵀx + ε``; the population loss of the iterate is exact given (U, w):
    ``½(θᵀCθ − 2θᵀUΛw + wᵀΛw)``. The runs of a call are vectorised; U is held in memory
    (N × M numbers), so this is meant for moderate M. All random numbers come from NumPy
    generators seeded from ``seed``; ``backend="torch"`` (``device`` ``cpu`` or ``cuda``) does
    the arithmetic in torch on the same numbers.
    """
    model = check_model(model)
    N = check_int("N", N, low=1)
    batch = check_int("batch", batch, low=1)
    runs = check_int("runs", runs, low=2)
    step = parse_steps(steps)
    lr = check_float("lr", lr, 0.0, low_open=True)
    seed = _seed(seed)
    be = Backend(backend, device)
    xp = be.xp
    seq = spawn_seeds(seed, draw + 1)[draw]
    _, U_np = draw_latent(model, seq, N, 1)
    lam = model.eigenvalues()
    sqrt_lam = np.sqrt(lam)
    rng = np.random.default_rng(child(seq, STREAM_SGD))
    W_np = rng.standard_normal((runs, model.M)) * np.sqrt(model.teacher_variances())
    U, W = be.asarray(U_np), be.asarray(W_np[:, :, None])  # W as (runs, M, 1)
    C = be.asarray((U_np * lam) @ U_np.T)
    ULw = be.asarray(W_np @ (U_np * lam).T)  # (runs, N)
    wLw = be.asarray(np.sum(W_np * W_np * lam, axis=1))
    lrs = learning_rates(schedule, lr, int(step.max()))
    theta = be.zeros((runs, N))
    loss = np.empty((runs, step.size))
    order = np.argsort(step, kind="stable")
    pos, t = 0, 0
    while pos < step.size:
        target = int(step[order[pos]])
        while t < target:
            x = be.asarray(rng.standard_normal((runs, batch, model.M)) * sqrt_lam)
            eps = be.asarray(model.noise * rng.standard_normal((runs, batch)))
            phi = x @ U.T  # (runs, batch, N)
            resid = (phi @ theta[:, :, None])[:, :, 0] - (x @ W)[:, :, 0] - eps
            grad = (xp.permute_dims(phi, (0, 2, 1)) @ resid[:, :, None])[:, :, 0]
            theta = theta - (float(lrs[t]) / batch) * grad
            t += 1
        quad = xp.sum((theta @ C) * theta, axis=1) - 2.0 * xp.sum(theta * ULw, axis=1) + wLw
        value = 0.5 * be.to_numpy(quad)
        while pos < step.size and int(step[order[pos]]) == target:
            loss[:, order[pos]] = value
            pos += 1
    name = schedule if isinstance(schedule, str) else "custom"
    return DynamicsResult(model=model, optimizer="sgd", N=np.array([N]), size=np.array([batch]),
                          step=step, lr=lr, loss=loss[:, None, None, :], schedule=name,
                          seed=_seed_label(seed), method="sampled")  # fmt: skip


def stable_lr(
    model: DataModel,
    N: int,
    *,
    optimizer: str = "gd",
    T: int | None = None,
    batch: int = 1,
    seed: int = 0,
) -> float:
    """The largest stable learning rate ``lr`` for one draw (seed child 0).

    GD: ``2T/s_max`` with ``s_max`` the top eigenvalue of FᵀF (i.e. 2 over the top eigenvalue of
    FᵀF/T); GD diverges above it. SGD: the largest constant lr for which the exact second-moment
    recursion is bounded (:func:`.recursion.sgd_stable_lr`), about ``2b/(tr C + (b+1)c_max)``.
    """
    model = check_model(model)
    optimizer = check_choice("optimizer", optimizer, OPTIMIZERS)
    N = check_int("N", N, low=1)
    seq = spawn_seeds(check_int("seed", seed, low=0), 1)[0]
    if optimizer == "gd":
        if T is None:
            raise ConfigError("The 'T' parameter must be an integer >= 1 for GD. Got None instead.")
        T = check_int("T", T, low=1)
        F = as_numpy(accumulate(model, seq, N, T).F)
        s_max = float(np.linalg.eigvalsh(F.T @ F if N <= T else F @ F.T)[-1])
        return 2.0 * T / s_max
    batch = check_int("batch", batch, low=1)
    C, _ = feature_covariance(model, seq, N)
    c = np.linalg.eigvalsh(C)
    return sgd_stable_lr(c, np.ones_like(c), batch)
