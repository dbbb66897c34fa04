"""Scaling-law forms: analytic Jacobians, predictions and user-defined forms."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab.exceptions import ConfigError
from scalinglab.fitting import FORMS, CustomForm, get_form, register_form
from scalinglab.fitting.forms import ScalingForm


def _points():
    rng = np.random.default_rng(3)
    N = np.exp(rng.uniform(np.log(20), np.log(3000), 50))
    T = np.exp(rng.uniform(np.log(25), np.log(4000), 50))
    return N, T


@pytest.mark.parametrize("name", sorted(FORMS))
def test_jacobian_matches_central_differences(name):
    form = FORMS[name]
    N, T = _points()
    theta = np.mean(form.starts(N, T, np.full(N.size, 0.3), 3), axis=0)
    if name == "mrs-breakdown":
        theta[2] = np.log(3 * max(np.minimum(N, T)))  # M above every n
    if name == "theory":  # piecewise linear in integer M: differences stay inside one interval
        theta[2] = np.log(5000.5)
    value, J = form.log_predict(theta, N, T, jac=True)
    np.testing.assert_allclose(value, form.log_predict(theta, N, T), rtol=1e-14)
    for i in range(theta.size):
        h = 1e-6 * max(1.0, abs(theta[i]))
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        numeric = (form.log_predict(up, N, T) - form.log_predict(down, N, T)) / (2 * h)
        # Central differences have O(h²) truncation and O(eps/h) rounding error: ~1e-8 here.
        np.testing.assert_allclose(J[:, i], numeric, rtol=1e-6, atol=1e-7 * np.abs(value).max())


def test_predict_matches_each_written_law():
    N = np.array([[100.0], [1000.0]])
    T = np.array([300.0, 5000.0, 20000.0])
    c = dict(E=1.69, A=406.4, B=410.7, a=0.34, b=0.28)
    np.testing.assert_allclose(
        FORMS["chinchilla"].predict(c, N, T),
        c["E"] + c["A"] / N ** c["a"] + c["B"] / T ** c["b"],
        rtol=1e-13,
    )
    k = dict(N_c=8.8e13, T_c=5.4e13, alpha_N=0.076, alpha_T=0.095)
    law = ((k["N_c"] / N) ** (k["alpha_N"] / k["alpha_T"]) + k["T_c"] / T) ** k["alpha_T"]
    np.testing.assert_allclose(FORMS["kaplan"].predict(k, N, T), law, rtol=1e-12)
    np.testing.assert_allclose(
        FORMS["mrs"].predict({"k": 2.0, "alpha": 0.5}, N, T),
        2.0 * (1 / N + 1 / T) ** 0.5,
        rtol=1e-13,
    )
    n, m = np.minimum(N, T), np.maximum(N, T)
    np.testing.assert_allclose(
        FORMS["mrs-breakdown"].predict({"k": 2.0, "alpha": 0.5, "M": 3e4}, N, T),
        2.0 * (1 / n - 1 / 3e4) ** 0.5 / (1 - n / m),
        rtol=1e-12,
    )
    np.testing.assert_allclose(FORMS["power-T"].predict({"c": 3.0, "p": 0.2}, 1.0, T),
                               3.0 * T**-0.2, rtol=1e-13)  # fmt: skip
    np.testing.assert_allclose(
        FORMS["power-offset-N"].predict({"E": 1.0, "c": 3.0, "p": 0.2}, N, 1.0),
        1.0 + 3.0 * N**-0.2,
        rtol=1e-13,
    )


def test_get_form_resolves_power_variants_and_rejects_unknown():
    assert get_form("power").name == "power-N"
    assert get_form("power-offset", variable="T").name == "power-offset-T"
    assert get_form(FORMS["mrs"]) is FORMS["mrs"]
    with pytest.raises(ConfigError, match="'form' parameter must be one of"):
        get_form("nope")
    with pytest.raises(ConfigError, match="'variable' parameter"):
        get_form("power", variable="M")


def test_parameter_names_are_the_documented_ones():
    assert FORMS["kaplan"].param_names == ("N_c", "T_c", "alpha_N", "alpha_T")
    assert FORMS["chinchilla"].param_names == ("E", "A", "B", "a", "b")
    assert FORMS["mrs"].param_names == ("k", "alpha")
    assert FORMS["mrs-breakdown"].param_names == ("k", "alpha", "M")
    assert all(isinstance(f, ScalingForm) and f.doc for f in FORMS.values())


def test_custom_form_jacobian_and_registration():
    def law(N, T, *, E, A, a):
        return E + A * (N * T) ** -a

    form = CustomForm("nt", law, {"E": (0, None), "A": (0, None), "a": (0.01, 3)})
    assert [p.log for p in form.params] == [True, True, False]
    N, T = _points()
    theta = form.to_internal({"E": 0.5, "A": 30.0, "a": 0.4})
    value, J = form.log_predict(theta, N, T, jac=True)
    np.testing.assert_allclose(np.exp(value), law(N, T, E=0.5, A=30.0, a=0.4), rtol=1e-13)
    # Analytic derivative of log L in θ = (log E, log A, a), independent of the form's code.
    L = law(N, T, E=0.5, A=30.0, a=0.4)
    power = 30.0 * (N * T) ** -0.4
    exact = np.stack([0.5 / L, power / L, -np.log(N * T) * power / L], axis=1)
    np.testing.assert_allclose(J, exact, rtol=1e-6)  # central differences, step 1e-6
    try:
        assert register_form("nt-test", law, {"E": (0, None), "A": (0, None), "a": (0.01, 3)})
        assert FORMS["nt-test"].param_names == ("E", "A", "a")
        with pytest.raises(ConfigError, match="registered form"):
            register_form("nt-test", law, {"E": (0, None)})
    finally:
        FORMS.pop("nt-test", None)


@pytest.mark.parametrize(
    ("bounds", "match"),
    [
        ({"E": (1.0, 0.5)}, "low < high"),
        ({"Q": (0, 1)}, "name arguments of func"),
        ({"E": "x"}, "pair"),
        ({}, "non-empty mapping"),
    ],
)
def test_custom_form_rejects_bad_bounds(bounds, match):
    with pytest.raises(ConfigError, match=match):
        CustomForm("bad", lambda N, T, *, E: E + 0 * N, bounds)
