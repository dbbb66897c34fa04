"""Golden vectors: the page's JavaScript theory under Node.js against the Python theory.

The page (``scalinglab explore``) carries a port of :mod:`scalinglab.theory` in
``src/scalinglab/explore/theory.js``. Here the very file the page inlines is evaluated by Node.js
at a few hundred parameter points and compared with :func:`scalinglab.predict`,
:func:`scalinglab.optimal_ridge` and :func:`scalinglab.compute_optimal`.

Tolerance 1e-9 relative (the issue's goal) on every field at every point: both sides evaluate
the same formulas in float64 with the same brackets and stopping rules; they differ only by
summation order, libm ``pow``/``exp`` and the special functions (SciPy's incomplete beta versus
the page's continued fraction, each ~1e-15 relative). The gaps ``N − d1`` and ``T − d1`` would
amplify those differences (d1 → M as Δ → 0 at sizes ≥ M with a tiny ridge; N ≈ T; the training
factor ``(1 − d1/T)²``): both sides take them from the complement ``Σ Δ/(λ + Δ)`` inside the
fixed point and, at the root, from ``nd·td = γ'/Δ`` with ``td − nd = T − N``
(``theory.equivalent.gaps`` and ``_evaluate``), so nothing is lost to cancellation. The measured
worst case is printed.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from scalinglab import compute_optimal, optimal_ridge, predict
from scalinglab.explore import asset_path

from _helpers.explore_page import data_model, js_model
from _helpers.node import run_node

CALLS = Path(__file__).with_name("theory_calls.js")
RTOL = 1e-9
FIELDS = ("loss", "bias", "variance", "delta", "kappa", "d1")

# (M, alpha, lambda_plus, sigma_w, sigma_u): the exact-sum path (M <= 256), the Euler–Maclaurin
# path from M = 257 to 10^6, small and large alpha, non-unit scales.
MODELS = [
    (50, 1.0, 1.0, 1.0, 1.0),
    (300, 0.5, 2.0, 1.5, 0.7),
    (2000, 1.0, 1.0, 1.0, 1.0),
    (10_000, 0.5, 1.0, 1.0, 1.0),
    (100_000, 2.0, 0.3, 1.0, 1.0),
    (1_000_000, 0.25, 1.0, 0.8, 3.0),
    (5000, 0.1, 1.0, 1.0, 1.0),
]
RIDGES = (0.0, 1e-14, 1e-8, 1e-3, 1.0, 1e3, 1e6)  # tiny to huge (γ on the raw Gram FᵀF)
NOISES = (0.0, 0.1, 1.0)


def sizes(M: int) -> list[tuple[float, float]]:
    """(N, T) pairs: power law, plateaus, saturation, near M, near and at N = T."""
    m = max(M // 10, 3)
    return [
        (m, 5 * m),
        (5 * m, m),
        (10, 5 * M),  # plateau in T
        (5 * M, 10),  # plateau in N
        (2 * M, 3 * M),  # saturated
        (M - 1, M + 1),  # near M
        (M + 1, M - 1),
        (M, M),
        (M - 1, M - 1),
        (2 * M, M),  # T = M edge
        (m, m),  # N = T
        (m, m + 1),  # next to N = T
        (m + 1, m),
        (m, m * (1 + 1e-7)),  # real-valued sizes within 1e-7 of N = T
    ]


def points() -> list[tuple]:
    out = []
    for k, model in enumerate(MODELS):
        for j, ((N, T), ridge) in enumerate(itertools.product(sizes(model[0]), RIDGES)):
            out.append((model, float(N), float(T), ridge, NOISES[(j + k) % len(NOISES)]))
    return out


def node(calls: list[dict]) -> list:
    return run_node(CALLS, {"module": str(asset_path("theory.js")), "calls": calls})


def assert_close(name: str, got, want, where) -> float:
    """|got − want| <= RTOL |want| (inf equal to inf); returns the relative error."""
    got, want = float(got), float(want)
    if not np.isfinite(want) or want == 0.0:
        assert got == want, f"{name} at {where}: {got!r} != {want!r}"
        return 0.0
    rel = abs(got - want) / abs(want)
    assert rel <= RTOL, f"{name} at {where}: {got!r} vs {want!r} (rel {rel:.2e})"
    return rel


def test_predict_golden_vectors():
    cases = points()
    assert len(cases) >= 200
    results = node([{"fn": "predict", "args": [js_model(*m), N, T, r, s]}
                    for m, N, T, r, s in cases])  # fmt: skip
    worst, infinite, loss_rels = 0.0, 0, []
    for (m, N, T, r, s), js in zip(cases, results, strict=True):
        py = predict(data_model(*m), N, T, r, s)
        where = dict(M=m[0], alpha=m[1], N=N, T=T, ridge=r, noise=s)
        rels = {name: assert_close(name, js[name], getattr(py, name), where)
                for name in (*FIELDS, "train_loss")}  # fmt: skip
        worst = max(worst, *rels.values())
        loss_rels.append(rels["loss"])
        infinite += not np.isfinite(float(py.loss))
        assert js["regime"] == str(py.regime), where
        assert js["reason"] == str(py.reason), where
        assert js["converged"] == bool(py.converged), where
    print(
        f"\n{len(cases)} points, {infinite} infinite losses; every field within {RTOL:g} at every "
        f"point: loss median {np.median(loss_rels):.1e}, 99th percentile "
        f"{np.quantile(loss_rels, 0.99):.1e}, worst {max(loss_rels):.2e}; worst field {worst:.2e}"
    )
    assert infinite > 0  # the interpolation peak and the T = M edge were covered


def test_optimal_ridge_golden_vectors():
    """Optimal ridge: the shared Δ grid and golden section of the Python, point arrays alike."""
    calls, expected = [], []
    for m in MODELS:
        M = m[0]
        Ns = [max(M // 20, 2), M // 2, M // 4, 2 * M, M // 3]
        Ts = [max(M // 20, 2) + 1, M // 4, M // 2, M // 2, 3 * M]
        for noise in (0.0, 0.3):
            calls.append({"fn": "optimalRidge", "args": [js_model(*m), Ns, Ts, noise]})
            expected.append(optimal_ridge(data_model(*m), np.array(Ns), np.array(Ts), noise))
    for js, py in zip(node(calls), expected, strict=True):
        for i in range(py.N.size):
            where = (py.N[i], py.T[i])
            assert_close("loss", js["loss"][i], py.loss[i], where)
            assert_close("ridge", js["ridge"][i], py.ridge[i], where)
            assert_close("d1", js["d1"][i], py.d1[i], where)
            assert js["converged"][i] == bool(py.converged[i])


@pytest.mark.parametrize("ridge", [1e-3, None])
def test_compute_optimal_golden_vectors(ridge):
    """The compute-optimal path drawn on the (N, T) landscape (fixed or optimal ridge)."""
    m = (3000, 0.7, 1.0, 1.0, 1.0)
    budgets = [1e4, 3e5, 1e7]
    noise = 0.05
    py = compute_optimal(data_model(*m), budgets, noise=noise, ridge=ridge)
    model = js_model(*m)
    fs = model["sigma_u"] ** 2 / model["M"]
    (js,) = node([{"fn": "computeOptimal", "args": [model, budgets, noise, ridge, fs]}])
    for i, C in enumerate(budgets):
        assert_close("loss", js["loss"][i], py.loss[i], C)
        # the minimiser of a flat minimum moves by ~sqrt(1e-16) when the loss moves by 1e-16
        assert js["N"][i] == pytest.approx(py.N[i], rel=1e-5)
        assert js["T"][i] == pytest.approx(py.T[i], rel=1e-5)


def test_special_functions_against_scipy():
    """The incomplete beta, gamma and zeta-difference functions that replace SciPy's."""
    from scipy import special

    grid = [(p, q, x) for p in (0.05, 0.5, 0.9, 1.5) for q in (0.1, 0.5, 1.2)
            for x in (1e-12, 1e-4, 0.3, 0.5, 0.7, 0.999)]  # fmt: skip
    calls = [{"fn": "betainc", "args": [p, q, x, 1 - x, float(special.beta(p, q))]}
             for p, q, x in grid]  # fmt: skip
    calls += [{"fn": "gamma", "args": [x]} for x in (0.05, 0.5, 1.0, 1.7, 3.2)]
    sums = [(M, a) for M in (1, 300, 4096, 4097, 10**6, 10**8) for a in (1.05, 2.0, 3.5)]
    calls += [{"fn": "powerSum", "args": [M, a]} for M, a in sums]
    out = node(calls)
    # SciPy's are accurate to a few ulps; the continued fraction (≤ ~40 terms), the Lanczos sum
    # and the Euler–Maclaurin tail lose at most ~1e-14 relative, hence 1e-12 and 1e-13.
    for (M, a), got in zip(sums, out[-len(sums) :], strict=True):  # Σ_{J≤M} J^-a
        assert got == pytest.approx(special.zeta(a) - special.zeta(a, M + 1), rel=1e-13)
    for (p, q, x), got in zip(grid, out[: len(grid)], strict=True):
        assert got == pytest.approx(float(special.betainc(p, q, x)), rel=1e-12, abs=1e-15)
    for x, got in zip((0.05, 0.5, 1.0, 1.7, 3.2), out[len(grid) : len(grid) + 5], strict=True):
        assert got == pytest.approx(float(special.gamma(x)), rel=1e-13)
