"""The generative data model of the MRS solvable model (docs/theory.md §1).

* Latent input ``x ∈ R^M``, ``x ~ N(0, Λ)``, ``Λ = diag(λ_J)`` with the power law
  ``λ_J = λ_+ J^{-(1+α)}``, J = 1..M, or any user-given positive spectrum.
* Teacher ``y = w·x + ε`` with ``w ~ N(0, diag ω)``; isotropic ``ω_J = σ_w²/M`` unless a
  per-direction ``teacher_power`` (ω_J) is given. ``ε ~ N(0, noise²)`` on training labels only.
* Linear random features ``φ = U x`` with ``U_iJ ~ N(0, σ_u²/M)``.

The object only stores and validates; the spectrum is produced lazily in latent chunks so that
M can be 10^6 or more without holding M-sized arrays longer than needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validation import check_float, check_int, check_positive_array
from .exceptions import ConfigError

__all__ = ["DataModel"]


@dataclass(frozen=True, eq=False)
class DataModel:
    """Latent power-law Gaussian data, a linear teacher with label noise, and the RF scale.

    Parameters
    ----------
    M : int
        Latent dimension (ignored when ``spectrum`` is given: M = len(spectrum)).
    alpha : float
        Spectral exponent, ``λ_J = λ_+ J^{-(1+α)}``; must be > 0.
    lambda_plus : float
        Largest latent eigenvalue λ_+.
    sigma_w : float
        Teacher scale: ``w_J ~ N(0, σ_w²/M)`` (isotropic teacher).
    sigma_u : float
        Feature scale: ``U_iJ ~ N(0, σ_u²/M)``.
    noise : float
        Label-noise standard deviation σ_ε (training labels only).
    spectrum : array, optional
        A user-given positive latent spectrum λ_J (e.g. measured on real data).
    teacher_power : array, optional
        Per-direction teacher variances ω_J (default σ_w²/M for every J).
    """

    M: int
    alpha: float = 1.0
    lambda_plus: float = 1.0
    sigma_w: float = 1.0
    sigma_u: float = 1.0
    noise: float = 0.0
    spectrum: np.ndarray | None = field(default=None, repr=False)
    teacher_power: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        put = object.__setattr__
        if self.spectrum is not None:
            spectrum = check_positive_array("spectrum", self.spectrum)
            spectrum.setflags(write=False)
            put(self, "spectrum", spectrum)
            put(self, "M", int(spectrum.size))
        else:
            put(self, "M", check_int("M", self.M, low=1))
            put(self, "alpha", check_float("alpha", self.alpha, 0.0, low_open=True))
            lambda_plus = check_float("lambda_plus", self.lambda_plus, 0.0, low_open=True)
            put(self, "lambda_plus", lambda_plus)
        put(self, "sigma_w", check_float("sigma_w", self.sigma_w, 0.0))
        put(self, "sigma_u", check_float("sigma_u", self.sigma_u, 0.0, low_open=True))
        put(self, "noise", check_float("noise", self.noise, 0.0))
        if self.teacher_power is not None:
            power = np.asarray(self.teacher_power, dtype=np.float64)
            if power.ndim != 1 or power.size != self.M or not np.all(np.isfinite(power)):
                raise ConfigError(
                    "The 'teacher_power' parameter must be a 1-D array of M finite floats >= 0. "
                    f"Got shape {power.shape} instead."
                )
            if np.any(power < 0):
                raise ConfigError(
                    "The 'teacher_power' parameter must be a 1-D array of M finite floats >= 0. "
                    "Got a negative entry instead."
                )
            power.setflags(write=False)
            put(self, "teacher_power", power)

    # ------------------------------------------------------------------ spectrum access
    @property
    def is_power_law(self) -> bool:
        """True when the spectrum is the analytic power law (no user array)."""
        return self.spectrum is None

    @property
    def isotropic(self) -> bool:
        """True when the teacher prior is ω_J = σ_w²/M for all J."""
        return self.teacher_power is None

    @property
    def feature_scale(self) -> float:
        """Variance of each entry of U: ``s² = σ_u²/M``."""
        return self.sigma_u**2 / self.M

    def eigenvalues(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """λ_J for the 0-based latent slice ``[start, stop)`` (i.e. J = start+1 .. stop)."""
        stop = self.M if stop is None else min(stop, self.M)
        if self.spectrum is not None:
            return self.spectrum[start:stop]
        J = np.arange(start + 1, stop + 1, dtype=np.float64)
        return self.lambda_plus * J ** (-(1.0 + self.alpha))

    def teacher_variances(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """ω_J for the 0-based latent slice ``[start, stop)``."""
        stop = self.M if stop is None else min(stop, self.M)
        if self.teacher_power is not None:
            return self.teacher_power[start:stop]
        return np.full(stop - start, self.sigma_w**2 / self.M)

    def signal_variance(self) -> float:
        """``s_ω = Σ_J ω_J λ_J``, the variance of the noise-free label (docs/theory.md §1)."""
        total = 0.0
        for start in range(0, self.M, 1 << 20):
            stop = min(self.M, start + (1 << 20))
            total += float(self.eigenvalues(start, stop) @ self.teacher_variances(start, stop))
        return total

    def with_updates(self, **changes: Any) -> DataModel:
        """A copy with some fields changed (validated again)."""
        values = {
            "M": self.M,
            "alpha": self.alpha,
            "lambda_plus": self.lambda_plus,
            "sigma_w": self.sigma_w,
            "sigma_u": self.sigma_u,
            "noise": self.noise,
            "spectrum": self.spectrum,
            "teacher_power": self.teacher_power,
        }
        values.update(changes)
        return DataModel(**values)

    def describe(self) -> dict[str, Any]:
        """The scalar parameters under the CLI's names (for records and JSON output)."""
        return {
            "M": self.M,
            "alpha": self.alpha if self.is_power_law else None,
            "lambda_plus": self.lambda_plus if self.is_power_law else None,
            "sigma_w": self.sigma_w,
            "sigma_u": self.sigma_u,
            "noise": self.noise,
        }
