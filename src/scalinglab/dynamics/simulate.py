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
from functools import partial

import numpy as np

from .._arrays import as_numpy
from .._rng import DRAW_BLOCK, STREAM_U, child, entropy_string, spawn_seeds
from .._validation import check_choice, check_float, check_int, parse_list
from ..exceptions import ConfigError, NumericalWarning
from ..features import feature_covariance, feature_map
from ..model import DataModel
from ..simulation.accumulate import draw_chunk
from ..simulation.backend import Backend
from ..simulation.features import prepare_features
from ..simulation.simulate import choose_estimator, draw_statistics, point_losses
from ._checks import check_model, parse_steps
from .gd_exact import gd_filter
from .recursion import sgd_mode_losses, sgd_stable_lr
from .result import DynamicsResult
from .schedules import Schedule, learning_rates

OPTIMIZERS = ("gd", "sgd")
STREAM_SGD = 5  # teacher, noise and fresh samples of explicit SGD runs
SGD_TEACHER, SGD_SAMPLES, SGD_NOISE = 0, 1, 2  # its sub-streams

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
    schedule: Schedule = "constant",
    seeds: int = 1,
    seed: int | np.random.SeedSequence = 0,
    estimator: str | None = None,
    backend: str | Backend = "numpy",
    chunk: int | None = None,
    progress: ProgressCallback | None = None,
) -> DynamicsResult:
    """Exact test and training loss of full-batch GD at every requested step (docs §1).

    ``θ ← θ − (lr_t/T) Fᵀ(Fθ − y)`` from ``θ_0 = 0``, with ``lr_t`` the ``schedule``
    (``constant``, ``cosine``, ``wsd`` or a callable of the step; horizon ``max(steps)``):
    the filter's residual is ``Π_{τ<t}(1 − lr_τ s/T)`` (one term per update for a varying
    rate, so its cost grows with ``max(steps)``). ``estimator`` is ``simulate``'s
    (docs/estimators.md): ``conditional`` (the default: U drawn, the training features drawn
    from their exact law given U) or ``full`` (the training inputs X drawn too); the GD filter
    replaces the ridge filter on either's statistics. The draws are those of
    :func:`scalinglab.simulation.simulate` with the same seed and estimator (one draw per seed
    at the largest (N, T), leading sub-blocks for the grid), so ``steps → ∞`` reproduces its
    ridge-0 loss. A :class:`NumericalWarning` names the points where ``lr ≥ 2T/s_max`` (GD
    diverges).
    """
    model = check_model(model)
    Ns, Ts, step = _sizes("N", N), _sizes("T", T), parse_steps(steps)
    lr = check_float("lr", lr, 0.0, low_open=True)
    seeds = check_int("seeds", seeds, low=1)
    seed = _seed(seed)
    constant = isinstance(schedule, str) and schedule == "constant"  # closed-form filter
    varying = None if constant else learning_rates(schedule, lr, int(step.max()))
    be = backend if isinstance(backend, Backend) else Backend(backend)
    linear = feature_map("linear", 0.0)
    estimator = choose_estimator(estimator, linear, False, be.dtype_name)
    shape = (seeds, Ns.size, Ts.size, step.size)
    loss, train = np.empty(shape), np.empty(shape)
    lr_max = np.full(shape[:3], np.inf)
    for s, seq in enumerate(spawn_seeds(seed, seeds)):
        n_max, t_max = int(Ns.max()), int(Ts.max())
        stats = draw_statistics(estimator, model, seq, n_max, t_max, be, chunk, False)
        features = prepare_features(linear, seq, n_max, be)
        for i, n in enumerate(Ns):
            for j, t in enumerate(Ts):
                steps_filter = partial(gd_filter, lr=lr, T=int(t), steps=step, lrs=varying)
                with np.errstate(over="ignore", invalid="ignore"):  # a diverging run: inf
                    out = point_losses(stats.sub(int(n), int(t)), model, None, features,
                                       steps_filter)  # fmt: skip
                loss[s, i, j] = np.where(np.isfinite(out.loss), out.loss, np.inf)
                train[s, i, j] = np.where(np.isfinite(out.train_loss), out.train_loss, np.inf)
                lr_max[s, i, j] = 2.0 * int(t) / out.top_eigenvalue
        if progress:
            progress(s + 1, seeds)
    peak = float(varying.max()) if varying is not None and varying.size else lr
    bad = peak >= lr_max.min(axis=0)
    if np.any(bad):
        i, j = np.argwhere(bad)[0]
        warnings.warn(
            f"lr = {peak:g} is at or above the GD stability limit 2T/s_max = "
            f"{lr_max.min(axis=0)[i, j]:.4g} at N = {Ns[i]}, T = {Ts[j]}: the loss diverges "
            "(lower --lr; see stable_lr).",
            NumericalWarning,
            stacklevel=2,
        )
    name = schedule if isinstance(schedule, str) else "custom"
    return DynamicsResult(model=model, optimizer="gd", N=Ns, size=Ts, step=step, lr=lr, loss=loss,
                          train_loss=train, schedule=name, seed=_seed_label(seed),
                          extra={"estimator": estimator})  # fmt: skip


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
    chunk: int | None = None,
) -> DynamicsResult:
    """Explicit one-pass SGD runs on one draw of U (seed child ``draw``), for checking.

    Each run draws its own teacher ``w ~ N(0, Ω)`` and fresh samples ``x ~ N(0, Λ)`` with labels
    ``wᵀx + ε``; the population loss of the iterate is exact given (U, w):
    ``½(θᵀCθ − 2θᵀUΛw + wᵀΛw)``. The runs of a call are vectorised.

    Streaming over M: the latent axis is processed ``chunk`` columns at a time (a multiple of
    the draw block; default: all of M when U fits in 64 MB, else about 64 MB per chunk), so
    memory does not grow with M beyond one chunk of U, w and x and one generator state per draw
    block. Every latent block has its own random streams (U as in
    :func:`scalinglab.simulation.simulate`; w, and x step after step), so the numbers do not
    depend on ``chunk``; a chunk smaller than M redraws its U and w at every step (more time,
    same numbers). All random numbers come from NumPy generators seeded from ``seed``;
    ``backend="torch"`` (``device`` ``cpu`` or ``cuda``) does the arithmetic in torch on the
    same numbers.
    """
    model = check_model(model)
    N = check_int("N", N, low=1)
    batch = check_int("batch", batch, low=1)
    runs = check_int("runs", runs, low=2)
    step = parse_steps(steps)
    lr = check_float("lr", lr, 0.0, low_open=True)
    seed = _seed(seed)
    M = model.M
    if chunk is None:
        chunk = M if N * M * 8 <= 2**26 else 2**23 // max(N, runs * batch)
    chunk = max(DRAW_BLOCK, check_int("chunk", chunk, low=1) // DRAW_BLOCK * DRAW_BLOCK)
    be = Backend(backend, device)
    xp = be.xp
    seq = spawn_seeds(seed, draw + 1)[draw]
    stream = _LatentStreams(model, seq, N, runs, batch, chunk, be)
    C, ULw, wLw = stream.moments()
    eps_rng = np.random.default_rng(child(seq, STREAM_SGD, SGD_NOISE))
    lrs = learning_rates(schedule, lr, int(step.max()))
    theta = be.zeros((runs, N))
    loss = np.empty((runs, step.size))
    order = np.argsort(step, kind="stable")
    pos, t = 0, 0
    while pos < step.size:
        target = int(step[order[pos]])
        while t < target:
            phi, xw = stream.samples()  # (runs, batch, N), (runs, batch)
            eps = be.asarray(model.noise * eps_rng.standard_normal((runs, batch)))
            resid = (phi @ theta[:, :, None])[:, :, 0] - xw - eps
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
                          seed=_seed_label(seed), method="sampled",
                          extra={"runs": runs})  # fmt: skip


class _LatentStreams:
    """U, the teachers w and the fresh samples x of :func:`sample_sgd`, chunk by chunk of M.

    U is :func:`scalinglab.simulation.simulate`'s (stream ``STREAM_U``, block by block); the
    teachers of all runs come from ``child(seq, STREAM_SGD, SGD_TEACHER, block)`` and the
    samples of block ``b`` from one generator ``child(seq, STREAM_SGD, SGD_SAMPLES, b)`` that
    draws ``(runs, batch, block columns)`` numbers per step, so no number depends on the chunk.
    With one chunk (all of M) U and w are held; otherwise they are redrawn at every step.
    """

    def __init__(self, model, seq, N: int, runs: int, batch: int, chunk: int, be: Backend):
        self.model, self.seq, self.N, self.runs, self.batch, self.be = (
            model, seq, N, runs, batch, be)  # fmt: skip
        M = model.M
        self.chunks = [(a, min(M, a + chunk)) for a in range(0, M, chunk)]
        self.blocks = [
            np.random.default_rng(child(seq, STREAM_SGD, SGD_SAMPLES, b))
            for b in range((M + DRAW_BLOCK - 1) // DRAW_BLOCK)
        ]
        self.scale = float(np.sqrt(model.feature_scale))
        self.held = self._latent(*self.chunks[0]) if len(self.chunks) == 1 else None

    def _latent(self, start: int, stop: int):
        """U (N, cols) and the teachers w (runs, cols) of latent columns [start, stop)."""
        be, cols = self.be, stop - start
        G = np.empty((self.N, cols))
        draw_chunk(Backend(), self.seq, STREAM_U, start, G)
        W = np.empty((self.runs, cols))
        for offset in range(0, cols, DRAW_BLOCK):
            block = (start + offset) // DRAW_BLOCK
            width = min(DRAW_BLOCK, cols - offset)
            rng = np.random.default_rng(child(self.seq, STREAM_SGD, SGD_TEACHER, block))
            W[:, offset : offset + width] = rng.standard_normal((self.runs, width))
        W *= np.sqrt(self.model.teacher_variances(start, stop))
        return be.asarray(self.scale * G), be.asarray(W)

    def _chunk(self, start: int, stop: int):
        return self.held if self.held is not None else self._latent(start, stop)

    def moments(self):
        """``C = UΛUᵀ`` (N, N), ``UΛw`` (runs, N) and ``wᵀΛw`` (runs) of every run."""
        be, xp = self.be, self.be.xp
        C = be.zeros((self.N, self.N))
        ULw, wLw = be.zeros((self.runs, self.N)), be.zeros((self.runs,))
        for start, stop in self.chunks:
            U, W = self._chunk(start, stop)
            lam = be.asarray(self.model.eigenvalues(start, stop))
            C = C + (U * lam) @ U.T
            ULw = ULw + (W * lam) @ U.T
            wLw = wLw + xp.sum(W * W * lam, axis=1)
        return C, ULw, wLw

    def samples(self):
        """One step's features ``φ = Ux`` (runs, batch, N) and signal labels ``wᵀx``."""
        be, xp = self.be, self.be.xp
        phi = be.zeros((self.runs, self.batch, self.N))
        xw = be.zeros((self.runs, self.batch))
        for start, stop in self.chunks:
            x = np.empty((self.runs, self.batch, stop - start))
            for offset in range(0, stop - start, DRAW_BLOCK):
                width = min(DRAW_BLOCK, stop - start - offset)
                rng = self.blocks[(start + offset) // DRAW_BLOCK]
                shape = (self.runs, self.batch, width)
                x[:, :, offset : offset + width] = rng.standard_normal(shape)
            x *= np.sqrt(self.model.eigenvalues(start, stop))
            U, W = self._chunk(start, stop)
            x = be.asarray(x)
            phi = phi + x @ U.T
            xw = xw + xp.sum(x * W[:, None, :], axis=2)
        return phi, xw


def stable_lr(
    model: DataModel,
    N: int,
    *,
    optimizer: str = "gd",
    T: int | None = None,
    batch: int = 1,
    seed: int = 0,
    estimator: str | None = None,
) -> float:
    """The largest stable learning rate ``lr`` for one draw (seed child 0).

    GD: ``2T/s_max`` with ``s_max`` the top eigenvalue of FᵀF (i.e. 2 over the top eigenvalue of
    FᵀF/T) for the draw :func:`simulate_gd` makes with the same seed and ``estimator``; GD
    diverges above it. SGD: the largest constant lr for which the exact second-moment
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
        estimator = choose_estimator(estimator, feature_map("linear", 0.0), False, "float64")
        stats = draw_statistics(estimator, model, seq, N, T, Backend(), None, False)
        F = as_numpy(stats.F)
        s_max = float(np.linalg.eigvalsh(F.T @ F if N <= T else F @ F.T)[-1])
        return 2.0 * T / s_max
    batch = check_int("batch", batch, low=1)
    C, _ = feature_covariance(model, seq, N)
    c = np.linalg.eigvalsh(C)
    return sgd_stable_lr(c, np.ones_like(c), batch)
