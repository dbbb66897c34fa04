"""Spectra: model feature spectra (:mod:`.model_spectra`); real-data spectra live in
:mod:`scalinglab.realdata`."""

from .model_spectra import (
    FeatureSpectrum,
    KernelSpectrum,
    feature_spectrum,
    kernel_spectrum,
    power_law_slope,
)

__all__ = [
    "FeatureSpectrum",
    "KernelSpectrum",
    "feature_spectrum",
    "kernel_spectrum",
    "power_law_slope",
]
