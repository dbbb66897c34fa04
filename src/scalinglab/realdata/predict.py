"""Predict the learning curves of random-feature ridge regression on a real data set.

**Prediction** (docs/theory.md §11, kernel-spectrum reduction, with §5). A random-feature model
``φ_i(x) = σ(u_i·x)``, ``u_i ~ N(0, σ_u²/d · I)``, is treated as a *linear* random-feature model
whose latent spectrum is the spectrum ``ξ_k`` of its infinite-width kernel
``k(x, x') = E_u[σ(u·x) σ(u·x')]`` under the data distribution, with target powers
``v_k² = ⟨y, ψ_k⟩²`` and feature scale ``s² = 1`` (feature units). The data distribution is
represented by a pool of n points (the whole data set, or a random subset of ``n_pool``): the
kernel operator's eigenpairs are those of the n x n matrix ``K_ij = k(x_i, x_j)/n``
(eigenvalues ``ξ_k``, unit eigenvectors ``q_k``), and ``v_k = q_kᵀy/√n``. The kernel is exact
(no finite bank): the arc-cosine kernel for ReLU (docs/theory.md §11),

.. math::

    k(x, x') = \\frac{\\sqrt{q q'}}{2π}\\Big[\\sqrt{1-ρ^2} + (π - \\arccos ρ)ρ\\Big],\\quad
    q = σ_u^2 |x|^2/d,\\ ρ = \\cos∠(x, x'),

and ``σ_u² x·x'/d`` for linear features. Target power outside the kernel's range,
``A_⊥ = E y² − Σ_k v_k²``, is added to the label-noise variance and to the loss as ``A_⊥/2``
(docs/theory.md §11). The loss is the deterministic equivalent
:func:`scalinglab.theory.equivalent.deterministic_equivalent` (docs/theory.md §5; factor ½,
noise-free labels).

**Finite-pool correction.** The pool is the population of the theory, so the deterministic
equivalent predicts the loss ``L_pool`` averaged over *all* pool points, a fraction ``T/n`` of
which are training points. Training sets are drawn from the pool (outside the test points), so
for a trained predictor ``L_pool = (T/n) L_train + (1 − T/n) L_held-out`` and the held-out
prediction is ``(L_pool − (T/n) L_train)/(1 − T/n)``, with ``L_train`` the deterministic
equivalent's training loss (docs/theory.md §5's ``(1 − d1/T)² (L + σ²/2)``, noise-free here).
Without it the prediction is biased low by up to ~15 % on digits at T/n = 1/3.

**Measurement.** The inputs are standardised (centred, one global scale so ``mean |x|² = d``),
a held-out test set of ``n_test`` pool points is set aside, and for each seed a fresh ``U`` and a
fresh random training subset are drawn (nested: the (N, T) grid uses the first N features and
the first T training points of one draw). The ridge solution ``θ = (FᵀF + γI)⁻¹Fᵀy``
(docs/theory.md §2) is evaluated by ``½ mean (ŷ − y)²`` on the test set.

**Exponents per regime.** The loss has an interpolation peak at ``T = N`` (ridge → 0), and a
slope taken across it mixes two regimes (and can come out negative). The T exponent is the
least-squares slope of ``−log L`` against ``log T`` at the largest N over the points on the
T-limited side of the peak, ``T <= N/PEAK_MARGIN``; the N exponent the same against ``log N`` at
the largest T over ``N <= T/PEAK_MARGIN``. The points used are reported; with fewer than two
the exponent is NaN and an :class:`~scalinglab.exceptions.EstimateWarning` names the flag to
change. The measured exponent's 95 % interval is ``ê ± t_{0.975, s−1} sd(ê_i)/√s`` over the
per-seed slopes ``ê_i`` (each seed is an independent draw of features and training set); the
predicted exponent is deterministic given the pool. A non-positive measured exponent (a loss
that does not decrease) is warned about.

Targets: ``linear`` (a random linear teacher ``y = w·x``, ``w ~ N(0, I/d)``, on the
standardised inputs) or ``label:C`` (one-vs-rest, ``y = 1[label = C]``); the target is centred.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._arrays import loglog_slope
from .._rng import child, root_sequence
from .._validation import check_choice, check_float, check_int, parse_list
from ..exceptions import ConfigError, EstimateWarning
from .covariance import check_data, feature_map, standardize
from .loaders import Dataset

__all__ = [
    "KernelSpectrum",
    "LearningCurveResult",
    "kernel_matrix",
    "kernel_spectrum",
    "make_target",
    "measure_learning_curve",
    "predict_learning_curve",
    "predicted_learning_curve",
]

_STREAM_U, _STREAM_ROWS = 0, 1


def make_target(data: Dataset, target: str, X: np.ndarray, seed: int = 0) -> np.ndarray:
    """The centred target on every row of the standardised inputs ``X``."""
    if target == "linear":
        rng = np.random.default_rng(child(root_sequence(seed), 99))
        w = rng.standard_normal(X.shape[1]) / np.sqrt(X.shape[1])
        y = X @ w
    elif target.startswith("label:"):
        if data.y is None:
            raise ConfigError(
                f"The 'target' parameter 'label:C' needs a data set with labels; {data.name} "
                "has none. Use 'linear'."
            )
        try:
            label = int(target.split(":", 1)[1])
        except ValueError:
            raise ConfigError(
                f"The 'target' parameter must be 'linear' or 'label:C' with an integer class C. "
                f"Got {target!r} instead."
            ) from None
        if not np.any(data.y == label):
            raise ConfigError(
                f"The 'target' parameter must name a class present in {data.name}. "
                f"Got {target!r} instead."
            )
        y = (data.y == label).astype(np.float64)
    else:
        raise ConfigError(
            f"The 'target' parameter must be 'linear' or 'label:C'. Got {target!r} instead."
        )
    return y - y.mean()


def kernel_matrix(
    X: np.ndarray, Z: np.ndarray | None = None, activation: str = "relu", sigma_u: float = 1.0
) -> np.ndarray:
    """Infinite-width kernel ``E_u[σ(u·x) σ(u·z)]``, ``u ~ N(0, σ_u²/d I)`` (module docstring)."""
    activation = check_choice("activation", activation, ("linear", "relu"))
    Z = X if Z is None else Z
    d = X.shape[1]
    dot = (sigma_u**2 / d) * (X @ Z.T)
    if activation == "linear":
        return dot
    qx = (sigma_u**2 / d) * np.einsum("ij,ij->i", X, X)
    qz = (sigma_u**2 / d) * np.einsum("ij,ij->i", Z, Z)
    norm = np.sqrt(np.outer(qx, qz))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.clip(np.where(norm > 0, dot / norm, 0.0), -1.0, 1.0)
    return norm / (2.0 * np.pi) * (np.sqrt(1.0 - rho * rho) + (np.pi - np.arccos(rho)) * rho)


@dataclass(frozen=True)
class KernelSpectrum:
    """Spectrum ξ_k and target powers v_k² of a random-feature kernel on a data pool.

    ``target_variance`` is ``E y²`` on the pool and ``residual_power`` is
    ``A_⊥ = E y² − Σ v_k²`` (target power outside the retained eigenvectors).
    """

    eigenvalues: np.ndarray = field(repr=False)
    target_power: np.ndarray = field(repr=False)
    target_variance: float
    residual_power: float
    n_pool: int


def kernel_spectrum(
    X: object, y: object, activation: str = "relu", sigma_u: float = 1.0, rtol: float = 1e-10
) -> KernelSpectrum:
    """Eigenvalues of ``K/n`` and target powers ``(q_kᵀy)²/n`` on the pool ``(X, y)``.

    Eigenvalues below ``rtol`` times the largest are dropped; their target power goes into
    ``residual_power``.
    """
    X = check_data(X)
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (X.shape[0],):
        raise ConfigError(
            f"The 'y' parameter must have one entry per row of X ({X.shape[0]}). "
            f"Got shape {y.shape} instead."
        )
    n = X.shape[0]
    xi, q = np.linalg.eigh(kernel_matrix(X, None, activation, sigma_u) / n)
    xi, q = xi[::-1], q[:, ::-1]
    keep = xi > rtol * xi[0]
    power = (q[:, keep].T @ y) ** 2 / n
    variance = float(y @ y / n)
    return KernelSpectrum(
        eigenvalues=xi[keep],
        target_power=power,
        target_variance=variance,
        residual_power=max(variance - float(power.sum()), 0.0),
        n_pool=n,
    )


def predicted_learning_curve(
    spectrum: KernelSpectrum, N: object, T: object, ridge: float = 0.0, held_out: bool = True
) -> np.ndarray:
    """Deterministic-equivalent test loss on the grid ``len(N) x len(T)`` (module docstring).

    With ``held_out`` the pool-measure loss is converted to the loss on pool points outside
    the training set (the finite-pool correction of the module docstring).
    """
    from ..theory.equivalent import deterministic_equivalent

    N = np.asarray(N, dtype=np.float64)[:, None]
    T = np.asarray(T, dtype=np.float64)[None, :]
    extra = spectrum.residual_power
    res = deterministic_equivalent(
        spectrum.eigenvalues, spectrum.target_power, N, T, ridge, np.sqrt(extra),
        feature_scale=1.0,
    )  # fmt: skip
    loss = res.loss + 0.5 * extra
    if not held_out:
        return loss
    frac = T / spectrum.n_pool
    if np.any(frac >= 1.0):
        raise ConfigError(
            f"The 'T' parameter must be below the pool size {spectrum.n_pool} for a held-out "
            f"prediction. Got {int(T.max())} instead."
        )
    return (loss - frac * res.train_loss) / (1.0 - frac)


def _ridge_fit_predict(
    F: np.ndarray, y: np.ndarray, F_test: np.ndarray, ridge: float
) -> np.ndarray:
    """Test predictions of ``θ = (FᵀF + γI)⁻¹Fᵀy`` (dual form when N > T; docs/theory.md §2)."""
    T, N = F.shape
    if ridge == 0.0:
        theta = np.linalg.lstsq(F, y, rcond=None)[0]
    elif N <= T:
        theta = np.linalg.solve(F.T @ F + ridge * np.eye(N), F.T @ y)
    else:
        theta = F.T @ np.linalg.solve(F @ F.T + ridge * np.eye(T), y)
    return F_test @ theta


def measure_learning_curve(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    N: list[int],
    T: list[int],
    *,
    activation: str = "relu",
    ridge: float = 0.0,
    sigma_u: float = 1.0,
    seeds: int = 4,
    seed: int = 0,
    progress: Any = None,
) -> np.ndarray:
    """Held-out test losses ``½ mean (ŷ − y)²``, shape ``(seeds, len(N), len(T))``.

    ``progress(done, total)`` is called after each seed."""
    root = root_sequence(seed)
    n_max, t_max = max(N), max(T)
    if t_max > X_train.shape[0]:
        raise ConfigError(
            f"The 'T' parameter must be at most the {X_train.shape[0]} training points "
            f"available. Got {t_max} instead."
        )
    out = np.empty((seeds, len(N), len(T)))
    for s in range(seeds):
        seq = child(root, s)
        feature_seed = child(seq, _STREAM_U)
        rows = np.random.default_rng(child(seq, _STREAM_ROWS)).permutation(X_train.shape[0])[:t_max]
        y = y_train[rows]
        F_all = feature_map(X_train[rows], n_max, activation, sigma_u, feature_seed)
        F_test_all = feature_map(X_test, n_max, activation, sigma_u, feature_seed)
        for i, n in enumerate(N):
            for j, t in enumerate(T):
                pred = _ridge_fit_predict(F_all[:t, :n], y[:t], F_test_all[:, :n], ridge)
                out[s, i, j] = 0.5 * np.mean((pred - y_test) ** 2)
        if progress is not None:
            progress(s + 2, seeds + 1)
    return out


PEAK_MARGIN = 2.0
"""Points within this factor of the interpolation peak ``T = N`` are left out of exponents."""


def decay_exponent(x: np.ndarray, loss: np.ndarray) -> float:
    """The exponent β of ``loss ∝ x^-β`` by least squares in log-log (nan without two positive
    finite points)."""
    if x.size < 2 or np.any(~np.isfinite(loss)) or np.any(loss <= 0):
        return float("nan")
    return -loglog_slope(x, loss)


def _regime_exponent(axis: str, other: str, x: np.ndarray, fixed: int, predicted: np.ndarray,
                     measured: np.ndarray) -> dict[str, Any]:  # fmt: skip
    """Exponents in ``axis`` at ``other = fixed`` over the points ``x <= fixed/PEAK_MARGIN``.

    ``predicted`` is (len(x),), ``measured`` (seeds, len(x)).
    """
    from scipy import stats

    use = x <= fixed / PEAK_MARGIN
    pts = x[use]
    key = f"exponent_{axis}"
    out: dict[str, Any] = {f"{key}_points": pts.tolist(), f"{key}_at_{other}": int(fixed)}
    est = decay_exponent(pts, measured[:, use].mean(axis=0)) if pts.size >= 2 else float("nan")
    per_seed = np.array([decay_exponent(pts, m[use]) for m in measured]) if pts.size >= 2 else []
    ci = None
    if len(per_seed) >= 2 and np.all(np.isfinite(per_seed)):
        half = stats.t.ppf(0.975, len(per_seed) - 1) * np.std(per_seed, ddof=1)
        half /= np.sqrt(len(per_seed))
        ci = [est - half, est + half]
    out.update({f"{key}_predicted": decay_exponent(pts, predicted[use]) if pts.size >= 2
                else float("nan"), f"{key}_measured": est, f"{key}_measured_ci": ci})  # fmt: skip
    if pts.size < 2:
        out["warning"] = (
            f"{key}: {pts.size} of the --{axis} values lie on the {axis}-limited side of the "
            f"interpolation peak ({axis} <= {other}/{PEAK_MARGIN:g} = {fixed / PEAK_MARGIN:g} at "
            f"the largest --{other}); give at least two such --{axis} values."
        )
    elif est <= 0:
        out["warning"] = (
            f"{key}: the measured loss does not decrease with {axis} over {pts.tolist()} "
            f"(exponent {est:.3g}); more --seeds or a larger --ridge."
        )
    return out


@dataclass(frozen=True)
class LearningCurveResult:
    """Predicted and measured test losses on an (N, T) grid of one data set and target."""

    dataset: str
    target: str
    activation: str
    ridge: float
    N: np.ndarray
    T: np.ndarray
    predicted: np.ndarray
    measured: np.ndarray = field(repr=False)
    spectrum: KernelSpectrum = field(repr=False)

    @property
    def measured_mean(self) -> np.ndarray:
        """Mean measured loss over seeds, shape ``(len(N), len(T))``."""
        return self.measured.mean(axis=0)

    @property
    def measured_sem(self) -> np.ndarray:
        """Standard error of the mean over seeds."""
        s = self.measured.shape[0]
        return self.measured.std(axis=0, ddof=1) / np.sqrt(s) if s > 1 else np.zeros_like(
            self.predicted)  # fmt: skip

    @property
    def relative_error(self) -> np.ndarray:
        """``predicted / measured − 1`` on the grid."""
        return self.predicted / self.measured_mean - 1.0

    def exponents(self) -> dict[str, Any]:
        """Decay exponents of L in T (at the largest N) and in N (at the largest T), each over
        its side of the interpolation peak, with the points used and the measured intervals
        (module docstring). Problems are issued as :class:`EstimateWarning`."""
        out: dict[str, Any] = {}
        for part in (
            _regime_exponent("T", "N", self.T, int(self.N[-1]), self.predicted[-1, :],
                             self.measured[:, -1, :]),
            _regime_exponent("N", "T", self.N, int(self.T[-1]), self.predicted[:, -1],
                             self.measured[:, :, -1]),
        ):  # fmt: skip
            message = part.pop("warning", None)
            if message is not None:
                warnings.warn(message, EstimateWarning, stacklevel=2)
            out.update(part)
        return out

    def to_frame(self):
        """The records as a :class:`pandas.DataFrame`."""
        import pandas as pd

        return pd.DataFrame(self.records())

    def records(self) -> list[dict[str, Any]]:
        """One record per (N, T) grid point: the measured seed mean ``loss`` with ``loss_sem``
        (results schema), the theory's ``predicted`` loss and their ``relative_error``."""
        mean, sem, rel = self.measured_mean, self.measured_sem, self.relative_error
        return [
            {
                "dataset": self.dataset,
                "target": self.target,
                "activation": self.activation,
                "N": int(n),
                "T": int(t),
                "ridge": self.ridge,
                "predicted": float(self.predicted[i, j]),
                "loss": float(mean[i, j]),
                "loss_sem": float(sem[i, j]),
                "relative_error": float(rel[i, j]),
                "seeds": int(self.measured.shape[0]),
            }
            for i, n in enumerate(self.N)
            for j, t in enumerate(self.T)
        ]


def predict_learning_curve(
    data: Dataset,
    N: object,
    T: object,
    *,
    target: str = "linear",
    activation: str = "relu",
    ridge: float = 0.1,
    sigma_u: float = 1.0,
    n_test: int = 500,
    n_pool: int = 4000,
    seeds: int = 4,
    seed: int = 0,
    progress: Any = None,
) -> LearningCurveResult:
    """Predict (kernel-spectrum DE) and measure (trained models) learning curves on ``data``.

    Parameters
    ----------
    data : Dataset
        The data (see :func:`~scalinglab.realdata.loaders.load_dataset`).
    N, T : int or list of int
        Numbers of random features and of training samples (the grid is their product).
    target : str
        ``linear`` or ``label:C`` (module docstring).
    activation : {"relu", "linear"}
        Feature nonlinearity.
    ridge : float
        γ ≥ 0, added to the un-normalised Gram ``FᵀF`` (docs/theory.md §2).
    sigma_u : float
        Feature-weight scale: ``u ~ N(0, σ_u²/d I)``.
    n_test : int
        Held-out test points, part of the pool but never used for training.
    n_pool : int
        Points representing the data distribution (all when fewer); training sets are drawn
        from the pool without the test points.
    seeds, seed : int
        Number of (features, training subset) draws and the base seed.
    progress : callable, optional
        ``progress(done, total)``: the kernel spectrum, then each seed.
    """
    Ns = sorted(parse_list("N", N, int))
    Ts = sorted(parse_list("T", T, int))
    for name, values in (("N", Ns), ("T", Ts)):
        if values[0] < 1:
            raise ConfigError(f"The '{name}' parameter must be integers >= 1. Got {values}.")
    activation = check_choice("activation", activation, ("linear", "relu"))
    ridge = check_float("ridge", ridge, 0.0)
    sigma_u = check_float("sigma_u", sigma_u, 0.0, low_open=True)
    seeds = check_int("seeds", seeds, low=1)
    n_pool = check_int("n_pool", n_pool, low=2)
    n_pool = min(n_pool, data.n_samples)
    n_test = check_int("n_test", n_test, low=1, high=n_pool - 1)
    if Ts[-1] > n_pool - n_test:
        raise ConfigError(
            f"The 'T' parameter must be at most {n_pool - n_test} training points (the "
            f"{n_pool} pooled points of {data.name} minus n_test = {n_test} held out). Got "
            f"{Ts[-1]} instead; lower --T, or --n-test, or raise --n-pool."
        )
    X = standardize(data.X)
    y = make_target(data, target, X, seed)
    rng = np.random.default_rng(child(root_sequence(seed), 98))
    pool = rng.permutation(data.n_samples)[:n_pool]
    test, train = pool[:n_test], pool[n_test:]
    spectrum = kernel_spectrum(X[pool], y[pool], activation, sigma_u)
    predicted = predicted_learning_curve(spectrum, Ns, Ts, ridge)
    if progress is not None:
        progress(1, seeds + 1)
    measured = measure_learning_curve(
        X[train], y[train], X[test], y[test], Ns, Ts, activation=activation, ridge=ridge,
        sigma_u=sigma_u, seeds=seeds, seed=seed, progress=progress,
    )  # fmt: skip
    return LearningCurveResult(
        dataset=data.name, target=target, activation=activation, ridge=ridge,
        N=np.array(Ns), T=np.array(Ts), predicted=predicted, measured=measured,
        spectrum=spectrum,
    )  # fmt: skip
