"""Spectral functionals d1, d2, e, b1, b2 of the deterministic equivalent (docs/theory.md §5).

Everything is in λ-units: for a renormalised ridge ``Δ > 0``

.. math::

    d_1 = \\sum_J \\frac{λ_J}{λ_J+Δ},\\quad d_2 = \\sum_J \\frac{λ_J^2}{(λ_J+Δ)^2},\\quad
    e = Δ \\sum_J \\frac{λ_J}{(λ_J+Δ)^2},\\quad
    b_1 = Δ \\sum_J \\frac{v_J^2}{λ_J+Δ},\\quad b_2 = Δ^2 \\sum_J \\frac{v_J^2}{(λ_J+Δ)^2},

with ``v_J² = ω_J λ_J`` the target power in eigen-direction J. d1, e, b1 and b2 do not depend on
the units (feature units: ``ξ = s²λ``, ``κ = s²Δ``). ``e`` is always computed directly, never as
``d1 − d2`` (docs/theory.md §5).

Two spectra are provided:

* :class:`ArraySpectrum`: any positive spectrum with any target power; the sums are plain
  vectorised reductions, chunked over Δ values to bound memory.
* :class:`PowerLawSpectrum`: ``λ_J = λ_+ J^{-(1+α)}`` with an isotropic teacher. The sums cost
  O(J0) per Δ whatever M is: the head ``J ≤ J0`` is summed exactly and the tail by the
  Euler–Maclaurin formula, whose integral is a regularised incomplete beta function and whose
  derivative corrections are exact polynomials (see :func:`_derivative_tables`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import special

__all__ = ["ArraySpectrum", "Functionals", "PowerLawSpectrum"]

# Number of latent directions summed exactly before the Euler–Maclaurin tail takes over, and the
# number of Bernoulli correction terms. With the summands' singularities at distance
# >= J0 sin(π/a) from the real axis, the remainder is below (2p)!/(2π J0 sin(π/a))^(2p).
HEAD = 64
EM_TERMS = 5
# Terms of the hypergeometric series of the complement's tail integral (argument t <= 1/2, terms
# below (n+1) 2^-n: under 1e-22 of the first at n = 80).
SERIES_TERMS = 80
_CHUNK_ELEMENTS = 1 << 21


@dataclass(frozen=True)
class Functionals:
    """The spectral functionals at an array of Δ values (all arrays of Δ's shape)."""

    d1: np.ndarray
    d2: np.ndarray
    e: np.ndarray
    b1: np.ndarray
    b2: np.ndarray

    def take(self, index: np.ndarray) -> Functionals:
        """Functionals gathered at ``index`` (fancy indexing on every field)."""
        return Functionals(*(getattr(self, f)[index] for f in ("d1", "d2", "e", "b1", "b2")))


class ArraySpectrum:
    """Spectral sums for an explicit spectrum λ_J and target powers v_J² = ω_J λ_J.

    Parameters
    ----------
    eigenvalues : array (M,)
        Positive λ_J (λ-units, i.e. before the feature scale s²).
    target_power : array (M,)
        ``v_J² ≥ 0``, the power of the target in direction J.
    """

    def __init__(self, eigenvalues: np.ndarray, target_power: np.ndarray) -> None:
        self.eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
        self.target_power = np.asarray(target_power, dtype=np.float64)

    @property
    def M(self) -> int:
        return int(self.eigenvalues.size)

    @cached_property
    def total(self) -> float:
        """Σ λ_J."""
        return float(np.sum(self.eigenvalues))

    @cached_property
    def signal(self) -> float:
        """Σ v_J² = Σ ω_J λ_J, the noise-free label variance (docs/theory.md §1)."""
        return float(np.sum(self.target_power))

    @property
    def lambda_max(self) -> float:
        return float(np.max(self.eigenvalues))

    @property
    def lambda_min(self) -> float:
        return float(np.min(self.eigenvalues))

    def complement(self, delta: np.ndarray) -> np.ndarray:
        """``M − d1 = Σ_J Δ/(λ_J + Δ)`` at each Δ > 0, summed directly (no cancellation)."""
        delta = np.asarray(delta, dtype=np.float64)
        flat = delta.reshape(-1)
        out = np.empty(flat.size)
        lam = self.eigenvalues
        step = max(1, _CHUNK_ELEMENTS // max(lam.size, 1))
        for start in range(0, flat.size, step):
            d = flat[start : start + step, None]
            out[start : start + step] = (d / (lam + d)).sum(axis=1)
        return out.reshape(delta.shape)

    def functionals(self, delta: np.ndarray) -> Functionals:
        """d1, d2, e, b1, b2 at each Δ > 0 (any shape), chunked to bound memory."""
        delta = np.asarray(delta, dtype=np.float64)
        flat = delta.reshape(-1)
        out = np.empty((5, flat.size))
        lam, v2 = self.eigenvalues, self.target_power
        step = max(1, _CHUNK_ELEMENTS // max(lam.size, 1))
        for start in range(0, flat.size, step):
            d = flat[start : start + step, None]
            inv = 1.0 / (lam + d)
            r = lam * inv  # λ/(λ+Δ)
            w = d * inv  # Δ/(λ+Δ)
            out[0, start : start + step] = r.sum(axis=1)
            out[1, start : start + step] = np.einsum("ij,ij->i", r, r)
            out[2, start : start + step] = np.einsum("ij,ij->i", r, w)
            vw = v2 * inv * d[:, 0:1]  # Δ v²/(λ+Δ)
            out[3, start : start + step] = vw.sum(axis=1)
            out[4, start : start + step] = np.einsum("ij,ij->i", vw, w)
        return Functionals(*(row.reshape(delta.shape) for row in out))


def _stirling_first(k: int) -> np.ndarray:
    """Coefficients s(k, m), m = 0..k, of the falling factorial θ(θ−1)…(θ−k+1)."""
    poly = np.array([1.0])
    for j in range(k):
        poly = np.convolve(poly, [-float(j), 1.0])  # ascending powers of θ
    return poly


def _theta(coeffs: np.ndarray) -> np.ndarray:
    """Apply ϑ = u d/du to a homogeneous polynomial Σ_i c_i v^i w^(n−i) of degree n.

    With ``v = u/(1+u)`` and ``w = 1/(1+u)``: ``ϑv = vw`` and ``ϑw = −vw``, so
    ``ϑ(v^i w^(n−i)) = i v^i w^(n−i+1) − (n−i) v^(i+1) w^(n−i)`` (degree n+1). Working in the
    pair (v, w), both computed without cancellation, keeps relative accuracy at u → 0 and u → ∞.
    """
    n = coeffs.size - 1
    i = np.arange(n + 1)
    out = np.zeros(n + 2)
    out[: n + 1] += i * coeffs
    out[1:] -= (n - i) * coeffs
    return out


def _derivative_tables(base: np.ndarray, a: float, orders: list[int]) -> list[list[np.ndarray]]:
    """For g(u(x)) with u = c x^a, the terms of ``x^k d^k g/dx^k = Σ_m s(k,m) a^m ϑ^m g``.

    Uses ``x^k D^k = θ(θ−1)…(θ−k+1)`` with ``θ = x d/dx = a ϑ`` on functions of u. Returns,
    for each order k, the list of homogeneous polynomials ``s(k,m) a^m ϑ^m g`` (m = 1..k).
    """
    powers = [base]
    for _ in range(max(orders)):
        powers.append(_theta(powers[-1]))
    tables = []
    for k in orders:
        s = _stirling_first(k)
        tables.append([s[m] * a**m * powers[m] for m in range(1, k + 1) if s[m] != 0.0])
    return tables


def _eval_homogeneous(coeffs: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Σ_i c_i v^i w^(n−i) (Horner in v with the powers of w precomputed)."""
    n = coeffs.size - 1
    w_powers = [np.ones_like(w)]
    for _ in range(n):
        w_powers.append(w_powers[-1] * w)
    total = coeffs[n] * w_powers[0]
    for i in range(n - 1, -1, -1):
        total = total * v + coeffs[i] * w_powers[n - i]
    return total


class PowerLawSpectrum:
    """Fast spectral sums for ``λ_J = λ_+ J^{-(1+α)}``, J = 1..M, isotropic teacher ω.

    The summands ``g(u)`` with ``u = Δ/λ_J = c J^a`` (``a = 1+α``, ``c = Δ/λ_+``) are
    ``1/(1+u)`` (d1), ``u/(1+u)²`` (e) and ``1/(1+u)²`` (d2). For ``J > J0`` the sum is replaced by
    Euler–Maclaurin (docs/theory.md §5, made O(1) in M):

    .. math::

        \\sum_{J=A}^{B} f(J) = \\int_A^B f + \\frac{f(A)+f(B)}{2}
            + \\sum_{k=1}^{p} \\frac{B_{2k}}{(2k)!}\\,[f^{(2k-1)}(B) - f^{(2k-1)}(A)] + R_p.

    The integrals follow from ``t = u/(1+u)``:
    ``∫_0^X dx/(1+cx^a) = c^{-1/a} a^{-1} B(t_X; 1/a, 1−1/a)`` (incomplete beta), similarly
    ``B(t; 1+1/a, 1−1/a)`` for e and ``B(t; 1/a, 2−1/a)`` for d2. b1 = ω Δ d1 and b2 = ω Δ e.
    """

    def __init__(self, M: int, alpha: float, lambda_plus: float, omega: float) -> None:
        self._M = int(M)
        self.alpha = float(alpha)
        self.lambda_plus = float(lambda_plus)
        self.omega = float(omega)
        self.a = 1.0 + self.alpha
        self.head = HEAD if self._M > 4 * HEAD else self._M
        J = np.arange(1, self.head + 1, dtype=np.float64)
        self._head_lam = self.lambda_plus * J ** (-self.a)
        if self.head < self._M:
            a = self.a
            # homogeneous coefficients: index i multiplies v^i w^(n-i)
            bases = {
                "d1": np.array([1.0, 0.0]),  # w
                "e": np.array([0.0, 1.0, 0.0]),  # v w
                "d2": np.array([1.0, 0.0, 0.0]),  # w²
            }
            orders = [2 * k - 1 for k in range(1, EM_TERMS + 1)]
            bernoulli = [
                special.bernoulli(2 * k)[2 * k] / math.factorial(2 * k)
                for k in range(1, EM_TERMS + 1)
            ]
            # Σ_k B_2k/(2k)! f^(2k−1)(x) at the two fixed endpoints, as one homogeneous polynomial
            # per summand and endpoint (lower degrees lifted by (v + w) = 1).
            self._ends = (float(self.head + 1), float(self._M))
            self._corrections = {}
            for name, base in bases.items():
                tables = _derivative_tables(base, a, orders)
                degree = base.size - 1 + max(orders)
                for x in self._ends:
                    total = np.zeros(degree + 1)
                    for bern, order, terms in zip(bernoulli, orders, tables):
                        for term in terms:
                            lifted = term
                            while lifted.size < degree + 1:
                                lifted = np.convolve(lifted, [1.0, 1.0])
                            total += bern * x ** (-order) * lifted
                    self._corrections[name, x] = total
            self._beta = {
                "d1": (1.0 / a, 1.0 - 1.0 / a),
                "e": (1.0 + 1.0 / a, 1.0 - 1.0 / a),
                "d2": (1.0 / a, 2.0 - 1.0 / a),
            }

    @property
    def M(self) -> int:
        return self._M

    @cached_property
    def total(self) -> float:
        """Σ λ_J (exact: λ_+ (ζ(a) − ζ(a, M+1)))."""
        return float(self.lambda_plus * (special.zeta(self.a) - special.zeta(self.a, self._M + 1)))

    @property
    def signal(self) -> float:
        """Σ ω λ_J."""
        return self.omega * self.total

    @property
    def lambda_max(self) -> float:
        return self.lambda_plus

    @property
    def lambda_min(self) -> float:
        return self.lambda_plus * float(self._M) ** (-self.a)

    # ------------------------------------------------------------------ tail pieces
    def _integral(self, name: str, c: np.ndarray, A: float, B: float) -> np.ndarray:
        """∫_A^B g(c x^a) dx for the summand ``name`` (incomplete-beta closed form)."""
        p, q = self._beta[name]
        scale = c ** (-1.0 / self.a) * special.beta(p, q) / self.a
        uA, uB = c * A**self.a, c * B**self.a
        tA, tB = uA / (1.0 + uA), uB / (1.0 + uB)
        wA, wB = 1.0 / (1.0 + uA), 1.0 / (1.0 + uB)
        out = np.empty_like(c)
        low = tA < 0.5  # difference of small regularised integrals, else of their complements
        out[low] = special.betainc(p, q, tB[low]) - special.betainc(p, q, tA[low])
        high = ~low
        out[high] = special.betainc(q, p, wA[high]) - special.betainc(q, p, wB[high])
        return scale * out

    def _endpoint(self, name: str, c: np.ndarray, x: float) -> tuple[np.ndarray, np.ndarray]:
        """g at x and Σ_k B_2k/(2k)! g^(2k−1)(x)."""
        u = c * x**self.a
        v, w = u / (1.0 + u), 1.0 / (1.0 + u)
        base = {"d1": w, "e": v * w, "d2": w * w}[name]
        return base, _eval_homogeneous(self._corrections[name, x], v, w)

    def _tail(self, name: str, c: np.ndarray) -> np.ndarray:
        A, B = self._ends
        fA, cA = self._endpoint(name, c, A)
        fB, cB = self._endpoint(name, c, B)
        return self._integral(name, c, A, B) + 0.5 * (fA + fB) + (cB - cA)

    def complement(self, delta: np.ndarray) -> np.ndarray:
        """``M − d1 = Σ_J Δ/(λ_J + Δ)`` at each Δ > 0 without the cancellation of ``M − d1``.

        As Δ → 0, d1 → M and ``M − d1`` loses ``log10(M/(M − d1))`` digits; the gaps
        ``N − d1``, ``T − d1`` of sizes ``≥ M`` need it (docs/theory.md §5). The head is summed
        directly; the tail J = J0+1..M by Euler–Maclaurin on ``v = u/(1+u) = 1 − w`` (the
        corrections are minus those of d1), where, while ``u_M = cM^a ≤ 1``, the integral is

        .. math:: \\int_0^X v\\,dx = \\frac{c X^{a+1} w^{p}}{a+1}\\,{}_2F_1(p, p; p+1; t),
                  \\qquad p = 1 + 1/a,

        (``B(t; 1+1/a, −1/a)`` written as its hypergeometric series, ``t = u/(1+u) ≤ 1/2``),
        summed to :data:`SERIES_TERMS` terms. For ``u_M > 1`` the complement is of order M and
        ``(M − J0) − tail(d1)`` loses nothing.
        """
        delta = np.asarray(delta, dtype=np.float64)
        flat = delta.reshape(-1)
        out = (flat[:, None] / (self._head_lam + flat[:, None])).sum(axis=1)
        if self.head < self._M:
            c = flat / self.lambda_plus
            A, B = self._ends
            small = c * B**self.a <= 1.0
            tail = np.empty(flat.size)
            tail[~small] = (B - A + 1.0) - self._tail("d1", c[~small])
            cs = c[small]
            cA, cB = self._endpoint("d1", cs, A)[1], self._endpoint("d1", cs, B)[1]
            uA, uB = cs * A**self.a, cs * B**self.a
            tail[small] = (
                self._v_integral(cs, B)
                - self._v_integral(cs, A)
                + 0.5 * (uA / (1.0 + uA) + uB / (1.0 + uB))
                - (cB - cA)
            )
            out = out + tail
        return out.reshape(delta.shape)

    def _v_integral(self, c: np.ndarray, X: float) -> np.ndarray:
        """``∫_0^X u/(1+u) dx`` with ``u = c x^a ≤ 1`` (the series of :meth:`complement`)."""
        a = self.a
        p = 1.0 + 1.0 / a
        u = c * X**a
        t, w = u / (1.0 + u), 1.0 / (1.0 + u)
        total = np.ones_like(c)
        poch = 1.0  # (p)_n / n!
        power = np.ones_like(c)
        for n in range(1, SERIES_TERMS):
            poch *= (p + n - 1.0) / n
            power = power * t
            total += (p / (p + n) * poch) * power
        return c * X ** (a + 1.0) * w**p / (a + 1.0) * total

    def functionals(self, delta: np.ndarray) -> Functionals:
        """d1, d2, e, b1, b2 at each Δ > 0 (any shape); O(J0) per value whatever M is."""
        delta = np.asarray(delta, dtype=np.float64)
        flat = delta.reshape(-1)
        d1, d2, e = (np.empty(flat.size) for _ in range(3))
        lam = self._head_lam
        step = max(1, _CHUNK_ELEMENTS // lam.size)
        for start in range(0, flat.size, step):
            d = flat[start : start + step, None]
            inv = 1.0 / (lam + d)
            r = lam * inv
            sl = slice(start, start + step)
            d1[sl] = r.sum(axis=1)
            d2[sl] = np.einsum("ij,ij->i", r, r)
            e[sl] = np.einsum("ij,ij->i", r, d * inv)
        if self.head < self._M:
            c = flat / self.lambda_plus
            d1 += self._tail("d1", c)
            d2 += self._tail("d2", c)
            e += self._tail("e", c)
        shape = delta.shape
        d1, d2, e = d1.reshape(shape), d2.reshape(shape), e.reshape(shape)
        return Functionals(d1, d2, e, self.omega * delta * d1, self.omega * delta * e)
