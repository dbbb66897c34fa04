"""The fitting objective: a weighted Huber loss on log-residuals, with its analytic gradient.

With ``r_i = log L_pred(N_i, T_i; θ) − log L_obs,i`` and the Huber function

.. math::

    h_δ(r) = r²/2  (|r| ≤ δ),      h_δ(r) = δ(|r| − δ/2)  (|r| > δ),

the objective is ``F(θ) = Σ_i w_i h_δ(r_i)`` (Hoffmann et al. 2022, approach 3, δ = 10⁻³) and
``∇F = Jᵀ (w ⊙ ψ_δ(r))`` with ``ψ_δ(r) = clip(r, −δ, δ)`` and ``J = ∂ log L_pred/∂θ``. The
optimiser minimises ``F/δ``, which is of order ``Σ_i w_i |r_i|`` whatever δ.

Weights: from per-point standard errors ``s_i`` of L, the log-loss has standard error
``s_i/L_i``, so ``w_i ∝ (L_i/s_i)²``, normalised to mean 1 (so that δ keeps its meaning).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import OptimizeResult, minimize
from scipy.special import ndtr

from .forms import ScalingForm

__all__ = ["HuberObjective", "lbfgs", "log_weights"]


def log_weights(loss: np.ndarray, loss_sem: np.ndarray | None) -> np.ndarray:
    """Weights ``w_i ∝ (L_i/s_i)²`` normalised to mean 1 (all ones without standard errors)."""
    if loss_sem is None:
        return np.ones_like(loss)
    w = (loss / loss_sem) ** 2
    return w / w.mean()


class HuberObjective:
    """``θ ↦ (F(θ)/δ, ∇F(θ)/δ)`` for a form and data; ``weights`` may be changed (bootstrap)."""

    def __init__(
        self,
        form: ScalingForm,
        N: np.ndarray,
        T: np.ndarray,
        loss: np.ndarray,
        weights: np.ndarray,
        delta: float,
    ) -> None:
        self.form = form
        self.N = N
        self.T = T
        self.log_loss = np.log(loss)
        self.weights = weights
        self.delta = delta

    def residuals(self, theta: np.ndarray) -> np.ndarray:
        """``log L_pred − log L_obs`` at θ."""
        return self.form.log_predict(theta, self.N, self.T) - self.log_loss

    def value(self, theta: np.ndarray) -> float:
        """The Huber objective ``F(θ) = Σ w_i h_δ(r_i)`` (unscaled; ``inf`` where undefined)."""
        r = self.residuals(theta)
        psi = np.clip(r, -self.delta, self.delta)
        value = float(self.weights @ (psi * (r - 0.5 * psi)))
        return value if math.isfinite(value) else math.inf

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        logp, J = self.form.log_predict(theta, self.N, self.T, jac=True)
        r = logp - self.log_loss
        psi = np.clip(r, -self.delta, self.delta)
        # h_δ(r) = ψ (r − ψ/2) in both regimes.
        f = float(self.weights @ (psi * (r - 0.5 * psi))) / self.delta
        g = ((self.weights * psi) @ J) / self.delta
        if not (math.isfinite(f) and np.all(np.isfinite(g))):
            return math.inf, np.zeros_like(theta)
        return f, g

    def covariance(self, theta: np.ndarray, free: np.ndarray | None = None) -> np.ndarray:
        """Asymptotic covariance of θ̂ for the Huber M-estimator (Huber 1981, §7.6).

        ``Cov = K (E ψ(r)²/m²) (JᵀWJ)⁻¹`` with ``K = n/(n − p)``, ``E ψ²`` the weighted mean of
        the clipped residuals squared and ``m = E ψ'(r)``, the probability that a residual falls
        in ``[−δ, δ]``. For δ much smaller than the noise only a few residuals do, so ``m`` is a
        Gaussian-kernel estimate (Silverman bandwidth on the MAD scale), which tends to
        ``2δ f(0)`` as δ → 0: for Gaussian noise of sd σ this is the least-absolute-deviation
        covariance ``(π/2) σ² (JᵀWJ)⁻¹``. The pooled ``E ψ²`` (rather than a sandwich) keeps
        high-leverage points, whose residuals the fit shrinks, from hiding their own variance.
        An approximation for large n: the bootstrap (:mod:`.bootstrap`) is the reference.
        ``free`` (a boolean mask) holds the other parameters fixed (those at a bound): their
        rows and columns are zero, and they do not inflate the others' variance.
        """
        logp, J = self.form.log_predict(theta, self.N, self.T, jac=True)
        r = logp - self.log_loss
        free = np.ones(theta.size, dtype=bool) if free is None else np.asarray(free, dtype=bool)
        J = J[:, free]
        n, p = J.shape
        w = self.weights
        psi = np.clip(r, -self.delta, self.delta)
        scale = 1.4826 * float(np.median(np.abs(r - np.median(r))))
        if scale == 0.0:
            scale = float(np.std(r))
        bandwidth = max(1.06 * scale * n ** (-0.2), 1e-3 * self.delta)
        inside = ndtr((self.delta - r) / bandwidth) - ndtr((-self.delta - r) / bandwidth)
        m = float(w @ inside) / float(w.sum())
        psi2 = float(w @ psi**2) / float(w.sum())
        factor = n / max(n - p, 1) * psi2 / m**2
        out = np.zeros((theta.size, theta.size))
        out[np.ix_(free, free)] = factor * np.linalg.pinv((J.T * w) @ J)
        return out


def lbfgs(objective: HuberObjective, theta0: np.ndarray, bounds, maxiter: int) -> OptimizeResult:
    """One L-BFGS-B run from ``theta0`` (clipped into the bounds).

    A line-search failure ("ABNORMAL") is retried once from where it stopped. If that retry
    cannot decrease F at all and the projected gradient is below ``1e-3 max(1, F/δ)``, the point
    is a minimum to floating-point precision (typical of noise-free data) and is reported as
    converged, with the reason appended to the message.
    """
    lo = np.array([-np.inf if b[0] is None else b[0] for b in bounds])
    hi = np.array([np.inf if b[1] is None else b[1] for b in bounds])
    options = {"maxiter": maxiter, "ftol": 1e-12, "gtol": 1e-9}

    def run(x0: np.ndarray) -> OptimizeResult:
        return minimize(objective, np.clip(x0, lo, hi), jac=True, method="L-BFGS-B",
                        bounds=bounds, options=options)  # fmt: skip

    res = run(theta0)
    if res.success or res.status != 2:
        return res
    retry = run(res.x)
    if retry.success:
        return retry
    g = np.asarray(retry.jac, dtype=np.float64)
    g = np.where((retry.x <= lo) & (g > 0) | (retry.x >= hi) & (g < 0), 0.0, g)
    if retry.nit == 0 and np.max(np.abs(g)) <= 1e-3 * max(1.0, abs(retry.fun)):
        retry.success = True
        retry.message = f"{retry.message} (no decrease possible: minimum at float precision)"
    return retry
