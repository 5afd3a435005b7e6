"""Window functions of the drift-type memristor models, as the papers define them.

A window ``F(x)`` multiplies the state rate of a model whose state ``x`` is a
normalised position in [0, 1]; it keeps the state inside the film and
shapes how the rate falls near the walls.

References
----------
Y. N. Joglekar, S. J. Wolf, "The elusive memristor: properties of basic
electrical circuits", Eur. J. Phys. 30, 661-675 (2009).
Z. Biolek, D. Biolek, V. Biolkova, "SPICE model of memristor with nonlinear
dopant drift", Radioengineering 18(2), 210-214 (2009).
T. Prodromakis, B. P. Peh, C. Papavassiliou, C. Toumazou, "A versatile
memristor model with nonlinear dopant kinetics", IEEE Trans. Electron
Devices 58(9), 3099-3105 (2011).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cosim.devices.base import DeviceError

#: Window names accepted by :func:`window` (``"none"`` is ``F = 1``).
WINDOWS = ("none", "joglekar", "biolek", "prodromakis")


def window(kind: str, x: Any, direction: Any, p: Any, j: Any = 1.0) -> np.ndarray:
    """Window function ``F(x)``, elementwise.

    ``"none"``: 1.  ``"joglekar"``: ``1 - (2x - 1)^(2p)``: 0 at x = 0 and
    x = 1 whatever the direction (a cell driven exactly onto a wall stays
    there, the model's known "terminal state" problem).  ``"biolek"``:
    ``1 - (x - stp(-i))^(2p)`` with ``stp(z) = 1 for z >= 0, else 0``: for
    ``direction > 0`` (x rising) ``1 - x^(2p)``, 0 at x = 1; otherwise
    ``1 - (x - 1)^(2p)``, 0 at x = 0: zero at the wall the state moves
    toward, one at the wall it leaves.  ``"prodromakis"``:
    ``j (1 - ((x - 1/2)^2 + 3/4)^p)``: 0 at both walls, its peak
    ``j (1 - (3/4)^p)`` at x = 1/2 (``j`` scales it; the paper allows
    ``0 < j <= 1`` for ``p >= 1``).

    Parameters
    ----------
    kind : {"none", "joglekar", "biolek", "prodromakis"}
    x : array, normalised state in [0, 1]
    direction : array
        Only its sign matters (Biolek): the current, or the sign of the state rate.
    p : array, > 0
        Window exponent (the papers use integers; ``|.|^(2p)`` keeps a
        non-integer ``p`` real).
    j : array, > 0
        Prodromakis scale factor (ignored by the other windows).

    Returns
    -------
    ndarray, the broadcast shape of ``x`` and ``direction``

    Raises
    ------
    DeviceError
        Unknown ``kind``.

    Examples
    --------
    >>> float(window("prodromakis", 0.0, 1.0, 2)), float(window("prodromakis", 0.5, 1.0, 2))
    (0.0, 0.4375)
    """
    x = np.asarray(x, dtype=float)
    if kind == "none":
        return np.ones(np.broadcast_shapes(x.shape, np.shape(direction)))
    if kind == "joglekar":
        return 1.0 - np.abs(2.0 * x - 1.0) ** (2.0 * p)
    if kind == "biolek":
        stp = (np.asarray(direction) <= 0).astype(float)  # stp(-i)
        return 1.0 - np.abs(x - stp) ** (2.0 * p)
    if kind == "prodromakis":
        return j * (1.0 - ((x - 0.5) ** 2 + 0.75) ** p)
    raise DeviceError(f"window must be one of {', '.join(map(repr, WINDOWS))}, got {kind!r}")
