"""Grey-level 8 x 8 digits (0..16) with the class-balanced split of :mod:`cosim.runs.datasets`.

The latency-coded cores need the intensities that ``load_digits`` binarises.
"""

from __future__ import annotations

import numpy as np

from cosim.runs.datasets import _require, balanced_split


def grey_digits(n_train: int, n_test: int, seed: int):
    """``(x_train, y_train, x_test, y_test)``; x in 0..16, shape (n, 64); the split of ``load_digits(seed=seed)``."""
    bunch = _require("sklearn.datasets").load_digits()
    x = np.asarray(bunch.data, dtype=float)
    y = np.asarray(bunch.target, dtype=np.int64)
    tr, te = balanced_split(y, n_train, n_test, np.random.default_rng(seed))
    return x[tr], y[tr], x[te], y[te]
