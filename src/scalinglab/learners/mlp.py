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

__all__ = ["mlp_losses"]


def _network(d: int, out: int, width: int, depth: int, torch):
    layers = []
    size = d
    for _ in range(depth):
        layers += [torch.nn.Linear(size, width, bias=False), torch.nn.ReLU()]
        size = width
    layers.append(torch.nn.Linear(size, out, bias=False))
    return torch.nn.Sequential(*layers).double()


def mlp_losses(
    X_tr: np.ndarray,
    Y_tr: np.ndarray,
    X_te: np.ndarray,
    Y_te: np.ndarray,
    T: list[int],
    *,
    seed: np.random.SeedSequence,
    width: int = 256,
    depth: int = 2,
    steps: int = 1000,
    lr: float = 1e-3,
    batch: int = 128,
    optimizer: str = "adam",
) -> list[float]:
    """Held-out loss ``½ mean |f(x) − y|²`` after training on the first T rows, for each T."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        out = []
        x_te = torch.from_numpy(np.ascontiguousarray(X_te))
        y_te = torch.from_numpy(np.ascontiguousarray(Y_te))
        base = int(seed.generate_state(1, np.uint32)[0])
        for i, t in enumerate(T):
            torch.manual_seed(base + 2 * i)  # the initial weights of this T
            gen = torch.Generator().manual_seed(base + 2 * i + 1)  # its minibatches
            net = _network(X_tr.shape[1], Y_tr.shape[1], width, depth, torch)
            opt = (torch.optim.Adam(net.parameters(), lr=lr) if optimizer == "adam"
                   else torch.optim.SGD(net.parameters(), lr=lr))  # fmt: skip
            x = torch.from_numpy(np.ascontiguousarray(X_tr[:t]))
            y = torch.from_numpy(np.ascontiguousarray(Y_tr[:t]))
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
                out.append(0.5 * float(((net(x_te) - y_te) ** 2).sum(dim=1).mean()))
        return out
    finally:
        torch.set_num_threads(threads)
