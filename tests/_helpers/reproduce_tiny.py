"""Tiny configs for the reproduce tests: every figure in a few seconds, same code paths."""

from __future__ import annotations

import numpy as np

TINY = {
    "spectrum": {"model": {"M": 300}, "T": [100, 1000]},
    "features": {
        "model": {"M": 300},
        "low_dim_model": {"M": 16},
        "N_cut": 50,
        "N_wide": 200,
        "data_N_cut": 16,
        "data_N_wide": 300,
        "n_samples": 600,
    },
    "loss-vs-N": {
        "model": {"M": 500},
        "ridge": 0.005,
        "seeds": 6,
        "N": [10, 16, 25, 40, 63, 100],
        "T": [100, 1000],
        "fit_range": [16, 63],
    },
    "loss-vs-T": {
        "model": {"M": 500},
        "ridge": 0.005,
        "seeds": 6,
        "T": [10, 16, 25, 40, 63, 100],
        "N": [100, 1000],
        "fit_range": [16, 63],
    },
    "phase": {
        "model": {"M": 300},
        "range": [10, 250],
        "grid_points": 16,
        "budgets": [100, 1600, 6400],
        "fit_budgets": [100, 400, 1600],
        "sim_N": [20, 80],
        "sim_T": [20, 80],
        "seeds": 3,
    },
    "breakdown": {
        "model": {"M": 100},
        "N": [25, 200],
        "T": [5, 10, 40, 60, 80, 95, 200, 800],
        "seeds": 4,
    },
    "double-descent": {
        "model": {"M": 300},
        "T": 60,
        "N": [10, 20, 35, 50, 70, 90, 150, 250],
        "seeds": 4,
    },
    "optimal-ridge": {
        "model": {"M": 300},
        "range": [10, 250],
        "grid_points": 12,
        "scan_points": [[60, 180]],
        "scan_factors": [0.1, 1.0, 10.0],
        "seeds": 4,
    },
    "scaling-fit": {
        "model": {"M": 500},
        "N": [20, 40, 80, 160],
        "T": [20, 40, 80, 160],
        "holdout_above": {"N": 60, "T": 60},
        "seeds": 3,
    },
    "finite-size": {
        "model": {"M": 100},
        "seeds": 6,
        "draws": 8,
        "T": 40,
        "N": [15, 30, 50, 70],
        "N_wide": 200,
        "T_edge": [30, 60, 90],
    },
    "alpha-sweep": {"model": {"M": 600}, "sizes": [4, 8, 16, 32], "seeds": 3},
    "compute-envelope": {
        "model": {"M": 300},
        "curve_N": [10, 30],
        "budget_range": [100, 40000],
        "budget_points": 12,
        "fit_range": [100, 2000],
        "sim_budgets": [400, 3600],
        "seeds": 3,
    },
    "noise-allocation": {
        "model": {"M": 300, "noise": 0.05},
        "budget_range": [100, 10000],
        "budget_points": 6,
        "budget": 2500,
        "sim_N": [10, 25, 100, 250],
        "seeds": 3,
    },
    "relu-learning-curves": {
        "model": {"M": 200},
        "N": [100],
        "T": [4, 8, 16, 32, 400],
        "fit_range": [4, 32],
        "seeds": 3,
    },
    "realdata-spectra": {"n_samples": 400, "N": 600, "n_boot": 8},
    "realdata-learning-curves": {
        "datasets": ["digits", "fashion-mnist"],
        "n_samples": 600,
        "n_pool": 600,
        "n_test": 200,
        "N": [300],
        "T": [20, 40, 80, 150],
        "seeds": 2,
    },
    "intrinsic-dimension": {"n_samples": 400, "T": [100, 200, 400], "repeats": 1},
    "dynamics-loss-vs-steps": {
        "model": {"M": 400},
        "seeds": 3,
        "sgd_N": [25, 100],
        "sgd_steps": 3000,
        "gd_T": 80,
        "gd_N": [40, 160],
        "gd_steps": 30000,
        "steps_points": 12,
    },
    "dynamics-compute-optimal": {
        "model": {"M": 1000},
        "seeds": 3,
        "budget_range": [5000, 200000],
        "budget_points": 6,
        "curve_N": [20, 100],
        "sim_budgets": [20000],
    },
    "real-exponents": {
        "datasets": ["digits"],
        "learners": ["kernel", "rf"],
        "n_samples": 600,
        "n_pool": 300,
        "n_test": 150,
        "n_boot": 2,
        "T": [40, 80, 160, 320],
    },
}


def theory_tolerance(frame) -> np.ndarray:
    """Allowed |simulation/theory − 1| per point.

    4 standard errors of the seed mean (statistics), plus the DE's finite-size bias of up to
    +0.5/P (spec §8 item 5, table §9.4; 0.6/P for margin), plus 1 % for the residual DE error at
    P ≥ 100 (spec §9.1: at most 0.81 %).
    """
    P = np.minimum(frame["N"], frame["T"]).to_numpy(dtype=np.float64)
    sem = np.nan_to_num(frame["loss_sem"].to_numpy() / frame["theory"].to_numpy())
    return 4 * sem + 0.6 / P + 0.01
