"""Guards before work: memory and time estimates from a command's sizes, checked up front.

Every compute command estimates, from its sizes alone (M included), the peak memory and the
running time of what it was asked to do, and refuses before starting

* a request that needs more than 90% of the available memory (always), and
* a request estimated to run longer than :data:`LONG_SECONDS` unless ``--yes`` is given,

with the estimate and the flags to change; a request estimated above :data:`NOTE_SECONDS` runs
after a one-line note of its estimate on stderr, so a long run never looks like a hang. The time
model counts the two costs that dominate every command: Gaussian draws
(:data:`DRAWS_PER_SECOND`) and dense floating-point arithmetic (:data:`FLOPS`). The rates are
about three times those measured on one busy core of the development machine (1.6e7 normals/s,
1.8e10 multiply-adds/s), so the estimates err on the short side on a laptop and a refusal is
never spurious. Streaming over M latent columns costs time
linear in M, not memory: ``simulate --M 1e11 --N 10 --T 10`` is a time problem.
"""

from __future__ import annotations

import click
import psutil

from ..exceptions import ConfigError, ResourceError

LONG_SECONDS = 3600.0
NOTE_SECONDS = 30.0
DRAWS_PER_SECOND = 5e7  # standard normals per second
FLOPS = 5e10  # float64 multiply-adds per second in BLAS-3 products (N x M by M x N)
EIGH_FLOPS = 1e10  # eigendecompositions run slower than a product

yes_option = click.option(
    "--yes",
    is_flag=True,
    help=f"Run even when the estimated time exceeds {LONG_SECONDS / 3600:g} hour.",
)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.0f} days"


def guard(what: str, seconds: float, nbytes: float, flags: str, yes: bool) -> None:
    """Refuse ``what`` if it needs more memory than available, or (without ``--yes``) too long.

    ``flags`` names the options that shrink it (e.g. ``"--M, --N or --T"``).
    """
    available = psutil.virtual_memory().available
    if nbytes > 0.9 * available:
        raise ResourceError(
            f"{what} needs about {nbytes / 2**30:.1f} GiB of memory, but only "
            f"{available / 2**30:.1f} GiB is available. Reduce {flags}."
        )
    if seconds > LONG_SECONDS and not yes:
        raise ConfigError(
            f"{what} would run for about {_duration(seconds)} (estimated from its sizes). "
            f"Reduce {flags}, or pass --yes to run it anyway."
        )
    if seconds > NOTE_SECONDS:
        click.echo(f"Note: {what} takes about {_duration(seconds)} (estimated).", err=True)


def simulation_cost(M: int, N_max: int, T_max: int, points: int, draws: int) -> float:
    """Seconds of ``simulate``: ``draws`` accumulations over M latent columns, eigen-solves.

    One accumulation draws ``M (N + T)`` normals and multiplies ``(N + T) x M`` by its
    transpose (``M (N + T)²`` multiply-adds); each of the ``points`` grid points per draw
    solves one ``min(N, T)`` eigenproblem (``~10 P³`` flops).
    """
    width = N_max + T_max
    accumulate = M * width / DRAWS_PER_SECOND + M * width**2 / FLOPS
    P = min(N_max, T_max)
    return draws * (accumulate + points * 10 * P**3 / EIGH_FLOPS)


def feature_covariance_cost(M: int, N: int, draws: int = 1) -> tuple[float, float]:
    """(seconds, bytes) of ``draws`` population feature covariances ``N x N`` over M columns.

    Each draws ``N M`` normals, forms ``U Λ Uᵀ`` (``N² M`` multiply-adds) and decomposes the
    ``N x N`` result (``~10 N³`` flops); about six ``N x N`` float64 matrices are alive at once.
    """
    seconds = draws * (N * M / DRAWS_PER_SECOND + N * N * M / FLOPS + 10 * N**3 / EIGH_FLOPS)
    return seconds, 6.0 * N * N * 8


def guard_features(n: int, N: int, draws: int, n_boot: int, features: str, yes: bool) -> None:
    """Guard ``spectrum --dataset --features``: ``draws`` feature covariances and their spectra.

    Each draw accumulates the ``N x N`` covariance of ``n`` feature rows in row blocks
    (``n N²`` multiply-adds, the ``n x N`` features never stored whole) and decomposes it; each
    parametric-bootstrap replicate decomposes a simulated spectrum of at most 1024 exact
    eigenvalues (docs/realdata.md). The covariance and two working copies are alive at once.
    """
    per_draw = n * N * N / FLOPS + 10 * N**3 / EIGH_FLOPS
    per_replicate = 10 * min(n, N, 1024) ** 3 / EIGH_FLOPS
    seconds = draws * per_draw + n_boot * per_replicate
    nbytes = 8.0 * 3 * N * N
    guard(f"The spectrum of N = {N} {features} features of {n} samples ({draws} draw(s), "
          f"{n_boot} bootstrap replicates)", seconds, nbytes,
          "--N, --n-samples, --draws or --n-boot", yes)  # fmt: skip
