"""Every warning and refusal of the real-data estimates, on small data the tests generate."""

from __future__ import annotations

import json

import numpy as np
import pytest

from realdata.realdata_helpers import power_law_data
from scalinglab.cli import main
from scalinglab.exceptions import ConfigError, EstimateWarning
from scalinglab.realdata.covariance import covariance_spectrum
from scalinglab.realdata.dimension import dimension_curve, intrinsic_dimension
from scalinglab.realdata.latent_size import estimate_latent_size
from scalinglab.realdata.loaders import Dataset
from scalinglab.realdata.predict import predict_learning_curve
from scalinglab.realdata.spectrum_fit import fit_feature_spectrum, fit_spectrum


def _broken(T: int = 2000, d: int = 400, seed: int = 0) -> np.ndarray:
    """Gaussian data whose spectrum is J^-1 up to rank 40 and J^-3 after (a broken power law)."""
    J = np.arange(1, d + 1, dtype=np.float64)
    lam = np.where(J < 40, J**-1.0, 40**-1.0 * (J / 40) ** -3.0)
    return np.random.default_rng(seed).standard_normal((T, d)) * np.sqrt(lam)


# ---------------------------------------------------------------- spectrum: fit quality
def test_isotropic_noise_is_not_a_power_law():
    X = np.random.default_rng(0).standard_normal((1000, 50))
    with pytest.warns(EstimateWarning, match="not a decaying power law.*--fit-range"):
        fit = fit_spectrum(X, n_boot=8).fit
    # alpha of white noise is negative (about -0.8): never reported without the verdict
    assert fit.fit_quality == "flat" and fit.alpha < 0 and fit.fit_warning


def test_broken_power_law_across_the_break_is_curved():
    with pytest.warns(EstimateWarning, match="bends over ranks 5-300.*--fit-range"):
        fit = fit_spectrum(_broken(), fit_range=(5, 300), n_boot=12).fit
    assert fit.fit_quality == "curved"


def test_exact_power_law_is_good_without_warning():
    X, _ = power_law_data(M=300, alpha=1.0, T=3000, seed=1)
    fit = fit_spectrum(X, n_boot=12).fit  # filterwarnings = error: any warning fails here
    assert fit.fit_quality == "good" and fit.fit_warning is None


def test_white_noise_file_warns_in_the_cli(tmp_path, capsys):
    path = tmp_path / "noise.npy"
    np.save(path, np.random.default_rng(1).standard_normal((500, 40)))
    with pytest.warns(EstimateWarning):
        main(["spectrum", "--dataset", str(path), "--n-boot", "8", "--json"])
    (rec,) = json.loads(capsys.readouterr().out)
    assert rec["fit_quality"] == "flat" and rec["alpha"] < 0 and "isotropic" in rec["fit_warning"]


# ---------------------------------------------------------------- feature spectra
def test_feature_spectrum_interval_includes_the_feature_draw():
    X, _ = power_law_data(M=40, alpha=1.0, T=1500, seed=2)
    result = fit_feature_spectrum(X, 120, activation="relu", draws=4, n_boot=8, seed=3)
    fit = result.fit
    assert result.dim == 120 and result.input_dim == 40 and result.draw_exponents.size == 4
    spread = np.std(result.draw_exponents, ddof=1)
    # se^2 = se_T^2 + s_U^2/draws: never below the feature-draw part
    assert fit.exponent_se >= spread / 2 - 1e-12
    assert fit.exponent_ci[0] < fit.exponent < fit.exponent_ci[1]
    with pytest.warns(EstimateWarning, match="feature draw.*--draws"):
        fit_feature_spectrum(X, 120, draws=1, n_boot=8)


@pytest.mark.filterwarnings("ignore::scalinglab.exceptions.EstimateWarning")
def test_feature_spectrum_cli_shows_N_as_dim(capsys):
    main(["spectrum", "--dataset", "digits", "--features", "relu", "--N", "150", "--draws",
          "2", "--n-boot", "8", "--json", "--fit-range", "3,40"])  # fmt: skip
    (rec,) = json.loads(capsys.readouterr().out)
    assert rec["dim"] == 150 and rec["input_dim"] == 64 and len(rec["draw_exponents"]) == 2


# ---------------------------------------------------------------- latent size
def test_latent_intervals_cover_a_good_fit():
    X, _ = power_law_data(M=150, alpha=1.0, T=1000, d=300, seed=5)
    fit = estimate_latent_size(covariance_spectrum(X), 1000, dim=300, n_boot=8)
    assert fit.quality == "good" and fit.warning is None
    assert fit.M_ci[0] < 150 < fit.M_ci[1] and fit.alpha_ci[0] < 1.0 < fit.alpha_ci[1]


def test_latent_refuses_a_truncated_spectrum(capsys):
    X, _ = power_law_data(M=300, alpha=1.0, T=1000, seed=6)
    top = covariance_spectrum(X, method="randomized", n_components=100)
    with pytest.raises(ConfigError, match=r"whole spectrum.*--method"):
        estimate_latent_size(top, 1000, dim=300)
    with pytest.raises(SystemExit) as stop:
        main(["spectrum", "--dataset", "digits", "--latent", "--method", "randomized"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "--method" in err and err.count("\n") == 1


def test_latent_reports_a_lower_bound_when_T_is_much_below_M():
    X, _ = power_law_data(M=3000, alpha=0.5, T=100, seed=7)
    with pytest.warns(EstimateWarning, match="not identified.*--n-samples"):
        fit = estimate_latent_size(covariance_spectrum(X), 100, dim=3000, n_boot=8)
    assert fit.M is None and fit.quality == "unidentified"
    assert 100 < fit.M_lower_bound <= 3000 * 1.0001


def test_latent_flags_a_broken_power_law():
    with pytest.warns(EstimateWarning, match="does not fit.*--fit-range"):
        fit = estimate_latent_size(covariance_spectrum(_broken()), 2000, dim=400, n_boot=8)
    assert fit.quality == "misfit"


@pytest.mark.filterwarnings("ignore::scalinglab.exceptions.EstimateWarning")
def test_latent_alpha_is_labelled_in_the_cli(capsys):
    main(["spectrum", "--dataset", "digits", "--latent", "--n-boot", "8"])
    captured = capsys.readouterr()
    assert "latent_alpha" in captured.out and "population power law" in captured.err


# ---------------------------------------------------------------- predict
def _cloud(n: int = 700, d: int = 12, seed: int = 0) -> Dataset:
    X, _ = power_law_data(M=d, alpha=1.0, T=n, seed=seed)
    return Dataset("cloud", X, None)


def test_predict_exponents_stay_on_one_side_of_the_peak():
    result = predict_learning_curve(_cloud(), [20, 40, 200], [25, 50, 100, 150], seeds=3,
                                    n_test=200, ridge=1e-3)  # fmt: skip
    ex = result.exponents()
    assert ex["exponent_T_points"] == [25, 50, 100] and ex["exponent_T_at_N"] == 200
    lo, hi = ex["exponent_T_measured_ci"]
    assert lo < ex["exponent_T_measured"] < hi
    # N = 200 is past the peak at the largest T = 150: only N = 20, 40 are used
    assert ex["exponent_N_points"] == [20, 40] and ex["exponent_N_at_T"] == 150
    few = predict_learning_curve(_cloud(), [20, 40], [50, 100], seeds=2, n_test=200)
    with pytest.warns(EstimateWarning, match="exponent_T: 0 of the --T values"):
        ex = few.exponents()
    assert np.isnan(ex["exponent_T_measured"])


def test_predict_T_error_names_T(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["predict", "--dataset", "digits", "--T", "1500"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "'--T' option" in err and "n_test'" not in err


# ---------------------------------------------------------------- dimension
def test_dimension_bootstrap_error_matches_sampling_spread():
    # independent check: the spread of both estimates over fresh samples of a 4-d Gaussian
    # embedded in 10 dimensions, against the bootstrap-over-points error of one sample
    def sample(seed):
        rng = np.random.default_rng(seed)
        return np.hstack([rng.standard_normal((800, 4)), np.zeros((800, 6))])

    fresh = [intrinsic_dimension(sample(s), n_boot=0) for s in range(16)]
    one = intrinsic_dimension(sample(99), n_boot=100, seed=1)
    for name in ("mle", "twonn"):
        spread = np.std([getattr(r, name) for r in fresh], ddof=1)
        # 16 samples estimate a standard deviation to about ±18 %; the bootstrap ignores the
        # dependence of neighbouring points: a factor 2 either way is the tolerance
        assert 0.5 < getattr(one, f"{name}_se") / spread < 2.0, name
    lo, hi = one.mle_ci
    assert lo < one.mle < hi


def test_dimension_curve_has_an_interval_for_d_delta():
    X = np.random.default_rng(3).standard_normal((1200, 3))
    curve = dimension_curve(X, [200, 400, 800], repeats=2, n_boot=50)
    lo, hi = curve.d_delta_ci
    assert lo < curve.d_delta < hi and 2.0 < curve.d_delta < 4.5
    rec = curve.records()[0]
    assert rec["mle_ci"][0] < rec["mle"] < rec["mle_ci"][1]


# ---------------------------------------------------------------- help
@pytest.mark.parametrize("args", [["spectrum", "--dataset", "nowhere", "-h"],
                                  ["spectrum", "--model", "-h"],
                                  ["dimension", "--dataset", "nowhere", "-h"],
                                  ["predict", "--dataset", "nowhere", "-h"]])  # fmt: skip
def test_help_after_dataset_or_model(args, capsys):
    main(args)  # help, not an attempt to load the data set
    assert "Usage:" in capsys.readouterr().out
