"""Learners on real data and their data-scaling exponents: kernel ridge, random features and a
small trained network, with the exponent predicted from the learner's spectrum and measured by
training (docs/exponents.md)."""

from __future__ import annotations

from .data import TARGETS, load_mnist_subset, load_study_data, make_targets
from .exponents import LEARNERS, ExponentStudy, study_exponents
from .kernels import KERNELS, kernel_matrix

__all__ = [
    "KERNELS",
    "LEARNERS",
    "TARGETS",
    "ExponentStudy",
    "kernel_matrix",
    "load_mnist_subset",
    "load_study_data",
    "make_targets",
    "study_exponents",
]
