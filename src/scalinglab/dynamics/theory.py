"""Theory of one-pass SGD in the MRS model at large N, M (docs/dynamics.md §4–§6).

:func:`train_curve` runs the exact second-moment recursion of :mod:`.recursion` on the
deterministic equivalent of the feature spectrum (:mod:`.feature_spectrum`): the per-mode
Volterra description of Paquette, Paquette, Xiao, Pennington (2024) with batch size and any
learning-rate schedule. :func:`sgd_power_law` gives the closed forms

.. math::

    L(N, t) ≃ \\tfrac12 L_N + \\tfrac12 A_t\\,(2 η s^2 N t)^{-α/(1+α)},\\qquad
    L_N = \\frac{σ_w^2 λ_+}{M} k_α^{1+α} N^{-α},\\quad
    A_t = \\frac{σ_w^2}{M} \\frac{λ_+^{1/(1+α)}}{1+α} Γ\\!\\left(\\frac{α}{1+α}\\right),

with ``k_α = (π/(1+α))/sin(π/(1+α))``; the SGD noise feeds the loss back through the
Volterra kernel, multiplying the time term by ``1/(1 − κ)`` and adding the plateau
``½ κ σ_r²/(1 − κ)``, with ``κ = (1/b) Σ_J x_J/(2 − (1 + 1/b) x_J)``, ``x_J = η s² N λ_J``
(≈ ``η tr C/(2b)``). :func:`compute_optimal_sgd` finds ``N*(C)`` numerically for budgets
``C = N · steps · batch``. Nothing here imports the simulation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import gamma
from threadpoolctl import threadpool_limits

from .._arrays import loglog_slope
from .._validation import check_choice, check_float, check_int
from ..exceptions import ConfigError
from ..model import DataModel
from ..theory import compute_optimal
from ._checks import check_model, parse_steps
from .feature_spectrum import contour_modes, latent_quadrature, top_edge
from .gd_theory import gd_train_curve
from .recursion import sgd_mode_losses, sgd_mode_losses_constant
from .result import DynamicsResult
from .schedules import Schedule, learning_rates

DOUBLING_FROM = 300_000
"""Constant schedules beyond this many updates compose the affine map by doubling,
O(K³ log t) (the blocked recursion costs O(K + 256) per update: equal near 3·10^5 updates at
K ≈ 200 modes)."""


def theory_stable_lr(model: DataModel, N: int, batch: int = 1) -> float:
    """``2b/(tr C + (b+1) c_max)`` from the deterministic equivalent (``tr C = s²NΣλ``): the
    stability limit of the SGD recursion when the top eigenvalue dominates neither term."""
    N = check_int("N", N, low=1)
    batch = check_int("batch", batch, low=1)
    quad = latent_quadrature(model)
    s2 = model.feature_scale
    trace = s2 * N * quad.total
    return 2.0 * batch / (trace + (batch + 1) * top_edge(N, s2, quad))


def train_curve(
    model: DataModel,
    N: int,
    steps: int | Sequence[int] | str,
    lr: float,
    *,
    batch: int = 1,
    schedule: Schedule = "constant",
    optimizer: str = "sgd",
    T: int | None = None,
) -> DynamicsResult:
    """Deterministic-equivalent loss after each of ``steps`` updates (docs §4).

    ``optimizer="sgd"``: one-pass SGD ``θ ← θ − (lr_t/b) Φᵀ(Φθ − y)`` with ``b = batch`` fresh
    samples per update, from θ = 0; ``schedule`` is ``constant``, ``cosine``, ``wsd`` or a
    callable of the step (horizon ``max(steps)``). ``optimizer="gd"``: full-batch GD on ``T``
    samples (:func:`.gd_theory.gd_train_curve`, the same schedules). Valid for N < M; accurate
    when N (and T) are large (relative error O(1/N)), away from the interpolation point N = T.
    """
    model = check_model(model)
    if check_choice("optimizer", optimizer, ("sgd", "gd")) == "gd":
        if T is None:
            raise ConfigError("The 'T' parameter must be an integer >= 1 for GD. Got None instead.")
        return gd_train_curve(model, N, T, steps, lr, schedule)
    N = check_int("N", N, low=1)
    batch = check_int("batch", batch, low=1)
    step = parse_steps(steps)
    lr = check_float("lr", lr, 0.0, low_open=True)
    doubling = isinstance(schedule, str) and schedule == "constant" and step.max() > DOUBLING_FROM
    lrs = None if doubling else learning_rates(schedule, lr, int(step.max()))
    eta_max = float(lrs.max()) if lrs is not None and lrs.size else lr
    beta = 1.0 + 1.0 / batch
    with threadpool_limits(1, user_api="blas"):  # ~200 x 300 products: one thread is fastest
        modes = contour_modes(model, N, R_max=0.9 * 2.0 / (beta * eta_max))
    a = 1.0 - 2.0 * eta_max * modes.zeta + eta_max**2 * beta * modes.zeta**2
    if np.any(np.abs(a) > 1.0 + 1e-9):
        raise ConfigError(
            f"The 'lr' parameter must be below the SGD stability range for N = {N} (about "
            f"{theory_stable_lr(model, N, batch):.4g}). Got {eta_max:g} instead."
        )
    residual = modes.floor + model.noise**2
    args = (modes.zeta, modes.counts, modes.u0, modes.floor, residual)
    if doubling:  # (no per-update array of up to 10^9 rates)
        loss = sgd_mode_losses_constant(*args, lr, batch, step)
    else:
        loss = sgd_mode_losses(*args, lrs, batch, step)
    name = schedule if isinstance(schedule, str) else "custom"
    return DynamicsResult(model=model, optimizer="sgd", N=np.array([N]), size=np.array([batch]),
                          step=step, lr=lr, loss=loss[None, None, None, :], schedule=name,
                          method="theory")  # fmt: skip


@dataclass(frozen=True)
class PowerLaw:
    """Closed-form terms of the SGD loss (each already carries the factor ½)."""

    capacity: float  # ½ L_N: the N-limited plateau
    time_coefficient: float  # ½ A_t (2ηs²N)^{-α/(1+α)}/(1 − κ): times t^{-α/(1+α)}
    time_exponent: float  # α/(1+α)
    capacity_exponent: float  # α
    noise_plateau: float  # ½ κ σ_r²/(1 − κ)
    kappa: float  # the SGD-noise feedback κ

    def loss(self, steps: np.ndarray) -> np.ndarray:
        t = np.asarray(steps, dtype=np.float64)
        with np.errstate(divide="ignore"):
            return (
                self.capacity
                + self.noise_plateau
                + self.time_coefficient * t ** (-self.time_exponent)
            )


def sgd_power_law(model: DataModel, N: int, lr: float, batch: int = 1) -> PowerLaw:
    """The closed-form power laws in t and N (docs §5) for the isotropic power-law model."""
    model = check_model(model)
    if not (model.is_power_law and model.isotropic):
        raise ConfigError(
            "The 'model' parameter must be the isotropic power law for the closed forms. "
            "Got a user spectrum or teacher instead."
        )
    N = check_int("N", N, low=1)
    lr = check_float("lr", lr, 0.0, low_open=True)
    a, lp = model.alpha, model.lambda_plus
    omega = model.sigma_w**2 / model.M
    k = (math.pi / (1.0 + a)) / math.sin(math.pi / (1.0 + a))
    capacity = omega * lp * k ** (1.0 + a) * N ** (-a)
    amp = omega * lp ** (1.0 / (1.0 + a)) / (1.0 + a) * gamma(a / (1.0 + a))
    rate = 2.0 * lr * model.feature_scale * N
    quad = latent_quadrature(model)
    x = rate * quad.lam / 2.0  # η c_J with c_J ≈ s² N λ_J
    kappa = float(quad.weight @ (x / (2.0 - (1.0 + 1.0 / batch) * x))) / batch
    if not 0 <= kappa < 1:
        raise ConfigError(
            f"The 'lr' parameter must be in the SGD stability range for N = {N}. Got {lr:g} "
            "instead."
        )
    noise = 0.5 * kappa * (capacity + model.noise**2) / (1.0 - kappa)
    time = 0.5 * amp * rate ** (-a / (1 + a)) / (1.0 - kappa)
    return PowerLaw(capacity=0.5 * capacity, time_coefficient=time,
                    time_exponent=a / (1.0 + a), capacity_exponent=a,
                    noise_plateau=noise, kappa=kappa)  # fmt: skip


@dataclass
class SGDFrontier:
    """The compute-optimal frontier of one-pass SGD over budgets ``C = N · steps · batch``."""

    budget: np.ndarray
    N: np.ndarray  # N*(C)
    steps: np.ndarray  # steps*(C)
    loss: np.ndarray  # L*(C)
    exponent_N: float  # fitted d log N*/d log C
    exponent_steps: float
    exponent_loss: float
    predicted_N: float  # 1/(2+α)
    predicted_steps: float  # (1+α)/(2+α)
    predicted_loss: float  # −α/(2+α)
    ridge_N: np.ndarray  # the ridge frontier (tuned ridge, C = N·T) at the same budgets
    ridge_T: np.ndarray
    ridge_exponent_N: float
    ridge_exponent_T: float

    def records(self) -> list[dict]:
        return [
            {"budget": float(c), "N_opt": float(n), "steps_opt": float(s), "loss_opt": float(v),
             "ridge_N_opt": float(rn), "ridge_T_opt": float(rt)}
            for c, n, s, v, rn, rt in zip(self.budget, self.N, self.steps, self.loss,
                                          self.ridge_N, self.ridge_T)
        ]  # fmt: skip


def compute_optimal_sgd(
    model: DataModel,
    budgets: Sequence[float],
    *,
    batch: int = 1,
    lr_fraction: float = 0.5,
    Ns: Sequence[int] | None = None,
) -> SGDFrontier:
    """``N*(C)``, ``steps*(C)`` and ``L*(C)`` from the theory (docs §6).

    Every N trains at ``lr = lr_fraction × theory_stable_lr(N)`` (∝ 1/N), the constant schedule;
    for each budget the loss ``L(N, C/(N b))`` is minimised over the grid ``Ns`` (default: 24
    log-spaced sizes spanning the budgets' balance points) and refined by a parabola in log N.
    The ridge frontier of :func:`scalinglab.theory.compute_optimal` (C = N·T, tuned ridge) at the
    same budgets comes along for comparison.
    """
    model = check_model(model)
    budgets = np.sort(np.asarray([check_float("budget", c, 0.0, low_open=True) for c in budgets]))
    batch = check_int("batch", batch, low=1)
    frac = check_float("lr_fraction", lr_fraction, 0.0, 1.0, low_open=True, high_open=True)
    a = model.alpha if model.is_power_law else 1.0
    if Ns is None:
        lo, hi = budgets[0] ** (1 / (2 + a)) / 4, budgets[-1] ** (1 / (2 + a)) * 4
        Ns = np.unique(np.geomspace(max(lo, 8), min(hi, model.M / 4), 24).astype(int))
    Ns = np.asarray([check_int("N", n, low=1) for n in Ns])
    table = np.full((Ns.size, budgets.size), np.inf)
    for i, n in enumerate(Ns):
        steps = np.maximum(1, np.round(budgets / (n * batch))).astype(np.int64)
        lr = frac * theory_stable_lr(model, int(n), batch)
        table[i] = train_curve(model, int(n), steps, lr, batch=batch).loss[0, 0, 0]
    best_N, best_L = np.empty(budgets.size), np.empty(budgets.size)
    logN = np.log(Ns)
    for j in range(budgets.size):
        i = int(np.argmin(table[:, j]))
        if 0 < i < Ns.size - 1:  # parabola through the three points around the minimum
            x, y = logN[i - 1 : i + 2], np.log(table[i - 1 : i + 2, j])
            p = np.polyfit(x, y, 2)
            x0 = -p[1] / (2 * p[0]) if p[0] > 0 else logN[i]
            best_N[j], best_L[j] = np.exp(x0), np.exp(np.polyval(p, x0))
        else:
            best_N[j], best_L[j] = Ns[i], table[i, j]
    best_steps = budgets / (best_N * batch)
    ridge = compute_optimal(model, budgets)
    return SGDFrontier(budget=budgets, N=best_N, steps=best_steps, loss=best_L,
                       exponent_N=loglog_slope(budgets, best_N),
                       exponent_steps=loglog_slope(budgets, best_steps),
                       exponent_loss=loglog_slope(budgets, best_L), predicted_N=1 / (2 + a),
                       predicted_steps=(1 + a) / (2 + a), predicted_loss=-a / (2 + a),
                       ridge_N=ridge.N, ridge_T=ridge.T, ridge_exponent_N=ridge.N_exponent,
                       ridge_exponent_T=ridge.T_exponent)  # fmt: skip


def gd_stable_lr(model: DataModel, N: int, T: int) -> float:
    """``2/x_max`` with ``x_max`` the deterministic-equivalent top eigenvalue of FᵀF/T."""
    quad = latent_quadrature(model)
    return 2.0 / top_edge(check_int("N", N, low=1), model.feature_scale, quad,
                          check_int("T", T, low=1))  # fmt: skip


@dataclass
class GDFrontier:
    """The compute-optimal frontier of full-batch GD over budgets ``C = N · T · steps``."""

    budget: np.ndarray
    N: np.ndarray
    T: np.ndarray
    steps: np.ndarray
    loss: np.ndarray
    exponents: dict[str, float]  # fitted d log X*/d log C for N, T, steps, loss
    predicted: dict[str, float]  # 1/(3+α), 1/(3+α), (1+α)/(3+α), −α/(3+α)


def compute_optimal_gd(
    model: DataModel,
    budgets: Sequence[float],
    *,
    lr_fraction: float = 0.5,
    Ns: Sequence[int] | None = None,
    Ts: Sequence[int] | None = None,
) -> GDFrontier:
    """``N*, T*, steps*`` and ``L*`` of full-batch GD from the theory (docs §6b).

    Every (N, T) trains at ``lr = lr_fraction × gd_stable_lr(N, T)`` for ``C/(N T)`` steps; the
    minimum over the (N, T) grid is refined by a quadratic in (log N, log T) through the 3 × 3
    neighbourhood. Points with fewer than one step are skipped. Early-stopped GD has no
    interpolation peak, and the optimum sits near N = T.
    """
    model = check_model(model)
    budgets = np.sort(np.asarray([check_float("budget", c, 0.0, low_open=True) for c in budgets]))
    frac = check_float("lr_fraction", lr_fraction, 0.0, 1.0, low_open=True, high_open=True)
    a = model.alpha if model.is_power_law else 1.0
    if Ns is None or Ts is None:
        lo, hi = budgets[0] ** (1 / (3 + a)) / 3, budgets[-1] ** (1 / (3 + a)) * 6
        grid = np.unique(np.geomspace(max(lo, 8), min(hi, model.M / 4), 14).astype(int))
        Ns = grid if Ns is None else Ns
        Ts = grid if Ts is None else Ts
    Ns = np.asarray([check_int("N", n, low=1) for n in Ns])
    Ts = np.asarray([check_int("T", t, low=1) for t in Ts])
    table = np.full((Ns.size, Ts.size, budgets.size), np.inf)
    for i, n in enumerate(Ns):
        for j, t in enumerate(Ts):
            steps = np.round(budgets / (n * t)).astype(np.int64)
            ok = steps >= 1
            if not ok.any():
                continue
            lr = frac * gd_stable_lr(model, int(n), int(t))
            curve = gd_train_curve(model, int(n), int(t), steps[ok], lr).loss[0, 0, 0]
            table[i, j, ok] = curve
    lN, lT = np.log(Ns), np.log(Ts)
    best = np.empty((budgets.size, 3))
    for k in range(budgets.size):
        i, j = np.unravel_index(int(np.argmin(table[:, :, k])), table.shape[:2])
        best[k] = lN[i], lT[j], np.log(table[i, j, k])
        rows, cols = slice(max(i - 1, 0), i + 2), slice(max(j - 1, 0), j + 2)
        block = table[rows, cols, k]
        if block.shape == (3, 3) and np.all(np.isfinite(block)):
            x, y = np.meshgrid(lN[rows], lT[cols], indexing="ij")
            A = np.stack([np.ones(9), x.ravel(), y.ravel(), x.ravel() ** 2, x.ravel() * y.ravel(),
                          y.ravel() ** 2], axis=1)  # fmt: skip
            c = np.linalg.lstsq(A, np.log(block.ravel()), rcond=None)[0]
            H = np.array([[2 * c[3], c[4]], [c[4], 2 * c[5]]])
            if np.all(np.linalg.eigvalsh(H) > 0):
                xy = np.linalg.solve(H, -c[1:3])
                if abs(xy[0] - lN[i]) < 1.5 * (lN[1] - lN[0]):
                    feats = np.array([1, xy[0], xy[1], xy[0] ** 2, xy[0] * xy[1], xy[1] ** 2])
                    best[k] = xy[0], xy[1], feats @ c
    N_opt, T_opt, L_opt = np.exp(best[:, 0]), np.exp(best[:, 1]), np.exp(best[:, 2])
    steps_opt = budgets / (N_opt * T_opt)
    optima = {"N": N_opt, "T": T_opt, "steps": steps_opt, "loss": L_opt}
    exponents = {key: loglog_slope(budgets, value) for key, value in optima.items()}
    predicted = {"N": 1 / (3 + a), "T": 1 / (3 + a), "steps": (1 + a) / (3 + a),
                 "loss": -a / (3 + a)}  # fmt: skip
    return GDFrontier(budget=budgets, N=N_opt, T=T_opt, steps=steps_opt, loss=L_opt,
                      exponents=exponents, predicted=predicted)  # fmt: skip
