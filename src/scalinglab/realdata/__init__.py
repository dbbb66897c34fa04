"""Real data: loaders, covariance spectra, power-law fits, latent size, intrinsic dimension and
learning-curve predictions for random-feature ridge regression on a data set.

Everything reads local files only (see :mod:`.loaders`).
"""

from __future__ import annotations

from .covariance import (
    covariance_spectrum,
    feature_covariance_spectrum,
    feature_map,
    feature_spectrum,
    standardize,
)
from .dimension import (
    DimensionCurve,
    DimensionResult,
    dimension_curve,
    intrinsic_dimension,
    mle_dimension,
    twonn_dimension,
)
from .latent_size import (
    LatentSizeFit,
    estimate_latent_size,
    predicted_df,
    predicted_sample_spectrum,
    sample_df,
)
from .loaders import FASHION_MNIST_DIR, Dataset, load_dataset, read_idx
from .powerlaw import PowerLawFit, assess_fit, fit_power_law
from .predict import (
    KernelSpectrum,
    LearningCurveResult,
    kernel_spectrum,
    predict_learning_curve,
    predicted_learning_curve,
)
from .spectrum_fit import SpectrumFit, fit_feature_spectrum, fit_spectrum

__all__ = [
    "FASHION_MNIST_DIR",
    "Dataset",
    "DimensionCurve",
    "DimensionResult",
    "KernelSpectrum",
    "LatentSizeFit",
    "LearningCurveResult",
    "PowerLawFit",
    "SpectrumFit",
    "assess_fit",
    "covariance_spectrum",
    "dimension_curve",
    "estimate_latent_size",
    "feature_covariance_spectrum",
    "feature_map",
    "feature_spectrum",
    "fit_feature_spectrum",
    "fit_power_law",
    "fit_spectrum",
    "intrinsic_dimension",
    "kernel_spectrum",
    "load_dataset",
    "mle_dimension",
    "predict_learning_curve",
    "predicted_df",
    "predicted_learning_curve",
    "predicted_sample_spectrum",
    "read_idx",
    "sample_df",
    "standardize",
    "twonn_dimension",
]
