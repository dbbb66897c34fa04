"""Extrapolation checks and model comparison on the same data.

* :func:`extrapolation_check`: fit on the points at or below a size threshold (e.g. ``N ≤ 10⁴``)
  and report the relative error ``L_pred/L_obs − 1`` on the points above it.
* :func:`compare_forms`: fit several forms to the same points and tabulate the objective, the
  AIC/BIC-style scores of :class:`.fit.FitResult` (Gaussian log-residuals) and a held-out error:
  the extrapolation error above a threshold when one is given, else the mean absolute relative
  error of a K-fold cross-validation (folds drawn from ``default_rng(seed)``; each fold's refit
  is one local search started at the full-data fit, the extrapolation fit a full search).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_float, check_int
from ..exceptions import ConfigError
from .fit import FitResult, fit_scaling_law
from .forms import ScalingForm, get_form
from .io import FitData, load_table

__all__ = [
    "ComparisonResult",
    "ExtrapolationResult",
    "compare_forms",
    "extrapolation_check",
    "parse_threshold",
]


@dataclass(frozen=True, eq=False)
class ExtrapolationResult:
    """A fit on the points below ``threshold`` and its relative error on the points above it."""

    fit: FitResult
    threshold: dict[str, float]
    heldout: FitData
    predicted: np.ndarray
    rel_error: np.ndarray

    @property
    def mean_abs_rel_error(self) -> float:
        return float(np.mean(np.abs(self.rel_error)))

    @property
    def max_abs_rel_error(self) -> float:
        return float(np.max(np.abs(self.rel_error)))

    def to_frame(self):
        """The held-out points: ``N``, ``T``, ``loss``, ``predicted`` and ``rel_error``."""
        import pandas as pd

        return pd.DataFrame(self.to_dict()["points"])

    def to_dict(self) -> dict[str, Any]:
        points = self.heldout.records()
        for rec, pred, err in zip(points, self.predicted, self.rel_error):
            rec.update(predicted=float(pred), rel_error=float(err))
        return {
            "threshold": self.threshold,
            "n_train": self.fit.n_points,
            "n_heldout": self.heldout.n_points,
            "mean_abs_rel_error": self.mean_abs_rel_error,
            "max_abs_rel_error": self.max_abs_rel_error,
            "points": points,
        }


@dataclass(frozen=True, eq=False)
class ComparisonResult:
    """One record per form (``records``), the fits, and the form with the lowest BIC."""

    records: list[dict[str, Any]]
    fits: dict[str, FitResult]
    best: str

    def to_dict(self) -> dict[str, Any]:
        return {"best": self.best, "records": self.records}

    def to_frame(self):
        """The records (one row per form) as a :class:`pandas.DataFrame`."""
        import pandas as pd

        return pd.DataFrame(self.records)


def parse_threshold(above) -> dict[str, float]:
    """``"N=1e4"``, ``"N=1e4,T=1e5"`` or a mapping → ``{"N": 1e4, ...}``."""
    if isinstance(above, str):
        pairs = {}
        for item in filter(None, (s.strip() for s in above.split(","))):
            name, sep, value = item.partition("=")
            if not sep:
                raise ConfigError(
                    f"The 'holdout_above' parameter must look like 'N=1e4' or 'N=1e4,T=1e5'. "
                    f"Got {above!r} instead."
                )
            pairs[name.strip()] = value.strip()
        above = pairs
    if not isinstance(above, Mapping) or not above:
        raise ConfigError(
            f"The 'holdout_above' parameter must be a mapping like {{'N': 1e4}}. Got {above!r} "
            "instead."
        )
    out = {}
    for name, value in above.items():
        if name not in ("N", "T"):
            raise ConfigError(
                f"The 'holdout_above' parameter must name 'N' or 'T'. Got {name!r} instead."
            )
        out[name] = check_float(f"holdout_above[{name}]", value, 0.0, low_open=True)
    return out


def _data(data, columns) -> FitData:
    return data if isinstance(data, FitData) else load_table(data, **(columns or {}))


def extrapolation_check(
    data,
    form: str | ScalingForm = "chinchilla",
    *,
    above,
    columns: dict[str, str | None] | None = None,
    **fit_kwargs,
) -> ExtrapolationResult:
    """Fit on points with every size ≤ its threshold; relative error on the others.

    ``above`` is ``{"N": 1e4}``, ``"N=1e4"`` or several thresholds (a point is held out if any
    size exceeds its threshold). ``fit_kwargs`` go to :func:`.fit.fit_scaling_law`.
    """
    data = _data(data, columns)
    threshold = parse_threshold(above)
    held = np.zeros(data.n_points, dtype=bool)
    for name, value in threshold.items():
        held |= getattr(data, name) > value
    above_text = ",".join(f"{k}={v:g}" for k, v in threshold.items())
    ranges = "; ".join(
        f"{k} from {np.min(getattr(data, k)):g} to {np.max(getattr(data, k)):g}" for k in threshold
    )
    if not held.any():
        raise ConfigError(
            f"The 'holdout_above' parameter must leave some points above it. Got {above_text} "
            f"instead, above every point ({ranges})."
        )
    try:
        fit = fit_scaling_law(data.select(~held), form, **fit_kwargs)
    except ConfigError as err:
        raise ConfigError(
            f"The 'holdout_above' parameter must leave enough points to fit below it. Got "
            f"{above_text} instead, which leaves {int((~held).sum())} of {data.n_points} points "
            f"({ranges}): {err}"
        ) from None
    heldout = data.select(held)
    predicted = fit.predict(heldout.N, heldout.T)
    return ExtrapolationResult(fit, threshold, heldout, predicted, predicted / heldout.loss - 1)


def compare_forms(
    data,
    forms: Sequence[str | ScalingForm] = ("chinchilla", "kaplan", "mrs"),
    *,
    holdout_above=None,
    n_folds: int = 5,
    seed: int = 0,
    columns: dict[str, str | None] | None = None,
    **fit_kwargs,
) -> ComparisonResult:
    """Fit each form to the same points; objective, AIC, BIC and a held-out error per form."""
    data = _data(data, columns)
    n_folds = check_int("n_folds", n_folds, low=2, high=data.n_points)
    forms = [get_form(f, fit_kwargs.get("variable")) for f in forms]
    fit_kwargs = {k: v for k, v in fit_kwargs.items() if k != "variable"}
    progress = fit_kwargs.pop("progress", None)
    # Held-out errors need point estimates only: no bootstrap in those refits.
    point_kwargs = {**fit_kwargs, "n_bootstrap": 0}
    folds = np.random.default_rng(seed).permutation(data.n_points) % n_folds
    records, fits = [], {}
    for form in forms:
        fit = fit_scaling_law(data, form, seed=seed, progress=progress, **fit_kwargs)
        if holdout_above is not None:
            check = extrapolation_check(data, form, above=holdout_above, seed=seed,
                                        **point_kwargs)  # fmt: skip
            heldout, kind = check.mean_abs_rel_error, "extrapolation"
        else:
            errors = []
            for k in range(n_folds):
                part = fit_scaling_law(data.select(folds != k), form, seed=seed,
                                       start=fit.params, **point_kwargs)  # fmt: skip
                test = data.select(folds == k)
                errors.append(np.abs(part.predict(test.N, test.T) / test.loss - 1))
            heldout, kind = float(np.mean(np.concatenate(errors))), f"{n_folds}-fold"
        fits[form.name] = fit
        records.append({
            "form": form.name,
            "n_params": fit.n_params,
            "objective": fit.objective,
            "aic": fit.aic,
            "bic": fit.bic,
            "heldout_error": heldout,
            "heldout": kind,
            "converged": fit.converged,
        })  # fmt: skip
    finite = [r for r in records if math.isfinite(r["bic"])]
    best = min(finite or records, key=lambda r: r["bic"])["form"]
    return ComparisonResult(records, fits, best)
