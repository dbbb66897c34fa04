"""Monte Carlo simulation of the solvable model with the exact population loss (docs/theory.md §3).

For each simulation seed the latent sums are accumulated once at the largest (N, T) of the grid
(first N rows of U, first T samples of X), and every grid point uses the leading sub-blocks:
one accumulation plus one eigendecomposition per point, all ridges at once
(:func:`~scalinglab.simulation.ridge_loss.ridge_losses`). ``shared_draws=False`` gives every
grid point its own independent draw instead.

Two estimators of the same expected loss (docs/estimators.md): ``full`` draws the training inputs
X and the features U and sums the latent statistics (:mod:`.accumulate`); ``conditional``
(the default for linear features) draws only U, sums ``C`` and ``D_ω`` and draws the training
features from their exact law given U (:mod:`.conditional`): unbiased, with variance no larger,
and cheaper. The per-instance loss needs X and uses the full estimator.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from .._rng import child, entropy_string, spawn_seeds
from .._validation import check_choice, check_int, parse_list
from ..exceptions import ConfigError, NumericalWarning
from ..features import FeatureMap, feature_map
from ..model import DataModel
from .accumulate import LatentStatistics, accumulate, default_chunk
from .backend import Backend
from .conditional import (
    accumulate_conditional,
    conditional_chunk,
    conditional_losses,
    orthogonal_route,
)
from .features import PreparedFeatures, prepare_features
from .memory import check_fits, conditional_bytes, simulation_bytes
from .result import SimulationResult
from .ridge_loss import RidgeLosses, SpectralFilter, ridge_losses

ESTIMATORS = ("full", "conditional")

ProgressCallback = Callable[[int, int], None]


def _sizes(name: str, values: int | Sequence[int] | str) -> np.ndarray:
    sizes = [check_int(name, v, low=1) for v in parse_list(name, values, int)]
    return np.asarray(sizes, dtype=np.int64)


def _ridges(values: float | Sequence[float] | str) -> np.ndarray:
    ridges = np.asarray(parse_list("ridge", values, float), dtype=np.float64)
    if not np.all(np.isfinite(ridges)) or np.any(ridges < 0):
        bad = float(ridges[~np.isfinite(ridges) | (ridges < 0)][0])
        raise ConfigError(
            f"The 'ridge' parameter must be a list of floats in [0, inf). Got {bad!r} instead."
        )
    return ridges


def choose_estimator(
    estimator: str | None, features: FeatureMap, instance: bool, dtype: str
) -> str:
    """The estimator to use: ``conditional`` where it applies (linear features without a bias,
    no per-instance loss, float64) unless ``full`` is asked for; a clear error where it cannot
    apply."""
    linear = features.name == "linear" and features.sigma_b == 0.0
    if estimator is None:
        return "conditional" if linear and not instance and dtype == "float64" else "full"
    estimator = check_choice("estimator", estimator, ESTIMATORS)
    if estimator == "conditional" and dtype != "float64":
        raise ConfigError(
            "The 'dtype' parameter must be 'float64' with the 'conditional' estimator (its "
            "unexplained power s_ω − tr C⁺D_ω cancels to the rounding of float32 sums). Got "
            f"{dtype!r} instead (use estimator='full' for float32)."
        )
    if estimator == "conditional" and not linear:
        raise ConfigError(
            "The 'estimator' parameter 'conditional' needs linear features without a bias. Got "
            f"activation={features.name!r}, sigma_b={features.sigma_b:g} instead "
            "(use estimator='full')."
        )
    if estimator == "conditional" and instance:
        raise ConfigError(
            "The 'instance' parameter needs the training inputs X of one teacher draw, which the "
            "'conditional' estimator never draws. Got instance=True instead (use "
            "estimator='full')."
        )
    return estimator


def draw_statistics(
    estimator: str, model, seq, n: int, t: int, backend, chunk, instance: bool,
    advance: Callable[[int], None] | None = None,
):  # fmt: skip
    """One draw of the chosen estimator's statistics at sizes (n, t); ``advance(columns)``
    after each chunk of latent columns summed."""
    if estimator == "conditional":
        return accumulate_conditional(
            model, seq, n, t, backend=backend, chunk=chunk, advance=advance
        )
    return accumulate(
        model, seq, n, t, backend=backend, chunk=chunk, instance=instance, advance=advance
    )


def _draw_progress(progress: ProgressCallback | None, done: int, total: int, M: int):
    """``advance(columns)`` for one draw: ``progress(done + fraction of M summed, total)``, so a
    draw at large M moves the bar (and its ETA) chunk by chunk."""
    if progress is None:
        return None
    summed = 0

    def advance(columns: int) -> None:
        nonlocal summed
        summed += columns
        progress(done + min(summed / M, 1.0), total)

    return advance


def point_losses(
    stats, model: DataModel, ridges: np.ndarray | None, features: PreparedFeatures,
    spectral_filter: SpectralFilter | None = None,
) -> RidgeLosses:  # fmt: skip
    """The losses of one grid point for either estimator's statistics, one per ridge (or per
    row of ``spectral_filter``, which replaces the ridge filter)."""
    if not isinstance(stats, LatentStatistics):
        return conditional_losses(stats, model.noise, ridges, spectral_filter=spectral_filter)
    F, S, B = features.statistics(stats)
    inst = features.instance(stats)
    return ridge_losses(F, S, B, stats.K, stats.signal, model.noise, ridges, inst,
                        spectral_filter=spectral_filter)  # fmt: skip


def simulate(
    model: DataModel,
    N: int | Sequence[int] | str,
    T: int | Sequence[int] | str,
    ridge: float | Sequence[float] | str = 0.0,
    *,
    seeds: int = 1,
    seed: int | np.random.SeedSequence = 0,
    activation: str | Callable = "linear",
    sigma_b: float = 0.0,
    shared_draws: bool = True,
    instance: bool = False,
    estimator: str | None = None,
    backend: str | Backend = "numpy",
    device: str = "cpu",
    dtype: str = "float64",
    chunk: int | None = None,
    progress: ProgressCallback | None = None,
) -> SimulationResult:
    """Simulate linear random-feature ridge regression on the MRS data model.

    Parameters
    ----------
    model : DataModel
        Latent spectrum, teacher prior, noise and feature scale.
    N, T : int or list of int
        Numbers of random features and of training samples; the grid is their outer product.
    ridge : float or list of float
        Ridges γ ≥ 0 (docs/theory.md §2 convention); γ = 0 is the exact min-norm / least-squares
        limit.
    seeds : int
        Number of independent draws of (U, X) to average over.
    seed : int or numpy.random.SeedSequence
        Base seed; simulation seed i uses ``SeedSequence(seed)`` child i (an existing
        SeedSequence is used as the root itself, e.g. a sweep task's own child sequence).
    activation : str or callable
        Feature map ``σ(Ux + b)`` (see :mod:`.features`): ``linear`` (the MRS solvable case),
        ``relu``, ``erf``, ``tanh``, ``quadratic`` or an elementwise NumPy function.
    sigma_b : float
        Standard deviation of the per-feature biases ``b_i`` (0: no bias).
    shared_draws : bool
        Reuse one draw for the whole (N, T) grid of a seed (default) or draw per point.
    instance : bool
        Also compute the loss for one fixed teacher/noise draw per seed (``instance_loss``);
        it needs the training inputs X, so it uses the ``full`` estimator.
    estimator : {"conditional", "full"}, optional
        ``conditional`` draws the training features from their exact law given U (linear
        features without a bias, float64; the default there), ``full`` draws X and U (the
        default for nonlinear features, with ``instance`` and with float32). Both are unbiased
        for the same expected loss; ``conditional`` has variance no larger and is faster
        (docs/estimators.md).
    backend, device, dtype : str
        Array backend (``numpy`` or ``torch``), device (``cpu``/``cuda``) and precision.
    chunk : int, optional
        Latent columns per accumulation step (memory only; results do not depend on it).
    progress : callable, optional
        Called as ``progress(done, total)`` in draws (``total`` of them): after each chunk of
        latent columns summed with the fraction of the current draw, and after each draw.

    Returns
    -------
    SimulationResult
    """
    if not isinstance(model, DataModel):
        raise ConfigError(f"The 'model' parameter must be a DataModel. Got {model!r} instead.")
    Ns, Ts, ridges = _sizes("N", N), _sizes("T", T), _ridges(ridge)
    seeds = check_int("seeds", seeds, low=1)
    if not isinstance(seed, np.random.SeedSequence):
        seed = check_int("seed", seed, low=0)
    features = feature_map(activation, sigma_b)
    be = backend if isinstance(backend, Backend) else Backend(backend, device, dtype)
    estimator = choose_estimator(estimator, features, instance, be.dtype_name)
    if chunk is not None:
        chunk = check_int("chunk", chunk, low=1)
    N_max, T_max = int(Ns.max()), int(Ts.max())
    itemsize = 4 if be.dtype_name == "float32" else 8
    if estimator == "conditional":
        chunk_c = chunk or conditional_chunk(N_max)
        need = conditional_bytes(N_max, T_max, chunk_c, itemsize, model.M)
    else:
        need = simulation_bytes(N_max, T_max, chunk or default_chunk(N_max, T_max), itemsize)
    check_fits(need, f"A simulation at N = {N_max}, T = {T_max}")

    shape = (seeds, Ns.size, Ts.size, ridges.size)
    loss = np.empty(shape)
    train = np.empty(shape)
    resolution = np.empty(shape)
    inst = np.empty(shape) if instance else None
    seqs = spawn_seeds(seed, seeds)
    total = seeds * (1 if shared_draws else Ns.size * Ts.size)
    done = 0
    start_time = time.perf_counter()
    for s, seq in enumerate(seqs):
        shared = None
        if shared_draws:
            advance = _draw_progress(progress, done, total, model.M)
            shared = draw_statistics(
                estimator, model, seq, N_max, T_max, be, chunk, instance, advance
            )
            prepared = prepare_features(features, seq, N_max, be)
            done += 1
            if progress:
                progress(done, total)
        for i, n in enumerate(Ns):
            for j, t in enumerate(Ts):
                if shared is not None:
                    stats = shared.sub(int(n), int(t))
                else:
                    point_seq = child(seq, i, j)
                    advance = _draw_progress(progress, done, total, model.M)
                    stats = draw_statistics(
                        estimator, model, point_seq, int(n), int(t), be, chunk, instance, advance
                    )
                    prepared = prepare_features(features, point_seq, int(n), be)
                    done += 1
                    if progress:
                        progress(done, total)
                out = point_losses(stats, model, ridges, prepared)
                loss[s, i, j] = out.loss
                train[s, i, j] = out.train_loss
                resolution[s, i, j] = out.resolution
                if inst is not None:
                    inst[s, i, j] = out.instance_loss
    result = SimulationResult(
        model=model,
        N=Ns,
        T=Ts,
        ridge=ridges,
        seed=seed if isinstance(seed, int) else entropy_string(seed),
        loss=loss,
        train_loss=train,
        resolution=resolution,
        instance_loss=inst,
        activation=features.name,
        shared_draws=shared_draws,
        estimator=estimator,
        backend=be.name,
        dtype=be.dtype_name,
        seed_entropy=[entropy_string(q) for q in seqs],
        seconds=time.perf_counter() - start_time,
    )
    _warn_if_unresolved(result)
    return result


def _warn_if_unresolved(result: SimulationResult) -> None:
    """Warn where the precision floor exceeds 1% of a mean loss (docs/theory.md §4 and §12).

    In float64 this happens only where the terms of the exact loss cancel completely (N, T ≥ M
    without noise, where the true loss is 0), or, for the conditional estimator's Cholesky route
    (M > 2N), where the feature covariance C it inverts is ill-conditioned; with float32
    accumulation the floor grows with the conditioning of the features, and the warning marks
    where float32 is not trustworthy.
    """
    floor = result.resolution.max(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(result.loss_mean > 0, floor / result.loss_mean, np.inf)
    bad = relative > 1e-2
    if np.any(bad):
        i, j, k = np.unravel_index(int(np.argmax(np.where(bad, relative, -1.0))), relative.shape)
        hint = (
            "use dtype='float64'"
            if result.dtype == "float32"
            else "the true loss may be 0, e.g. N, T >= M without noise"
        )
        n_draw = int(result.N.max() if result.shared_draws else result.N[i])
        if result.estimator == "conditional" and not orthogonal_route(n_draw, result.model.M):
            hint += "; or C = UΛUᵀ is ill-conditioned: estimator='full' does not invert it"
        warnings.warn(
            f"{int(bad.sum())} loss value(s) are limited by {result.dtype} precision; worst at "
            f"N = {result.N[i]}, T = {result.T[j]}, ridge = {result.ridge[k]:g}: rounding floor "
            f"{floor[i, j, k]:.2e} against a loss of {result.loss_mean[i, j, k]:.2e} ({hint}).",
            NumericalWarning,
            stacklevel=3,
        )
