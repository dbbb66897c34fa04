"""Predicted and measured data-scaling exponents of a learner on a data set
(docs/exponents.md).

**Predicted** (§2–§3): the learner's kernel on a pool of ``n_pool`` points gives the eigenvalues
``ξ_k`` and target powers ``v_k²``; their power laws (capacity exponent ``a``, source exponent
``s``) continue the spectrum past the pool, and the project's deterministic equivalent turns it
into a learning curve ``L(T)`` (kernel ridge; N random features for ``rf``; the network's lazy
limit, kernel ridge with its NTK, for ``mlp``). The predicted exponent is the least-squares
slope of ``−log L`` on ``log T`` over the fit points. Its 95 % interval is
``ê ± t_{0.975, B−1} sd(ê*)`` over ``B = n_boot`` replicates, everything recomputed: independent
pools of the same size drawn from the data set when it holds at least two pools' worth of
points, else bootstrap replicates of the pool (multinomial weights on its points), which the
coverage study (``benchmarks/study_exponents_coverage.py``) finds conservative.

**Measured** (§4): held-out losses over ``seeds`` independent (training set, test set[,
features, initialisation]) draws; the exponent is the slope of the seed-mean curve over the fit
points and its 95 % interval ``ê ± t_{0.975, s−1} sd(ê_i)/√s`` over the per-seed slopes.

**Verdict** (§5): ``z = (predicted − measured)/√(h_p² + h_m²)`` with ``h`` the two interval
half-widths; ``|z| <= 1`` is ``agree`` (the difference is within the combined interval), else
``differ``.

**Heuristics** shown beside it, labelled as such: ``4/d`` with d the Levina–Bickel intrinsic
dimension of the pool (Sharma & Kaplan 2020) and the raw spectrum exponent ``a − 1`` (the
resolution-limited exponent of Bahri et al. 2021).

**Ridge rule**: ``λ = ridge · mean_i k(x_i, x_i)`` on the un-normalised Gram (default
``ridge = 1e-6``: near-ridgeless, the ridge only steadies the solve), the same in the prediction.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._rng import child, root_sequence
from .._validation import check_choice, check_float, check_int, parse_list
from ..exceptions import ConfigError, EstimateWarning
from ..realdata.predict import decay_exponent
from .cache import Scope, UnitStore, data_digest, scope_or_nothing
from .kernels import KERNELS, kernel_matrix
from .mlp import lazy_features
from .spectrum import (
    EXTENSION,
    KERNEL_WIDTH,
    PoolSpectrum,
    SpectralExponents,
    extend_spectrum,
    learning_curve,
    pool_spectrum,
    spectral_exponents,
)

__all__ = ["LEARNERS", "ExponentStudy", "predict_exponent", "study_exponents"]

LEARNERS = ("kernel", "rf", "mlp")
RF_KERNELS = ("arccos", "linear")
_STREAM_POOL, _STREAM_BOOT = 10, 11


def _t_interval(centre: float, values: np.ndarray, scale: float) -> list[float] | None:
    from scipy import stats

    values = np.asarray(values, dtype=np.float64)
    if values.size < 2 or not np.all(np.isfinite(values)):
        return None
    half = stats.t.ppf(0.975, values.size - 1) * np.std(values, ddof=1) * scale
    return [centre - half, centre + half]


@dataclass(frozen=True)
class Prediction:
    """The predicted learning curve, its exponent with interval, and the spectral fits."""

    loss: np.ndarray
    exponent: float
    interval: list[float] | None
    replicates: np.ndarray = field(repr=False)
    spectral: SpectralExponents
    end_rank: float
    width_loss: np.ndarray | None = None
    width_exponent: float | None = None
    width_interval: list[float] | None = None


def predict_exponent(
    X: np.ndarray,
    Y: np.ndarray,
    T: list[int],
    fit: np.ndarray,
    *,
    kernel: str,
    ridge: float,
    n_pool: int,
    fit_ranks: tuple[int, int],
    n_boot: int,
    seed: int,
    width: float = KERNEL_WIDTH,
    bandwidth: float = 1.0,
    depth: int = 2,
    widths: list[int] | None = None,
    feature_counts: list[int] | None = None,
    cache: Scope | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[Prediction, float, np.ndarray]:
    """The predicted curve and exponent (module docstring); also returns ``λ`` and the pool rows.

    ``fit`` is the boolean mask of the T values used by the slope; with ``widths`` also the
    loss of ``feature_counts`` (default: the widths) random features of the kernel at the
    largest T and its exponent against the width, with the same bootstrap. The pool and each
    replicate are units of ``cache`` (:mod:`.cache`).
    ``progress(k)`` is called after the pool (k = 1) and after each replicate.
    """
    root = root_sequence(seed)
    pool = np.random.default_rng(child(root, _STREAM_POOL)).permutation(X.shape[0])[:n_pool]
    scope = scope_or_nothing(cache)
    T_arr = np.asarray(T, dtype=np.float64)
    keep = fit_ranks[1]
    N_arr = None if widths is None else np.asarray(widths, dtype=np.float64)
    P_arr = N_arr if feature_counts is None else np.asarray(feature_counts, dtype=np.float64)
    gram: list[np.ndarray] = []  # the pool's kernel matrix, built when first needed

    def pool_gram() -> np.ndarray:
        if not gram:
            gram.append(kernel_matrix(kernel, X[pool], bandwidth=bandwidth, depth=depth))
        return gram[0]

    def curve(spec: PoolSpectrum, lam: float) -> dict[str, Any]:
        exps = spectral_exponents(spec, fit_ranks)
        ext = extend_spectrum(spec, exps, EXTENSION * T_arr.max())
        return {
            "loss": learning_curve(ext, T_arr, lam, N=width),
            "width": None if P_arr is None else learning_curve(ext, T_arr.max(), lam, N=P_arr),
            "exps": [exps.capacity, exps.capacity_amplitude, exps.source],
            "end": float(ext.end_rank),
        }

    def central() -> dict[str, Any]:
        K = pool_gram()
        lam = ridge * float(np.mean(np.diag(K)))
        return {**curve(pool_spectrum(K, Y[pool], keep=keep), lam), "lam": lam}

    main = scope.fetch({"pool": "main"}, central)
    lam = main["lam"]
    loss = np.asarray(main["loss"])
    exps = SpectralExponents(*main["exps"], tuple(fit_ranks))
    if progress is not None:
        progress(1)
    rng = np.random.default_rng(child(root, _STREAM_BOOT))
    reps = np.empty(n_boot)
    width_reps = np.empty(n_boot)
    fresh = X.shape[0] >= 2 * n_pool  # independent pools; else the bootstrap of the pool
    for b in range(n_boot):
        if fresh:
            rows = rng.choice(X.shape[0], n_pool, replace=False)

            def replicate(rows=rows) -> dict[str, Any]:
                K_b = kernel_matrix(kernel, X[rows], bandwidth=bandwidth, depth=depth)
                return curve(pool_spectrum(K_b, Y[rows], keep=keep), lam)
        else:
            counts = rng.multinomial(n_pool, np.full(n_pool, 1.0 / n_pool))

            def replicate(counts=counts) -> dict[str, Any]:
                used = np.flatnonzero(counts)
                weights = counts[used] / n_pool
                K_b = pool_gram()[np.ix_(used, used)]
                return curve(pool_spectrum(K_b, Y[pool][used], weights, keep), lam)

        rep = scope.fetch({"pool": b}, replicate)
        reps[b] = decay_exponent(T_arr[fit], np.asarray(rep["loss"])[fit])
        width_reps[b] = np.nan if N_arr is None else decay_exponent(N_arr, np.asarray(rep["width"]))
        if progress is not None:
            progress(b + 2)
    exponent = decay_exponent(T_arr[fit], loss[fit])
    interval = _t_interval(exponent, reps, 1.0) if n_boot >= 2 else None
    pred = Prediction(loss, exponent, interval, reps, exps, main["end"])
    if N_arr is not None:
        width_loss = np.asarray(main["width"])
        w_exp = decay_exponent(N_arr, width_loss)
        w_int = _t_interval(w_exp, width_reps, 1.0) if n_boot >= 2 else None
        pred = Prediction(loss, exponent, interval, reps, exps, main["end"], width_loss, w_exp,
                          w_int)  # fmt: skip
    return pred, lam, pool


@dataclass(frozen=True)
class ExponentStudy:
    """Predicted vs measured data exponent of one learner on one data set and target."""

    dataset: str
    learner: str
    kernel: str
    target: str
    ridge: float
    ridge_lambda: float
    T: np.ndarray
    fit: np.ndarray = field(repr=False)
    measured: np.ndarray = field(repr=False)
    prediction: Prediction = field(repr=False)
    settings: dict[str, Any] = field(default_factory=dict)
    dimension: float | None = None
    warnings: list[str] = field(default_factory=list)
    widths: np.ndarray | None = None
    measured_width: np.ndarray | None = field(default=None, repr=False)

    def width_record(self) -> dict[str, Any]:
        """The width exponent (loss against N at the largest T, N <= T/2), predicted and
        measured with intervals (for ``mlp`` also measured − predicted); empty without
        ``widths``."""
        if self.widths is None or self.measured_width is None:
            return {}
        N = self.widths.astype(np.float64)
        meas = decay_exponent(N, self.measured_width.mean(axis=0))
        per_seed = np.array([decay_exponent(N, m) for m in self.measured_width])
        s = self.measured_width.shape[0]
        out = {
            "widths": [int(n) for n in self.widths],
            "width_at_T": int(self.T.max()),
            "predicted_width_exponent": self.prediction.width_exponent,
            "predicted_width_exponent_ci": self.prediction.width_interval,
            "measured_width_exponent": meas,
            "measured_width_exponent_ci": _t_interval(meas, per_seed, 1.0 / np.sqrt(s)),
            "width_loss": self.measured_width.mean(axis=0).tolist(),
            "width_predicted": [float(v) for v in self.prediction.width_loss],
        }
        if self.learner == "mlp":
            out["width_feature_learning_shift"] = meas - self.prediction.width_exponent
        return out

    @property
    def fit_T(self) -> list[int]:
        """The T values the slopes are fitted over."""
        return [int(t) for t in self.T[self.fit]]

    @property
    def measured_exponent(self) -> float:
        return decay_exponent(self.T[self.fit], self.measured.mean(axis=0)[self.fit])

    @property
    def measured_per_seed(self) -> np.ndarray:
        return np.array([decay_exponent(self.T[self.fit], m[self.fit]) for m in self.measured])

    @property
    def measured_interval(self) -> list[float] | None:
        s = self.measured.shape[0]
        return _t_interval(self.measured_exponent, self.measured_per_seed, 1.0 / np.sqrt(s))

    def verdict(self) -> dict[str, Any]:
        """The difference predicted − measured in units of the combined interval (module
        docstring); ``z`` and ``verdict`` are None without both intervals."""
        pred, meas = self.prediction.exponent, self.measured_exponent
        diff = pred - meas
        pi, mi = self.prediction.interval, self.measured_interval
        if pi is None or mi is None:
            return {"difference": diff, "z": None, "verdict": None}
        half = float(np.hypot((pi[1] - pi[0]) / 2, (mi[1] - mi[0]) / 2))
        z = diff / half if half > 0 else float("inf")
        return {"difference": diff, "z": z, "verdict": "agree" if abs(z) <= 1 else "differ"}

    def records(self) -> list[dict[str, Any]]:
        """One row per T in the results schema, with the theory's ``predicted`` loss."""
        s = self.measured.shape[0]
        mean = self.measured.mean(axis=0)
        sem = self.measured.std(axis=0, ddof=1) / np.sqrt(s) if s > 1 else np.zeros_like(mean)
        return [
            {"dataset": self.dataset, "learner": self.learner, "kernel": self.kernel,
             "target": self.target, "T": int(t), "ridge": self.ridge,
             "predicted": float(self.prediction.loss[j]), "loss": float(mean[j]),
             "loss_sem": float(sem[j]), "seeds": int(s), "fitted": bool(self.fit[j])}
            for j, t in enumerate(self.T)
        ]  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """The JSON record: exponents, intervals, verdict, spectral fits, heuristics, curves."""
        spec = self.prediction.spectral
        heur: dict[str, Any] = {"raw_spectrum_exponent": spec.capacity - 1.0}
        heur["four_over_intrinsic_dimension"] = (
            None if self.dimension is None else 4.0 / self.dimension
        )
        return {
            "dataset": self.dataset,
            "learner": self.learner,
            "kernel": self.kernel,
            "target": self.target,
            "ridge": self.ridge,
            "ridge_lambda": self.ridge_lambda,
            **self.settings,
            "T": [int(t) for t in self.T],
            "fit_T": self.fit_T,
            "predicted_exponent": self.prediction.exponent,
            "predicted_exponent_ci": self.prediction.interval,
            "measured_exponent": self.measured_exponent,
            "measured_exponent_ci": self.measured_interval,
            "measured_exponent_per_seed": self.measured_per_seed.tolist(),
            **self.verdict(),
            "capacity_exponent": spec.capacity,
            "source_exponent": spec.source,
            "spectral_fit_ranks": list(spec.fit_range),
            "asymptotic_exponent": spec.asymptotic,
            "heuristics": heur,
            "intrinsic_dimension": self.dimension,
            **self.width_record(),
            **(
                {"feature_learning_shift": self.measured_exponent - self.prediction.exponent}
                if self.learner == "mlp"
                else {}
            ),
            "warnings": list(self.warnings),
            "records": self.records(),
        }


def _check_T(T: object, available: int) -> list[int]:
    Ts = sorted(set(parse_list("T", T, int)))
    if Ts[0] < 2:
        raise ConfigError(f"The 'T' parameter must be integers >= 2. Got {Ts[0]} instead.")
    if len(Ts) < 3:
        raise ConfigError(
            f"The 'T' parameter must hold at least 3 distinct sizes for a slope. Got {Ts}."
        )
    if Ts[-1] > available:
        raise ConfigError(
            f"The 'T' parameter must be at most {available} (the samples left after n_test). "
            f"Got {Ts[-1]} instead; lower --T or --n-test."
        )
    return Ts


def _fit_mask(T: list[int], fit_T: object) -> np.ndarray:
    arr = np.asarray(T, dtype=np.float64)
    if fit_T is None:
        mask = arr >= arr[1]  # the smallest T is pre-asymptotic by default
    else:
        bounds = list(fit_T) if isinstance(fit_T, tuple) else parse_list("fit_T", fit_T, int)
        lo, hi = [*bounds, 0, 0][:2]
        if len(bounds) != 2 or lo >= hi:
            raise ConfigError(
                f"The 'fit_T' parameter must be two sizes LO,HI with LO < HI. Got {fit_T!r}."
            )
        mask = (arr >= lo) & (arr <= hi)
    if mask.sum() < 2:
        raise ConfigError(
            f"The 'fit_T' parameter must keep at least 2 of the T values {T}. Got {fit_T!r}."
        )
    return mask


def resolve_kernel(learner: str, kernel: str | None) -> tuple[str, str]:
    """The validated learner and its kernel (``study_exponents`` describes the choices)."""
    learner = check_choice("learner", learner, LEARNERS)
    if learner == "mlp":
        if kernel not in (None, "relu-ntk"):
            raise ConfigError(
                f"The 'kernel' parameter of --learner mlp is its NTK, relu-ntk. Got {kernel!r}."
            )
        return learner, "relu-ntk"
    if learner == "rf":
        return learner, check_choice("kernel", kernel or "arccos", RF_KERNELS)
    return learner, check_choice("kernel", kernel or "laplace", KERNELS)


def check_settings(learner: str, T: list[int], ridge: float, seeds: int, n_boot: int,
                   n_pool: int, width: int | None, depth: int,
                   optimizer: str) -> tuple:  # fmt: skip
    """Validated ``(ridge, seeds, n_boot, n_pool, width, depth, optimizer)``; ``width``
    defaults to ``4 max(T)`` features (rf) or 256 units (mlp)."""
    ridge = check_float("ridge", ridge, 0.0, low_open=True)
    seeds = check_int("seeds", seeds, low=1)
    n_boot = check_int("n_boot", n_boot, low=0)
    n_pool = check_int("n_pool", n_pool, low=20)
    if learner == "rf":
        width = 4 * max(T) if width is None else check_int("width", width, low=1)
    elif learner == "mlp":
        width = 256 if width is None else check_int("width", width, low=1)
    depth = check_int("depth", depth, low=1)
    optimizer = check_choice("optimizer", optimizer, ("adam", "sgd"))
    return ridge, seeds, n_boot, n_pool, width, depth, optimizer


MLP_WIDTHS = tuple(2**k for k in range(4, 13))
"""Candidate hidden widths of ``widths="default"`` for ``mlp``: the first five whose lazy
model has at least ``2 max(T)`` features (:func:`check_widths`)."""


def check_widths(learner: str, widths: object, T: list[int], d: int = 1,
                 depth: int = 2) -> list[int] | None:  # fmt: skip
    """The validated ``widths`` (at least 2). ``rf``: feature counts on the N-limited side
    N <= max(T)/2, default five log-spaced from max(T)/32 to max(T)/2. ``mlp``: hidden widths
    (``d`` inputs, ``depth`` hidden layers), default the first five of :data:`MLP_WIDTHS` whose
    lazy model (:func:`~.mlp.lazy_features`) has at least ``2 max(T)`` features, clear of its
    interpolation peak at ``max(T)``."""
    if widths is None:
        return None
    if learner not in ("rf", "mlp"):
        raise ConfigError(
            f"The 'widths' parameter is for --learner rf or mlp (a width exponent). Got "
            f"--learner {learner} instead."
        )
    half = max(T) // 2
    if widths == "default":
        if learner == "rf":
            Ns = sorted({max(1, round(n)) for n in np.geomspace(half / 16, half, 5)})
        else:
            Ns = [n for n in MLP_WIDTHS if lazy_features(n, d, depth) >= 2 * max(T)][:5]
    else:
        Ns = sorted(set(parse_list("widths", widths, int)))
    top = half if learner == "rf" else MLP_WIDTHS[-1]
    if len(Ns) < 2 or Ns[0] < 1 or Ns[-1] > top:
        why = (f"N <= T/2 at the largest T = {max(T)}, the N-limited side of the interpolation "
               "peak" if learner == "rf" else "hidden units")  # fmt: skip
        raise ConfigError(
            f"The 'widths' parameter must hold at least 2 widths in [1, {top}] ({why}). Got "
            f"{Ns} instead."
        )
    return Ns


def default_T(available: int, learner: str) -> list[int]:
    """Six log-spaced sizes from 50 to ``min(available, 4000)`` (2000 for ``mlp``)."""
    hi = min(available, 2000 if learner == "mlp" else 4000)
    return sorted({round(t) for t in np.geomspace(min(50, hi // 8), hi, 6)})


def study_exponents(
    X: np.ndarray,
    Y: np.ndarray,
    *,
    dataset: str = "data",
    target: str = "given",
    learner: str = "kernel",
    kernel: str | None = None,
    T: object = None,
    fit_T: object = None,
    ridge: float = 1e-6,
    n_test: int | None = None,
    seeds: int = 3,
    n_pool: int = 2000,
    fit_ranks: tuple[int, int] | None = None,
    n_boot: int = 10,
    bandwidth: float = 1.0,
    width: int | None = None,
    widths: object = None,
    depth: int = 2,
    steps: int = 1000,
    lr: float = 1e-3,
    batch: int = 128,
    optimizer: str = "adam",
    dimension: bool = True,
    seed: int = 0,
    cache: str | os.PathLike | UnitStore | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ExponentStudy:
    """Predict and measure the data exponent of ``learner`` on ``(X, Y)`` (module docstring).

    Parameters
    ----------
    X, Y : arrays (n, d), (n, C)
        Standardised inputs and centred targets (:func:`.data.make_targets`).
    learner : {"kernel", "rf", "mlp"}
        Kernel ridge, random-feature ridge, or a trained ReLU network.
    kernel : str, optional
        ``kernel``: one of :data:`~.kernels.KERNELS` (default ``laplace``); ``rf``: ``arccos``
        (ReLU features, default) or ``linear``; ``mlp``: always ``relu-ntk``.
    T : list of int, optional
        Training sizes (default :func:`default_T`); ``fit_T`` the range ``LO,HI`` of the fit
        (default: all but the smallest).
    ridge : float
        Relative ridge (ridge rule in the module docstring).
    n_test, seeds : int
        Held-out rows per seed (default ``min(1000, n // 5)``) and independent draws.
    n_pool, fit_ranks, n_boot : int, (int, int), int
        Pool size, the ranks of the spectral fits (default ``10, n_pool // 10``) and the
        bootstrap replicates of the prediction.
    bandwidth, depth, width : float, int, int
        Kernel bandwidth (rbf, laplace), hidden layers (relu-ntk, mlp), and features (rf,
        default ``4 max(T)``) or hidden units (mlp, default 256).
    widths : list of int or "default", optional
        ``rf``: feature counts, ``mlp``: hidden widths, N <= max(T)/2, for the width exponent
        at the largest T (:func:`check_widths`).
    steps, lr, batch, optimizer
        The network's training rule (:mod:`.mlp`).
    dimension : bool
        Also estimate the pool's intrinsic dimension for the ``4/d`` heuristic.
    cache : folder or UnitStore, optional
        Where finished units (pools, fits) are written as they finish and read back by a rerun
        with the same inputs (:mod:`.cache`); None computes everything and writes nothing.
    progress : callable, optional
        ``progress(done, total)`` over the pool, the replicates and every fit (seed x T, seed x
        width).
    """
    learner, kernel = resolve_kernel(learner, kernel)
    n = X.shape[0]
    n_test = min(1000, n // 5) if n_test is None else check_int("n_test", n_test, 1, n - 3)
    Ts = default_T(n - n_test, learner) if T is None else _check_T(T, n - n_test)
    fit = _fit_mask(Ts, fit_T)
    ridge, seeds, n_boot, n_pool, width, depth, optimizer = check_settings(
        learner, Ts, ridge, seeds, n_boot, n_pool, width, depth, optimizer)  # fmt: skip
    n_pool = min(n_pool, n)
    Ns = check_widths(learner, widths, Ts, X.shape[1], depth)
    if fit_ranks is None:
        fit_ranks = (10, n_pool // 10)
    store = cache if isinstance(cache, UnitStore) else UnitStore(cache)
    digest = data_digest(X, Y) if store.directory is not None else ""
    n_fits = seeds * (len(Ts) + (len(Ns) if Ns else 0))
    total = 1 + n_boot + n_fits
    tick = (lambda k: progress(k, total)) if progress is not None else None
    pred_width = width if learner == "rf" else KERNEL_WIDTH
    counts = _feature_counts(learner, Ns, X.shape[1], depth)
    predicted = store.scope({
        "stage": "prediction", "data": digest, "kernel": kernel, "bandwidth": bandwidth,
        "depth": depth, "ridge": ridge, "n_pool": n_pool, "fit_ranks": list(fit_ranks),
        "T": Ts, "widths": Ns, "features": counts, "N": pred_width, "seed": seed,
    })  # fmt: skip
    pred, lam, pool = predict_exponent(
        X, Y, Ts, fit, kernel=kernel, ridge=ridge, n_pool=n_pool, fit_ranks=tuple(fit_ranks),
        n_boot=n_boot, seed=seed, width=pred_width, bandwidth=bandwidth, depth=depth,
        widths=Ns, feature_counts=counts, cache=predicted, progress=tick,
    )  # fmt: skip
    from .training import measure_curve, measure_width_curve

    rule = {"depth": depth, "steps": steps, "lr": lr, "batch": batch, "optimizer": optimizer}
    trained = store.scope({
        "stage": "training", "data": digest, "learner": learner, "kernel": kernel,
        "ridge_lambda": lam, "n_test": n_test, "seed": seed, "bandwidth": bandwidth,
        "depth": depth, "rule": rule if learner == "mlp" else None,
    })  # fmt: skip
    done = 1 + n_boot
    measured = measure_curve(
        X, Y, Ts, learner=learner, kernel=kernel, ridge=lam, n_test=n_test, seeds=seeds,
        seed=seed, bandwidth=bandwidth, depth=depth, width=width or 0,
        mlp={**rule, "width": width}, cache=trained,
        progress=(lambda k: progress(done + k, total)) if progress else None,
    )  # fmt: skip
    measured_width = None
    if Ns is not None:
        done += seeds * len(Ts)
        measured_width = measure_width_curve(
            X, Y, Ns, Ts[-1], learner=learner, kernel=kernel, ridge=lam, n_test=n_test,
            seeds=seeds, seed=seed, mlp=rule, cache=trained,
            progress=(lambda k: progress(done + k, total)) if progress else None,
        )  # fmt: skip
    d_hat = None
    if dimension:
        from ..realdata.dimension import intrinsic_dimension

        d_hat = intrinsic_dimension(X[pool], n_boot=0).mle
    settings: dict[str, Any] = {"n_pool": n_pool, "n_boot": n_boot, "n_test": n_test,
                                "seeds": seeds, "seed": seed}  # fmt: skip
    if kernel in ("rbf", "laplace"):
        settings["bandwidth"] = bandwidth
    if learner in ("rf", "mlp"):
        settings["N"] = width
    if learner == "mlp" or kernel == "relu-ntk":
        settings["depth"] = depth
    if learner == "mlp":
        settings["d"] = X.shape[1]
    if learner == "mlp":
        settings.update(steps=steps, lr=lr, batch=batch, optimizer=optimizer)
    study = ExponentStudy(
        dataset=dataset, learner=learner, kernel=kernel, target=target, ridge=ridge,
        ridge_lambda=lam, T=np.asarray(Ts), fit=fit, measured=measured, prediction=pred,
        settings=settings, dimension=d_hat, measured_width=measured_width,
        widths=None if Ns is None else np.asarray(Ns),
    )  # fmt: skip
    for message in _diagnose(study):
        study.warnings.append(message)
        warnings.warn(message, EstimateWarning, stacklevel=2)
    return study


def _feature_counts(learner: str, widths: list[int] | None, d: int,
                    depth: int) -> list[int] | None:  # fmt: skip
    """The random features of the predicted width curve: N for ``rf``, the lazy network's
    :func:`~.mlp.lazy_features` for ``mlp``."""
    if widths is None or learner != "mlp":
        return widths
    return [lazy_features(n, d, depth) for n in widths]


def _diagnose(study: ExponentStudy) -> list[str]:
    """Reasons not to trust the numbers, each naming the option to change."""
    out = []
    pred = study.prediction
    if pred.end_rank < EXTENSION * study.T.max() and pred.spectral.capacity <= 1.0:
        out.append(
            f"the capacity exponent a = {pred.spectral.capacity:.3g} <= 1 cannot continue: the "
            f"power-law tail stops at rank {pred.end_rank:.3g} with half of the trace left, the "
            "rest acting as a ridge (docs/exponents.md §3), and the prediction depends on that "
            "split; raise --n-pool or change --fit-ranks."
        )
    if study.learner == "mlp" and study.widths is not None:
        d, depth, t = study.settings["d"], study.settings["depth"], int(study.T.max())
        near = [int(n) for n in study.widths if t / 2 < lazy_features(int(n), d, depth) < 2 * t]
        if near:
            out.append(
                f"the lazy model of widths {near} has between T/2 and 2T parameters (T = {t}): "
                "its interpolation peak lies among the widths and its width curve is not one "
                "power law there; choose --widths clear of it (--widths alone does)."
            )
    if study.measured.shape[0] < 2:
        out.append("one seed gives no interval for the measured exponent; use --seeds >= 2.")
    if pred.interval is None:
        out.append("no bootstrap replicates, no interval for the prediction; use --n-boot >= 2.")
    T, mean = study.T[study.fit], study.measured.mean(axis=0)[study.fit]
    if T.size >= 4:
        half = T.size // 2
        lo, hi = (
            decay_exponent(T[: half + 1], mean[: half + 1]),
            decay_exponent(T[half:], mean[half:]),
        )
        if abs(lo - hi) > 0.25 * max(abs(study.measured_exponent), 0.1):
            out.append(
                f"the measured curve bends over the fit range (slope {lo:.3g} below T = "
                f"{int(T[half])}, {hi:.3g} above): not one power law there; narrow --fit-T."
            )
    if study.measured_exponent <= 0:
        out.append("the measured loss does not decrease with T over the fit range; change --T.")
    return out
