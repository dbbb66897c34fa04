"""Population feature spectra of the model's random features (docs/theory.md §11).

For one draw of the feature weights ``U`` (N x M, the simulator's draw for the same seed) and
biases ``b``, the pre-activation covariance ``C = UΛUᵀ`` is accumulated over latent chunks and
the feature second moment ``S = E[φφᵀ]`` and mean ``m = Eφ`` follow from the closed-form
kernels (:mod:`scalinglab.features.kernels`). Two spectra are reported:

* :func:`feature_spectrum`: the eigenvalues of the population feature covariance of the drawn
  features, centred ``S − m mᵀ`` by default (docs/theory.md §11). Linear features have rank M, so
  the spectrum is cut at index M (eigenvalue M+1 is rounding noise, ~1e-12 of eigenvalue M);
  nonlinear features extend it beyond M. The local log–log slope is fitted inside the first M
  modes and over the extension ``[M, min(10M, N/2)]``. The extension's exponent is **not**
  1+α (docs/theory.md §11: −1.5 to −1.9, drifting with M).
* :func:`kernel_spectrum`: the large-N limit, the eigenvalues of the kernel operator
  ``k(x, x') = E_u[φ_u(x) φ_u(x')]``, estimated as ``eig(S_n)/n`` over nested banks of
  ``n = N/4, N/2, N`` features of the same draw, with convergence diagnostics (relative change
  of the leading eigenvalues and of the fitted slopes between the two largest banks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._rng import spawn_seeds
from .._validation import check_int
from ..exceptions import ConfigError
from ..features import feature_covariance, feature_map
from ..model import DataModel

__all__ = [
    "FeatureSpectrum",
    "KernelSpectrum",
    "feature_moments",
    "feature_spectrum",
    "kernel_spectrum",
    "power_law_slope",
]


def feature_moments(
    model: DataModel,
    N: int,
    activation: str | Callable = "relu",
    *,
    sigma_b: float = 0.0,
    seed: int = 0,
    teacher: bool = False,
) -> dict[str, Any]:
    """``S``, ``m``, ``μ1``, ``C`` (and ``G``) of the features of simulation seed 0 of ``seed``.

    The same U and biases as ``simulate(..., seed=seed)`` uses for its first seed.
    """
    fmap = feature_map(activation, sigma_b)
    seq = spawn_seeds(seed, 1)[0]
    C, G = feature_covariance(model, seq, N, teacher=teacher)
    bias = fmap.draw_bias(seq, N)
    mom = fmap.activation.moments(C, bias)
    return {"S": mom.second, "mean": mom.mean, "slope": mom.slope, "C": C, "G": G, "bias": bias}


def power_law_slope(eigenvalues: np.ndarray, lo: int, hi: int) -> tuple[float, float]:
    """Least-squares slope of ``log ev_k`` against ``log k`` for 1-based k in [lo, hi], and the
    largest absolute log10 residual of the fit (how straight the window is)."""
    k = np.arange(lo, hi + 1, dtype=np.float64)
    ev = eigenvalues[lo - 1 : hi]
    if ev.size < 3 or np.any(ev <= 0):
        return float("nan"), float("nan")
    x, y = np.log10(k), np.log10(ev)
    slope, icpt = np.polyfit(x, y, 1)
    return float(slope), float(np.max(np.abs(y - (slope * x + icpt))))


def _windows(M: int, N: int) -> dict[str, tuple[int, int]]:
    """Fit windows (1-based): inside the first M modes and the extension beyond M."""
    out = {}
    if min(M, N) // 2 >= 10:
        out["head"] = (5, min(M, N) // 2)
    if N // 2 >= 2 * M:
        out["extension"] = (M, min(10 * M, N // 2))
    return out


@dataclass
class FeatureSpectrum:
    """Eigenvalues (descending) of a drawn model's population feature covariance.

    ``slopes[name] = (lo, hi, slope, max_log10_residual)`` for the windows ``head`` ([5, M/2])
    and ``extension`` ([M, min(10M, N/2)]); ``cut_ratio`` is eigenvalue M+1 over eigenvalue M
    (rank cut of linear features); ``decades`` the extent of the extension window.
    """

    eigenvalues: np.ndarray
    activation: str
    M: int
    N: int
    centered: bool
    sigma_b: float = 0.0
    slopes: dict[str, tuple[int, int, float, float]] = field(default_factory=dict)
    cut_ratio: float = float("nan")

    @property
    def extension_slope(self) -> float:
        return self.slopes["extension"][2] if "extension" in self.slopes else float("nan")

    @property
    def decades(self) -> float:
        if "extension" not in self.slopes:
            return 0.0
        lo, hi = self.slopes["extension"][:2]
        return float(np.log10(hi / lo))

    def summary(self) -> dict[str, Any]:
        """One JSON-ready record of the diagnostics (no eigenvalue array)."""
        rec: dict[str, Any] = {
            "activation": self.activation,
            "M": self.M,
            "N": self.N,
            "sigma_b": self.sigma_b,
            "centered": self.centered,
            "cut_ratio": self.cut_ratio,
        }
        for name, (lo, hi, slope, resid) in self.slopes.items():
            rec[f"slope_{name}"] = slope
            rec[f"window_{name}"] = [lo, hi]
            rec[f"max_log10_residual_{name}"] = resid
        rec["extension_decades"] = self.decades
        return rec


def _spectrum(S: np.ndarray, mean: np.ndarray, centered: bool) -> np.ndarray:
    cov = S - np.outer(mean, mean) if centered else S
    return np.linalg.eigvalsh(cov)[::-1]


def _describe(ev: np.ndarray, M: int, N: int) -> tuple[dict, float]:
    slopes = {}
    for name, (lo, hi) in _windows(M, N).items():
        slopes[name] = (lo, hi, *power_law_slope(ev, lo, hi))
    cut = float(ev[M] / ev[M - 1]) if N > M else float("nan")
    return slopes, cut


def feature_spectrum(
    model: DataModel,
    N: int,
    activation: str | Callable = "relu",
    *,
    sigma_b: float = 0.0,
    seed: int = 0,
    centered: bool = True,
) -> FeatureSpectrum:
    """Spectrum of the population feature covariance for one draw of U (docs/theory.md §11).

    Parameters
    ----------
    model : DataModel
        Latent spectrum (λ_J) and feature scale.
    N : int
        Number of random features (the covariance is N x N; cost O(N² M + N³)).
    activation : str or callable
        Feature map (see :mod:`scalinglab.features.kernels`).
    sigma_b : float
        Bias scale (0: no bias).
    seed : int
        Seed of the draw (the same U as ``simulate(..., seed=seed)``'s first seed).
    centered : bool
        Eigenvalues of ``S − m mᵀ`` (default) or of the second moment ``S``.
    """
    N = check_int("N", N, low=2)
    mom = feature_moments(model, N, activation, sigma_b=sigma_b, seed=seed)
    ev = _spectrum(mom["S"], mom["mean"], centered)
    slopes, cut = _describe(ev, model.M, N)
    name = feature_map(activation).name
    return FeatureSpectrum(ev, name, model.M, N, centered, sigma_b, slopes, cut)


@dataclass
class KernelSpectrum:
    """Kernel-operator eigenvalues ``eig(S_n)/n`` for nested banks n (largest last).

    ``eigenvalues[n]`` (descending) per bank; ``slopes[n]`` the fitted windows per bank (as in
    :class:`FeatureSpectrum`); ``top_change`` the largest relative change of the leading
    ``min(M, n/4)`` eigenvalues between the two largest banks; ``slope_change`` the change of
    the extension slope between them, fitted on the same window (that of the smaller bank).
    """

    eigenvalues: dict[int, np.ndarray]
    activation: str
    M: int
    slopes: dict[int, dict[str, tuple[int, int, float, float]]]
    top_change: float
    slope_change: float

    def summary(self) -> dict[str, Any]:
        banks = sorted(self.eigenvalues)
        rec: dict[str, Any] = {"activation": self.activation, "M": self.M, "banks": banks}
        for n in banks:
            for name, (lo, hi, slope, _) in self.slopes[n].items():
                rec[f"slope_{name}_n{n}"] = slope
                rec[f"window_{name}_n{n}"] = [lo, hi]
        rec["top_change"] = self.top_change
        rec["slope_change"] = self.slope_change
        return rec


def kernel_spectrum(
    model: DataModel,
    N: int,
    activation: str | Callable = "relu",
    *,
    sigma_b: float = 0.0,
    seed: int = 0,
    centered: bool = True,
    banks: int = 3,
) -> KernelSpectrum:
    """Large-N limit of the feature spectrum: the kernel operator's eigenvalues (docs/theory.md
    §11).

    The nonzero eigenvalues of the integral operator of ``k(x,x') = E_u[φ_u(x)φ_u(x')]`` are
    the limits of ``eig(S_n)/n`` as the bank size n → ∞. They are estimated on nested banks
    ``N/2^(banks−1), …, N/2, N`` (leading sub-blocks of one draw); the diagnostics say how much
    the estimate still moves with n. Only the leading ~n/4 eigenvalues of a bank are resolved.
    """
    N = check_int("N", N, low=8)
    banks = check_int("banks", banks, low=2, high=6)
    sizes = [N // 2**i for i in range(banks - 1, -1, -1)]
    if sizes[0] < 4:
        raise ConfigError(f"The 'N' parameter must be at least {4 * 2 ** (banks - 1)}. Got {N}.")
    mom = feature_moments(model, N, activation, sigma_b=sigma_b, seed=seed)
    eigen, slopes = {}, {}
    for n in sizes:
        ev = _spectrum(mom["S"][:n, :n], mom["mean"][:n], centered) / n
        eigen[n] = ev
        slopes[n] = _describe(ev, model.M, n)[0]
    a, b = eigen[sizes[-2]], eigen[sizes[-1]]
    top = max(1, min(model.M, sizes[-2] // 4))
    top_change = float(np.max(np.abs(b[:top] / a[:top] - 1.0)))
    slope_change = float("nan")
    window = _windows(model.M, sizes[-2]).get("extension")
    if window is not None:  # the same window on both banks
        slope_change = power_law_slope(b, *window)[0] - power_law_slope(a, *window)[0]
    name = feature_map(activation).name
    return KernelSpectrum(eigen, name, model.M, slopes, top_change, slope_change)
