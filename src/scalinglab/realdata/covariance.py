"""Covariance spectra of data matrices and of random feature maps of the data.

For a data matrix ``X`` (T x d, one sample per row) the sample covariance is

.. math::

    \\hat C = \\frac{1}{T - c} X_c^\\top X_c,\\qquad X_c = X - c\\,\\mathbf 1 \\bar x^\\top,

with ``c = 1`` when centred (``bar x`` the column means) and ``c = 0`` for the uncentred second
moment. Its rank-ordered eigenvalues are the data's spectrum (docs/theory.md §1: ``λ_J``).

Paths (``method``):

* ``covariance``: accumulate the d x d matrix over row blocks and ``eigh`` it, O(T d² + d³);
* ``gram``: the T x T Gram matrix has the same non-zero eigenvalues, O(T² d + T³);
* ``randomized``: the top ``n_components`` singular values by a randomized SVD (Halko et al.
  2011, scikit-learn's ``randomized_svd``), for T and d both large;
* ``auto``: the exact path on the smaller side when ``min(T, d) <= EXACT_LIMIT``, else
  randomized.

Feature spectra (:func:`feature_spectrum`) are the spectra of ``φ = σ(X Uᵀ)`` with
``U_ij ~ N(0, σ_u²/d)`` and ``σ`` linear or ReLU (docs/theory.md §1): linear features have rank
``min(N, d)`` (truncation at N), ReLU features continue the power law past the input
dimension (docs/theory.md §11).
"""

from __future__ import annotations

import numpy as np

from .._rng import root_sequence
from .._validation import check_choice, check_float, check_int
from ..exceptions import ConfigError

__all__ = [
    "EXACT_LIMIT",
    "covariance_spectrum",
    "feature_covariance_spectrum",
    "feature_map",
    "feature_spectrum",
    "second_moment",
    "standardize",
]

EXACT_LIMIT = 4096
"""Largest ``min(T, d)`` for which ``method='auto'`` diagonalises exactly."""

_ROW_BLOCK = 8192


def check_data(X: object, name: str = "X") -> np.ndarray:
    """``X`` as a finite 2-D float64 array with at least 2 rows and 1 column."""
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"The '{name}' parameter must be a 2-D float array.") from None
    if arr.ndim != 2 or arr.shape[0] < 2 or arr.shape[1] < 1:
        raise ConfigError(
            f"The '{name}' parameter must be a 2-D array with at least 2 rows. "
            f"Got shape {arr.shape} instead."
        )
    if not np.all(np.isfinite(arr)):
        raise ConfigError(f"The '{name}' parameter must be finite. Got NaN or inf entries instead.")
    return arr


def standardize(X: object) -> np.ndarray:
    """Centre the columns and rescale globally so that ``mean |x|² = d``.

    A single global scale keeps the shape of the spectrum (unlike per-column scaling) while
    making random-feature pre-activations ``u·x`` with ``u ~ N(0, I/d)`` of order one.
    """
    X = check_data(X)
    Xc = X - X.mean(axis=0)
    rms = float(np.sqrt(np.einsum("ij,ij->", Xc, Xc) / Xc.size))
    if rms == 0.0:
        raise ConfigError("The 'X' parameter must not be constant. Got a constant matrix instead.")
    Xc /= rms
    return Xc


def second_moment(X: np.ndarray, centre: bool = True) -> np.ndarray:
    """The d x d sample covariance (``centre``) or second moment, accumulated over row blocks."""
    T, d = X.shape
    mean = X.mean(axis=0) if centre else np.zeros(d)
    out = np.zeros((d, d))
    for start in range(0, T, _ROW_BLOCK):
        block = X[start : start + _ROW_BLOCK] - mean
        out += block.T @ block
    return out / (T - 1 if centre else T)


def covariance_spectrum(
    X: object,
    *,
    centre: bool = True,
    method: str = "auto",
    n_components: int | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Rank-ordered eigenvalues of the sample covariance of ``X`` (module docstring).

    Parameters
    ----------
    X : array (T, d)
        Data matrix, one sample per row.
    centre : bool
        Subtract the column means (divide by ``T − 1``) or use the uncentred second moment.
    method : {"auto", "covariance", "gram", "randomized"}
        Computation path; ``auto`` is exact when ``min(T, d) <= EXACT_LIMIT``.
    n_components : int, optional
        Number of eigenvalues returned (randomized default: ``min(T, d, 1000)``; exact paths
        return all ``min(T, d)`` by default).
    seed : int
        Seed of the randomized SVD's test matrix.

    Returns
    -------
    array
        Eigenvalues in decreasing order, clipped at 0 (round-off can make tiny ones negative).
    """
    X = check_data(X)
    method = check_choice("method", method, ("auto", "covariance", "gram", "randomized"))
    T, d = X.shape
    rank = min(T, d)
    if n_components is not None:
        n_components = check_int("n_components", n_components, low=1, high=rank)
    if method == "auto":
        method = "randomized" if rank > EXACT_LIMIT else ("covariance" if d <= T else "gram")
    dof = T - 1 if centre else T
    if method == "covariance":
        eig = np.linalg.eigvalsh(second_moment(X, centre))[::-1]
    elif method == "gram":
        Xc = X - X.mean(axis=0) if centre else X
        eig = np.linalg.eigvalsh(Xc @ Xc.T)[::-1] / dof
    else:
        from sklearn.utils.extmath import randomized_svd

        k = n_components or min(rank, 1000)
        Xc = X - X.mean(axis=0) if centre else X
        _, s, _ = randomized_svd(Xc, k, n_oversamples=max(10, k // 2), n_iter=6,
                                 random_state=np.random.RandomState(seed % 2**32))  # fmt: skip
        eig = s**2 / dof
    eig = np.clip(eig[:rank], 0.0, None)
    return eig if n_components is None else eig[:n_components]


def feature_map(
    X: np.ndarray,
    N: int,
    activation: str = "relu",
    sigma_u: float = 1.0,
    seed: int | np.random.SeedSequence = 0,
) -> np.ndarray:
    """Random features ``σ(X Uᵀ)`` with ``U_ij ~ N(0, σ_u²/d)`` (docs/theory.md §1, §11).

    ``U`` is drawn row by row from ``SeedSequence(seed)`` (or the given sequence), so the first
    N' features of a draw with N > N' are the N' features of the smaller draw (nested banks).
    """
    U, activation = _feature_weights(N, X.shape[1], activation, sigma_u, seed)
    return _activate(X @ U.T, activation)


def _feature_weights(N: int, d: int, activation: str, sigma_u: float,
                     seed: int | np.random.SeedSequence) -> tuple[np.ndarray, str]:  # fmt: skip
    """The validated feature weights ``U`` (N x d) and activation."""
    N = check_int("N", N, low=1)
    activation = check_choice("activation", activation, ("linear", "relu"))
    sigma_u = check_float("sigma_u", sigma_u, 0.0, low_open=True)
    U = np.random.default_rng(root_sequence(seed)).standard_normal((N, d))
    U *= sigma_u / np.sqrt(d)
    return U, activation


def _activate(F: np.ndarray, activation: str) -> np.ndarray:
    if activation == "relu":
        np.maximum(F, 0.0, out=F)
    return F


def feature_covariance_spectrum(
    X: np.ndarray,
    N: int,
    activation: str = "relu",
    sigma_u: float = 1.0,
    seed: int | np.random.SeedSequence = 0,
    *,
    centre: bool = True,
) -> np.ndarray:
    """Covariance spectrum of the features :func:`feature_map` would return, without storing them.

    When ``N <= min(T, EXACT_LIMIT)`` the N x N covariance is accumulated over row blocks of
    ``σ(X Uᵀ)`` (a symmetric rank-k update per block, shifted by the first block's column means
    to avoid cancellation when centring) and diagonalised: memory O(N² + block·N) instead of
    O(T N). Otherwise the features are formed and :func:`covariance_spectrum` is used.
    """
    T = X.shape[0]
    U, activation = _feature_weights(N, X.shape[1], activation, sigma_u, seed)
    if N > min(T, EXACT_LIMIT):
        return covariance_spectrum(_activate(X @ U.T, activation), centre=centre)
    from scipy.linalg.blas import dsyrk

    Ut = np.asfortranarray(U.T)
    gram = np.zeros((N, N), order="F")
    total = np.zeros(N)
    shift = None
    for start in range(0, T, _ROW_BLOCK):
        F = _activate(X[start : start + _ROW_BLOCK] @ Ut, activation)
        if shift is None:
            shift = F.mean(axis=0) if centre else np.zeros(N)
        F -= shift
        total += F.sum(axis=0)
        gram = dsyrk(1.0, F.T, beta=1.0, c=gram, trans=0, lower=1, overwrite_c=1)
    mean = total / T
    cov = np.tril(gram)
    cov = cov + np.tril(cov, -1).T
    if centre:
        cov -= T * np.outer(mean, mean)
        cov /= T - 1
    else:
        cov /= T
    return np.clip(np.linalg.eigvalsh(cov)[::-1], 0.0, None)


def feature_spectrum(
    X: object,
    N: int,
    *,
    activation: str = "relu",
    centre: bool = True,
    standardize_input: bool = True,
    sigma_u: float = 1.0,
    seed: int = 0,
    method: str = "auto",
    n_components: int | None = None,
) -> np.ndarray:
    """Covariance spectrum of N random features of the data (docs/theory.md §1).

    The input is first standardised (:func:`standardize`) unless ``standardize_input`` is
    False. Linear features have at most ``min(N, d)`` non-zero eigenvalues; ReLU features
    extend the spectrum past d (up to ``min(N, T)``).
    """
    X = standardize(X) if standardize_input else check_data(X)
    F = feature_map(X, N, activation, sigma_u, seed)
    return covariance_spectrum(
        F, centre=centre, method=method, n_components=n_components, seed=seed
    )
