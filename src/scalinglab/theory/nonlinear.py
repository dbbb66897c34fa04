"""Theory for nonlinear random features ``φ = σ(Ux + b)`` (docs/theory.md §11).

Three predictions of the test loss (factor ½, noise-free test labels), selected by ``method``:

``conditional`` (default; docs/theory.md §11, within ~2.3 % of ReLU simulation in §11)
    Stage A of the deterministic equivalent, conditioned on one draw of U, with the linear
    covariance replaced by the exact feature second moment ``S = E[φφᵀ]`` (closed-form kernel,
    :mod:`scalinglab.features.kernels`) and the cross moment ``B = E[φxᵀ] = diag(μ1) UΛ``
    (Stein's lemma). With ``S = V diag(s) Vᵀ`` and the teacher-averaged
    ``g_k = (Vᵀ B Ω Bᵀ V)_kk`` (target power ``v_k² = g_k/s_k``; unexplained power
    ``A = s_ω − Σ_k g_k/s_k``) and ``κ`` the root on ``df1 < T`` of

    .. math::  κ\\,(T - df_1(κ)) = γ,\\qquad df_1 = \\sum_k \\frac{s_k}{s_k+κ},\\;
               df_2 = \\sum_k \\frac{s_k^2}{(s_k+κ)^2},

    the loss is ``L = [T (A + b_2) + σ_ε² df2] / (2 (T − df2))`` with
    ``A + b_2 = s_ω − Σ_k g_k (s_k + 2κ)/(s_k + κ)²`` (the form of docs/theory.md §11 rearranged:
    ``½[A + (κ²θ*ᵀS(S+κ)⁻²θ* + (A+σ²)df2/T)/(1 − df2/T)]`` averaged over w). Ridgeless with
    N < T: κ = 0 and ``L = ½(A + σ²N/T)/(1 − N/T)``. The prediction is averaged over ``draws``
    draws of U (the simulator's draws for the same seed), and its standard error is reported.
``kernel`` (docs/theory.md §11; 2–6 % in §11 with a bank of 6000, better with larger banks)
    The kernel-spectrum reduction, in the spirit of the dimension-free deterministic equivalent
    of random-feature ridge regression (Defilippis, Loureiro, Misiakiewicz 2024,
    arXiv:2405.15699): the general deterministic equivalent of docs/theory.md §5
    (:func:`scalinglab.theory.deterministic_equivalent`, feature units) applied to the
    kernel-operator eigenvalues ``ξ_k = s_k/N'`` of a bank of ``N' ≫ N`` features and the
    teacher powers ``v_k² = g_k/s_k`` in its eigenbasis; the power outside the bank's span,
    ``A_⊥ = s_ω − Σ v_k²``, is added to the label-noise variance and ``A_⊥/2`` to the loss.
    The bank must resolve the kernel's tail: the error grows with N/N' (docs/theory.md §12).
``naive`` (docs/theory.md §11; **fails**: +14 % to +1116 % in §11)
    The (μ0, μ1, μ*) Gaussian-equivalent linearisation ``S_naive = m mᵀ + diag(μ1) C diag(μ1)
    + diag(μ*²)`` in the conditional formula. It drops the ``ρ²/(4π) + …`` Hermite terms that
    carry the spectral extension; it is provided only to show where it fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._rng import spawn_seeds
from .._validation import check_choice, check_int, parse_list
from ..exceptions import ConfigError
from ..features import feature_covariance, feature_map
from ..model import DataModel
from .equivalent import deterministic_equivalent

__all__ = ["METHODS", "NonlinearTheoryResult", "conditional_loss", "predict_nonlinear"]

METHODS = ("conditional", "kernel", "naive")
DEFAULT_BANK = 6000
_BISECTIONS = 200


@dataclass
class NonlinearTheoryResult:
    """Predicted losses on the (N, T, ridge) grid, shape ``(len(N), len(T), len(ridge))``.

    ``loss`` is the mean over ``draws`` draws of U and ``loss_sem`` its standard error (NaN for a
    single draw); ``bank`` is the kernel method's bank size (None otherwise).
    """

    model: DataModel
    N: np.ndarray
    T: np.ndarray
    ridge: np.ndarray
    noise: float
    loss: np.ndarray
    loss_sem: np.ndarray
    activation: str
    method: str
    draws: int
    sigma_b: float = 0.0
    bank: int | None = None

    def records(self) -> list[dict[str, Any]]:
        """One record per (N, T, ridge) with the inputs, ``activation`` and ``method``."""
        base = {**self.model.describe(), "noise": self.noise}
        out = []
        for idx in np.ndindex(self.loss.shape):
            i, j, k = idx
            rec = dict(base)
            rec.update(
                N=int(self.N[i]),
                T=int(self.T[j]),
                ridge=float(self.ridge[k]),
                activation=self.activation,
                sigma_b=self.sigma_b,
                method=self.method,
                loss=float(self.loss[idx]),
                loss_sem=float(self.loss_sem[idx]),
                draws=self.draws,
            )
            if self.bank is not None:
                rec["bank"] = self.bank
            out.append(rec)
        return out

    def to_frame(self):
        """The records as a :class:`pandas.DataFrame` (results schema)."""
        import pandas as pd

        return pd.DataFrame(self.records())


def _kappa(s: np.ndarray, T: int, ridges: np.ndarray) -> np.ndarray:
    """κ ≥ 0 with ``κ(T − Σ s/(s+κ)) = γ`` on ``df1 < T`` for each ridge (bisection in log κ).

    ``γ = 0``: κ = 0 when ``rank ≤ T``, else the root of ``df1(κ) = T``.
    """
    rank = s.size
    total = float(np.sum(s))

    def df1(kappa: np.ndarray) -> np.ndarray:
        return np.sum(s[None, :] / (s[None, :] + kappa[:, None]), axis=1)

    kappa = np.zeros(ridges.size)
    need = (ridges > 0) | (rank > T)
    if not need.any():
        return kappa
    gam = ridges[need]
    floor = np.log(np.min(s)) - 60.0
    lo = np.where(gam > 0, np.log(np.where(gam > 0, gam, 1.0) / T) - 60.0, floor)
    hi = np.log(gam / T + total / T) + 1.0
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        k = np.exp(mid)
        d = df1(k)
        with np.errstate(divide="ignore"):
            g = np.where(d < T, np.log(k) + np.log(np.maximum(T - d, 0.0)), -np.inf)
        above = np.where(gam > 0, g >= np.log(np.where(gam > 0, gam, 1.0)), d < T)
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    kappa[need] = np.exp(hi)
    return kappa


def conditional_loss(
    S: np.ndarray,
    G: np.ndarray,
    signal: float,
    T: int,
    ridges: np.ndarray,
    noise: float,
) -> np.ndarray:
    """The conditional deterministic equivalent (module docstring) for one feature matrix.

    Parameters
    ----------
    S : (N, N) feature second moment ``E[φφᵀ]``.
    G : (N, N) teacher-averaged cross moment ``B Ω Bᵀ = E_w[(E φ (w·x))(E φ (w·x))ᵀ]``.
    signal : ``s_ω = Σ ω_J λ_J``.
    T : number of training samples.
    ridges : (R,) ridges γ ≥ 0 (docs/theory.md §2 convention).
    noise : label-noise standard deviation σ_ε.

    Returns
    -------
    (R,) losses; ``inf`` at the ridgeless interpolation point rank(S) = T.
    """
    s, V = np.linalg.eigh(S)
    keep = s > S.shape[0] * np.finfo(float).eps * max(float(s[-1]), 0.0)
    s, V = s[keep], V[:, keep]
    g = np.einsum("ik,ik->k", V, G @ V)
    ridges = np.asarray(ridges, dtype=np.float64)
    kappa = _kappa(s, T, ridges)[:, None]
    inv = 1.0 / (s[None, :] + kappa)
    df2 = np.sum((s[None, :] * inv) ** 2, axis=1)
    explained = np.sum(g[None, :] * (s[None, :] + 2.0 * kappa) * inv * inv, axis=1)
    unexplained = np.maximum(signal - explained, 0.0)  # A + b2 ≥ 0 (rounding)
    with np.errstate(divide="ignore"):
        loss = (T * unexplained + noise**2 * df2) / (2.0 * (T - df2))
    return np.where(T - df2 > 1e-9 * T, loss, np.inf)


def _sizes(name: str, values: int | Sequence[int] | str) -> np.ndarray:
    return np.asarray([check_int(name, v, low=1) for v in parse_list(name, values, int)])


def predict_nonlinear(
    model: DataModel,
    N: int | Sequence[int] | str,
    T: int | Sequence[int] | str,
    ridge: float | Sequence[float] | str = 0.0,
    *,
    activation: str | Callable = "relu",
    method: str = "conditional",
    sigma_b: float = 0.0,
    draws: int | None = None,
    seed: int = 0,
    bank: int | None = None,
    noise: float | None = None,
) -> NonlinearTheoryResult:
    """Predicted test loss of nonlinear random-feature ridge regression (docs/theory.md §11).

    Parameters
    ----------
    model : DataModel
        Latent spectrum, teacher prior, noise and feature scale.
    N, T : int or list of int
        Numbers of random features and training samples (grid = outer product).
    ridge : float or list of float
        Ridges γ ≥ 0 (docs/theory.md §2).
    activation : str or callable
        Feature map (see :mod:`scalinglab.features.kernels`).
    method : {"conditional", "kernel", "naive"}
        See the module docstring; ``conditional`` is the accurate default.
    sigma_b : float
        Bias scale of the features.
    draws : int, optional
        Draws of U to average (default 4; 1 for ``kernel``); draw d uses the same U as
        simulation seed d of ``simulate(..., seed=seed)``.
    seed : int
        Base seed.
    bank : int, optional
        Bank size N' of the ``kernel`` method (default ``max(6000, 4·max N)``).
    noise : float, optional
        Label-noise standard deviation (default ``model.noise``).
    """
    if not isinstance(model, DataModel):
        raise ConfigError(f"The 'model' parameter must be a DataModel. Got {model!r} instead.")
    method = check_choice("method", method, METHODS)
    Ns, Ts = _sizes("N", N), _sizes("T", T)
    ridges = np.asarray(parse_list("ridge", ridge, float), dtype=np.float64)
    if not np.all(np.isfinite(ridges) & (ridges >= 0)):
        raise ConfigError(
            f"The 'ridge' parameter must be a list of floats in [0, inf). Got {ridge!r} instead."
        )
    draws = check_int("draws", 1 if (draws is None and method == "kernel") else (draws or 4))
    noise = model.noise if noise is None else float(noise)
    fmap = feature_map(activation, sigma_b)
    N_max = int(Ns.max())
    if method == "kernel":
        bank = max(DEFAULT_BANK, 4 * N_max) if bank is None else check_int("bank", bank, low=1)
        if bank < 2 * N_max:
            raise ConfigError(
                f"The 'bank' parameter must be at least 2·max(N) = {2 * N_max}. Got {bank} instead."
            )
    else:
        bank = None
    signal = model.signal_variance()
    losses = np.empty((draws, Ns.size, Ts.size, ridges.size))
    for d, seq in enumerate(spawn_seeds(seed, draws)):
        size = bank if bank is not None else N_max
        C, G = feature_covariance(model, seq, size, teacher=True)
        bias = fmap.draw_bias(seq, size)
        mom = fmap.activation.moments(C, bias)
        G_eff = mom.slope[:, None] * G * mom.slope[None, :]
        if method == "kernel":
            losses[d] = _kernel_losses(mom.second, G_eff, signal, Ns, Ts, ridges, noise)
            continue
        S = fmap.activation.naive_second(C, bias) if method == "naive" else mom.second
        for i, n in enumerate(Ns):
            for j, t in enumerate(Ts):
                losses[d, i, j] = conditional_loss(
                    S[:n, :n], G_eff[:n, :n], signal, int(t), ridges, noise
                )
    mean = losses.mean(axis=0)
    sem = losses.std(axis=0, ddof=1) / np.sqrt(draws) if draws > 1 else np.full_like(mean, np.nan)
    return NonlinearTheoryResult(
        model, Ns, Ts, ridges, noise, mean, sem, fmap.name, method, draws, fmap.sigma_b, bank
    )


def _kernel_losses(
    S: np.ndarray,
    G: np.ndarray,
    signal: float,
    Ns: np.ndarray,
    Ts: np.ndarray,
    ridges: np.ndarray,
    noise: float,
) -> np.ndarray:
    """The kernel-spectrum reduction on one bank (module docstring), for the whole grid."""
    size = S.shape[0]
    s, V = np.linalg.eigh(S)
    keep = s > size * np.finfo(float).eps * max(float(s[-1]), 0.0)
    s, V = s[keep], V[:, keep]
    g = np.einsum("ik,ik->k", V, G @ V)
    power = np.clip(g / s, 0.0, None)
    outside = max(signal - float(np.sum(power)), 0.0)
    n, t, r = np.meshgrid(Ns, Ts, ridges, indexing="ij")
    res = deterministic_equivalent(
        s / size, power, n, t, r, noise=np.sqrt(noise**2 + outside), feature_scale=1.0
    )
    return res.loss + 0.5 * outside
