"""The fit workflow: tables in every format and stdin, --where/--by, refusals, comparisons,
parameters at bounds, bootstrap progress and cap, --out files and to_frame() on result objects."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from scalinglab import DataModel, optimal_ridge, predict, simulate
from scalinglab.cli import cli
from scalinglab.fitting import fit_scaling_law, load_table
from scalinglab.theory.nonlinear import predict_nonlinear

SCHEMA = {"loss", "loss_sem", "train_loss", "train_loss_sem", "seeds"}


@pytest.fixture(scope="module")
def sweep_like():
    """The shape of `sweep collect`: a power law per (ridge, noise) setting, 2 x 2 settings."""
    rows = []
    rng = np.random.default_rng(0)
    for ridge, noise, p in ((0.0, 0.0, 0.5), (0.0, 0.1, 0.6), (0.01, 0.0, 0.7), (0.01, 0.1, 0.8)):
        for N in (50, 100, 200, 400, 800):
            for T in (100, 1000):
                loss = 3.0 * N**-p * (1 + 100 / T) * np.exp(0.01 * rng.standard_normal())
                rows.append(dict(M=2000, alpha=1.0, N=N, T=T, ridge=ridge, noise=noise,
                                 loss=loss, loss_sem=0.01 * loss, seeds=4))  # fmt: skip
    return pd.DataFrame(rows)


def _invoke(args, stdin=None):
    out = CliRunner().invoke(cli, args, input=stdin)
    assert out.exit_code == 0, out.output
    return out.stdout


def test_where_selects_one_setting(sweep_like, tmp_path):
    path = tmp_path / "results.parquet"
    sweep_like.to_parquet(path)
    args = ["fit", str(path), "--form", "power", "--bootstrap", "0", "--json"]
    args += ["--where", "ridge=0.01,noise=0.1,T=1000"]
    fit = json.loads(_invoke(args))
    assert fit["n_points"] == 5
    assert fit["params"]["p"] == pytest.approx(0.8, abs=0.03)


def test_by_fits_every_group_in_one_table(sweep_like, tmp_path):
    path = tmp_path / "results.csv"
    sweep_like.to_csv(path, index=False)
    args = ["fit", str(path), "--form", "power", "--where", "T=1000", "--by", "ridge,noise"]
    rows = json.loads(_invoke([*args, "--bootstrap", "0", "--json"]))
    assert [(r["ridge"], r["noise"]) for r in rows] == [(0, 0), (0, 0.1), (0.01, 0), (0.01, 0.1)]
    exponents = [r["params"]["p"] for r in rows]
    np.testing.assert_allclose(exponents, [0.5, 0.6, 0.7, 0.8], atol=0.03)
    text = _invoke([*args, "--bootstrap", "0"])
    assert "ridge=0.01, noise=0.1: power-N" in text


@pytest.mark.slow  # three forms, cross-validated (fast: tests/fitting/test_frontier_compare.py)
def test_several_forms_print_a_comparison(sweep_like, tmp_path):
    path = tmp_path / "one.json"
    one = sweep_like[(sweep_like.ridge == 0) & (sweep_like.noise == 0)]
    path.write_text(one.to_json(orient="records"))
    args = ["fit", str(path), "--form", "chinchilla,kaplan,mrs", "--bootstrap", "0", "--json"]
    rows = json.loads(_invoke([*args, "--holdout-above", "N=400"]))
    assert [r["form"] for r in rows] == ["chinchilla", "kaplan", "mrs"]
    assert sum(r["best"] for r in rows) == 1
    for r in rows:
        assert r["heldout"] == "extrapolation" and np.isfinite(r["heldout_error"])
        assert {"aic", "bic", "at_bound", "params", "ci"} <= set(r)
    cv = json.loads(_invoke(args))
    assert {r["heldout"] for r in cv} == {"5-fold"}


def test_stdin_pipe_from_simulate():
    sim = _invoke(["simulate", "--M", "500", "--N", "20:320:5", "--T", "400", "--seeds", "3",
                   "--json"])  # fmt: skip
    records = json.loads(sim)
    assert SCHEMA | {"N", "T", "ridge", "seed"} <= set(records[0])
    fit = json.loads(_invoke(["fit", "-", "--form", "power", "--variable", "N", "--bootstrap",
                              "0", "--json"], stdin=sim))  # fmt: skip
    assert fit["n_points"] == 5 and fit["converged"]
    csv = pd.DataFrame(records).to_csv(index=False)
    again = json.loads(_invoke(["fit", "-", "--form", "power", "--bootstrap", "0", "--json"],
                               stdin=csv))  # fmt: skip
    assert again["params"] == pytest.approx(fit["params"], rel=1e-9)


def test_parameter_at_a_bound_is_flagged_with_a_one_sided_interval():
    """A pure power law has no offset: chinchilla's E goes to ~0, a bound, not a measurement."""
    N, T = np.meshgrid(np.geomspace(100, 1e4, 6), np.geomspace(100, 1e4, 6), indexing="ij")
    loss = 2.0 * N.ravel() ** -0.4 + 3.0 * T.ravel() ** -0.3
    fit = fit_scaling_law(pd.DataFrame({"N": N.ravel(), "T": T.ravel(), "loss": loss}),
                          "chinchilla", n_bootstrap=30)  # fmt: skip
    assert fit.at_bound == {"E": "lower"}
    low, high = fit.ci["E"]
    assert low == 0.0 and np.isfinite(high) and np.isnan(fit.stderr["E"])
    assert "at its lower bound" in str(fit) and "±" not in str(fit).split("\n")[1]
    assert fit.to_dict()["at_bound"] == {"E": "lower"}
    frame = fit.to_frame()
    assert frame.set_index("param").loc["E", "at_bound"] == "lower"
    for name in ("A", "B", "a", "b"):  # the others keep finite two-sided intervals
        assert np.isfinite(fit.stderr[name]) and fit.ci[name][0] < fit.params[name]


def test_bootstrap_reports_progress():
    N = np.geomspace(100, 1e4, 8)
    seen = []
    fit_scaling_law({"N": N, "loss": 3 * N**-0.5}, "power", n_bootstrap=5,
                    progress=lambda done, total: seen.append((done, total)))  # fmt: skip
    assert seen == [(i, 5) for i in range(1, 6)]


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_out_files_round_trip_through_fit(tmp_path, suffix):
    path = tmp_path / f"theory{suffix}"
    _invoke(["theory", "--M", "1000", "--N", "50:800:5", "--T", "2000", "--out", str(path)])
    data = load_table(path)
    assert data.n_points == 5
    direct = predict(DataModel(M=1000), data.N, 2000, 0.0).loss
    np.testing.assert_allclose(data.loss, direct, rtol=1e-12)
    assert not list(tmp_path.glob(".*tmp"))  # the atomic write leaves no temporary file


def test_result_objects_have_to_frame():
    model = DataModel(M=300, alpha=1.0)
    sim = simulate(model, N=[20, 40], T=60, ridge=[0, 0.1], seeds=2).to_frame()
    assert SCHEMA <= set(sim.columns) and len(sim) == 4
    per_seed = simulate(model, N=20, T=60, seeds=2).to_frame(per_seed=True)
    assert {"seed_index", "loss", "train_loss"} <= set(per_seed.columns)
    theory = predict(model, [[20], [40]], [60, 80], 0.1).to_frame()
    assert {"N", "T", "ridge", "noise", "loss", "bias", "variance", "train_loss"} <= set(
        theory.columns
    )
    assert len(theory) == 4 and set(theory["N"]) == {20, 40}
    best = optimal_ridge(model, [20, 40], 60).to_frame()
    assert {"N", "T", "ridge", "loss"} <= set(best.columns) and len(best) == 2
    relu = predict_nonlinear(model, [10], [20], [0.1], activation="relu", draws=1).to_frame()
    assert {"N", "T", "ridge", "loss", "loss_sem", "activation"} <= set(relu.columns)
    from scalinglab.fitting import compute_optimal_frontier, extrapolation_check

    N, T = (a.ravel() for a in np.meshgrid(np.geomspace(100, 1e4, 4), np.geomspace(100, 1e4, 4)))
    table = {"N": N, "T": T, "loss": 1 + 2 * N**-0.4 + 3 * T**-0.3}
    fit = fit_scaling_law(table, "chinchilla", n_grid=2)
    assert list(compute_optimal_frontier(fit, [1e6, 1e8]).to_frame()["C"]) == [1e6, 1e8]
    held = extrapolation_check(table, "chinchilla", above="N=5000", n_grid=2).to_frame()
    assert {"N", "T", "loss", "predicted", "rel_error"} <= set(held.columns) and len(held) == 4
