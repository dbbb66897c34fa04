"""Compute-optimal frontier, extrapolation check and model comparison."""

from __future__ import annotations

import numpy as np
import pytest

from fitting.fitting_helpers import make_data
from scalinglab.exceptions import ConfigError
from scalinglab.fitting import (
    compare_forms,
    compute_optimal_frontier,
    extrapolation_check,
)

CHINCHILLA = dict(E=1.69, A=406.4, B=410.7, a=0.34, b=0.28)


def test_chinchilla_frontier_matches_the_closed_form():
    C = np.geomspace(1e18, 1e24, 7)
    out = compute_optimal_frontier(("chinchilla", CHINCHILLA), C)
    a, b, A, B = (CHINCHILLA[k] for k in "abAB")
    # d/dN [A N^-a + B (C/N)^-b] = 0  =>  N* = (aA/(bB))^(1/(a+b)) C^(b/(a+b)).
    N_star = (a * A / (b * B)) ** (1 / (a + b)) * C ** (b / (a + b))
    # Bounded Brent with xatol 1e-10 in log N: relative error ~1e-6 at most (flat minimum).
    np.testing.assert_allclose(out.N, N_star, rtol=1e-5)
    np.testing.assert_allclose(out.N * out.T, C, rtol=1e-12)
    assert out.exponent_N == pytest.approx(b / (a + b), abs=1e-6)
    assert out.exponent_T == pytest.approx(a / (a + b), abs=1e-6)
    L_star = CHINCHILLA["E"] + A * N_star**-a + B * (C / N_star) ** -b
    np.testing.assert_allclose(out.loss, L_star, rtol=1e-12)


def test_mrs_frontier_is_equiparameterized():
    # Spec §6.6: with L = k (1/N + 1/T)^alpha and C = N T, the optimum is N = T = sqrt(C) and
    # L* = k (2/sqrt(C))^alpha, i.e. L* ∝ C^(-alpha/2).
    C = np.geomspace(1e4, 1e10, 5)
    out = compute_optimal_frontier(("mrs", {"k": 3.0, "alpha": 0.6}), C)
    np.testing.assert_allclose(out.N, np.sqrt(C), rtol=1e-5)
    np.testing.assert_allclose(out.T, np.sqrt(C), rtol=1e-5)
    np.testing.assert_allclose(out.loss, 3.0 * (2 / np.sqrt(C)) ** 0.6, rtol=1e-9)
    assert out.exponent_loss == pytest.approx(-0.3, abs=1e-6)


def test_frontier_with_a_user_cost_function():
    # cost = 6 N T (FLOPs): the optimum is the N T = C/6 optimum.
    C = np.geomspace(1e19, 1e23, 4)
    flops = compute_optimal_frontier(("chinchilla", CHINCHILLA), C, cost=lambda N, T: 6 * N * T)
    plain = compute_optimal_frontier(("chinchilla", CHINCHILLA), C / 6)
    np.testing.assert_allclose(flops.N, plain.N, rtol=1e-5)
    np.testing.assert_allclose(flops.T, plain.T, rtol=1e-5)


def test_frontier_needs_a_two_variable_law():
    with pytest.raises(ConfigError, match="law of both N and T"):
        compute_optimal_frontier(("power-N", {"c": 1.0, "p": 0.5}), [1e6])


def test_extrapolation_check_on_the_true_form_is_accurate():
    data = make_data("chinchilla", seed=3)
    check = extrapolation_check(data, "chinchilla", above="N=1e9", n_grid=3)
    assert check.heldout.n_points == 30 and check.fit.n_points == 70  # N > 1e9: 3 of 10 N
    # 1% noise: held-out relative errors are the noise (|ε| < 4% at 4 sd) plus a small
    # extrapolation error of the fit.
    assert check.mean_abs_rel_error < 0.02
    assert check.max_abs_rel_error < 0.05
    out = check.to_dict()
    assert out["n_heldout"] == 30 and len(out["points"]) == 30
    with pytest.raises(ConfigError, match="leave some points above"):
        extrapolation_check(data, "chinchilla", above={"N": 1e12})


def test_compare_forms_prefers_the_generating_law():
    data = make_data("chinchilla", seed=9)
    out = compare_forms(data, ["chinchilla", "mrs", "power-N"], n_grid=2, n_folds=3)
    by_form = {r["form"]: r for r in out.records}
    assert out.best == "chinchilla"
    # The wrong forms cannot absorb the E offset and the T dependence: several times the
    # 1% noise in cross-validated error, while the true form stays near the noise level.
    assert by_form["chinchilla"]["heldout_error"] < 0.012
    assert by_form["mrs"]["heldout_error"] > 2 * by_form["chinchilla"]["heldout_error"]
    assert by_form["chinchilla"]["aic"] < by_form["power-N"]["aic"]
    held = compare_forms(data, ["chinchilla", "mrs"], holdout_above="N=1e9", n_grid=2)
    assert held.records[0]["heldout"] == "extrapolation"
