"""Compiled loop of :meth:`cosim.devices.Messaris2017.advance` (private; numba).

The NumPy closed form makes a dozen passes over the cells with as many
temporaries (both fixed points, both rate constants, nested ``where``); on a
100 x 100 array under V/2, where every cell sees a voltage, that was 0.3 ms
per pulse sub-step.  Here one compiled pass computes the exponent argument
``|v| / t``, NumPy's own ``expm1`` takes it (so the transcendental is the very
same function, bit for bit), and a second compiled pass does the rest of the
same arithmetic in the same order: the result is bit-identical to the NumPy
path (tested, ``tests/test_devices_messaris_fast.py``), 3.7x faster at 10,000
cells.  Used for scalar parameters, a scalar duration and at least
:data:`MIN_CELLS` cells, when the package's kernel is "numba" (numba installed
and ``COSIM_KERNEL`` not "numpy"); otherwise :meth:`advance` stays NumPy.
"""

from __future__ import annotations

import numpy as np

from cosim._kernel_choice import default_kernel, numba_installed

#: below this many cells the NumPy path is as fast
MIN_CELLS = 256


def available() -> bool:
    """Whether the compiled path is used: the package's kernel (``$COSIM_KERNEL``) is "numba".

    ``COSIM_KERNEL=numpy`` selects the NumPy paths of the whole package, the
    crossbar solver's included (:mod:`cosim._kernel_choice`).

    Raises
    ------
    ValueError
        ``COSIM_KERNEL`` names no kernel.
    """
    return numba_installed() and default_kernel() == "numba"


def advance(model, r: np.ndarray, v: np.ndarray, duration_s) -> np.ndarray | None:
    """The new resistances, or None when the compiled path does not apply.

    ``r``, ``v``: checked arrays of the state's shape (ohm, volt);
    ``duration_s``: the caller's duration (second; only a scalar is taken).
    """
    if r.size < MIN_CELLS or np.ndim(duration_s) != 0 or not available():
        return None
    p = model.numeric_params()
    if any(np.ndim(x) for x in p.values()):
        return None
    # imported on first use (numba with it), compiled once and kept in numba's cache
    from cosim.devices._messaris_kernels import _argument, _move

    rf = np.ascontiguousarray(r, dtype=float).ravel()
    vf = np.ascontiguousarray(v, dtype=float).ravel()
    e = np.expm1(_argument(vf, float(p["t_p_v"]), float(p["t_n_v"])))
    out = _move(
        rf,
        vf,
        e,
        float(duration_s),
        float(p["a_p"]),
        float(p["a_n"]),
        float(p["a0p_ohm"]),
        float(p["a1p_ohm_per_v"]),
        float(p["a0n_ohm"]),
        float(p["a1n_ohm_per_v"]),
        float(p["r_min_ohm"]),
        float(p["r_max_ohm"]),
    )
    return out.reshape(r.shape)
