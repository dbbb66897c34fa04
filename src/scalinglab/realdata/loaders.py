"""Loaders of real data sets from local files only (nothing is downloaded at run time).

Every loader returns a :class:`Dataset`: a float64 matrix ``X`` of shape ``(n_samples, dim)``
(one flattened example per row, pixel values scaled to [0, 1]) and optional integer labels.

Named data sets (:func:`load_dataset`):

==================  =============================================================================
``digits``          scikit-learn's bundled 8x8 digits (1797 x 64, labels 0-9)
``sample-patches``  square patches cut at random from scikit-learn's bundled sample photographs
                    (``load_sample_images``; grey level), ``patch_size`` and ``n_patches`` options
``skimage-patches`` the same from scikit-image's bundled grey-level photographs (``camera``,
                    ``moon``, ``coins``, ``text``, ``page``, ``brick``, ``grass``, ``gravel``,
                    ``astronaut``, ``chelsea``, ``coffee``, ``rocket``); ``skimage:NAME`` for one
``lfw``             scikit-image's bundled face subset ``lfw_subset`` (200 x 625)
``fashion-mnist``   IDX files from a directory, default :data:`FASHION_MNIST_DIR` (Debian package
                    ``dataset-fashion-mnist``); ``fashion-mnist:DIR`` for another directory
``mnist``           IDX files from ``mnist:DIR``
``cifar10``         CIFAR-10 python batches from ``cifar10:DIR``
PATH                a ``.npy``, ``.npz`` or ``.parquet`` array, or a directory holding IDX files
                    or CIFAR-10 batches (detected from the file names)
==================  =============================================================================

A missing or corrupt directory raises a :class:`~scalinglab.exceptions.ConfigError` that names
the files expected there.
"""

from __future__ import annotations

import gzip
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._validation import check_choice, check_int
from ..exceptions import ConfigError

__all__ = [
    "FASHION_MNIST_DIR",
    "Dataset",
    "load_array",
    "load_cifar10",
    "load_dataset",
    "load_digits",
    "load_idx",
    "load_lfw",
    "load_sample_patches",
    "load_skimage_patches",
    "read_idx",
]

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
"""Where Debian's ``dataset-fashion-mnist`` package installs the gzipped IDX files."""

SKIMAGE_IMAGES = (
    "camera", "moon", "coins", "text", "page", "brick", "grass", "gravel",
    "astronaut", "chelsea", "coffee", "rocket",
)  # fmt: skip
"""Photographs shipped inside scikit-image (no download needed)."""

NAMES = ("digits", "sample-patches", "skimage-patches", "lfw", "fashion-mnist", "mnist", "cifar10")

_IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_CIFAR_FILES = {
    "train": tuple(f"data_batch_{i}" for i in range(1, 6)),
    "test": ("test_batch",),
}
# IDX type byte -> big-endian numpy dtype
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


@dataclass(frozen=True, eq=False)
class Dataset:
    """A data matrix with optional labels.

    Attributes
    ----------
    name : str
        Where the data came from (a data-set name or a path).
    X : array (n_samples, dim)
        One flattened example per row, float64.
    y : array (n_samples,) or None
        Integer class labels, when the source has them.
    """

    name: str
    X: np.ndarray = field(repr=False)
    y: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_samples(self) -> int:
        """Number of examples (rows of X)."""
        return int(self.X.shape[0])

    @property
    def dim(self) -> int:
        """Input dimension (columns of X)."""
        return int(self.X.shape[1])

    def subsample(self, n_samples: int | None, seed: int = 0) -> Dataset:
        """A random subset of ``n_samples`` rows (all rows when None or not fewer)."""
        if n_samples is None or n_samples >= self.n_samples:
            return self
        n_samples = check_int("n_samples", n_samples, low=2)
        rows = np.sort(np.random.default_rng(np.random.SeedSequence(seed)).permutation(
            self.n_samples)[:n_samples])  # fmt: skip
        y = None if self.y is None else self.y[rows]
        return Dataset(self.name, self.X[rows], y)


def _as_matrix(name: str, array: np.ndarray, scale: float | None = None) -> np.ndarray:
    """Flatten examples to rows and convert to float64 (uint8 images are divided by 255)."""
    array = np.asarray(array)
    if array.ndim < 2:
        raise ConfigError(
            f"The '{name}' data must have at least 2 dimensions (examples x features). "
            f"Got shape {array.shape} instead."
        )
    if scale is None:
        scale = 255.0 if array.dtype == np.uint8 else 1.0
    out = array.reshape(array.shape[0], -1).astype(np.float64)
    if scale != 1.0:
        out /= scale
    if not np.all(np.isfinite(out)):
        raise ConfigError(f"The '{name}' data must be finite. Got NaN or inf entries instead.")
    return out


# --------------------------------------------------------------------------- bundled data
def load_digits() -> Dataset:
    """scikit-learn's bundled 8x8 handwritten digits (1797 x 64), grey levels scaled to [0, 1]."""
    from sklearn.datasets import load_digits as sk_digits

    bunch = sk_digits()
    return Dataset("digits", bunch.data.astype(np.float64) / 16.0, bunch.target.astype(np.int64))


def _grey(image: np.ndarray) -> np.ndarray:
    """A grey-level float image in [0, 1] (ITU-R 601 luma for RGB, alpha dropped)."""
    image = np.asarray(image)
    scale = 255.0 if image.dtype == np.uint8 else 1.0
    image = image.astype(np.float64) / scale
    if image.ndim == 3:
        image = image[..., :3] @ np.array([0.299, 0.587, 0.114])
    return image


def _patches(
    images: Sequence[np.ndarray], patch_size: int, n_patches: int, seed: int, name: str
) -> Dataset:
    """``n_patches`` square patches at uniformly random positions of uniformly chosen images."""
    patch_size = check_int("patch_size", patch_size, low=2)
    n_patches = check_int("n_patches", n_patches, low=2)
    images = [_grey(im) for im in images]
    for im in images:
        if min(im.shape) < patch_size:
            raise ConfigError(
                f"The 'patch_size' parameter must be at most {min(im.shape)} for {name}. "
                f"Got {patch_size} instead."
            )
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    which = rng.integers(len(images), size=n_patches)
    out = np.empty((n_patches, patch_size * patch_size))
    for k, im in enumerate(images):
        rows = np.flatnonzero(which == k)
        top = rng.integers(im.shape[0] - patch_size + 1, size=rows.size)
        left = rng.integers(im.shape[1] - patch_size + 1, size=rows.size)
        windows = np.lib.stride_tricks.sliding_window_view(im, (patch_size, patch_size))
        out[rows] = windows[top, left].reshape(rows.size, -1)
    return Dataset(name, out)


def load_sample_patches(patch_size: int = 8, n_patches: int = 10000, seed: int = 0) -> Dataset:
    """Random grey-level patches of scikit-learn's two bundled photographs (china, flower)."""
    from sklearn.datasets import load_sample_images

    return _patches(load_sample_images().images, patch_size, n_patches, seed, "sample-patches")


def load_skimage_patches(
    images: Sequence[str] | None = None, patch_size: int = 8, n_patches: int = 10000, seed: int = 0
) -> Dataset:
    """Random grey-level patches of scikit-image's bundled photographs (default: all of them)."""
    import skimage.data

    names = list(SKIMAGE_IMAGES if images is None else images)
    for image in names:
        check_choice("image", image, SKIMAGE_IMAGES)
    label = "skimage-patches" if images is None else "skimage:" + ",".join(names)
    return _patches([getattr(skimage.data, n)() for n in names], patch_size, n_patches, seed, label)


def load_lfw() -> Dataset:
    """scikit-image's bundled face subset (``skimage.data.lfw_subset``: 200 faces of 25x25)."""
    import skimage.data

    return Dataset("lfw", _as_matrix("lfw", skimage.data.lfw_subset(), scale=1.0))


# --------------------------------------------------------------------------- IDX (MNIST)
def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (gzipped or not): magic ``00 00 TYPE NDIM``, big-endian dims, data.

    Raises :class:`ConfigError` when the header or the size does not match the format.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as err:
        raise ConfigError(f"The IDX file '{path}' could not be read ({err}).") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ConfigError(f"The IDX file '{path}' is corrupt: bad magic number {raw[:4]!r}.")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise ConfigError(f"The IDX file '{path}' is corrupt: truncated header.")
    shape = tuple(int(v) for v in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    size = int(np.prod(shape))
    if len(raw) != header + size * dtype.itemsize:
        raise ConfigError(
            f"The IDX file '{path}' is corrupt: header says shape {shape} "
            f"({header + size * dtype.itemsize} bytes) but the file has {len(raw)} bytes."
        )
    return np.frombuffer(raw, dtype, count=size, offset=header).reshape(shape)


def _find(directory: Path, stem: str) -> Path | None:
    for candidate in (stem, stem + ".gz", stem.replace("-idx", ".idx"),
                      stem.replace("-idx", ".idx") + ".gz"):  # fmt: skip
        if (directory / candidate).is_file():
            return directory / candidate
    return None


def _idx_expected(split: str) -> str:
    splits = ("train", "test") if split == "all" else (split,)
    return ", ".join(f"{s}[.gz]" for sp in splits for s in _IDX_FILES[sp])


def load_idx(directory: str | Path, split: str = "train", name: str | None = None) -> Dataset:
    """MNIST-format data (IDX images and labels) from ``directory``.

    ``split`` is ``train`` (``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``),
    ``test`` (``t10k-...``) or ``all`` (both, train first).
    """
    split = check_choice("split", split, ("train", "test", "all"))
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(
            f"The data directory '{directory}' does not exist; it must hold the IDX files "
            f"{_idx_expected(split)}."
        )
    parts, labels = [], []
    for sp in ("train", "test") if split == "all" else (split,):
        paths = [_find(directory, stem) for stem in _IDX_FILES[sp]]
        if None in paths:
            raise ConfigError(
                f"The data directory '{directory}' must hold the IDX files "
                f"{_idx_expected(split)}. Missing: {_IDX_FILES[sp][paths.index(None)]}[.gz]."
            )
        images, lab = read_idx(paths[0]), read_idx(paths[1])
        if images.ndim < 2 or lab.ndim != 1 or images.shape[0] != lab.shape[0]:
            raise ConfigError(
                f"The IDX files in '{directory}' are corrupt: {images.shape[0]} images but "
                f"labels of shape {lab.shape}."
            )
        parts.append(_as_matrix(str(paths[0]), images))
        labels.append(lab.astype(np.int64))
    return Dataset(name or str(directory), np.concatenate(parts), np.concatenate(labels))


# --------------------------------------------------------------------------- CIFAR-10
def load_cifar10(directory: str | Path, split: str = "train") -> Dataset:
    """CIFAR-10 python batches (``data_batch_1..5``, ``test_batch``) from ``directory``.

    Each batch is a pickled dict with ``b'data'`` (uint8, rows of 3072 = 3x32x32) and
    ``b'labels'``. The files are unpickled, so only load batches from a source you trust.
    """
    split = check_choice("split", split, ("train", "test", "all"))
    directory = Path(directory)
    names = _CIFAR_FILES["train"] + _CIFAR_FILES["test"] if split == "all" else _CIFAR_FILES[split]
    expected = ", ".join(names)
    if not directory.is_dir():
        raise ConfigError(
            f"The data directory '{directory}' does not exist; it must hold the CIFAR-10 python "
            f"batches {expected}."
        )
    parts, labels = [], []
    for batch in names:
        path = directory / batch
        if not path.is_file():
            raise ConfigError(
                f"The data directory '{directory}' must hold the CIFAR-10 python batches "
                f"{expected}. Missing: {batch}."
            )
        try:
            with open(path, "rb") as f:
                entry = pickle.load(f, encoding="bytes")
            data = np.asarray(entry[b"data"], dtype=np.uint8)
            lab = np.asarray(entry[b"labels"], dtype=np.int64)
        except Exception as err:  # unpickling errors have many types
            raise ConfigError(f"The CIFAR-10 batch '{path}' is corrupt ({err!r}).") from None
        if data.ndim != 2 or data.shape[0] != lab.shape[0]:
            raise ConfigError(
                f"The CIFAR-10 batch '{path}' is corrupt: data of shape {data.shape} and "
                f"{lab.shape[0]} labels."
            )
        parts.append(data.astype(np.float64) / 255.0)
        labels.append(lab)
    return Dataset(f"cifar10:{directory}", np.concatenate(parts), np.concatenate(labels))


# --------------------------------------------------------------------------- plain arrays
def load_array(path: str | Path) -> Dataset:
    """A data matrix from a ``.npy``, ``.npz`` or ``.parquet`` file.

    ``.npz``: the array ``X`` (or ``data``, or else the first array), labels from ``y`` or
    ``labels`` when present. ``.parquet``: every numeric column, except a ``label``/``y`` column
    which becomes the labels. Arrays with more than two dimensions are flattened per example.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"The 'dataset' file '{path}' does not exist.")
    suffix = path.suffix.lower()
    y = None
    try:
        if suffix == ".npy":
            X = np.load(path, allow_pickle=False)
        elif suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                keys = list(archive.keys())
                if not keys:
                    raise ConfigError(f"The 'dataset' file '{path}' holds no arrays.")
                key = next((k for k in ("X", "data") if k in keys), keys[0])
                X = archive[key]
                ykey = next((k for k in ("y", "labels") if k in keys and k != key), None)
                y = None if ykey is None else archive[ykey]
        elif suffix == ".parquet":
            import pandas as pd

            frame = pd.read_parquet(path)
            ycol = next((c for c in ("label", "y") if c in frame.columns), None)
            if ycol is not None:
                y = frame.pop(ycol).to_numpy()
            X = frame.select_dtypes("number").to_numpy()
        else:
            raise ConfigError(
                "The 'dataset' parameter must be a data-set name, a directory or a .npy, .npz or "
                f".parquet file. Got {str(path)!r} instead."
            )
    except ConfigError:
        raise
    except Exception as err:  # numpy/pyarrow raise many types for a damaged file
        raise ConfigError(f"The 'dataset' file '{path}' could not be read ({err!r}).") from None
    X = _as_matrix(str(path), X)
    if y is not None:
        y = np.asarray(y)
        if y.shape != (X.shape[0],):
            raise ConfigError(
                f"The labels in '{path}' must have one entry per example ({X.shape[0]}). "
                f"Got shape {y.shape} instead."
            )
    return Dataset(str(path), X, y)


def _load_directory(directory: Path, split: str) -> Dataset:
    """Detect IDX files or CIFAR-10 batches in a directory."""
    if not directory.is_dir():
        raise ConfigError(f"The data directory '{directory}' does not exist.")
    if (directory / "test_batch").is_file() or (directory / "data_batch_1").is_file():
        return load_cifar10(directory, split)
    nested = directory / "cifar-10-batches-py"
    if nested.is_dir():
        return load_cifar10(nested, split)
    return load_idx(directory, split)


def load_dataset(
    dataset: str,
    *,
    split: str = "train",
    n_samples: int | None = None,
    patch_size: int = 8,
    n_patches: int = 10000,
    seed: int = 0,
) -> Dataset:
    """Load a data set by name (see the module docstring) or path.

    Parameters
    ----------
    dataset : str
        A name (``digits``, ``sample-patches``, ``skimage-patches``, ``skimage:NAME[,NAME]``,
        ``lfw``, ``fashion-mnist[:DIR]``, ``mnist:DIR``, ``cifar10:DIR``) or a path to an array
        file or a directory.
    split : {"train", "test", "all"}
        Which part of MNIST/Fashion-MNIST/CIFAR-10 to read.
    n_samples : int, optional
        Keep a random subset of this many rows (seeded by ``seed``).
    patch_size, n_patches : int
        Patch side and count for the patch data sets.
    seed : int
        Seed of the patch positions and of the subset.
    """
    if not isinstance(dataset, str) or not dataset:
        raise ConfigError(
            f"The 'dataset' parameter must be a data-set name or a path. Got {dataset!r} instead."
        )
    split = check_choice("split", split, ("train", "test", "all"))
    base, _, arg = dataset.partition(":")
    if base == "digits":
        data = load_digits()
    elif base == "sample-patches":
        data = load_sample_patches(patch_size, n_patches, seed)
    elif base == "skimage-patches":
        data = load_skimage_patches(None, patch_size, n_patches, seed)
    elif base == "skimage" and arg:
        data = load_skimage_patches(arg.split(","), patch_size, n_patches, seed)
    elif base == "lfw":
        data = load_lfw()
    elif base == "fashion-mnist":
        data = load_idx(Path(arg) if arg else FASHION_MNIST_DIR, split, name="fashion-mnist")
    elif base == "mnist":
        if not arg:
            raise ConfigError(
                "The 'dataset' parameter must give MNIST's directory as 'mnist:DIR'. "
                "Got 'mnist' instead."
            )
        data = load_idx(Path(arg), split, name="mnist")
    elif base == "cifar10":
        if not arg:
            raise ConfigError(
                "The 'dataset' parameter must give CIFAR-10's directory as 'cifar10:DIR'. "
                "Got 'cifar10' instead."
            )
        data = _load_directory(Path(arg), split)
    else:
        path = Path(dataset)
        if path.is_dir():
            data = _load_directory(path, split)
        elif path.suffix.lower() in (".npy", ".npz", ".parquet"):
            data = load_array(path)
        else:
            raise ConfigError(
                "The 'dataset' parameter must be one of "
                + ", ".join(repr(n) for n in NAMES)
                + f", 'NAME:DIR', a directory or an array file. Got {dataset!r} instead."
            )
    return data.subsample(n_samples, seed)
