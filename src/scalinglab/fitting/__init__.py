"""Scaling-law fitting: fit, compare and extrapolate L(N, T) from any table of results.

Forms (:mod:`.forms`), the Huber-on-log-residuals objective (:mod:`.objective`), multi-start
L-BFGS-B and variable projection (:mod:`.fit`, :mod:`.varpro`), bootstrap uncertainties
(:mod:`.bootstrap`), the compute-optimal frontier (:mod:`.frontier`), extrapolation checks and
model comparison (:mod:`.compare`), table input (:mod:`.io`) and a plot (:mod:`.plotting`,
matplotlib imported only there).
"""

from __future__ import annotations

from .compare import ComparisonResult, ExtrapolationResult, compare_forms, extrapolation_check
from .fit import FitResult, fit_scaling_law
from .forms import FORMS, CustomForm, Param, ScalingForm, get_form, register_form
from .frontier import FrontierResult, compute_optimal_frontier
from .io import FitData, load_table, read_frame
from .plotting import plot_fit

__all__ = [
    "FORMS",
    "ComparisonResult",
    "CustomForm",
    "ExtrapolationResult",
    "FitData",
    "FitResult",
    "FrontierResult",
    "Param",
    "ScalingForm",
    "compare_forms",
    "compute_optimal_frontier",
    "extrapolation_check",
    "fit_scaling_law",
    "get_form",
    "load_table",
    "plot_fit",
    "read_frame",
    "register_form",
]
