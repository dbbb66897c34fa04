"""Nonlinear-feature theory against simulation (spec §6.8, §9.6, §10 S4)."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab import DataModel
from scalinglab.exceptions import ConfigError
from scalinglab.simulation import simulate
from scalinglab.theory import predict
from scalinglab.theory.nonlinear import _kappa, conditional_loss, predict_nonlinear


def test_kappa_solves_the_stage_a_fixed_point():
    rng = np.random.default_rng(0)
    s = np.sort(rng.uniform(0.0, 1.0, 60) ** 4)
    ridges = np.array([0.0, 1e-6, 1e-2, 3.0])
    for T in (20, 200):
        k = _kappa(s, T, ridges)
        df1 = np.sum(s[None, :] / (s[None, :] + k[:, None]), axis=1)
        assert np.all(df1 < T + 1e-9)
        pos = ridges > 0
        assert np.allclose(k[pos] * (T - df1[pos]) / ridges[pos], 1.0, rtol=1e-10)
        if T < s.size:
            assert df1[0] == pytest.approx(T, rel=1e-10)
        else:
            assert k[0] == 0.0


def test_conditional_loss_for_gaussian_features_is_the_kernel_limit():
    # Independent check of the formula: for linear features (S = C) the conditional DE is the
    # §6.2 deterministic equivalent's kernel limit (N → ∞ with γ = N γ̃ and the spectrum of C).
    rng = np.random.default_rng(1)
    s = np.sort(rng.uniform(0.01, 1.0, 30))
    power = rng.uniform(0.0, 1.0, 30) * s
    S, G = np.diag(s), np.diag(power * s)  # g_k = v_k² s_k
    T, ridge, noise = 50, 0.3, 0.2
    ours = conditional_loss(S, G, float(power.sum()), T, np.array([ridge]), noise)[0]
    big = 1e9
    from scalinglab.theory import deterministic_equivalent

    de = deterministic_equivalent(s, power, big, T, ridge * big, noise).loss
    assert ours == pytest.approx(float(de), rel=1e-6)


def test_records_carry_activation_and_method():
    model = DataModel(M=50, alpha=1.0)
    res = predict_nonlinear(model, [20, 40], [60], [0.0, 1e-3], draws=2)
    recs = res.records()
    assert len(recs) == 4
    assert {r["activation"] for r in recs} == {"relu"}
    assert {r["method"] for r in recs} == {"conditional"}
    assert all(np.isfinite(r["loss"]) and r["loss"] > 0 for r in recs)


def test_bad_method_and_bank():
    model = DataModel(M=50)
    with pytest.raises(ConfigError, match="'method' parameter"):
        predict_nonlinear(model, 20, 40, method="magic")
    with pytest.raises(ConfigError, match="'bank' parameter"):
        predict_nonlinear(model, 200, 40, method="kernel", bank=300)


def test_linear_conditional_agrees_with_linear_theory():
    # Stage A averaged over draws of U is the linear DE up to its finite-P bias (spec §8.5).
    model = DataModel(M=400, alpha=1.0)
    res = predict_nonlinear(model, [40], [120], [0.0, 1e-3], activation="linear", draws=6)
    lin = predict(model, 40, 120, np.array([0.0, 1e-3])).loss
    assert np.allclose(res.loss[0, 0], lin, rtol=0.03)


def _compare(alpha, Ns, Ts, ridges, seeds, noise=0.0):
    model = DataModel(M=100, alpha=alpha, noise=noise)
    sim = simulate(model, Ns, Ts, ridges, seeds=seeds, seed=11, activation="relu")
    out = {}
    for method, kw in [("conditional", {"draws": 6}), ("naive", {"draws": 6})]:
        th = predict_nonlinear(model, Ns, Ts, ridges, method=method, seed=21, **kw)
        out[method] = th.loss / sim.loss_mean - 1.0
    return sim, out


def test_relu_conditional_theory_matches_simulation_small():
    # Spec §9.6 (M = 100, α = 1): the conditional DE is within ~2.3 % of ReLU MC. With 8 seeds
    # (s.e. ≈ 1 %) and 6 theory draws, allow 5 %. The naive linearisation must be off by
    # more than +30 % there (spec: +57 % and +145 %): its failure is reported, not hidden.
    _sim, rel = _compare(1.0, [50, 200], [400], [0.0], seeds=8)
    assert np.all(np.abs(rel["conditional"]) < 0.05)
    assert np.all(rel["naive"] > 0.3)


@pytest.mark.slow
@pytest.mark.parametrize("alpha", [0.5, 1.0])
def test_relu_theory_matches_simulation_spec_grid(alpha):
    # Spec §9.6 grid rows (ridgeless N, T ≤ 800 and the two ridge rows), 16 seeds: conditional
    # within 5 % (spec S4: 4 % plus the s.e.), naive off by ≥ 10 % everywhere.
    for Ns, Ts, ridges in [([50, 200, 800], [400], [0.0]), ([400], [100, 800], [0.0]),
                           ([400], [400], [1e-3]), ([800], [800], [1e-2])]:  # fmt: skip
        _sim, rel = _compare(alpha, Ns, Ts, ridges, seeds=16)
        assert np.all(np.abs(rel["conditional"]) < 0.05), rel
        assert np.all(rel["naive"] > 0.10), rel


@pytest.mark.slow
def test_relu_kernel_reduction_matches_simulation():
    # Kernel-spectrum reduction with a bank of 6000 (spec §9.6: −2.5 % to +6 %; S4: 8 %).
    model = DataModel(M=100, alpha=1.0)
    Ns, Ts = [50, 200], [400]
    sim = simulate(model, Ns, Ts, 0.0, seeds=16, seed=11, activation="relu")
    th = predict_nonlinear(model, Ns, Ts, 0.0, method="kernel", bank=6000)
    assert np.all(np.abs(th.loss / sim.loss_mean - 1.0) < 0.08)
