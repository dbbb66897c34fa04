"""Simulation of the MRS model: exact population losses over seeds, grids and ridges
(docs/theory.md §3)."""

from .accumulate import LatentStatistics, accumulate, draw_instance, draw_latent
from .backend import Backend
from .result import SimulationResult
from .ridge_loss import RidgeLosses, ridge_losses
from .simulate import simulate

__all__ = [
    "Backend",
    "LatentStatistics",
    "RidgeLosses",
    "SimulationResult",
    "accumulate",
    "draw_instance",
    "draw_latent",
    "ridge_losses",
    "simulate",
]
