"""``scalinglab explore``: write the interactive explorer page and open it (no server needed)."""

from __future__ import annotations

import os
import tempfile
import webbrowser
from pathlib import Path

import click

from ..explore import write_explorer


def _ridge(value: str | None) -> tuple[float | None, bool]:
    """``--ridge``: a float >= 0 or ``optimal``."""
    if value is None:
        return None, False
    if value.strip().lower() == "optimal":
        return None, True
    try:
        return float(value), False
    except ValueError:
        raise click.UsageError(
            f"The 'ridge' parameter must be a float >= 0 or 'optimal'. Got {value!r} instead."
        ) from None


@click.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the page here (default: a temporary file, opened in the browser).",
)
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Results table (CSV or Parquet: N, T, loss[, loss_sem, M, alpha, ridge, "
    "noise, ...]) drawn over the theory; repeatable.",
)
@click.option("--M", "M", type=int, default=None, help="Starting latent dimension M.")
@click.option("--alpha", type=float, default=None, help="Starting spectral exponent alpha.")
@click.option(
    "--lambda-plus",
    "lambda_plus",
    type=float,
    default=None,
    help="Starting largest latent eigenvalue.",
)
@click.option("--sigma-u", "sigma_u", type=float, default=None, help="Starting feature scale.")
@click.option("--sigma-w", "sigma_w", type=float, default=None, help="Starting teacher scale.")
@click.option("--noise", type=float, default=None, help="Starting label-noise std sigma_eps.")
@click.option("--ridge", default=None, help="Starting ridge gamma >= 0, or 'optimal'.")
@click.option("--N", "N", type=int, default=None, help="Features at the point read out.")
@click.option("--T", "T", type=int, default=None, help="Samples at the point read out.")
@click.option(
    "--optimizer",
    type=click.Choice(["sgd", "gd"]),
    default=None,
    help="Loss-vs-steps panel: one-pass SGD (default) or full-batch GD on T samples.",
)
@click.option(
    "--schedule",
    type=click.Choice(["constant", "cosine", "wsd"]),
    default=None,
    help="Loss-vs-steps panel: SGD learning-rate schedule (default constant).",
)
@click.option(
    "--lr-fraction",
    "lr_fraction",
    type=float,
    default=None,
    help="Loss-vs-steps panel: lr as a fraction of each N's stable limit (default 0.5).",
)
@click.option("--batch", type=int, default=None, help="Loss-vs-steps panel: SGD batch (default 1).")
@click.option(
    "--steps-max",
    "steps_max",
    type=int,
    default=None,
    help="Loss-vs-steps panel: the last update drawn and read out (default 10000).",
)
@click.option(
    "--open/--no-open",
    "open_page",
    default=None,
    help="Open the page in the browser (default: only without --out).",
)
def explore(out, data, M, alpha, lambda_plus, sigma_u, sigma_w, noise, ridge, N, T, optimizer,
            schedule, lr_fraction, batch, steps_max, open_page) -> None:  # fmt: skip
    """Write one self-contained HTML page where the theory answers as a slider moves.

    The page solves the deterministic equivalent itself (a JavaScript port of scalinglab.theory,
    tested against it to 1e-9), and the loss against training steps (a port of the theory of
    scalinglab dynamics), so it opens from a file with no server and no network. Its
    address carries the parameters (explore.html?alpha=0.5&M=10000&ridge=1e-3&noise=0.1).
    """
    ridge_value, optimal = _ridge(ridge)
    params = dict(M=M, alpha=alpha, lambda_plus=lambda_plus, sigma_u=sigma_u, sigma_w=sigma_w,
                  noise=noise, ridge=ridge_value, N=N, T=T, optimal=optimal or None,
                  optimizer=optimizer, schedule=schedule, lr_fraction=lr_fraction, batch=batch,
                  steps_max=steps_max)  # fmt: skip
    temporary = out is None
    if temporary:
        handle, name = tempfile.mkstemp(prefix="scalinglab-explore-", suffix=".html")
        os.close(handle)
        out = Path(name)
    path = write_explorer(out, data, **params)
    click.echo(f"Wrote {path} ({path.stat().st_size / 1e3:.0f} kB).")
    if temporary if open_page is None else open_page:
        webbrowser.open(path.resolve().as_uri())
