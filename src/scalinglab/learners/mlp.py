"""A small fully connected ReLU network trained with PyTorch on the CPU (docs/exponents.md §4).

The network ``f(x) = W_{L+1} relu(W_L ⋯ relu(W_1 x))`` (``depth`` hidden layers of ``width``
units, no biases, inputs standardised) starts from PyTorch's default (Kaiming-uniform) weights
drawn from the seed and is trained on ``½|f(x) − y|²`` by Adam (learning rate ``lr``) or SGD
for a fixed number of ``steps`` on minibatches of ``min(batch, T)`` rows drawn without
replacement each epoch. The rule is the same for every T, so the curve measures the data
dependence of this training recipe; there is no early stopping (the held-out set is never used
for training or for choosing when to stop). Everything runs in float64 on one CPU thread
(``torch.set_num_threads`` is restored afterwards), so the same seed gives the same numbers.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lazy_features", "mlp_losses", "network_seeds", "train_mlp"]


def lazy_features(width: int, d: int, depth: int) -> int:
    """The parameters per output of the network, ``width·d + (depth − 1)·width² + width``: the
    features of its linearisation (the lazy regime), whose kernel averages to its NTK
    (docs/exponents.md §3)."""
    return width * d + (depth - 1) * width * width + width


def _network(d: int, out: int, width: int, depth: int, torch):
    layers = []
    size = d
    for _ in range(depth):
        layers += [torch.nn.Linear(size, width, bias=False), torch.nn.ReLU()]
        size = width
    layers.append(torch.nn.Linear(size, out, bias=False))
    return torch.nn.Sequential(*layers).double()


def train_mlp(
    X_tr: np.ndarray,
    Y_tr: np.ndarray,
    X_te: np.ndarray,
    Y_te: np.ndarray,
    *,
    init_seed: int,
    batch_seed: int,
    width: int = 256,
    depth: int = 2,
    steps: int = 1000,
    lr: float = 1e-3,
    batch: int = 128,
    optimizer: str = "adam",
) -> float:
    """Held-out loss ``½ mean |f(x) − y|²`` of one network trained on all rows of ``X_tr``:
    initial weights from ``torch.manual_seed(init_seed)``, minibatches from ``batch_seed``."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(init_seed)
        gen = torch.Generator().manual_seed(batch_seed)
        net = _network(X_tr.shape[1], Y_tr.shape[1], width, depth, torch)
        opt = (torch.optim.Adam(net.parameters(), lr=lr) if optimizer == "adam"
               else torch.optim.SGD(net.parameters(), lr=lr))  # fmt: skip
        x = torch.from_numpy(np.ascontiguousarray(X_tr))
        y = torch.from_numpy(np.ascontiguousarray(Y_tr))
        t = x.shape[0]
        size = min(batch, t)
        order = torch.randperm(t, generator=gen)
        pos = 0
        for _ in range(steps):
            if pos + size > t:
                order, pos = torch.randperm(t, generator=gen), 0
            idx = order[pos : pos + size]
            pos += size
            opt.zero_grad()
            loss = 0.5 * ((net(x[idx]) - y[idx]) ** 2).sum(dim=1).mean()
            loss.backward()
            opt.step()
        with torch.no_grad():
            x_te = torch.from_numpy(np.ascontiguousarray(X_te))
            y_te = torch.from_numpy(np.ascontiguousarray(Y_te))
            return 0.5 * float(((net(x_te) - y_te) ** 2).sum(dim=1).mean())
    finally:
        torch.set_num_threads(threads)


def network_seeds(seed: np.random.SeedSequence, i: int) -> tuple[int, int]:
    """The (initialisation, minibatch) torch seeds of the i-th network of one stream."""
    base = int(seed.generate_state(1, np.uint32)[0])
    return base + 2 * i, base + 2 * i + 1


def mlp_losses(
    X_tr: np.ndarray,
    Y_tr: np.ndarray,
    X_te: np.ndarray,
    Y_te: np.ndarray,
    T: list[int],
    *,
    seed: np.random.SeedSequence,
    **rule,
) -> list[float]:
    """:func:`train_mlp` on the first T rows for each T, the i-th with :func:`network_seeds`
    ``(seed, i)``; ``rule`` holds ``width, depth, steps, lr, batch, optimizer``."""
    out = []
    for i, t in enumerate(T):
        init, batches = network_seeds(seed, i)
        out.append(train_mlp(X_tr[:t], Y_tr[:t], X_te, Y_te, init_seed=init,
                             batch_seed=batches, **rule))  # fmt: skip
    return out
