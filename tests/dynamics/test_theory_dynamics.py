"""SGD theory (deterministic equivalent + contour-mode recursion) against simulation and closed
forms; compute-optimal exponents against 1/(2+α)."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab import DataModel
from scalinglab.dynamics import learning_rates, simulate_gd, simulate_sgd, stable_lr
from scalinglab.dynamics.feature_spectrum import contour_modes
from scalinglab.dynamics.recursion import sgd_mode_losses, sgd_mode_losses_constant
from scalinglab.dynamics.theory import (
    compute_optimal_gd,
    compute_optimal_sgd,
    gd_stable_lr,
    sgd_power_law,
    theory_stable_lr,
    train_curve,
)
from scalinglab.exceptions import ConfigError

THEORY_CASES = [  # (N, batch, noise, schedule): N ≥ 200, far from N = M
    (200, 1, 0.0, "constant"),
    (400, 8, 0.0, "constant"),
    (300, 2, 0.05, "cosine"),
    (200, 1, 0.0, "wsd"),
]


@pytest.mark.parametrize(("N", "batch", "noise", "schedule"), THEORY_CASES)
def test_theory_matches_simulation(N, batch, noise, schedule):
    # The deterministic equivalent has O(1/N) corrections (about 1% here, measured); the
    # criterion of the issue is 5%. The simulation's own s.e. over 6 draws of U is < 3%.
    model = DataModel(M=4000, alpha=1.0, noise=noise)
    lr = 0.5 * stable_lr(model, N, optimizer="sgd", batch=batch)
    steps = [0, 10, 100, 1000, 3000]
    theory = train_curve(model, N, steps, lr, batch=batch, schedule=schedule).loss[0, 0, 0]
    sim = simulate_sgd(model, N, steps, lr, batch=batch, seeds=6, schedule=schedule)
    np.testing.assert_allclose(theory, sim.loss_mean[0, 0], rtol=0.05)


GD_THEORY_CASES = [  # (N, T, noise): N, T ≥ 200, away from N = T
    (200, 400, 0.0),
    (400, 200, 0.0),
    (200, 400, 0.3),  # label noise: the loss rises after its minimum
]


@pytest.mark.parametrize(("N", "T", "noise"), GD_THEORY_CASES)
def test_gd_theory_matches_simulation(N, T, noise):
    # The criterion is 5%; the simulation mean over 8 draws of (U, X) carries its own
    # sampling error, added as 2 s.e. (up to 3% at step 1, below 1% from step 100 on).
    model = DataModel(M=3000, alpha=1.0, noise=noise, sigma_w=10.0 if noise else 1.0)
    lr = 0.5 * stable_lr(model, N, T=T)
    steps = [0, 1, 10, 100, 1000, 10000]
    theory = train_curve(model, N, steps, lr, optimizer="gd", T=T).loss[0, 0, 0]
    sim = simulate_gd(model, N, T, steps, lr, seeds=8)
    mean, sem = sim.loss_mean[0, 0], sim.loss_sem[0, 0]
    assert np.all(np.abs(theory - mean) <= 0.05 * mean + 2 * sem), (theory, mean, sem)
    if noise:
        assert theory[-1] > 2 * theory.min()


def test_contour_modes_reproduce_spectral_moments():
    # Exact expectations over U: Σ_k 1 = N, Σ_k c_k = tr C = s² N Σλ, and at t = 0 the loss is
    # ½ s_ω (θ = 0): Σ_k u_k(0) + L0 = s_ω. The contour quadrature returns them to its
    # accuracy (Gauss–Legendre panels: relative errors below 1e-4, measured 6e-5 at worst).
    model = DataModel(M=3000, alpha=1.5)
    modes = contour_modes(model, 250)
    lam = model.eigenvalues()
    assert np.real(modes.counts.sum()) == pytest.approx(250, rel=1e-4)
    assert np.real((modes.counts * modes.zeta).sum()) == pytest.approx(
        model.feature_scale * 250 * lam.sum(), rel=1e-4
    )
    assert np.real(modes.u0.sum()) + modes.floor == pytest.approx(model.signal_variance(), rel=1e-4)


def _reference_losses(c, counts, u0, floor, residual, lrs, batch, steps):
    """The recursion of docs/dynamics.md §2 written out update by update (no blocks)."""
    u = np.array(u0, dtype=complex)
    out, t = {}, 0
    for target in sorted(set(steps)):
        while t < target:
            eta = lrs[t]
            total = u.sum().real
            u = (1 - 2 * eta * c + eta**2 * (1 + 1 / batch) * c**2) * u
            u = u + eta**2 * counts * c**2 / batch * (total + residual)
            t += 1
        out[target] = 0.5 * (u.sum().real + floor)
    return np.array([out[s] for s in steps])


@pytest.mark.parametrize("schedule", ["constant", "wsd", "cosine"])
def test_blocked_recursion_equals_step_by_step(schedule):
    # Blocks of constant lr (constant, the stable phase of wsd) solve the in-block Volterra
    # system; the result must be the plain recursion's to rounding (1e-9 relative).
    model = DataModel(M=10**5, alpha=1.0, noise=0.02)
    modes = contour_modes(model, 500)
    lr = 0.5 * theory_stable_lr(model, 500, 2)
    steps = np.array([0, 1, 9, 250, 4097, 700, 9])
    lrs = learning_rates(schedule, lr, 4097)
    args = (modes.zeta, modes.counts, modes.u0, modes.floor, modes.floor + 0.02**2)
    want = _reference_losses(*args, lrs, 2, steps)
    np.testing.assert_allclose(sgd_mode_losses(*args, lrs, 2, steps), want, rtol=1e-9)
    if schedule == "constant":  # and the doubling used beyond 3·10^5 updates
        doubled = sgd_mode_losses_constant(*args, lr, 2, steps)
        np.testing.assert_allclose(doubled, want, rtol=1e-9)


def test_blocked_recursion_reports_divergence():
    c = np.array([1.0, 2.0, 3.0])
    lrs = np.full(1000, 1.2)  # |a_3| > 1: the recursion blows up
    out = sgd_mode_losses(c, np.ones(3), np.ones(3), 0.0, 0.1, lrs, 1, np.array([0, 5, 999]))
    assert np.isfinite(out[0]) and np.isinf(out[2])


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_closed_form_exponents(alpha):
    # At M = 10^6: the theory's excess loss over its floor decays as t^(-α/(1+α)) and the floor
    # falls as N^(-α); fitted slopes within 0.05 (the criterion).
    model = DataModel(M=10**6, alpha=alpha)
    N = 50000 if alpha == 0.5 else 4000
    lr = 0.5 * theory_stable_lr(model, N)
    steps = np.unique(np.geomspace(100, 10**5, 16).astype(int))
    loss = train_curve(model, N, steps, lr).loss[0, 0, 0]
    floor = 0.5 * contour_modes(model, N).floor
    law = sgd_power_law(model, N, lr)
    excess = loss - floor
    keep = excess > 10 * floor
    assert keep.sum() >= 8
    slope = np.polyfit(np.log(steps[keep]), np.log(excess[keep]), 1)[0]
    assert abs(slope + law.time_exponent) < 0.05
    # the closed-form constant (with the SGD-noise feedback 1/(1 − κ)) within 25% mid-window
    mid = int(np.flatnonzero(keep)[keep.sum() // 2])
    assert excess[mid] == pytest.approx(law.time_coefficient * steps[mid] ** -law.time_exponent,
                                        rel=0.25)  # fmt: skip
    Ns = np.array([250, 500, 1000, 2000, 4000, 8000])
    floors = [contour_modes(model, int(n)).floor for n in Ns]
    assert abs(np.polyfit(np.log(Ns), np.log(floors), 1)[0] + alpha) < 0.05


def _frontier(alpha, budgets):
    model = DataModel(M=10**6, alpha=alpha)
    lo, hi = budgets[0] ** (1 / (2 + alpha)), budgets[-1] ** (1 / (2 + alpha))
    Ns = np.unique(np.geomspace(lo / 2, hi * 3, 14).astype(int))
    return compute_optimal_sgd(model, budgets, Ns=Ns)


@pytest.mark.slow  # a 7-budget frontier (fast: test_cli_dynamics compute-optimal)
def test_compute_optimal_exponent_alpha_1():
    fr = _frontier(1.0, np.geomspace(1e6, 1e9, 7))
    assert abs(fr.exponent_N - 1 / 3) < 0.03
    assert abs(fr.exponent_loss + 1 / 3) < 0.03
    assert fr.exponent_N + fr.exponent_steps == pytest.approx(1.0)


@pytest.mark.slow
@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_compute_optimal_exponent_slow(alpha):
    fr = _frontier(alpha, np.geomspace(1e6, 1e10, 9))
    assert abs(fr.exponent_N - 1 / (2 + alpha)) < 0.03
    assert abs(fr.exponent_loss + alpha / (2 + alpha)) < 0.03


@pytest.mark.slow
def test_gd_compute_optimal_exponents():
    # C = N T steps: the balance of N^-α, T^-α and t^(-α/(1+α)) gives N*, T* ∝ C^(1/(3+α)),
    # steps* ∝ C^((1+α)/(3+α)) (docs §6b); measured 0.2522, 0.2522, 0.4956 at α = 1.
    fr = compute_optimal_gd(DataModel(M=10**6, alpha=1.0), np.geomspace(1e8, 1e12, 7))
    for key in ("N", "T", "steps", "loss"):
        assert abs(fr.exponents[key] - fr.predicted[key]) < 0.03, (key, fr.exponents)


def test_schedules_and_bad_input():
    lr = learning_rates("cosine", 2.0, 100)
    assert lr[0] == 2.0 and lr[-1] < 1e-2 and np.all(np.diff(lr) <= 0)
    wsd = learning_rates("wsd", 1.0, 100, warmup=0.1, decay=0.2)
    assert wsd[0] == pytest.approx(0.1) and wsd[50] == 1.0 and wsd[-1] == pytest.approx(0.05)
    model = DataModel(M=2000, alpha=1.0)
    with pytest.raises(ConfigError, match="'schedule'"):
        learning_rates("linear", 1.0, 10)
    with pytest.raises(ConfigError, match="'lr'"):
        train_curve(model, 200, [10], 10 * theory_stable_lr(model, 200))
    with pytest.raises(ConfigError, match="'N'"):
        train_curve(model, 2000, [10], 1.0)
    with pytest.raises(ConfigError, match="'steps'"):
        train_curve(model, 200, [-1], 1.0)


def test_theory_modules_do_not_import_the_simulation():
    import ast
    from pathlib import Path

    import scalinglab.dynamics as pkg

    root = Path(pkg.__file__).parent
    for name in ("theory", "gd_theory", "feature_spectrum", "recursion", "schedules", "result",
                 "_checks"):  # fmt: skip
        tree = ast.parse((root / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                assert "simulat" not in module, (name, module)


@pytest.mark.parametrize("schedule", ["cosine", "wsd"])
def test_gd_theory_with_schedules_matches_simulation(schedule):
    # Theory vs exact simulation at N, T ≥ 200 away from N = T: within 5 % (the bar),
    # with label noise so the schedule's decay changes the late loss.
    model = DataModel(M=1000, alpha=1.0, noise=0.05)
    N, T = 200, 500
    lr = 0.8 * gd_stable_lr(model, N, T)
    steps = [0, 10, 100, 1000, 5000]
    sim = simulate_gd(model, N, T, steps, lr, schedule=schedule, seeds=3)
    theory = train_curve(model, N, steps, lr, optimizer="gd", T=T, schedule=schedule)
    ratio = theory.loss[0, 0, 0] / sim.loss_mean[0, 0]
    assert np.all(np.abs(ratio - 1) < 0.05), ratio
    constant = train_curve(model, N, steps, lr, optimizer="gd", T=T)
    assert not np.allclose(theory.loss, constant.loss, rtol=0.01)  # the schedule matters
