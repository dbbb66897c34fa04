"""Scaling-law forms L(N, T): the named registry and user-defined forms.

Every form is fitted in *internal* coordinates θ: a positive scale parameter (a prefactor,
an offset, a characteristic size) enters as its logarithm, an exponent as itself. Each form
gives ``log L`` and, for the built-in forms, its analytic Jacobian ``∂ log L/∂θ`` so that the
objective (:mod:`.objective`) and its gradient are vectorised over the data.

Built-in forms (``FORMS``), name: law [parameters]:

* ``kaplan``: ``L = [(N_c/N)^(α_N/α_T) + T_c/T]^α_T`` (Kaplan et al. 2020)
  [N_c, T_c, alpha_N, alpha_T];
* ``chinchilla``: ``L = E + A/N^a + B/T^b`` (Hoffmann et al. 2022) [E, A, B, a, b];
* ``mrs``: ``L = k (1/N + 1/T)^α`` [k, alpha], exactly the optimal-ridge loss of docs/theory.md
  eq. (8.2) at α = 1 only (fitted to it elsewhere: 4.3% off at α = 0.3, 18.5% at α = 2;
  tests/fitting/test_form_status.py);
* ``mrs-breakdown``: ``L = k (1/n − 1/M)^α / (1 − n/m)``, n = min(N,T), m = max(N,T), the
  ridgeless loss of docs/theory.md §6 with the breakdown heuristic of §10 [k, alpha, M], a
  qualitative shape (fitted to the exact ridgeless loss: 1.4% off at α = 1, 14% at α = 0.5,
  154% near M at α = 2);
* ``theory``: ``L = k ℓ(N, T; M, α)``, the ridgeless deterministic equivalent itself (exact for
  the model at ridge 0 without noise) [k, alpha, M];
* ``power-N``, ``power-T``: ``L = c x^(−p)``, x = N or T [c, p];
* ``power-offset-N``, ``power-offset-T``: ``L = E + c x^(−p)`` [E, c, p].

``power`` and ``power-offset`` resolve to their ``-N`` or ``-T`` variant through
:func:`get_form`'s ``variable`` argument. A user adds a form with :func:`register_form` (or builds
a :class:`CustomForm` without registering it): a callable ``func(N, T, **params)`` and bounds.
Forms whose loss is linear in some positive coefficients (``chinchilla``, ``mrs``, the power laws)
also give that basis, used by the variable-projection method (:mod:`.varpro`).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..exceptions import ConfigError

__all__ = [
    "FORMS",
    "CustomForm",
    "Param",
    "ScalingForm",
    "get_form",
    "register_form",
]

_EXPONENT = (1e-3, 10.0)  # default bounds of an exponent: positive, and no steeper than x^-10


@dataclass(frozen=True)
class Param:
    """One parameter of a form: its name, bounds in natural units and whether it is fitted in logs.

    ``low``/``high`` of ``None`` mean unbounded. A ``log`` parameter must have ``low >= 0``.
    """

    name: str
    low: float | None = None
    high: float | None = None
    log: bool = False

    def internal_bounds(self) -> tuple[float | None, float | None]:
        """Bounds of the internal coordinate (``log`` of the value for a log parameter)."""
        if not self.log:
            return self.low, self.high
        low = None if not self.low else math.log(self.low)
        high = None if self.high is None else math.log(self.high)
        return low, high


class ScalingForm:
    """A named law ``L(N, T; params)`` fitted in internal coordinates θ (see module docstring).

    Subclasses set ``name``, ``params``, ``variables`` (the inputs the law depends on), ``doc``
    and implement :meth:`log_predict` and :meth:`starts`; a form with positive linear
    coefficients also sets ``linear`` and implements :meth:`basis`.
    """

    name: str = ""
    params: tuple[Param, ...] = ()
    variables: tuple[str, ...] = ("N", "T")
    linear: tuple[str, ...] = ()
    doc: str = ""

    # ----------------------------------------------------------------- parameters
    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def log_mask(self) -> np.ndarray:
        """Boolean mask of the parameters fitted as logarithms."""
        return np.array([p.log for p in self.params])

    def to_natural(self, theta: np.ndarray) -> dict[str, float]:
        """Natural parameter values from internal θ."""
        values = np.where(self.log_mask, np.exp(theta), theta)
        return {name: float(v) for name, v in zip(self.param_names, values)}

    def to_internal(self, params: Mapping[str, float]) -> np.ndarray:
        """Internal θ from natural parameter values (a mapping with every parameter name)."""
        missing = [n for n in self.param_names if n not in params]
        if missing:
            raise ConfigError(
                f"The 'params' parameter must give every parameter of form {self.name!r} "
                f"({', '.join(self.param_names)}). Got no value for {', '.join(missing)} instead."
            )
        values = np.array([float(params[n]) for n in self.param_names])
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.log_mask, np.log(values), values)

    def internal_bounds(self, N: np.ndarray, T: np.ndarray) -> list[tuple[float | None, ...]]:
        """L-BFGS-B bounds of θ for data at (N, T) (data-dependent for some forms)."""
        return [p.internal_bounds() for p in self.params]

    # ----------------------------------------------------------------- evaluation
    def check_data(self, N: np.ndarray, T: np.ndarray) -> None:
        """Raise a :class:`ConfigError` if the law is undefined at some data point."""

    def log_predict(
        self, theta: np.ndarray, N: np.ndarray, T: np.ndarray, jac: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """``log L`` at 1-D arrays (N, T); with ``jac`` also ``∂ log L/∂θ`` of shape (n, p)."""
        raise NotImplementedError

    def predict(self, params: Mapping[str, float], N, T) -> np.ndarray:
        """``L(N, T)`` for natural parameters, broadcasting N against T."""
        theta = self.to_internal(params)
        N_b, T_b = np.broadcast_arrays(np.asarray(N, dtype=np.float64), np.asarray(T, np.float64))
        out = np.exp(self.log_predict(theta, N_b.ravel(), T_b.ravel()))
        return out.reshape(N_b.shape)

    def starts(self, N: np.ndarray, T: np.ndarray, loss: np.ndarray, n_grid: int) -> np.ndarray:
        """A grid of ``n_grid ** p`` starting points θ (rows), scaled to the data."""
        raise NotImplementedError

    def nonlinear_grid(self, N, T, loss, n_grid: int) -> np.ndarray:
        """Grid of the non-``linear`` parameters (rows, internal units) for variable projection."""
        nonlin = [i for i, name in enumerate(self.param_names) if name not in self.linear]
        return np.unique(self.starts(N, T, loss, n_grid)[:, nonlin], axis=0)

    def basis(self, theta: np.ndarray, N: np.ndarray, T: np.ndarray) -> np.ndarray:
        """Columns g_k with ``L = Σ_k c_k g_k`` for the ``linear`` coefficients c (varpro)."""
        raise ConfigError(
            f"The 'method' parameter must be 'lbfgs' for form {self.name!r}, which has no "
            "linear coefficients. Got 'varpro' instead."
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, params={self.param_names})"


def _grid(*axes: np.ndarray) -> np.ndarray:
    """Cartesian product of 1-D axes as rows."""
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)


def _exponent_axis(n_grid: int, low: float = 0.1, high: float = 1.5) -> np.ndarray:
    return np.linspace(low, high, n_grid) if n_grid > 1 else np.array([0.5])


def _fraction_axis(n_grid: int, low: float, high: float) -> np.ndarray:
    return np.geomspace(low, high, n_grid) if n_grid > 1 else np.array([math.sqrt(low * high)])


class Kaplan(ScalingForm):
    """``L = [(N_c/N)^(α_N/α_T) + T_c/T]^α_T`` (Kaplan et al. 2020, eq. 1.5).

    With ``u = (α_N/α_T)(log N_c − log N)``, ``v = log T_c − log T`` and ``S = e^u + e^v``:
    ``log L = α_T log S`` and, with ``U = e^u/S``, ``V = e^v/S``,
    ``∂/∂log N_c = α_N U``, ``∂/∂log T_c = α_T V``, ``∂/∂α_N = (log N_c − log N) U`` and
    ``∂/∂α_T = log S − (α_N/α_T)(log N_c − log N) U``.
    """

    name = "kaplan"
    params = (
        Param("N_c", 0.0, None, log=True),
        Param("T_c", 0.0, None, log=True),
        Param("alpha_N", *_EXPONENT),
        Param("alpha_T", *_EXPONENT),
    )
    doc = "L = [(N_c/N)^(alpha_N/alpha_T) + T_c/T]^alpha_T"

    def log_predict(self, theta, N, T, jac=False):
        log_Nc, log_Tc, a_N, a_T = theta
        d = log_Nc - np.log(N)
        u = (a_N / a_T) * d
        v = log_Tc - np.log(T)
        log_S = np.logaddexp(u, v)
        out = a_T * log_S
        if not jac:
            return out
        U = np.exp(u - log_S)
        V = np.exp(v - log_S)
        J = np.stack([a_N * U, a_T * V, d * U, log_S - (a_N / a_T) * d * U], axis=1)
        return out, J

    def starts(self, N, T, loss, n_grid):
        # Each term alone would give L = f·L_med at the median size: log N_c = log N_med +
        # log(f L_med)/α_N, log T_c = log T_med + log(f L_med)/α_T.
        log_L = math.log(float(np.median(loss)))
        rows = _grid(
            _fraction_axis(n_grid, 0.2, 1.0),
            _fraction_axis(n_grid, 0.2, 1.0),
            _fraction_axis(n_grid, 0.03, 1.0),
            _fraction_axis(n_grid, 0.03, 1.0),
        )
        f_N, f_T, a_N, a_T = rows.T
        log_Nc = float(np.median(np.log(N))) + (log_L + np.log(f_N)) / a_N
        log_Tc = float(np.median(np.log(T))) + (log_L + np.log(f_T)) / a_T
        return np.stack([log_Nc, log_Tc, a_N, a_T], axis=1)


class _SumOfPowers(ScalingForm):
    """``L = E + Σ_k A_k x_k^(−a_k)`` in internal coordinates (log E, log A_k, a_k).

    ``∂ log L/∂ log E = E/L``, ``∂/∂ log A_k = A_k x_k^(−a_k)/L`` and
    ``∂/∂ a_k = −log x_k · A_k x_k^(−a_k)/L``.
    """

    offset: bool = True
    inputs: tuple[str, ...] = ("N", "T")

    def _logs(self, N, T):
        return [np.log(N) if x == "N" else np.log(T) for x in self.inputs]

    def log_predict(self, theta, N, T, jac=False):
        k = len(self.inputs)
        o = 1 if self.offset else 0
        logs = self._logs(N, T)
        terms = [np.exp(theta[o + i] - theta[o + k + i] * logs[i]) for i in range(k)]
        total = terms[0] if k == 1 else terms[0] + terms[1]
        if self.offset:
            total = total + np.exp(theta[0])
        out = np.log(total)
        if not jac:
            return out
        inv = 1.0 / total
        J = np.empty((total.size, o + 2 * k))
        if self.offset:
            J[:, 0] = np.exp(theta[0]) * inv
        for i in range(k):
            J[:, o + i] = terms[i] * inv
            J[:, o + k + i] = -logs[i] * J[:, o + i]
        return out, J

    def basis(self, theta, N, T):
        k = len(self.inputs)
        o = 1 if self.offset else 0
        logs = self._logs(N, T)
        cols = [np.ones_like(logs[0])] if self.offset else []
        cols += [np.exp(-theta[o + k + i] * logs[i]) for i in range(k)]
        return np.stack(cols, axis=1)

    def nonlinear_grid(self, N, T, loss, n_grid):
        return _grid(*[_exponent_axis(n_grid)] * len(self.inputs))

    def starts(self, N, T, loss, n_grid):
        # E = f_E·L_min; each power term A_k x^(−a_k) = f_k·L_med at the median x.
        k = len(self.inputs)
        L_med = float(np.median(loss))
        axes = [_fraction_axis(n_grid, 0.05, 0.9)] if self.offset else []
        axes += [_fraction_axis(n_grid, 0.05, 1.0)] * k + [_exponent_axis(n_grid)] * k
        rows = _grid(*axes)
        o = 1 if self.offset else 0
        med = [float(np.median(lx)) for lx in self._logs(N, T)]
        cols = [np.log(rows[:, 0] * float(np.min(loss)))] if self.offset else []
        cols += [np.log(rows[:, o + i] * L_med) + rows[:, o + k + i] * med[i] for i in range(k)]
        cols += [rows[:, o + k + i] for i in range(k)]
        return np.stack(cols, axis=1)


class Chinchilla(_SumOfPowers):
    """``L = E + A/N^a + B/T^b`` (Hoffmann et al. 2022, eq. 2; approach 3)."""

    name = "chinchilla"
    params = (
        Param("E", 0.0, None, log=True),
        Param("A", 0.0, None, log=True),
        Param("B", 0.0, None, log=True),
        Param("a", *_EXPONENT),
        Param("b", *_EXPONENT),
    )
    linear = ("E", "A", "B")
    doc = "L = E + A/N^a + B/T^b"


class Power(_SumOfPowers):
    """``L = c x^(−p)`` with x = N or T."""

    offset = False
    linear = ("c",)
    params = (Param("c", 0.0, None, log=True), Param("p", *_EXPONENT))

    def __init__(self, variable: str) -> None:
        self.inputs = (variable,)
        self.variables = (variable,)
        self.name = f"power-{variable}"
        self.doc = f"L = c {variable}^-p"


class PowerOffset(_SumOfPowers):
    """``L = E + c x^(−p)`` with x = N or T."""

    linear = ("E", "c")
    params = (
        Param("E", 0.0, None, log=True),
        Param("c", 0.0, None, log=True),
        Param("p", *_EXPONENT),
    )

    def __init__(self, variable: str) -> None:
        self.inputs = (variable,)
        self.variables = (variable,)
        self.name = f"power-offset-{variable}"
        self.doc = f"L = E + c {variable}^-p"


class MRS(ScalingForm):
    """``L = k (1/N + 1/T)^α``: the optimal-ridge loss of docs/theory.md eq. (8.2) at α = 1.

    ``log L = log k + α log(1/N + 1/T)``; exact in the α = 1 continuum, where
    ``k = π² σ_w² λ_+/(8M)``.
    """

    name = "mrs"
    params = (Param("k", 0.0, None, log=True), Param("alpha", *_EXPONENT))
    linear = ("k",)
    doc = "L = k (1/N + 1/T)^alpha"

    def log_predict(self, theta, N, T, jac=False):
        log_s = np.log(1.0 / N + 1.0 / T)
        out = theta[0] + theta[1] * log_s
        if not jac:
            return out
        return out, np.stack([np.ones_like(log_s), log_s], axis=1)

    def basis(self, theta, N, T):
        return np.exp(theta[1] * np.log(1.0 / N + 1.0 / T))[:, None]

    def starts(self, N, T, loss, n_grid):
        log_s = float(np.median(np.log(1.0 / N + 1.0 / T)))
        rows = _grid(_fraction_axis(n_grid, 0.3, 3.0), _exponent_axis(n_grid, 0.2, 2.0))
        log_k = math.log(float(np.median(loss))) + np.log(rows[:, 0]) - rows[:, 1] * log_s
        return np.stack([log_k, rows[:, 1]], axis=1)


class MRSBreakdown(ScalingForm):
    """``L = k (1/n − 1/M)^α / (1 − n/m)`` with ``n = min(N,T)``, ``m = max(N,T)``.

    The ridgeless MRS loss (docs/theory.md §6, ``L = (σ_w²/2M) P Δ_P/(1 − P/Q)``) with the slide's
    heuristic ``P Δ_P ≈ λ_+ C_α^(1+α) (1/P − 1/M)^α`` (docs/theory.md §7): a power law in n that
    breaks down as n → M, times the interpolation factor. Undefined at N = T (the ridgeless peak)
    and for n ≥ M; the latent size is therefore bounded below by the largest n of the data.
    ``∂ log L/∂ log M = α (1/M)/(1/n − 1/M)``.
    """

    name = "mrs-breakdown"
    params = (
        Param("k", 0.0, None, log=True),
        Param("alpha", *_EXPONENT),
        Param("M", 0.0, None, log=True),
    )
    linear = ("k",)
    doc = "L = k (1/n - 1/M)^alpha / (1 - n/m), n = min(N,T), m = max(N,T)"

    def check_data(self, N, T):
        if np.any(N == T):
            raise ConfigError(
                "The 'N' and 'T' columns must differ at every point for form 'mrs-breakdown' "
                "(its 1/(1 - n/m) factor diverges at N = T). "
                f"Got N = T = {N[N == T][0]:g} instead."
            )

    def internal_bounds(self, N, T):
        n_max = float(np.max(np.minimum(N, T)))
        bounds = super().internal_bounds(N, T)
        bounds[2] = (math.log(n_max) + 1e-6, None)
        return bounds

    @staticmethod
    def _parts(theta, N, T):
        n = np.minimum(N, T)
        inv_M = np.exp(-theta[2])
        gap = 1.0 / n - inv_M
        return n, inv_M, gap, np.log1p(-n / np.maximum(N, T))

    def log_predict(self, theta, N, T, jac=False):
        _, inv_M, gap, log_interp = self._parts(theta, N, T)
        log_gap = np.log(gap)
        out = theta[0] + theta[1] * log_gap - log_interp
        if not jac:
            return out
        J = np.stack([np.ones_like(gap), log_gap, theta[1] * inv_M / gap], axis=1)
        return out, J

    def basis(self, theta, N, T):
        _, _, gap, log_interp = self._parts(theta, N, T)
        return np.exp(theta[1] * np.log(gap) - log_interp)[:, None]

    def starts(self, N, T, loss, n_grid):
        n = np.minimum(N, T)
        log_n_max = math.log(float(np.max(n)))
        rows = _grid(
            _fraction_axis(n_grid, 0.3, 3.0),
            _exponent_axis(n_grid, 0.2, 2.0),
            _fraction_axis(n_grid, 1.5, 100.0),
        )
        log_M = log_n_max + np.log(rows[:, 2])
        base = np.log(1.0 / n[:, None] - np.exp(-log_M)[None, :]) * rows[:, 1][None, :]
        base -= np.log1p(-n / np.maximum(N, T))[:, None]
        log_k = math.log(float(np.median(loss))) + np.log(rows[:, 0]) - np.median(base, axis=0)
        return np.stack([log_k, rows[:, 1], log_M], axis=1)


class Theory(ScalingForm):
    """The model itself: the ridgeless deterministic equivalent, fitted for ``M``, ``α`` and ``k``.

    ``L = k ℓ(N, T; M, α)`` with ``ℓ`` the noise-free ridgeless loss of docs/theory.md eq. (6.2)
    at ``λ_+ = σ_w = 1`` (computed by :func:`scalinglab.theory.predict`), so ``k = σ_w² λ_+``:
    noise-free, ridgeless losses of linear random features follow this form to the accuracy of
    the deterministic equivalent (docs/theory.md §12). ``ℓ`` is defined for integer M; between
    integers ``log ℓ`` is interpolated linearly, so the law is continuous in M. The loss is
    infinite at N = T (refused) and zero where ``min(N, T) ≥ M``, so M stays above every
    ``min(N, T)`` of the data. The Jacobian in α and M is taken by central differences.
    """

    name = "theory"
    params = (
        Param("k", 0.0, None, log=True),
        Param("alpha", 0.05, 5.0),
        Param("M", 2.0, None, log=True),
    )
    doc = "L = k * ridgeless deterministic equivalent(N, T; M, alpha)"

    def check_data(self, N, T):
        same = int(np.sum(N == T))
        if same:
            raise ConfigError(
                f"The 'data' parameter must have N != T for form 'theory' (the ridgeless loss is "
                f"infinite at N = T, docs/theory.md §6). Got {same} point(s) with N = T instead."
            )

    def internal_bounds(self, N, T):
        bounds = super().internal_bounds(N, T)
        bounds[2] = (math.log(float(np.max(np.minimum(N, T))) + 1.0), None)
        return bounds

    @staticmethod
    def _log_unit_loss(alpha: float, M: int, N, T) -> np.ndarray:
        from ..model import DataModel
        from ..theory import predict

        with np.errstate(divide="ignore"):
            return np.log(predict(DataModel(M=int(M), alpha=float(alpha)), N, T, 0.0).loss)

    def _parts(self, theta, N, T):
        """``log ℓ`` at ``⌊M⌋`` and ``⌊M⌋ + 1`` and the interpolation weight of the second."""
        alpha, M = float(theta[1]), math.exp(float(theta[2]))
        low = math.floor(M)
        return (self._log_unit_loss(alpha, low, N, T),
                self._log_unit_loss(alpha, low + 1, N, T), M - low, M)  # fmt: skip

    def log_predict(self, theta, N, T, jac=False):
        N, T = np.broadcast_arrays(np.asarray(N, dtype=np.float64), np.asarray(T, dtype=np.float64))
        if not (np.all(np.isfinite(theta)) and theta[2] < math.log(1e12)):
            out = np.full(N.shape, np.inf)
            return (out, np.zeros((N.size, 3))) if jac else out
        low, high, frac, M = self._parts(theta, N, T)
        out = theta[0] + (1 - frac) * low + frac * high
        if not jac:
            return out
        # ∂/∂log M is exact for the interpolation: M (log ℓ(⌊M⌋+1) − log ℓ(⌊M⌋)); ∂/∂α by a
        # central difference (step 1e-5: truncation ~1e-10, rounding ~1e-11 relative).
        step = 1e-5
        up = self._parts(theta + np.array([0.0, step, 0.0]), N, T)
        down = self._parts(theta - np.array([0.0, step, 0.0]), N, T)
        d_alpha = ((1 - frac) * (up[0] - down[0]) + frac * (up[1] - down[1])) / (2 * step)
        d_logM = M * (high - low)
        return out, np.stack([np.ones_like(out), d_alpha, d_logM], axis=1)

    def starts(self, N, T, loss, n_grid):
        """The two best of a grid of (α, M), each with its best scale k, by median |residual|."""
        P_max = float(np.max(np.minimum(N, T)))
        Q_max = float(np.max(np.maximum(N, T)))
        rows, spread = [], []
        for alpha in (0.3, 0.6, 1.0, 1.5, 2.2):
            for M in (1.5 * P_max + 2.0, 4.0 * P_max + 2.0, 10.0 * Q_max, 100.0 * Q_max):
                shape = self.log_predict(np.array([0.0, alpha, math.log(M)]), N, T)
                resid = np.log(loss) - shape
                log_k = float(np.median(resid))
                rows.append([log_k, alpha, math.log(M)])
                spread.append(float(np.median(np.abs(resid - log_k))))
        best = np.argsort(spread, kind="stable")[: max(2, min(n_grid // 2, len(rows)))]
        return np.array(rows)[best]


class CustomForm(ScalingForm):
    """A user form: ``func(N, T, **params) -> L`` with named parameters and bounds.

    Parameters
    ----------
    name : str
        Name of the form (the key under which :func:`register_form` stores it).
    func : callable
        ``func(N, T, **params)`` returning positive losses, vectorised over 1-D arrays N, T.
    bounds : mapping
        ``name -> (low, high)`` for every parameter (``None`` for unbounded), in order.
    log_params : sequence of str, optional
        Parameters fitted as logarithms (default: those bounded below by ``low >= 0`` and
        unbounded above, i.e. positive scales). They must have ``low >= 0``.
    variables : sequence of str
        The inputs the law depends on (``("N", "T")``, ``("N",)`` or ``("T",)``).
    starts : mapping, optional
        ``name -> 1-D array`` of starting values (natural units); default: ``n_grid`` values
        spread over the bounds (geometrically for a log parameter) or around 1 when unbounded.
    doc : str
        One-line description of the law.

    The Jacobian of ``log L`` is taken by central differences in θ (step ``1e-6``).
    """

    def __init__(
        self,
        name: str,
        func: Callable[..., np.ndarray],
        bounds: Mapping[str, tuple[float | None, float | None]],
        *,
        log_params: Sequence[str] | None = None,
        variables: Sequence[str] = ("N", "T"),
        starts: Mapping[str, Sequence[float]] | None = None,
        doc: str = "",
    ) -> None:
        if not callable(func):
            raise ConfigError(f"The 'func' parameter must be callable. Got {func!r} instead.")
        if not isinstance(bounds, Mapping) or not bounds:
            raise ConfigError(
                "The 'bounds' parameter must be a non-empty mapping name -> (low, high). "
                f"Got {bounds!r} instead."
            )
        variables = tuple(variables)
        if not variables or any(v not in ("N", "T") for v in variables):
            raise ConfigError(
                "The 'variables' parameter must be a non-empty subset of ('N', 'T'). "
                f"Got {variables!r} instead."
            )
        signature = inspect.signature(func)
        takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
        params = []
        for pname, pair in bounds.items():
            if not takes_kwargs and pname not in signature.parameters:
                raise ConfigError(
                    f"The 'bounds' parameter must name arguments of func. Got {pname!r} instead."
                )
            low, high = _check_bounds(pname, pair)
            if log_params is None:
                is_log = low is not None and low >= 0 and high is None
            else:
                is_log = pname in log_params
            if is_log and (low is None or low < 0):
                raise ConfigError(
                    f"The 'log_params' parameter must list parameters with a lower bound >= 0. "
                    f"Got {pname!r} with bounds {pair!r} instead."
                )
            params.append(Param(pname, low, high, log=is_log))
        self.name = name
        self.func = func
        self.params = tuple(params)
        self.variables = variables
        self.doc = doc or f"user form {name}"
        self._starts = dict(starts or {})

    def log_predict(self, theta, N, T, jac=False):
        out = self._log_value(theta, N, T)
        if not jac:
            return out
        step = 1e-6
        cols = []
        for i in range(theta.size):
            delta = np.zeros_like(theta)
            delta[i] = step
            upper = self._log_value(theta + delta, N, T)
            cols.append((upper - self._log_value(theta - delta, N, T)) / (2 * step))
        return out, np.stack(cols, axis=1)

    def _log_value(self, theta, N, T):
        values = self.to_natural(theta)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.log(np.asarray(self.func(N, T, **values), dtype=np.float64))
        return np.broadcast_to(out, np.shape(N)).copy()

    def starts(self, N, T, loss, n_grid):
        axes = []
        for p in self.params:
            if p.name in self._starts:
                values = np.asarray(self._starts[p.name], dtype=np.float64)
                axes.append(np.log(values) if p.log else values)
                continue
            lo, hi = p.internal_bounds()
            lo = (-3.0 if p.log else 0.1) if lo is None else lo
            hi = (3.0 if p.log else 2.0) if hi is None else hi
            if lo >= hi - 1e-12:
                hi = lo + 1.0
            pad = 0.1 * (hi - lo)
            axes.append(np.linspace(lo + pad, hi - pad, n_grid) if n_grid > 1 else
                        np.array([0.5 * (lo + hi)]))  # fmt: skip
        return _grid(*axes)


def _check_bounds(name: str, pair) -> tuple[float | None, float | None]:
    try:
        low, high = pair
        low = None if low is None or low == -math.inf else float(low)
        high = None if high is None or high == math.inf else float(high)
    except (TypeError, ValueError):
        raise ConfigError(
            f"The 'bounds' parameter must map {name!r} to a pair (low, high). Got {pair!r} instead."
        ) from None
    if low is not None and high is not None and not low < high:
        raise ConfigError(
            f"The 'bounds' parameter must have low < high for {name!r}. Got {pair!r} instead."
        )
    return low, high


FORMS: dict[str, ScalingForm] = {
    form.name: form
    for form in (
        Kaplan(),
        Chinchilla(),
        MRS(),
        MRSBreakdown(),
        Theory(),
        Power("N"),
        Power("T"),
        PowerOffset("N"),
        PowerOffset("T"),
    )
}
"""The registry of named forms (built-in and registered user forms)."""


def register_form(
    name: str,
    func: Callable[..., np.ndarray],
    bounds: Mapping[str, tuple[float | None, float | None]],
    *,
    overwrite: bool = False,
    **options,
) -> CustomForm:
    """Build a :class:`CustomForm` and add it to :data:`FORMS` under ``name``.

    ``options`` are passed to :class:`CustomForm` (``log_params``, ``variables``, ``starts``,
    ``doc``). A registered name is replaced only with ``overwrite=True``.
    """
    if not isinstance(name, str) or not name or name in ("power", "power-offset"):
        raise ConfigError(f"The 'name' parameter must be a new form name. Got {name!r} instead.")
    if name in FORMS and not overwrite:
        raise ConfigError(
            f"The 'name' parameter must not be a registered form (pass overwrite=True to "
            f"replace it). Got {name!r} instead."
        )
    form = CustomForm(name, func, bounds, **options)
    FORMS[name] = form
    return form


def get_form(form: str | ScalingForm, variable: str | None = None) -> ScalingForm:
    """Resolve a form name (a form object passes through).

    ``power`` and ``power-offset`` become ``power-N``/``power-T`` (etc.) by ``variable``.
    """
    if isinstance(form, ScalingForm):
        return form
    if form in ("power", "power-offset"):
        if variable not in (None, "N", "T"):
            raise ConfigError(
                f"The 'variable' parameter must be 'N' or 'T'. Got {variable!r} instead."
            )
        form = f"{form}-{variable or 'N'}"
    if form not in FORMS:
        choices = ", ".join(repr(n) for n in [*FORMS, "power", "power-offset"])
        raise ConfigError(f"The 'form' parameter must be one of {choices}. Got {form!r} instead.")
    return FORMS[form]
