"""3x3 binary letters z, v, n and their single-pixel-flipped variants (Prezioso et al. 2015).

M. Prezioso, F. Merrikh-Bayat, B. D. Hoskins, G. C. Adam, K. K. Likharev and
D. B. Strukov, "Training and operation of an integrated neuromorphic network
based on metal-oxide memristors", Nature 521, 61-64 (2015), Fig. 3a: three
3x3 black-and-white letters; each letter together with its 9 versions with
one pixel flipped gives 10 patterns per class, 30 in all. The bitmaps below
follow that figure (1 = dark pixel, row-major, top row first).

Examples
--------
>>> x, y = letter_patterns()
>>> x.shape, y.shape
((30, 9), (30,))
>>> [int((x[y == k] != LETTERS[name].ravel()).sum(axis=1).max()) for k, name in enumerate(CLASSES)]
[1, 1, 1]
"""

from __future__ import annotations

import numpy as np

CLASSES = ("z", "v", "n")

LETTERS = {
    "z": np.array([[1, 1, 0], [0, 1, 0], [0, 1, 1]], dtype=np.int64),
    "v": np.array([[1, 0, 1], [1, 0, 1], [0, 1, 0]], dtype=np.int64),
    "n": np.array([[0, 1, 0], [1, 0, 1], [1, 0, 1]], dtype=np.int64),
}


def letter_patterns() -> tuple[np.ndarray, np.ndarray]:
    """The 30 patterns: for each class, the letter then its 9 one-pixel flips (pixel 0..8).

    Returns
    -------
    pixels : ndarray of int (30, 9), 0 or 1
    classes : ndarray of int (30,), index into :data:`CLASSES`
    """
    xs, ys = [], []
    for k, name in enumerate(CLASSES):
        base = LETTERS[name].ravel()
        xs.append(base.copy())
        ys.append(k)
        for p in range(9):
            flipped = base.copy()
            flipped[p] ^= 1
            xs.append(flipped)
            ys.append(k)
    return np.array(xs), np.array(ys)
