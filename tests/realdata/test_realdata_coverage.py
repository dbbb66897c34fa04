"""Coverage of the spectrum exponent's interval on exact power-law data (smaller grid than the
study in benchmarks/study_exponent_coverage.py), checked two-sided with a binomial tolerance."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from scalinglab.realdata.parametric import Z95
from scalinglab.realdata.spectrum_fit import fit_spectrum

EXPONENTS = (1.5, 2.5)
SAMPLES = (300, 3000)
DIM = 100
REPS = 40


def _replicates() -> list[tuple[float, float, float, float]]:
    """(true exponent, T, estimate, se) for every replicate of the grid."""
    out = []
    for e in EXPONENTS:
        scale = np.arange(1, DIM + 1, dtype=np.float64) ** (-e / 2)
        for T in SAMPLES:
            for rep in range(REPS):
                rng = np.random.default_rng(np.random.SeedSequence([int(e * 100), T, rep]))
                X = rng.standard_normal((T, DIM)) * scale
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fit = fit_spectrum(X, n_boot=30, seed=rep).fit
                out.append((e, T, fit.exponent, fit.exponent_se))
    return out


def coverage_ok(rows, z: float) -> tuple[bool, int, tuple[float, float]]:
    """Whether the count of intervals ``estimate ± z se`` covering the truth is inside the
    two-sided 99.8 % binomial acceptance region of a 95 % interval."""
    covered = sum(abs(est - e) <= z * se for e, _, est, se in rows)
    lo, hi = stats.binom.interval(0.998, len(rows), 0.95)
    return lo <= covered <= hi, covered, (lo, hi)


def scale_ok(rows, inflate: float) -> bool:
    """Whether ``Σ ((est − e)/(inflate · se))²`` is inside the 99.8 % chi-square region."""
    total = sum(((est - e) / (inflate * se)) ** 2 for e, _, est, se in rows)
    lo, hi = stats.chi2.interval(0.998, len(rows))
    return lo <= total <= hi


@pytest.fixture(scope="module")
def rows():
    return _replicates()


@pytest.mark.slow
def test_exponent_interval_covers_on_exact_power_laws(rows):
    ok, covered, region = coverage_ok(rows, Z95)
    assert ok, f"{covered}/{len(rows)} covered; 95 % acceptance region {region}"
    # the check is sharp: the same intervals shrunk to 80 % (z = 1.28) must fail it
    assert not coverage_ok(rows, stats.norm.ppf(0.9))[0]
    # the other side: too wide an interval covers "too well", which 160 fits cannot tell from
    # 95 % by counting; the standardised errors (est - e)/se must have unit variance (chi-square
    # acceptance region), which fails for intervals twice too wide
    assert scale_ok(rows, 1.0)
    assert not scale_ok(rows, 2.0) and not scale_ok(rows, stats.norm.ppf(0.9) / Z95)
    for e in EXPONENTS:
        for T in SAMPLES:
            cell = [(est - e, se) for ee, t, est, se in rows if ee == e and t == T]
            bias = np.mean([b for b, _ in cell])
            se = np.mean([s for _, s in cell])
            # requirement: the mean bias is below one reported standard error in every cell
            assert abs(bias) < se, (e, T, bias, se)
