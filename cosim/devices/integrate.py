"""Vectorised adaptive Runge-Kutta integration of one scalar state per cell.

``scipy.integrate.solve_ivp`` integrates one system with one step size; the
cells of a crossbar see different voltages and move at very different
rates, so a shared step would be set by the fastest cell.  Here every cell
has its own time and step size, and one NumPy pass advances all cells that
are not finished yet (a loop over steps, never over cells).

Method: Dormand-Prince 5(4) (the pair behind ``solve_ivp``'s ``RK45``),
local extrapolation (the 5th-order solution is kept), per-cell error control
``|y5 - y4| <= atol + rtol * max(|y_old|, |y_new|)``, step factor
``0.9 * err**(-1/5)`` limited to [0.2, 5].

Error bound: the estimated local error of every accepted step is within
``atol + rtol |y|``; the global error of a smooth problem over a pulse is
a modest multiple of that (the tests hold the models' integrated pulses
against ``solve_ivp(method="DOP853", rtol=1e-12)`` within 1e-6 absolute in
the normalised state at the default ``rtol = 1e-7``, ``atol = 1e-10``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cosim.devices.base import DeviceError

# Dormand-Prince 5(4) tableau
_C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0])
_A = [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
]
_B5 = np.array([35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0])
_B4 = np.array([5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40])
_E = _B5 - _B4


def integrate_adaptive(
    rhs: Callable[[np.ndarray, np.ndarray], np.ndarray],
    y0: np.ndarray,
    t_end_s: np.ndarray,
    *,
    rtol: float = 1e-7,
    atol: float = 1e-10,
    lower: float | np.ndarray | None = None,
    upper: float | np.ndarray | None = None,
    max_steps: int = 100_000,
) -> np.ndarray:
    """Integrate the autonomous scalar ODEs ``dy_c/dt = rhs(y_c, c)`` of many cells.

    Parameters
    ----------
    rhs : callable ``(y, idx) -> dydt``
        ``y`` holds the states of the cells with flat indices ``idx`` (1-D
        int array); returns their derivatives (same shape as ``y``).
    y0 : ndarray (n,)
        Initial states.
    t_end_s : ndarray (n,), second, >= 0
        Integration time of each cell.
    rtol, atol : float
        Local error tolerance per step (see the module docstring).
    lower, upper : float or ndarray (n,), optional
        Physical bounds: every accepted state is clipped into them (models
        whose rates do not vanish at the bounds stop there, as the device
        does; with vanishing window functions this only removes rounding
        excursions).
    max_steps : int
        Step attempts per cell before giving up.

    Returns
    -------
    ndarray (n,)
        States at ``t_end_s``.

    Raises
    ------
    DeviceError
        If some cell needs more than ``max_steps`` attempts (a stiff or
        singular right-hand side).
    """
    y = np.array(y0, dtype=float).ravel()
    t_end = np.broadcast_to(np.asarray(t_end_s, dtype=float), y.shape).ravel()
    n = y.size
    lo = None if lower is None else np.broadcast_to(np.asarray(lower, dtype=float), y.shape)
    hi = None if upper is None else np.broadcast_to(np.asarray(upper, dtype=float), y.shape)
    t = np.zeros(n)
    active = np.flatnonzero(t_end > 0)
    if active.size == 0:
        return y
    # first step: the whole interval, trimmed by the first error estimate
    h = t_end.copy()
    f0 = np.zeros(n)
    f0[active] = rhs(y[active], active)
    scale0 = atol + rtol * np.abs(y[active])
    rate = np.abs(f0[active]) / scale0
    with np.errstate(divide="ignore"):
        h[active] = np.minimum(t_end[active], np.where(rate > 0, 0.01 / rate, t_end[active]))
    attempts = 0
    while active.size:
        attempts += 1
        if attempts > max_steps:
            raise DeviceError(
                f"adaptive integrator: {active.size} cell(s) did not finish within {max_steps} steps "
                f"(first: cell {int(active[0])}, t = {t[active[0]]!r} of {t_end[active[0]]!r} s)"
            )
        idx = active
        ya = y[idx]
        ha = np.minimum(h[idx], t_end[idx] - t[idx])
        k = [f0[idx]]
        for s in range(1, 7):
            ys = ya + ha * sum(a * k[j] for j, a in enumerate(_A[s]) if a != 0.0)
            if lo is not None:
                ys = np.maximum(ys, lo[idx])
            if hi is not None:
                ys = np.minimum(ys, hi[idx])
            k.append(rhs(ys, idx))
        y5 = ya + ha * sum(b * k[j] for j, b in enumerate(_B5) if b != 0.0)
        err = ha * np.abs(sum(e * k[j] for j, e in enumerate(_E)))
        scale = atol + rtol * np.maximum(np.abs(ya), np.abs(y5))
        errn = err / scale
        ok = errn <= 1.0
        with np.errstate(divide="ignore"):
            factor = np.where(errn > 0, 0.9 * errn**-0.2, 5.0)
        factor = np.clip(factor, 0.2, 5.0)
        y5_raw = y5
        if lo is not None:
            y5 = np.maximum(y5, lo[idx])
        if hi is not None:
            y5 = np.minimum(y5, hi[idx])
        acc = idx[ok]
        y[acc] = y5[ok]
        # FSAL: the last stage is the derivative at the accepted state, unless clipped
        f0[acc] = k[6][ok]
        if lo is not None or hi is not None:
            clipped = y5[ok] != y5_raw[ok]
            if clipped.any():
                f0[acc[clipped]] = rhs(y[acc[clipped]], acc[clipped])
        t[acc] = np.where(t_end[acc] - (t[acc] + ha[ok]) <= 1e-12 * t_end[acc], t_end[acc], t[acc] + ha[ok])
        h[idx] = ha * np.where(ok, factor, np.minimum(factor, 0.5))
        active = idx[t[idx] < t_end[idx]]
    return y
