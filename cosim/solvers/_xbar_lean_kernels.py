"""Compiled set-up, right-hand side and summary of one line-CG solve (private; numba).

A pulse sub-step of a 100 x 100 array costs about 1 ms of CG, and before
these kernels about as much again in NumPy calls around it: the line system's
diagonals and couplings (a dozen small array operations), the right-hand side
(``nan_to_num``, fancy-indexed fixes) and the post-solve summary (device
voltages, sense currents, cell and wire power, two dozen reductions).  Each
kernel here does one of those jobs in one pass over the grid (the summary in two: the wire power is its own kernel).

Exactness: :func:`line_system` and :func:`line_rhs` do the same floating-point
operations in the same order as the NumPy code they replace
(:class:`cosim.solvers._xbar_lines.LineSystem`,
:meth:`cosim.solvers._xbar_network._LineFactor.solve`), so their results are
bit-identical; :func:`summary` is bit-identical in the device voltages and
sense currents (the column sums run down the rows in order, as NumPy's
``sum(axis=0)`` does) and differs from the NumPy sums of power only in their
rounding (sequential instead of pairwise summation, ~1e-16 relative).
``tests/test_xbar_lean_kernels.py`` holds them against the NumPy path.

Layout: grids ``(rows, cols)``, batches ``(batch, rows, cols)``, C order.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from cosim.solvers._xbar_kernels import _JIT, factor_cols_into, factor_rows_into


@nb.njit(**_JIT)
def line_system(gw_seg, gb_seg, g_cell, g_in, g_out, fix_w, fix_b):
    """Couplings, bit-line diagonal and both line factorisations of one conductance state.

    Parameters
    ----------
    gw_seg : (rows, cols - 1), gb_seg : (rows - 1, cols)
        Word- and bit-line segment conductances, S.
    g_cell : (rows, cols)
        Cell conductance, S.
    g_in : (rows,), g_out : (cols,)
        Driver and sense conductances, S.
    fix_w : (rows,) bool, fix_b : (cols,) bool
        Word-line starts / bit-line ends held at their source voltage.

    Returns
    -------
    c_row, db, eb, w_inv, w_l, ok_w, b_inv, b_l, ok_b
        The cell couplings (zeroed at fixed nodes), the bit-line diagonal and
        couplings, and the ``L D L^T`` factors of the word- and bit-line
        tridiagonals (``ok_*`` False when a pivot is not positive).
    """
    rows, cols = g_cell.shape
    dw = np.empty((rows, cols))
    ew = np.zeros((rows, cols))
    db = np.empty((rows, cols))
    eb = np.zeros((rows, cols))
    cw = np.empty((rows, cols))
    for i in range(rows):
        for j in range(cols):
            g = g_cell[i, j]
            # the NumPy order: cell, left segment, right segment, driver
            d = g
            if j > 0:
                d += gw_seg[i, j - 1]
            if j < cols - 1:
                d += gw_seg[i, j]
                ew[i, j] = -gw_seg[i, j]
            if j == 0:
                d += g_in[i]
            dw[i, j] = d
            # cell, upper segment, lower segment, sense
            d = g
            if i > 0:
                d += gb_seg[i - 1, j]
            if i < rows - 1:
                d += gb_seg[i, j]
                eb[i, j] = -gb_seg[i, j]
            if i == rows - 1:
                d += g_out[j]
            db[i, j] = d
            cw[i, j] = g
    # a fixed node is a unit row with no couplings
    for i in range(rows):
        if fix_w[i]:
            dw[i, 0] = 1.0
            ew[i, 0] = 0.0
            cw[i, 0] = 0.0
    for j in range(cols):
        if fix_b[j]:
            db[rows - 1, j] = 1.0
            cw[rows - 1, j] = 0.0
            if rows > 1:
                eb[rows - 2, j] = 0.0
    # the factorisations write into arrays made here (numba: a cached kernel that calls another
    # cached kernel returning a tuple of arrays broke that kernel's own calls from Python,
    # "NRT_adapt_ndarray_to_python: descr is NULL")
    w_inv = np.empty((rows, cols))
    w_l = np.zeros((rows, cols))
    b_inv = np.empty((rows, cols))
    b_l = np.zeros((rows, cols))
    ok_w = factor_rows_into(dw, ew, w_inv, w_l)
    ok_b = factor_cols_into(db, eb, b_inv, b_l)
    return cw, db, eb, w_inv, w_l, ok_w, b_inv, b_l, ok_b


@nb.njit(**_JIT)
def _nan_to_zero(v):
    return 0.0 if np.isnan(v) else v


@nb.njit(**_JIT)
def line_rhs(v_wl, v_bl, j0, use_j0, g_in, g_out, gw_seg, gb_seg, g_cell, fix_w, fix_b):
    """Right-hand sides ``(rw, rb)`` (batch, rows, cols) of the line system for source voltages.

    ``v_wl`` (batch, rows), ``v_bl`` (batch, cols), volt, NaN where floating;
    ``j0`` (batch, rows, cols), ampere, constant cell currents WL -> BL (read
    only when ``use_j0``).  Fixed nodes carry their value and their
    neighbours the coupling terms, as
    :meth:`cosim.solvers._xbar_network._LineFactor.solve` builds them, pass
    for pass.
    """
    batch, rows = v_wl.shape
    cols = v_bl.shape[1]
    rw = np.zeros((batch, rows, cols))
    rb = np.zeros((batch, rows, cols))
    for k in range(batch):
        if use_j0:
            for i in range(rows):
                for j in range(cols):
                    rw[k, i, j] -= j0[k, i, j]
                    rb[k, i, j] += j0[k, i, j]
        for i in range(rows):
            rw[k, i, 0] += g_in[i] * _nan_to_zero(v_wl[k, i])
        for j in range(cols):
            rb[k, rows - 1, j] += g_out[j] * _nan_to_zero(v_bl[k, j])
        for i in range(rows):
            if fix_w[i]:
                v = _nan_to_zero(v_wl[k, i])
                rw[k, i, 1] += gw_seg[i, 0] * v
                rb[k, i, 0] += g_cell[i, 0] * v
        for j in range(cols):
            if fix_b[j]:
                v = _nan_to_zero(v_bl[k, j])
                rb[k, rows - 2, j] += gb_seg[rows - 2, j] * v
                rw[k, rows - 1, j] += g_cell[rows - 1, j] * v
        for i in range(rows):
            if fix_w[i]:
                rw[k, i, 0] = _nan_to_zero(v_wl[k, i])
        for j in range(cols):
            if fix_b[j]:
                rb[k, rows - 1, j] = _nan_to_zero(v_bl[k, j])
    return rw, rb


@nb.njit(**_JIT)
def summary(vw, vb, g_eff, frac, use_frac, blocked, use_blocked, want_v_dev, driven_w, driven_b, v_wl, v_bl, wires):
    """Device voltages, sense currents, cell and wire power of solved node voltages.

    Parameters
    ----------
    vw, vb : (batch, rows, cols)
        Word- and bit-line node voltages, volt.
    g_eff : (rows, cols)
        Effective (linear) cell conductance, S.
    frac : (rows, cols)
        Share of the cell voltage the device sees (1T1R), read when ``use_frac``.
    blocked : (rows, cols) bool
        Cells an ideal selector opens (0 V on the device), read when ``use_blocked``.
    want_v_dev : bool
        Fill the device voltages (a read does not need them).
    driven_w : (rows,) bool, driven_b : (cols,) bool
        Lines with a source.
    v_wl : (batch, rows), v_bl : (batch, cols)
        Source voltages, volt (NaN where floating).
    wires : tuple
        ``(gw, gb, g_in, g_out)`` of :func:`cosim.solvers._xbar_result._wire_conductances`, S.

    Returns
    -------
    v_dev : (batch, rows, cols) (empty (0, rows, cols) unless ``want_v_dev``), volt
    sense : (batch, cols), ampere
    p_c, p_w : (batch,), watt
    """
    batch, rows, cols = vw.shape
    v_dev = np.empty((batch if want_v_dev else 0, rows, cols))
    sense = np.zeros((batch, cols))
    p_c = np.zeros(batch)
    for k in range(batch):
        pc = 0.0
        for i in range(rows):
            for j in range(cols):
                v = vw[k, i, j] - vb[k, i, j]
                cur = g_eff[i, j] * v
                sense[k, j] += cur
                pc += cur * v
                if want_v_dev:
                    vd = v * frac[i, j] if use_frac else v
                    if use_blocked and blocked[i, j]:
                        vd = 0.0
                    v_dev[k, i, j] = vd
        for j in range(cols):
            if not driven_b[j]:
                sense[k, j] = 0.0
        p_c[k] = pc
    return v_dev, sense, p_c, wire_power(vw, vb, driven_w, driven_b, v_wl, v_bl, wires)


@nb.njit(**_JIT)
def wire_power(vw, vb, driven_w, driven_b, v_wl, v_bl, wires):
    """Power in the wires (segments, driver and sense resistors) per vector, watt, (batch,).

    The wire-power part of :func:`summary` on its own, for the full solution
    (:func:`cosim.solvers._xbar_result._wire_power`; same arguments).
    """
    gw, gb, g_in, g_out = wires
    batch, rows, cols = vw.shape
    p_w = np.zeros(batch)
    for k in range(batch):
        pw = 0.0
        for i in range(rows):
            for j in range(cols):
                if j < cols - 1:
                    d = vw[k, i, j + 1] - vw[k, i, j]
                    pw += gw[i, j] * (d * d)
                if i < rows - 1:
                    d = vb[k, i + 1, j] - vb[k, i, j]
                    pw += gb[i, j] * (d * d)
        for i in range(rows):
            if driven_w[i]:
                d = v_wl[k, i] - vw[k, i, 0]
                pw += g_in[i] * (d * d)
        for j in range(cols):
            if driven_b[j]:
                d = vb[k, rows - 1, j] - v_bl[k, j]
                pw += g_out[j] * (d * d)
        p_w[k] = pw
    return p_w
