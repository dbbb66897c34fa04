"""Loaders: IDX and CIFAR files written here, array files, bundled data, clear errors."""

from __future__ import annotations

import gzip
import pickle

import numpy as np
import pytest

from realdata.realdata_helpers import needs_fashion
from scalinglab.exceptions import ConfigError
from scalinglab.realdata.loaders import load_dataset, read_idx


def _write_idx(path, array: np.ndarray, gz: bool) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    raw = header + array.astype(np.uint8).tobytes()
    if gz:
        with gzip.open(str(path) + ".gz", "wb") as f:
            f.write(raw)
    else:
        path.write_bytes(raw)


@pytest.fixture
def idx_dir(tmp_path):
    rng = np.random.default_rng(0)
    data = {}
    for split, n, gz in (("train", 7, True), ("t10k", 3, False)):
        images = rng.integers(0, 256, size=(n, 4, 5), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        _write_idx(tmp_path / f"{split}-images-idx3-ubyte", images, gz)
        _write_idx(tmp_path / f"{split}-labels-idx1-ubyte", labels, gz)
        data[split] = (images, labels)
    return tmp_path, data


def test_idx_round_trip_gzipped_and_plain(idx_dir):
    path, data = idx_dir
    train = load_dataset(f"mnist:{path}")
    images, labels = data["train"]
    np.testing.assert_array_equal(train.X, images.reshape(7, 20) / 255.0)
    np.testing.assert_array_equal(train.y, labels)
    both = load_dataset(str(path), split="all")  # a directory is detected as IDX
    assert both.X.shape == (10, 20)
    np.testing.assert_array_equal(both.X[7:], data["t10k"][0].reshape(3, 20) / 255.0)


def test_idx_missing_and_corrupt_files_name_expected_files(idx_dir, tmp_path):
    with pytest.raises(ConfigError, match="train-images-idx3-ubyte"):
        load_dataset(f"fashion-mnist:{tmp_path / 'absent'}")
    path, _ = idx_dir
    (path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(ConfigError, match="Missing: t10k-labels-idx1-ubyte"):
        load_dataset(f"mnist:{path}", split="test")
    bad = path / "bad-idx"
    bad.write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(ConfigError, match="bad magic"):
        read_idx(bad)
    short = path / "short-idx"
    short.write_bytes(bytes([0, 0, 8, 1]) + np.array([10], ">u4").tobytes() + b"\x00" * 3)
    with pytest.raises(ConfigError, match="corrupt"):
        read_idx(short)


def test_cifar_batches_round_trip_and_errors(tmp_path):
    rng = np.random.default_rng(1)
    written = []
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, size=(2, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, size=2).tolist()
        with open(tmp_path / name, "wb") as f:
            pickle.dump({b"data": data, b"labels": labels}, f)
        written.append((data, labels))
    train = load_dataset(f"cifar10:{tmp_path}")
    assert train.X.shape == (10, 3072)
    np.testing.assert_array_equal(train.X[:2], written[0][0] / 255.0)
    np.testing.assert_array_equal(train.y[8:], written[4][1])
    test = load_dataset(str(tmp_path), split="test")
    np.testing.assert_array_equal(test.X, written[5][0] / 255.0)
    (tmp_path / "data_batch_3").write_bytes(b"not a pickle")
    with pytest.raises(ConfigError, match="corrupt"):
        load_dataset(f"cifar10:{tmp_path}")
    (tmp_path / "data_batch_3").unlink()
    with pytest.raises(ConfigError, match="Missing: data_batch_3"):
        load_dataset(f"cifar10:{tmp_path}")


def test_array_files(tmp_path):
    X = np.arange(24.0).reshape(6, 4)
    np.save(tmp_path / "a.npy", X)
    np.savez(tmp_path / "b.npz", X=X, y=np.arange(6))
    import pandas as pd

    frame = pd.DataFrame(X, columns=list("abcd"))
    frame["label"] = np.arange(6)
    frame.to_parquet(tmp_path / "c.parquet")
    for name in ("a.npy", "b.npz", "c.parquet"):
        data = load_dataset(str(tmp_path / name))
        np.testing.assert_array_equal(data.X, X)
    assert load_dataset(str(tmp_path / "c.parquet")).y.tolist() == list(range(6))
    with pytest.raises(ConfigError, match="'dataset' parameter"):
        load_dataset(str(tmp_path / "x.csv"))
    with pytest.raises(ConfigError, match="'dataset' parameter"):
        load_dataset("no-such-dataset")


def test_bundled_data_sets():
    digits = load_dataset("digits")
    assert digits.X.shape == (1797, 64) and digits.X.max() == 1.0 and digits.y.max() == 9
    assert load_dataset("lfw").X.shape == (200, 625)
    a = load_dataset("sample-patches", patch_size=6, n_patches=50, seed=3)
    b = load_dataset("sample-patches", patch_size=6, n_patches=50, seed=3)
    c = load_dataset("sample-patches", patch_size=6, n_patches=50, seed=4)
    assert a.X.shape == (50, 36) and 0.0 <= a.X.min() and a.X.max() <= 1.0
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, c.X)
    # a patch is a window of the grey image: check one against a direct crop of "camera"
    import skimage.data

    cam = skimage.data.camera() / 255.0
    p = load_dataset("skimage:camera", patch_size=5, n_patches=20, seed=0).X
    windows = np.lib.stride_tricks.sliding_window_view(cam, (5, 5)).reshape(-1, 25)
    assert np.any(np.all(np.isclose(windows, p[0]), axis=1))
    with pytest.raises(ConfigError, match="'patch_size'"):
        load_dataset("sample-patches", patch_size=1000)


@needs_fashion
def test_fashion_mnist_default_directory():
    data = load_dataset("fashion-mnist", split="test")
    assert data.X.shape == (10000, 784) and sorted(set(data.y.tolist())) == list(range(10))
