"""Compiled kernels of the line-preconditioned CG (private; numba).

The same algorithm as :meth:`cosim.solvers._xbar_lines.LineSystem._solve_block`
(conjugate gradients on the bit-line Schur complement ``S = T_b - C T_w^{-1} C``,
preconditioned by the bit-line tridiagonals ``T_b``, started from
``T_b^{-1} b``, stopped when ``||r||_2 <= rtol ||b||_2``), written as fused
loops over the ``(rows, cols)`` grid so that one iteration makes about a
dozen passes over memory instead of the NumPy path's twenty-five, with no
temporaries, no transposes and no per-call overhead.  The results equal the
NumPy path's to the CG rounding floor (``tests/test_xbar_kernels.py``).

Layout: every array is ``(rows, cols)``, C order.  A word line is a row
(its tridiagonal couples ``(i, j)`` with ``(i, j + 1)``), a bit line a column
(``(i, j)`` with ``(i + 1, j)``).  The tridiagonal factors are ``L D L^T``
with unit lower bidiagonal ``L``: ``inv_d`` holds ``1 / D`` and ``l`` the
sub-diagonal of ``L`` (the last entry of each line unused).

Both sweeps run with the independent lines in the inner loop: the word-line
recurrence runs along ``j`` for a block of :data:`ROW_BLOCK` rows at a time
(strided, but the block's cache lines and pages stay resident), the bit-line
one along ``i`` over contiguous rows.  Parallel versions split the lines between threads; a batch of
right-hand sides is split by right-hand side instead.

Status codes returned by the solvers: 0 converged, 1 no convergence in
``max_iter`` iterations, 2 breakdown (``p.q <= 0``: not positive definite).
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

_JIT: dict[str, Any] = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")

#: solver status codes
CONVERGED, NOT_CONVERGED, BREAKDOWN = 0, 1, 2


# -- factorisation --------------------------------------------------------
#: rows swept together by the word-line recurrences: enough independent rows
#: to hide the recurrence's latency, few enough that their cache lines and
#: pages stay resident (one block per 8 KB-strided row would otherwise thrash
#: the TLB at 1024 columns: measured 68 ns per cell and iteration unblocked,
#: against ~10 blocked)
ROW_BLOCK = 16


@nb.njit(**_JIT)
def factor_rows_into(d, e, inv_d, lo):
    """:func:`factor_rows` into given ``inv_d``, ``lo`` (``lo`` zeroed); returns ``ok``."""
    rows, cols = d.shape
    ok = True
    for a in range(0, rows, ROW_BLOCK):
        b = min(a + ROW_BLOCK, rows)
        for j in range(cols):
            for i in range(a, b):
                v = d[i, j] if j == 0 else d[i, j] - lo[i, j - 1] * e[i, j - 1]
                if not v > 0.0:
                    ok = False
                    v = 1.0
                inv_d[i, j] = 1.0 / v
                if j < cols - 1:
                    lo[i, j] = e[i, j] * inv_d[i, j]
    return ok


@nb.njit(**_JIT)
def factor_cols_into(d, e, inv_d, lo):
    """:func:`factor_cols` into given ``inv_d``, ``lo`` (``lo`` zeroed); returns ``ok``."""
    rows, cols = d.shape
    ok = True
    for i in range(rows):
        for j in range(cols):
            piv = d[i, j] if i == 0 else d[i, j] - lo[i - 1, j] * e[i - 1, j]
            if not piv > 0.0:
                ok = False
                piv = 1.0
            inv_d[i, j] = 1.0 / piv
            if i < rows - 1:
                lo[i, j] = e[i, j] * inv_d[i, j]
    return ok


def factor_rows(d, e):
    """``L D L^T`` of every row's tridiagonal (diagonal ``d``, coupling ``e[:, j]`` between j, j+1).

    Returns ``(inv_d, l, ok)``; ``ok`` is False when a pivot is not positive.
    """
    inv_d = np.empty(d.shape)
    lo = np.zeros(d.shape)
    return inv_d, lo, bool(factor_rows_into(d, e, inv_d, lo))


def factor_cols(d, e):
    """``L D L^T`` of every column's tridiagonal (coupling ``e[i, :]`` between i, i+1)."""
    inv_d = np.empty(d.shape)
    lo = np.zeros(d.shape)
    return inv_d, lo, bool(factor_cols_into(d, e, inv_d, lo))


# -- serial pieces on a block of lines -------------------------------------
@nb.njit(**_JIT)
def _row_solve(inv_d, lo, b, out, r0, r1):
    """``out = T_w^{-1} b`` on rows ``r0:r1`` (``out`` may be ``b``)."""
    cols = b.shape[1]
    for a in range(r0, r1, ROW_BLOCK):
        e = min(a + ROW_BLOCK, r1)
        for i in range(a, e):
            out[i, 0] = b[i, 0]
        for j in range(1, cols):
            for i in range(a, e):
                out[i, j] = b[i, j] - lo[i, j - 1] * out[i, j - 1]
        for i in range(a, e):
            out[i, cols - 1] *= inv_d[i, cols - 1]
        for j in range(cols - 2, -1, -1):
            for i in range(a, e):
                out[i, j] = out[i, j] * inv_d[i, j] - lo[i, j] * out[i, j + 1]


@nb.njit(**_JIT)
def _col_solve_dot(inv_d, lo, r, z, c0, c1):
    """``z = T_b^{-1} r`` on columns ``c0:c1``; returns ``r . z`` over them."""
    rows = r.shape[0]
    for j in range(c0, c1):
        z[0, j] = r[0, j]
    for i in range(1, rows):
        for j in range(c0, c1):
            z[i, j] = r[i, j] - lo[i - 1, j] * z[i - 1, j]
    acc = np.zeros(c1 - c0)  # one partial sum per column: the sweep stays vectorised
    for j in range(c0, c1):
        z[rows - 1, j] *= inv_d[rows - 1, j]
        acc[j - c0] = r[rows - 1, j] * z[rows - 1, j]
    for i in range(rows - 2, -1, -1):
        for j in range(c0, c1):
            v = z[i, j] * inv_d[i, j] - lo[i, j] * z[i + 1, j]
            z[i, j] = v
            acc[j - c0] += r[i, j] * v
    return acc.sum()


@nb.njit(**_JIT)
def _schur_dot(w_inv, w_l, c, db, eb, p, q, y, r0, r1):
    """``q = T_b p - C T_w^{-1} (C p)`` on rows ``r0:r1``; returns ``p . q`` over them.

    ``T_b p`` needs the neighbours ``p[r0 - 1]`` and ``p[r1]`` (read only).
    ``y`` is scratch of the shape of ``p``.
    """
    rows, cols = p.shape
    acc = np.zeros(cols)  # one partial sum per column: the q pass stays vectorised
    for a in range(r0, r1, ROW_BLOCK):
        e = min(a + ROW_BLOCK, r1)
        for i in range(a, e):
            y[i, 0] = c[i, 0] * p[i, 0]
        for j in range(1, cols):
            for i in range(a, e):
                y[i, j] = c[i, j] * p[i, j] - w_l[i, j - 1] * y[i, j - 1]
        for i in range(a, e):
            y[i, cols - 1] *= w_inv[i, cols - 1]
        for j in range(cols - 2, -1, -1):
            for i in range(a, e):
                y[i, j] = y[i, j] * w_inv[i, j] - w_l[i, j] * y[i, j + 1]
        # while the block is in cache: q = T_b p - C y
        for i in range(a, e):
            for j in range(cols):
                t = db[i, j] * p[i, j] - c[i, j] * y[i, j]
                if i > 0:
                    t += eb[i - 1, j] * p[i - 1, j]
                if i < rows - 1:
                    t += eb[i, j] * p[i + 1, j]
                q[i, j] = t
                acc[j] += p[i, j] * t
    return acc.sum()


@nb.njit(**_JIT)
def _axpy2_dot(alpha, p, q, x, r, r0, r1):
    """``x += alpha p``, ``r -= alpha q`` on rows ``r0:r1``; returns ``r . r`` over them."""
    cols = p.shape[1]
    acc = np.zeros(cols)
    for i in range(r0, r1):
        for j in range(cols):
            x[i, j] += alpha * p[i, j]
            v = r[i, j] - alpha * q[i, j]
            r[i, j] = v
            acc[j] += v * v
    return acc.sum()


@nb.njit(**_JIT)
def _xpby(z, beta, p, r0, r1):
    """``p = z + beta p`` on rows ``r0:r1``."""
    cols = p.shape[1]
    for i in range(r0, r1):
        for j in range(cols):
            p[i, j] = z[i, j] + beta * p[i, j]


@nb.njit(**_JIT)
def _sum(a):
    """Sum in index order (a plain loop: inside a ``parallel=True`` function
    ``a.sum()`` would become a threaded reduction whose order, hence last
    bit, depends on the thread count)."""
    s = 0.0
    for v in a:
        s += v
    return s


@nb.njit(**_JIT)
def _dot(a, b, r0, r1):
    cols = a.shape[1]
    acc = np.zeros(cols)
    for i in range(r0, r1):
        for j in range(cols):
            acc[j] += a[i, j] * b[i, j]
    return acc.sum()


# -- one right-hand side, serial -------------------------------------------
@nb.njit(**_JIT)
def pcg_serial(w_inv, w_l, b_inv, b_l, c, db, eb, rw, rb, x, use_x0, rtol, max_iter, vw):
    """Solve one right-hand side on one thread.

    ``rw``, ``rb`` (rows, cols): right-hand sides of the word- and bit-line
    nodes.  ``x`` (rows, cols): the bit-line voltages, on entry the start
    when ``use_x0`` (else overwritten with ``T_b^{-1} b``), on exit the
    solution.  ``vw`` (rows, cols): the word-line voltages on exit.
    Returns ``(status, iterations)``.
    """
    rows, cols = rw.shape
    b = np.empty((rows, cols))
    _row_solve(w_inv, w_l, rw, b, 0, rows)
    for i in range(rows):
        for j in range(cols):
            b[i, j] = rb[i, j] + c[i, j] * b[i, j]
    bnorm2 = _dot(b, b, 0, rows)
    if bnorm2 == 0.0:
        bnorm2 = 1.0
    tol2 = rtol * rtol * bnorm2
    r = np.empty((rows, cols))
    z = np.empty((rows, cols))
    q = np.empty((rows, cols))
    y = np.empty((rows, cols))
    if not use_x0:
        _col_solve_dot(b_inv, b_l, b, x, 0, cols)
    _schur_dot(w_inv, w_l, c, db, eb, x, q, y, 0, rows)
    for i in range(rows):
        for j in range(cols):
            r[i, j] = b[i, j] - q[i, j]
    rr = _dot(r, r, 0, rows)
    rz = _col_solve_dot(b_inv, b_l, r, z, 0, cols)
    p = z.copy()
    status = CONVERGED
    it = 0
    while rr > tol2:
        if it >= max_iter:
            status = NOT_CONVERGED
            break
        pq = _schur_dot(w_inv, w_l, c, db, eb, p, q, y, 0, rows)
        if not pq > 0.0:
            status = BREAKDOWN
            break
        alpha = rz / pq
        rr = _axpy2_dot(alpha, p, q, x, r, 0, rows)
        rz_new = _col_solve_dot(b_inv, b_l, r, z, 0, cols)
        beta = rz_new / rz if rz != 0.0 else 0.0
        _xpby(z, beta, p, 0, rows)
        rz = rz_new
        it += 1
    # word lines: T_w vw = rw + C x
    for i in range(rows):
        for j in range(cols):
            y[i, j] = rw[i, j] + c[i, j] * x[i, j]
    _row_solve(w_inv, w_l, y, vw, 0, rows)
    return status, it


@nb.njit(**_JIT)
def pcg_batch_serial(w_inv, w_l, b_inv, b_l, c, db, eb, rw, rb, x, use_x0, rtol, max_iter, vw):
    """:func:`pcg_batch` on one thread: the right-hand sides one after the other (the same results)."""
    n = rw.shape[0]
    status = np.zeros(n, dtype=np.int64)
    its = np.zeros(n, dtype=np.int64)
    for k in range(n):
        s, it = pcg_serial(w_inv, w_l, b_inv, b_l, c, db, eb, rw[k], rb[k], x[k], use_x0, rtol, max_iter, vw[k])
        status[k] = s
        its[k] = it
    return status, its


@nb.njit(parallel=True, **_JIT)
def pcg_batch(w_inv, w_l, b_inv, b_l, c, db, eb, rw, rb, x, use_x0, rtol, max_iter, vw):
    """:func:`pcg_serial` for a batch (batch, rows, cols), right-hand sides split between threads.

    Returns ``(status, iterations)`` arrays of shape (batch,).
    """
    n = rw.shape[0]
    status = np.zeros(n, dtype=np.int64)
    its = np.zeros(n, dtype=np.int64)
    for k in nb.prange(n):
        s, it = pcg_serial(w_inv, w_l, b_inv, b_l, c, db, eb, rw[k], rb[k], x[k], use_x0, rtol, max_iter, vw[k])
        status[k] = s
        its[k] = it
    return status, its


# -- one right-hand side, lines split between threads ------------------------
@nb.njit(parallel=True, **_JIT)
def pcg_lines(w_inv, w_l, b_inv, b_l, c, db, eb, rw, rb, x, use_x0, rtol, max_iter, vw, n_chunks):
    """:func:`pcg_serial` with each sweep split into ``n_chunks`` blocks of lines (threads).

    The word-line sweeps split rows, the bit-line sweeps columns; the
    element-wise passes split rows.  The sums are reduced in a fixed order
    (one partial per block), so the result does not depend on the thread
    schedule.  Returns ``(status, iterations)``.
    """
    rows, cols = rw.shape
    rb_ = np.linspace(0, rows, n_chunks + 1).astype(np.int64)
    cb_ = np.linspace(0, cols, n_chunks + 1).astype(np.int64)
    part = np.zeros(n_chunks)
    b = np.empty((rows, cols))
    r = np.empty((rows, cols))
    z = np.empty((rows, cols))
    q = np.empty((rows, cols))
    y = np.empty((rows, cols))
    for k in nb.prange(n_chunks):
        _row_solve(w_inv, w_l, rw, b, rb_[k], rb_[k + 1])
        for i in range(rb_[k], rb_[k + 1]):
            for j in range(cols):
                b[i, j] = rb[i, j] + c[i, j] * b[i, j]
        part[k] = _dot(b, b, rb_[k], rb_[k + 1])
    bnorm2 = _sum(part)
    if bnorm2 == 0.0:
        bnorm2 = 1.0
    tol2 = rtol * rtol * bnorm2
    if not use_x0:
        for k in nb.prange(n_chunks):
            _col_solve_dot(b_inv, b_l, b, x, cb_[k], cb_[k + 1])
    for k in nb.prange(n_chunks):
        _schur_dot(w_inv, w_l, c, db, eb, x, q, y, rb_[k], rb_[k + 1])
        for i in range(rb_[k], rb_[k + 1]):
            for j in range(cols):
                r[i, j] = b[i, j] - q[i, j]
        part[k] = _dot(r, r, rb_[k], rb_[k + 1])
    rr = _sum(part)
    for k in nb.prange(n_chunks):
        part[k] = _col_solve_dot(b_inv, b_l, r, z, cb_[k], cb_[k + 1])
    rz = _sum(part)
    p = z.copy()
    status = CONVERGED
    it = 0
    while rr > tol2:
        if it >= max_iter:
            status = NOT_CONVERGED
            break
        for k in nb.prange(n_chunks):
            part[k] = _schur_dot(w_inv, w_l, c, db, eb, p, q, y, rb_[k], rb_[k + 1])
        pq = _sum(part)
        if not pq > 0.0:
            status = BREAKDOWN
            break
        alpha = rz / pq
        for k in nb.prange(n_chunks):
            part[k] = _axpy2_dot(alpha, p, q, x, r, rb_[k], rb_[k + 1])
        rr = _sum(part)
        for k in nb.prange(n_chunks):
            part[k] = _col_solve_dot(b_inv, b_l, r, z, cb_[k], cb_[k + 1])
        rz_new = _sum(part)
        beta = rz_new / rz if rz != 0.0 else 0.0
        for k in nb.prange(n_chunks):
            _xpby(z, beta, p, rb_[k], rb_[k + 1])
        rz = rz_new
        it += 1
    for k in nb.prange(n_chunks):
        for i in range(rb_[k], rb_[k + 1]):
            for j in range(cols):
                y[i, j] = rw[i, j] + c[i, j] * x[i, j]
        _row_solve(w_inv, w_l, y, vw, rb_[k], rb_[k + 1])
    return status, it
