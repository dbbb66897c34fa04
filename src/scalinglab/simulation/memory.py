"""Working-set estimates, so that an oversized request is refused before any compute."""

from __future__ import annotations

import psutil

from ..exceptions import ResourceError


def simulation_bytes(N: int, T: int, chunk: int, itemsize: int = 8) -> int:
    """Peak bytes of one simulation seed at sizes (N, T) with ``chunk`` latent columns.

    Accumulators F, K, C, B hold (N + T)² numbers; a drawn chunk about 3·chunk·(N + T);
    the eigen-stage of the largest point about 6·P² + 3·P·Q with P = min(N,T), Q = max(N,T).
    """
    P, Q = min(N, T), max(N, T)
    numbers = (N + T) ** 2 + 3 * chunk * (N + T) + 6 * P * P + 3 * P * Q
    return int(numbers) * itemsize


def conditional_bytes(N: int, T: int, chunk: int, itemsize: int = 8, M: int | None = None) -> int:
    """Peak bytes of one seed of the conditional estimator at sizes (N, T).

    C and D_ω hold 2N² numbers in each of their two partial sums (in the accumulation
    precision) and each of the two threads that fill them a drawn chunk N·chunk; where
    V = UΛ^{1/2} is factored whole instead (M ≤ 2N), V, its QR factors and Q̃ΛΩQ̃ᵀ hold about
    N·M + 2k(N + M) numbers, k = min(N, M). Then, in float64, the factor, Z and the whitened
    D_ω about 2N² + T·N and the eigen-stage of the largest point about 6·P² + 3·P·Q with
    P = min(N,T), Q = max(N,T).
    """
    P, Q = min(N, T), max(N, T)
    accumulated = (4 * N * N + 2 * chunk * N) * itemsize
    if M is not None and M <= 2 * N:
        accumulated = (N * M + 2 * min(N, M) * (N + M)) * itemsize
    return int(accumulated + 8 * (2 * N * N + T * (N + 256) + 6 * P * P + 3 * P * Q))


def check_fits(needed: int, what: str, available: int | None = None) -> None:
    """Raise :class:`ResourceError` if ``needed`` bytes exceed 90% of the available memory."""
    available = psutil.virtual_memory().available if available is None else available
    if needed > 0.9 * available:
        raise ResourceError(
            f"{what} needs about {needed / 2**30:.1f} GiB of memory, but only "
            f"{available / 2**30:.1f} GiB is available. Reduce N or T (or use a larger machine)."
        )
