"""Simulator and theory against Monte Carlo on (U, X) drawn independently of the package.

:func:`_helpers.brute_force.independent_losses` writes the spectrum, the teacher prior and the
feature scale from the model's definition (spec §2–§3.1) and draws with its own generator, so
these tests compare *expectations*: a wrong ``σ_u²/M``, ``ω_J`` or eigenvalue index in the
package moves the simulator's (and the theory's) mean away from the reference. Every case has
σ_u, σ_w, λ_+ ≠ 1 and α ≠ 1; ridges are chosen where the loss depends on γ/s² (ridgeless, the
loss does not depend on the scale of U at all), so that σ_u²/M → σ_u/M moves the loss by 10–65 %.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ks_2samp

from scalinglab import DataModel
from scalinglab.simulation import simulate
from scalinglab.theory import predict

from _helpers.brute_force import independent_losses, mean_sem

DRAWS = 48

# (parameters, N, T, ridges): under- and over-parameterised, N = T with a ridge, noise or not.
CASES = [
    (dict(M=200, alpha=0.6, lambda_plus=2.5, sigma_w=0.6, sigma_u=0.4, noise=0.02), 40, 90,
     (0.0, 1e-2, 3.0)),
    (dict(M=200, alpha=1.5, lambda_plus=0.4, sigma_w=1.7, sigma_u=2.5), 90, 40,
     (0.0, 0.1, 3.0)),
    (dict(M=150, alpha=0.8, lambda_plus=3.0, sigma_w=2.0, sigma_u=3.0, noise=0.05), 60, 60,
     (0.1, 10.0)),
    (dict(M=250, alpha=1.3, lambda_plus=1.7, sigma_w=0.8, sigma_u=0.5, noise=0.01), 120, 50,
     (0.0, 3e-4, 3.0)),
]  # fmt: skip
IDS = [f"a{p['alpha']}-N{N}-T{T}" for p, N, T, _ in CASES]


# The two larger cases run in the slow suite (and in `make test-mutation`); the theory test below
# keeps all four in the fast one.
SIMULATOR_CASES = [
    pytest.param(*case, id=name, marks=[pytest.mark.slow] if case[1] >= 90 else [])
    for case, name in zip(CASES, IDS)
]


@pytest.mark.parametrize(("params", "N", "T", "ridges"), SIMULATOR_CASES)
def test_simulator_loss_has_the_law_of_independent_draws(params, N, T, ridges):
    ref_loss, ref_train = independent_losses(params, N, T, ridges, DRAWS, seed=2024)
    ref, ref_sem = mean_sem(ref_loss)
    ref_train_mean, ref_train_sem = mean_sem(ref_train)
    sim = simulate(DataModel(**params), N=N, T=T, ridge=list(ridges), seeds=DRAWS, seed=7)
    mean, sem = mean_sem(sim.loss[:, 0, 0, :])
    # Two unbiased Monte Carlo estimates of one expectation: |z| < 4 is a 6e-5 false alarm per
    # comparison. The combined s.e. is 1-2 % of the loss here (per-draw spread 4-10 %), against
    # 10-65 % shifts from a wrong feature scale, teacher prior or eigenvalue index.
    z = (mean - ref) / np.sqrt(sem**2 + ref_sem**2)
    assert np.all(np.abs(z) < 4), z
    train, train_sem = mean_sem(sim.train_loss[:, 0, 0, :])
    # (ridgeless with N > T interpolates: both training losses are 0 up to rounding, ~1e-20)
    gap = np.abs(train - ref_train_mean) - 1e-9 * ref
    assert np.all(gap < 4 * np.sqrt(train_sem**2 + ref_train_sem**2)), (train, ref_train_mean)
    # The whole distribution, not only the mean: two-sample Kolmogorov-Smirnov at each ridge.
    for k in range(len(ridges)):
        assert ks_2samp(sim.loss[:, 0, 0, k], ref_loss[:, k]).pvalue > 1e-3


@pytest.mark.parametrize(("params", "N", "T", "ridges"), CASES, ids=IDS)
def test_theory_matches_independent_draws(params, N, T, ridges):
    ref_loss, ref_train = independent_losses(params, N, T, ridges, DRAWS, seed=2024)
    ref, ref_sem = mean_sem(ref_loss)
    train, train_sem = mean_sem(ref_train)
    res = predict(DataModel(**params), N, T, np.array(ridges))
    assert np.all(res.converged)
    # 4 s.e. plus 3 %: the deterministic equivalent's finite-P bias is ~0.5/P ≤ 1.3 % at
    # P ≥ 40 (spec §8 item 5), doubled for safety; the mutations it must catch move 10-65 %.
    assert np.all(np.abs(ref - res.loss) < 4 * ref_sem + 0.03 * res.loss), ref / res.loss - 1
    gap = np.abs(train - res.train_loss) - 1e-9 * res.loss
    assert np.all(gap < 4 * train_sem + 0.03 * res.train_loss), (train, res.train_loss)
