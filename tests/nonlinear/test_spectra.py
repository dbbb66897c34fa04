"""Model feature spectra: linear cut at M, ReLU extension (spec §6.8, §9.7, §10 S5)."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab import DataModel
from scalinglab._rng import spawn_seeds
from scalinglab.features import feature_covariance
from scalinglab.simulation import accumulate
from scalinglab.spectra import feature_spectrum, kernel_spectrum, power_law_slope


def test_latent_sums_use_the_simulator_draw():
    # The spectra and the theory condition on the simulator's U: C must match accumulate's C.
    model = DataModel(M=700, alpha=1.0)  # M spans several draw blocks and a partial one
    seq = spawn_seeds(3, 1)[0]
    C, G = feature_covariance(model, seq, 25, teacher=True)
    stats = accumulate(model, seq, 25, 2)
    assert np.allclose(C, stats.C, rtol=1e-12, atol=1e-15)
    # G = UΛΩΛUᵀ: compare with the explicit U of the same draw
    from scalinglab.simulation import draw_latent

    _, U = draw_latent(model, seq, 25, 2)
    lam, om = model.eigenvalues(), model.teacher_variances()
    assert np.allclose(G, (U * lam * om * lam) @ U.T, rtol=1e-12, atol=1e-18)


def test_power_law_slope_recovers_a_known_exponent():
    k = np.arange(1, 501, dtype=float)
    slope, resid = power_law_slope(3.0 * k**-1.7, 10, 400)
    assert slope == pytest.approx(-1.7, abs=1e-12)
    assert resid < 1e-12


def test_linear_cut_and_relu_extension_small():
    # Spec §10 S5 at M = 40, N = 900: linear ev(M+1)/ev(M) < 1e-8; ReLU ev(4M)/ev(M) in
    # [0.05, 0.2] and its slope over [M, 10M] in [-2.2, -1.3], a straight power law (the
    # largest log10 residual of the fit below 0.1 over a full decade).
    model = DataModel(M=40, alpha=1.0)
    lin = feature_spectrum(model, 900, "linear")
    relu = feature_spectrum(model, 900, "relu")
    assert lin.cut_ratio < 1e-8
    assert relu.cut_ratio > 0.5
    ev = relu.eigenvalues
    assert 0.05 <= ev[4 * 40 - 1] / ev[40 - 1] <= 0.2
    lo, hi, slope, resid = relu.slopes["extension"]
    assert (lo, hi) == (40, 400) and relu.decades == pytest.approx(1.0)
    assert -2.2 <= slope <= -1.3
    assert resid < 0.1
    # inside the first M modes the ReLU spectrum is reshaped (spec §6.8: shallower than -(1+α))
    assert relu.slopes["head"][2] > lin.slopes["head"][2]


def test_kernel_spectrum_converges_at_the_top():
    model = DataModel(M=30, alpha=1.0)
    res = kernel_spectrum(model, 800, "relu")
    assert sorted(res.eigenvalues) == [200, 400, 800]
    assert res.top_change < 0.15  # leading eigenvalues stable to a few % (spec §9.7)
    assert abs(res.slope_change) < 0.15
    # eig(S_n)/n: the trace is the mean feature variance, independent of n
    traces = [ev.sum() for ev in res.eigenvalues.values()]
    assert np.ptp(traces) / np.mean(traces) < 0.2


@pytest.mark.slow
def test_relu_spectrum_extends_over_a_decade_at_spec_size():
    # The acceptance case: M = 100, alpha = 1, N = 3000.
    model = DataModel(M=100, alpha=1.0)
    lin = feature_spectrum(model, 3000, "linear")
    relu = feature_spectrum(model, 3000, "relu")
    assert lin.eigenvalues[100] / lin.eigenvalues[99] < 1e-10
    assert relu.decades >= 1.0
    _lo, _hi, slope, resid = relu.slopes["extension"]
    assert -2.2 <= slope <= -1.3 and resid < 0.1
