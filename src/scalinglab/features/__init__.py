"""Random features ``φ = σ(Ux + b)``: activations, their Gaussian moments (feature kernels) and
the feature covariance of a seed's U. A lower layer used by both the simulation and the theory.
"""

from .covariance import feature_covariance
from .kernels import ACTIVATIONS, Activation, FeatureMoments, get_activation
from .maps import FeatureMap, feature_map

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "FeatureMap",
    "FeatureMoments",
    "feature_covariance",
    "feature_map",
    "get_activation",
]
