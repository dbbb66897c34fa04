"""Covariance spectra of data and of random features, with quotable power-law exponents.

:func:`fit_spectrum` fits ``λ_k ≈ A k^{-(1+α)}`` to the sample covariance spectrum of a data
matrix (:func:`~scalinglab.realdata.powerlaw.fit_power_law`), corrects the fit's finite-T bias
and gives its 95 % interval by a parametric bootstrap (:mod:`.parametric`), and attaches a
goodness-of-fit verdict (:func:`~scalinglab.realdata.powerlaw.assess_fit`); a verdict other
than ``good`` is also issued as an :class:`~scalinglab.exceptions.EstimateWarning`.

:func:`fit_feature_spectrum` does the same for the spectrum of N random features
``σ(X Uᵀ)`` and adds the randomness of the feature draw U: ``draws`` independent draws are
fitted over the same ranks (chosen on the first), each corrected by the bootstrap bias of the
first, and the estimate is their mean ``ē`` with

.. math::

    \\mathrm{se}^2 = \\mathrm{se}_T^2 + s_U^2/\\text{draws},

``se_T`` the bootstrap (data-sampling) error and ``s_U²`` the sample variance of the draws'
exponents; the 95 % interval is ``ē ± t_{0.975, ν} se`` with ν the Welch–Satterthwaite degrees
of freedom (a few draws estimate ``s_U`` roughly, and the interval widens accordingly). The
estimand is the exponent averaged over feature draws for this data set, N and activation.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import stats

from .._rng import child, root_sequence
from .._validation import check_int
from ..exceptions import EstimateWarning
from .covariance import check_data, covariance_spectrum, feature_covariance_spectrum, standardize
from .parametric import Z95, parametric_bootstrap, range_fit
from .powerlaw import PowerLawFit, assess_fit, fit_power_law

__all__ = ["SpectrumFit", "fit_feature_spectrum", "fit_spectrum"]

Progress = Callable[[float, float], None]


@dataclass(frozen=True)
class SpectrumFit:
    """A covariance spectrum and its power-law fit with interval and verdict.

    ``dim`` is the size of the covariance (the data dimension d, or N for features);
    ``input_dim`` the data dimension d.
    """

    eigenvalues: np.ndarray = field(repr=False)
    fit: PowerLawFit
    n_samples: int
    dim: int
    centre: bool
    n_boot: int
    bootstrap_exponents: np.ndarray = field(repr=False)
    input_dim: int | None = None
    features: str = "none"
    draws: int = 0
    draw_exponents: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record (``exponent`` is 1 + α; eigenvalues in decreasing order)."""
        out = {
            "n_samples": self.n_samples,
            "dim": self.dim,
            "input_dim": self.dim if self.input_dim is None else self.input_dim,
            "centre": self.centre,
            "n_boot": self.n_boot,
            **self.fit.to_dict(),
        }
        if self.features != "none":
            out["draws"] = self.draws
            out["draw_exponents"] = self.draw_exponents.tolist()
        out["eigenvalues"] = self.eigenvalues.tolist()
        return out


def _verdict(fit: PowerLawFit, curvature_z: float | None, curvature: float | None,
             label: str) -> PowerLawFit:  # fmt: skip
    quality, message = assess_fit(fit, curvature_z, curvature)
    if message is not None:
        warnings.warn(f"{label}: {message}", EstimateWarning, stacklevel=3)
    return replace(fit, fit_quality=quality, fit_warning=message)


def _bootstrapped(fit: PowerLawFit, eigenvalues: np.ndarray, T: int, D: int, centre: bool,
                  n_boot: int, seed: Any, progress: Progress | None):  # fmt: skip
    return parametric_bootstrap(
        eigenvalues, fit.fit_range, fit.exponent, fit.amplitude, fit.cutoff, n_samples=T,
        dim=D, centre=centre, n_boot=n_boot, seed=seed, progress=progress,
    )  # fmt: skip


def fit_spectrum(
    X: object,
    *,
    centre: bool = True,
    fit_range: tuple[int, int] | None = None,
    n_boot: int = 30,
    seed: int = 0,
    method: str = "auto",
    n_components: int | None = None,
    eigenvalues: np.ndarray | None = None,
    label: str = "spectrum",
    progress: Progress | None = None,
    **rule: Any,
) -> SpectrumFit:
    """Covariance spectrum of ``X``, its bias-corrected power-law exponent and 95 % interval.

    Parameters
    ----------
    X : array (T, d)
        Data, one sample per row.
    centre, method, n_components
        As in :func:`~scalinglab.realdata.covariance.covariance_spectrum`.
    fit_range : (int, int), optional
        Ranks to fit; chosen by the automatic rule of :mod:`.powerlaw` when None.
    n_boot : int
        Parametric-bootstrap replicates (0: the raw fit, no interval and no curvature test;
        otherwise at least 8).
    seed : int
        Seed of the bootstrap and of a randomized SVD.
    eigenvalues : array, optional
        The spectrum of ``X`` if already computed (skips one diagonalisation).
    label : str
        Name of the spectrum in warnings.
    progress : callable, optional
        ``progress(done, total)`` while bootstrapping.
    **rule
        ``tol``, ``points_per_decade``, ``window_decades``, ``min_decades`` of
        :func:`~scalinglab.realdata.powerlaw.fit_power_law`.
    """
    X = check_data(X)
    T, d = X.shape
    n_boot = _check_boot(n_boot)
    if eigenvalues is None:
        eigenvalues = covariance_spectrum(
            X, centre=centre, method=method, n_components=n_components, seed=seed
        )
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    base = fit_power_law(eigenvalues, fit_range, n_samples=T, **rule)
    replicates = np.empty(0)
    z = curvature = None
    if n_boot:
        boot = _bootstrapped(base, eigenvalues, T, d, centre, n_boot,
                             child(root_sequence(seed), 7), progress)  # fmt: skip
        base = replace(base, exponent=boot.exponent, raw_exponent=boot.raw_exponent,
                       bias=boot.bias, exponent_se=boot.se, exponent_ci=boot.ci)  # fmt: skip
        replicates, z, curvature = boot.replicates, boot.curvature_z, boot.curvature
    return SpectrumFit(
        eigenvalues=eigenvalues,
        fit=_verdict(base, z, curvature, label),
        n_samples=T,
        dim=d,
        centre=centre,
        n_boot=n_boot,
        bootstrap_exponents=replicates,
        input_dim=d,
    )


def _check_boot(n_boot: int) -> int:
    n_boot = check_int("n_boot", n_boot, low=0)
    if 0 < n_boot < 8:
        n_boot = check_int("n_boot", n_boot, low=8)
    return n_boot


def fit_feature_spectrum(
    X: object,
    N: int,
    *,
    activation: str = "relu",
    draws: int = 3,
    centre: bool = True,
    fit_range: tuple[int, int] | None = None,
    n_boot: int = 30,
    seed: int = 0,
    sigma_u: float = 1.0,
    standardize_input: bool = True,
    label: str = "feature spectrum",
    progress: Progress | None = None,
    **rule: Any,
) -> SpectrumFit:
    """Spectrum of N random features of ``X`` with an interval over data and feature draws.

    Draw ``j`` uses the features of seed ``child(seed, j)``; the eigenvalues returned are those
    of draw 0. ``draws = 1`` gives the data-sampling interval only (and a warning saying so).
    Other parameters as in :func:`fit_spectrum` and
    :func:`~scalinglab.realdata.covariance.feature_map`.
    """
    X = standardize(X) if standardize_input else check_data(X)
    T, d = X.shape
    N = check_int("N", N, low=1)
    draws = check_int("draws", draws, low=1)
    n_boot = _check_boot(n_boot)
    root = root_sequence(seed)
    # progress in units of one bootstrap replicate: a draw costs ~ T N (d + N/2) flops, a
    # replicate ~ K^3 with K = min(N, 1024) (the simulated block)
    k = min(N, 1024)
    draw_units = max(1.0, T * N * (d + N / 2) / (2.0 * k**3))
    total = draws * draw_units + 1.25 * n_boot
    report = progress or (lambda done, tot: None)
    spectra = []
    for j in range(draws):
        spectra.append(feature_covariance_spectrum(X, N, activation, sigma_u, child(root, j),
                                                   centre=centre))  # fmt: skip
        report((j + 1) * draw_units, total)
    first = spectra[0]
    base = fit_power_law(first, fit_range, n_samples=T, **rule)
    a, b = base.fit_range
    raw = np.array([range_fit(s, a, b)[0] for s in spectra])
    replicates = np.empty(0)
    z = curvature = None
    se_t = 0.0
    bias = 0.0
    if n_boot:
        done0 = draws * draw_units
        boot = _bootstrapped(base, first, T, N, centre, n_boot, child(root, 10**6),
                             lambda i, _: report(done0 + i, total))  # fmt: skip
        bias, se_t = boot.bias, boot.se
        replicates, z, curvature = boot.replicates, boot.curvature_z, boot.curvature
    corrected = raw - bias
    good = corrected[np.isfinite(corrected)]
    exponent = float(np.mean(good))
    s_u = float(np.std(good, ddof=1)) if good.size > 1 else 0.0
    fit = replace(base, exponent=exponent, raw_exponent=float(np.mean(raw[np.isfinite(raw)])),
                  bias=bias if n_boot else None)  # fmt: skip
    if n_boot:
        part_u = s_u**2 / good.size
        se = float(np.sqrt(se_t**2 + part_u))
        # Welch-Satterthwaite degrees of freedom: a few draws estimate s_U roughly
        dof = (se_t**2 + part_u) ** 2 / (se_t**4 / (n_boot - 1) + part_u**2 / max(good.size - 1, 1))
        half = float(stats.t.ppf(0.975, dof)) * se if np.isfinite(dof) and dof > 0 else Z95 * se
        fit = replace(fit, exponent_se=se, exponent_ci=(exponent - half, exponent + half))
    fit = _verdict(fit, z, curvature, label)
    if n_boot and draws == 1:
        warnings.warn(
            f"{label}: the interval covers data sampling only, not the feature draw; use "
            "--draws 3 or more.",
            EstimateWarning,
            stacklevel=2,
        )
    return SpectrumFit(
        eigenvalues=first,
        fit=fit,
        n_samples=T,
        dim=N,
        centre=centre,
        n_boot=n_boot,
        bootstrap_exponents=replicates,
        input_dim=d,
        features=activation,
        draws=draws,
        draw_exponents=raw,
    )
