"""Per-cell series split of non-linear cells (1S1R, 1T1R with a non-ohmic device).

:func:`series_split` eliminates a cell's internal node exactly (vectorised
safeguarded scalar Newton), giving every cell's current and differential
conductance as functions of its voltage.  Public through
:mod:`cosim.solvers.crossbar`.
"""

from __future__ import annotations

import numpy as np

from cosim.solvers._xbar_checks import _first_index
from cosim.solvers.result import SolverError

__all__ = ["series_split"]


def series_split(v_cell_v, device_iv, second_iv, *, u0=None, max_iter: int = 200):
    """Split cell voltages across a device in series with a second element.

    Both elements must be passive and monotone (current increasing with
    voltage, zero at zero), as memristors, selectors and resistors are.  The
    voltage ``u`` across the second element solves
    ``second(u) = device(v_cell - u)``; it lies between 0 and ``v_cell``, and
    is found per cell by Newton's method safeguarded by bisection on that
    bracket (vectorised over all cells), to rounding: iteration stops when
    the bracket or the Newton step is below ``4 eps max(|v_cell|, 1e-30)``.

    Parameters
    ----------
    v_cell_v : ndarray
        Cell voltages, volt, any shape.
    device_iv, second_iv : callable
        ``v -> (i_a, di_dv_s)``, elementwise on arrays of ``v_cell_v``'s shape.
    u0 : ndarray, optional
        Starting guess of the second element's voltage (e.g. the split of
        a previous, nearby solve); clipped into the bracket.  Default
        ``v_cell / 2``.

    Returns
    -------
    i_a, g_s, v_device_v : ndarray
        Cell current (ampere), differential conductance of the series pair
        ``dI/dV_cell`` (siemens), and the device's own voltage (volt).

    Raises
    ------
    SolverError
        If the split does not converge in ``max_iter`` steps (non-monotone
        element I-V).
    """
    v = np.asarray(v_cell_v, dtype=float)
    lo = np.minimum(v, 0.0)
    hi = np.maximum(v, 0.0)
    # start from the second element taking half the voltage (harmless for any
    # pair), or from a nearby previous split
    u = 0.5 * v if u0 is None or np.shape(u0) != v.shape else np.clip(u0, lo, hi)
    tol = 4 * np.finfo(float).eps * np.maximum(np.abs(v), 1e-30)
    active = np.ones(v.shape, dtype=bool)
    for _ in range(max_iter):
        i2, g2 = second_iv(u)
        i1, g1 = device_iv(v - u)
        h = i2 - i1  # increasing in u
        dh = g2 + g1
        # keep the bracket [lo, hi] around the root
        pos = h > 0
        hi = np.where(pos, u, hi)
        lo = np.where(pos, lo, u)
        with np.errstate(divide="ignore", invalid="ignore"):
            u_new = u - h / dh
        # bisect only when Newton leaves the bracket (landing on an end is fine:
        # at the root one end *is* the iterate)
        bad = ~np.isfinite(u_new) | (u_new < lo) | (u_new > hi)
        u_new = np.where(bad, 0.5 * (lo + hi), u_new)
        step = np.abs(u_new - u)
        u = u_new
        active = (step > tol) & ((hi - lo) > tol) & (h != 0)
        if not active.any():
            break
    else:
        idx = _first_index(active)
        raise SolverError(
            f"series split of the cell voltage did not converge at cell {idx} "
            f"(v_cell = {v[idx]!r} V) in {max_iter} iterations: is an element's I-V non-monotone?"
        )
    i2, g2 = second_iv(u)
    i1, g1 = device_iv(v - u)
    with np.errstate(divide="ignore", invalid="ignore"):
        g_series = np.where((g1 + g2) > 0, g1 * g2 / (g1 + g2), 0.0)
    # i1 and i2 agree to rounding; the device's own current is the cell current
    return i1, g_series, v - u


def _linear_iv(g):
    def iv(v):
        return g * v, np.broadcast_to(g, np.shape(v))

    return iv
