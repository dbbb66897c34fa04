"""Deterministic equivalent at any ridge (spec §6.2–§6.3): the deterministic table of §10."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab import ConfigError, DataModel
from scalinglab.theory import deterministic_equivalent, optimal_ridge, predict, regime
from scalinglab.theory.equivalent import fixed_point, ridgeless_delta, spectrum_of

from _helpers.brute_force import independent_losses, mean_sem

# Spec table 9.9: (M, alpha, N, T, ridge, sigma_eps^2, Delta, L), sigma_u = sigma_w = lambda_+ = 1.
TABLE_9_9 = [
    (2000, 1.0, 200, 1000, 0, 0, 5.6288728701e-05, 3.5180455438e-06),
    (2000, 1.0, 1000, 200, 0, 0, 5.6288728701e-05, 3.5180455438e-06),
    (2000, 0.5, 500, 1500, 0, 0, 1.8944854891e-04, 3.5521602921e-05),
    (2000, 1.0, 500, 500, 1e-2, 0, 1.4377314703e-04, 3.0067140636e-06),
    (2000, 0.5, 300, 1200, 0, 1e-5, 4.8385784856e-04, 5.0052451522e-05),
    (2000, 0.5, 1200, 300, 0, 1e-5, 4.8385784856e-04, 5.3864382825e-05),
    (4000, 1.0, 1500, 3800, 0, 0, 7.3598386579e-07, 2.2799500190e-07),
    (2000, 1.0, 2600, 3000, 0, 1e-5, 0.0, 1.0000000000e-05),
    (2000, 0.5, 1500, 1500, 1e-2, 0, 5.4901943727e-05, 1.4131455300e-05),
]


def _independent_reference(M, alpha, N, T, ridge, var, reference):
    """(Δ, L) from brute-force sums and brentq: the ridgeless closed form at γ = 0 (spec §6.3),
    σ²M/(2(T − M)) for N, T > M (§6.3), else the general formula (§6.2) at γ' = γM/σ_u²."""
    lam = reference.power_law(M, alpha)
    if min(N, T) >= M:
        return 0.0, var * M / (2 * (T - M))
    if ridge == 0:
        return reference.delta_P(lam, min(N, T)), reference.ridgeless_loss(lam, 1 / M, N, T, var)
    return reference.delta(lam, N, T, ridge * M), reference.loss(lam, lam / M, N, T, ridge * M, var)


@pytest.mark.parametrize(("M", "alpha", "N", "T", "ridge", "var", "delta", "loss"), TABLE_9_9)
def test_reference_values_table_9_9(M, alpha, N, T, ridge, var, delta, loss, reference):
    """D5: the key check that our conventions (ridge, ½, 1/M, noise) match the spec."""
    want_delta, want_loss = _independent_reference(M, alpha, N, T, ridge, var, reference)
    # The table's 11 printed digits are reproduced by the brute-force reference of this file
    # (plain sums + brentq at rtol 1e-15, and a different formula at γ = 0): rel 1e-8 leaves
    # room for the printed rounding only.
    assert want_loss == pytest.approx(loss, rel=1e-8)
    assert want_delta == pytest.approx(delta, rel=1e-8, abs=0)
    res = predict(DataModel(M=M, alpha=alpha, noise=np.sqrt(var)), N, T, ridge)
    # package vs reference: fast Euler–Maclaurin sums and Newton vs plain sums, ~1e-12.
    assert float(res.loss) == pytest.approx(want_loss, rel=1e-9)
    assert float(res.delta) == pytest.approx(want_delta, rel=1e-9, abs=0)
    assert bool(res.converged)


@pytest.mark.parametrize(
    ("alpha", "N", "T", "ridge"),
    [(1.0, 500, 500, 1e-2), (0.5, 300, 1200, 1e-4), (2.0, 1200, 300, 1.0), (1.0, 2600, 3000, 1e-3)],
)
def test_solver_matches_brentq_on_physical_branch(alpha, N, T, ridge, reference):
    """D1 + D2: vectorised solver vs scipy brentq on the same equation; residual 1e-10."""
    M = 2000
    model = DataModel(M=M, alpha=alpha)
    lam = reference.power_law(M, alpha)
    gp = ridge * M  # γ' = γ/s², s² = σ_u²/M with σ_u = 1 (spec §6.2)
    expected = reference.delta(lam, N, T, gp)
    res = predict(model, N, T, ridge)
    # brentq at rtol 1e-15 on full sums; the fast sums differ from them by ~1e-13.
    assert float(res.delta) == pytest.approx(expected, rel=1e-10)
    d1 = float(np.sum(lam / (lam + float(res.delta))))
    assert d1 < min(N, T)
    assert float(res.residual) < 1e-10
    assert abs(float(res.delta) * (N - d1) * (T - d1) / gp - 1) < 1e-10


@pytest.mark.parametrize(("alpha", "P"), [(0.5, 10), (1.0, 300), (2.0, 1999), (1.0, 1)])
def test_ridgeless_root_matches_brentq(alpha, P, reference):
    """D1/D2 for the ridgeless branch point: d1(Δ_P)/P − 1 below 1e-10."""
    M = 2000
    spectrum = spectrum_of(DataModel(M=M, alpha=alpha))
    delta, info = ridgeless_delta(spectrum, np.array([float(P)]))
    assert delta[0] == pytest.approx(reference.delta_P(reference.power_law(M, alpha), P), rel=1e-10)
    assert info.residual[0] < 1e-10 and info.converged[0]


def test_solver_never_lands_on_unphysical_branch():
    """§9.8: tiny κ has (N−d1)(T−d1) > 0 with d1 > max(N, T); the solver must stay on d1 < P."""
    model = DataModel(M=2000, alpha=1.0)
    spectrum = spectrum_of(model)
    N, T = np.array([200.0, 1000.0, 50.0]), np.array([1000.0, 200.0, 1500.0])
    gp = np.array([1e-14, 1e-10, 1e-6]) / model.feature_scale
    dP = ridgeless_delta(spectrum, np.minimum(N, T))[0]
    delta, info = fixed_point(spectrum, N, T, gp, dP)
    d1 = spectrum.functionals(delta).d1
    assert np.all(d1 < np.minimum(N, T)) and np.all(info.converged)
    # At γ'/(NTΔ_P) ~ 1e-12 (first point) N − d1 ~ 1e-12 N is computed by a subtraction that
    # keeps ~4 digits; that is why predict() switches to the exact ridgeless branch there.
    assert info.residual[0] < 1e-3 and info.residual[1] < 1e-6 and info.residual[2] < 1e-10


def test_duality_N_T_noise_free_isotropic():
    """D3: L(N, T, γ) = L(T, N, γ) for the isotropic noise-free model."""
    model = DataModel(M=3000, alpha=0.7)
    N = np.array([100, 250, 700, 2000, 3500])[:, None]
    T = np.array([150, 900, 2800, 4000])[None, :]
    for ridge in (0.0, 1e-4, 1e-1):
        a, b = predict(model, N, T, ridge), predict(model, T, N, ridge)
        # the formula is symmetric term by term; only summation order differs (~1e-15).
        np.testing.assert_allclose(a.loss, b.loss, rtol=1e-12)


def test_noise_breaks_duality_with_spec_sign():
    """§6.3: noise makes N > T worse than N < T (table 9.9 rows 5 and 6)."""
    model = DataModel(M=2000, alpha=0.5, noise=np.sqrt(1e-5))
    assert float(predict(model, 1200, 300).loss) > float(predict(model, 300, 1200).loss)


@pytest.mark.parametrize(("N", "T"), [(200, 1000), (1000, 200), (500, 1500), (2600, 1500)])
@pytest.mark.parametrize("var", [0.0, 1e-5])
def test_ridgeless_is_limit_of_general_ridge(N, T, var):
    """D4: the exact ridgeless branch equals the general formula at a tiny ridge (rel 1e-6)."""
    model = DataModel(M=2000, alpha=1.0, noise=np.sqrt(var))
    exact = predict(model, N, T, 0.0)
    delta_P = float(exact.delta)
    # γ chosen so that γ'/(NT) ≈ 1e-9 Δ_P (the spec's prescription): the limit is reached to 1e-9.
    ridge = 1e-9 * delta_P * N * T * model.feature_scale
    tiny = predict(model, N, T, ridge)
    assert float(tiny.delta) > delta_P
    for key in ("loss", "bias", "variance", "train_loss"):
        assert float(getattr(tiny, key)) == pytest.approx(float(getattr(exact, key)), rel=1e-6)


def test_ridge_sweep_decreases_smoothly_to_the_optimum_from_the_ridgeless_value():
    model = DataModel(M=2000, alpha=1.0)
    gamma_star = float(optimal_ridge(model, 300, 900).ridge)
    ridges = np.append(np.logspace(-20, -4, 17), gamma_star)
    loss = predict(model, 300, 900, ridges).loss
    exact = float(predict(model, 300, 900, 0.0).loss)
    assert np.all(np.isfinite(loss))
    assert loss[0] == pytest.approx(exact, rel=1e-12)
    # Monotone: the noise-free loss has one minimum, at γ* (spec §6.5), so it falls all the way
    # from γ = 0 to γ*; 1e-15 allows equal values where the change is below rounding.
    assert np.all(np.diff(loss) <= 1e-15 * exact)
    # Smooth: L(γ) = L(0) − cγ + O(γ²), so each decade of γ multiplies the drop by 10 (±5 %)
    # wherever the drop is above rounding (1e-10 L) and the O(γ²) term is small (< 1e-5 L).
    drop = exact - loss[:-1]
    linear = (drop > 1e-10 * exact) & (drop < 1e-5 * exact)
    assert linear.sum() >= 4
    both = linear[1:] & linear[:-1]
    np.testing.assert_allclose(drop[1:][both] / drop[:-1][both], 10.0, rtol=0.05)


def test_large_P_limits():
    """D6: N, T > M gives σ²M/(2(T−M)) with noise and 0 without (rel 1e-8)."""
    M = 2000
    for N, T in [(2600, 3000), (5000, 2400)]:
        noisy = predict(DataModel(M=M, alpha=1.0, noise=0.01), N, T, [0.0, 1e-16])
        np.testing.assert_allclose(noisy.loss, 1e-4 * M / (2 * (T - M)), rtol=1e-8)
        clean = predict(DataModel(M=M, alpha=1.0), N, T, [0.0, 1e-16])
        assert np.all(clean.loss < 1e-8 * float(noisy.loss[0]))


def test_kernel_limit(reference):
    """D7: γ = Nγ̃ with N = 1e9 → κ(T − d1) = γ̃, L → (T b2 + σ² d2)/(2(T − d2))."""
    M, T, var, gt = 1000, 300, 1e-5, 0.02
    model = DataModel(M=M, alpha=1.0, noise=np.sqrt(var))
    N = 1e9
    lam = reference.power_law(M, 1.0)
    from scipy.optimize import brentq

    s2 = 1.0 / M  # σ_u²/M
    delta = brentq(lambda d: s2 * d * (T - np.sum(lam / (lam + d))) - gt, 1e-12, 10.0, rtol=1e-15)
    f = reference.functionals(lam, lam / M, delta)
    kernel = (T * f["b2"] + var * f["d2"]) / (2 * (T - f["d2"]))
    # finite N = 1e9 leaves O(d1/N) ~ 1e-7 corrections.
    assert float(predict(model, N, T, N * gt).loss) == pytest.approx(kernel, rel=1e-5)


def test_infinite_T_limit(reference):
    """D7: T → ∞ at fixed γ gives L → b1(Δ_N)/2 with d1(Δ_N) = N (approximation error)."""
    M, N = 1000, 150
    lam = reference.power_law(M, 0.5)
    delta_N = reference.delta_P(lam, N)
    expected = reference.functionals(lam, lam / M, delta_N)["b1"] / 2
    model = DataModel(M=M, alpha=0.5, noise=0.01)
    # T = 1e12: corrections O(N/T) and σ²N/T ~ 1e-14.
    assert float(predict(model, N, 1e12, 1e-3).loss) == pytest.approx(expected, rel=1e-5)


def test_array_spectrum_and_anisotropic_teacher(reference):
    """The general b1/b2 path: spec table 9.2 theory values and brute-force sums."""
    M = 2000
    J = np.arange(1, M + 1, dtype=np.float64)
    for alpha, beta, N, T, ridge, expected in [
        (0.5, -0.5, 300, 1000, 0, 9.0255e-04),
        (1.0, 1.0, 1000, 300, 0, 2.1425e-08),
        (1.0, -0.5, 600, 600, 1e-2, 3.8013e-05),
    ]:
        model = DataModel(M=M, alpha=alpha, teacher_power=J**-beta / M)
        res = predict(model, N, T, ridge)
        lam = reference.power_law(M, alpha)
        v2 = lam * J**-beta / M
        if ridge > 0:
            brute = reference.loss(lam, v2, N, T, ridge * M, 0)  # γ' = γM/σ_u²
        else:  # spec §6.3, noise-free: ½ b1/(1 − N/T) for N < T, ½ T[b2/e + b1/(N − T)] else
            f = reference.functionals(lam, v2, reference.delta_P(lam, min(N, T)))
            brute = (0.5 * f["b1"] / (1 - N / T) if N < T
                     else 0.5 * T * (f["b2"] / f["e"] + f["b1"] / (N - T)))  # fmt: skip
        assert brute == pytest.approx(expected, rel=1e-4)  # the table's 5 printed digits
        assert float(res.loss) == pytest.approx(brute, rel=1e-10)


def test_low_level_matches_predict():
    M, alpha = 1500, 0.8
    model = DataModel(M=M, alpha=alpha, sigma_w=1.3, sigma_u=0.7, noise=0.02, lambda_plus=2.0)
    lam = model.eigenvalues()
    N, T, ridge = np.array([[100], [900], [1600]]), np.array([300, 2000]), 1e-3
    a = predict(model, N, T, ridge)
    b = deterministic_equivalent(lam, lam * 1.3**2 / M, N, T, ridge, 0.02, model.feature_scale)
    # fast Euler–Maclaurin sums vs plain sums: ~1e-13.
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-10)
    np.testing.assert_allclose(a.train_loss, b.train_loss, rtol=1e-10)


def test_broadcast_grid_and_diagnostics(reference):
    model = DataModel(M=2000, alpha=1.0)
    N = np.array([100, 400, 1000])[:, None, None, None]
    T = np.array([200, 400])[None, :, None, None]
    ridge = np.array([0.0, 1e-3])[None, None, :, None]
    noise = np.array([0.0, 0.01])[None, None, None, :]
    res = predict(model, N, T, ridge, noise)
    assert res.loss.shape == (3, 2, 2, 2)
    assert res.loss.dtype == np.float64
    # bias = the noise-free loss, variance = the σ² part (spec §6.2 split), each from the
    # brute-force sums at every finite ridge > 0 point (the loss is affine in σ²).
    lam = reference.power_law(2000, 1.0)
    for i, j, k, n in zip(*np.nonzero(np.broadcast_to(ridge > 0, res.loss.shape))):
        args = (lam, lam / 2000, int(N[i, 0, 0, 0]), int(T[0, j, 0, 0]), 1e-3 * 2000)
        clean, noisy = reference.loss(*args, 0.0), reference.loss(*args, 1e-4)
        assert res.bias[i, j, k, n] == pytest.approx(clean, rel=1e-10)
        want = (noisy - clean) * (1.0 if n == 1 else 0.0)
        assert res.variance[i, j, k, n] == pytest.approx(want, rel=1e-8, abs=1e-14 * clean)
    finite = np.isfinite(res.loss)
    assert np.all(res.converged) and np.all(res.residual[finite] < 1e-10)
    # the only infinities are the ridgeless N = T points, each with its explanation
    assert set(zip(*np.nonzero(~finite))) == {(1, 1, 0, 0), (1, 1, 0, 1)}
    assert all("interpolation peak" in r for r in res.reason[~finite])
    assert not np.any(np.isnan(res.loss))


def test_double_descent_peak_and_its_removal_by_ridge():
    model = DataModel(M=2000, alpha=1.0, noise=0.01)
    N = np.array([380.0, 399.0, 400.0, 401.0, 420.0])
    ridgeless = predict(model, N, 400, 0.0)
    assert np.isinf(ridgeless.loss[2]) and not np.isnan(ridgeless.loss).any()
    assert ridgeless.loss[1] > ridgeless.loss[0] and ridgeless.loss[3] > ridgeless.loss[4]
    assert ridgeless.train_loss[2] == 0.0  # interpolation
    ridged = predict(model, N, 400, 1e-2)
    assert np.all(np.isfinite(ridged.loss)) and np.all(ridged.converged)
    # §6.3: at N = T the loss grows like γ^(−1/2) as γ → 0 (local slope −0.49…−0.50)
    g = np.array([1e-8, 1e-9])
    loss = predict(DataModel(M=2000, alpha=1.0), 500, 500, g).loss
    slope = np.log(loss[1] / loss[0]) / np.log(g[1] / g[0])
    assert -0.51 < slope < -0.47


def test_degenerate_inputs_explained():
    clean = predict(DataModel(M=1000, alpha=1.0), 1500, 1000, 0.0)
    assert float(clean.loss) == 0.0 and "exact recovery" in str(clean.reason)
    noisy = predict(DataModel(M=1000, alpha=1.0, noise=0.1), 1500, 1000, 0.0)
    assert np.isinf(noisy.loss) and "diverges" in str(noisy.reason)
    with pytest.raises(ConfigError, match="'M' parameter"):
        predict(DataModel(M=0), 10, 10)
    with pytest.raises(ConfigError, match="'alpha' parameter"):
        predict(DataModel(M=100, alpha=0.0), 10, 10)
    with pytest.raises(ConfigError, match="'ridge' parameter"):
        predict(DataModel(M=100), 10, 20, -1.0)
    with pytest.raises(ConfigError, match="'N' parameter"):
        predict(DataModel(M=100), [10, 0], 20)
    with pytest.raises(ConfigError, match="'noise' parameter"):
        predict(DataModel(M=100), 10, 20, 0.0, np.nan)
    with pytest.raises(ConfigError, match="'eigenvalues' parameter"):
        deterministic_equivalent([1.0, -1.0], [1.0, 1.0], 1, 1)


@pytest.mark.parametrize(
    ("N", "T", "ridge"),
    [(60, 200, 1e-3), (200, 80, 1e-2), pytest.param(120, 300, 0.0, marks=pytest.mark.slow)],
)
def test_train_and_test_loss_vs_finite_size_brute_force(N, T, ridge):
    """The derived training-loss DE (1 − d1/T)²(L + σ²/2) against explicit finite-size fits."""
    params = dict(M=300, alpha=1.0, noise=0.01)
    test, train = (mean_sem(v[:, 0]) for v in independent_losses(params, N, T, ridge, 24, 7))
    res = predict(DataModel(**params), N, T, ridge)
    # 3 standard errors plus the finite-P bias of the DE (≈ 0.5/P, spec §8 item 5 → ≤ 1%) + 2%.
    assert abs(test[0] - float(res.loss)) < 3 * test[1] + 0.03 * float(res.loss)
    assert abs(train[0] - float(res.train_loss)) < 3 * train[1] + 0.03 * float(res.train_loss)


def test_regime_labels():
    model = DataModel(M=10_000, alpha=1.0)
    N = np.array([100, 500, 3000, 20_000, 20_000, 200])
    T = np.array([400, 500, 6000, 500, 30_000, 50_000])
    labels = regime(model, N, T, 0.0)
    assert list(labels) == [
        "power_law",
        "interpolation_peak",
        "breakdown",
        "plateau_N",
        "saturated",
        "plateau_T",
    ]
    assert regime(model, 500, 500, 10.0)[()] == "ridge_limited"


def test_spectrum_object_entry_point():
    # spectrum_equivalent is deterministic_equivalent for spectrum objects: the same numbers on
    # the same arrays, and the model's power law through its PowerLawSpectrum equals predict.
    from scalinglab.theory.equivalent import spectrum_equivalent, spectrum_of
    from scalinglab.theory.spectral import ArraySpectrum

    model = DataModel(M=500, alpha=1.0, noise=0.1)
    lam = model.eigenvalues()
    power = model.teacher_variances() * lam
    arrays = deterministic_equivalent(lam, power, [50, 300], 200, 1e-3, 0.1)
    via = spectrum_equivalent(ArraySpectrum(lam, power), [50, 300], 200, 1e-3, 0.1)
    np.testing.assert_array_equal(via.loss, arrays.loss)
    law = spectrum_equivalent(spectrum_of(model), [50, 300], 200, 1e-3, 0.1,
                              feature_scale=model.feature_scale)  # fmt: skip
    np.testing.assert_allclose(law.loss, predict(model, [50, 300], 200, 1e-3).loss, rtol=1e-12)
    with pytest.raises(ConfigError, match="'spectrum'"):
        spectrum_equivalent(lam, 50, 200)
