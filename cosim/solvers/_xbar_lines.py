"""Line-structured iterative solver for the crossbar's nodal system (private).

The nodal matrix of a crossbar with positive segment resistances is

    A = [[T_w, -C],
         [-C,  T_b]]

where ``T_w`` is block-diagonal with one symmetric tridiagonal block per word
line (segments, plus every cell's conductance and the driver conductance on
the diagonal), ``T_b`` likewise per bit line, and ``C = diag(g_cell)``.
Eliminating the word-line nodes exactly gives the bit-line Schur complement

    S = T_b - C T_w^{-1} C,      S x_b = r_b + C T_w^{-1} r_w,

which is solved by conjugate gradients preconditioned with ``T_b`` (exact
tridiagonal solves along each bit line, LAPACK ``pttrf``/``pttrs`` on all
lines concatenated as one block-diagonal tridiagonal).  Each iteration costs
one word-line and one bit-line tridiagonal solve; at 1 ohm segments and cells
of 1 k..100 kohm it converges to a relative residual of 1e-13 in about 7
(n = 256), 11 (n = 512) and 17 (n = 1024) iterations.  The word-line
voltages then follow from one more ``T_w`` solve.

Fixed (Dirichlet) nodes stay in the layout with their couplings removed and
a unit diagonal, their value moved into the neighbours' right-hand side, so
the line structure is kept and the elimination is exact.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import lapack

from cosim._kernel_choice import KERNELS, check_kernel, default_kernel  # noqa: F401 (re-exported)

try:  # the compiled kernels; the NumPy/LAPACK path below is the fallback and the reference
    from cosim.solvers import _xbar_kernels as _kernels
    from cosim.solvers import _xbar_lean_kernels as _lean_kernels
except ImportError:  # pragma: no cover - numba is a dependency; kept working without it
    _kernels = None  # type: ignore[assignment]
    _lean_kernels = None  # type: ignore[assignment]


class LineSystemError(ArithmeticError):
    """The iteration failed (not positive definite, or no convergence)."""


def line_diagonals_numpy(gw_seg, gb_seg, g_cell, g_in, g_out, fix_w, fix_b):
    """Diagonals and couplings of the word- and bit-line tridiagonals, fixed nodes applied (NumPy).

    Arguments as :class:`LineSystem`'s.  Returns ``(dw, ew, db, eb, cw)``, each
    (rows, cols): the word-line diagonal and coupling ``ew[i, j]`` between
    W(i, j) and W(i, j + 1), the bit-line diagonal and coupling ``eb[i, j]``
    between B(i, j) and B(i + 1, j), and the cell couplings (zeroed at fixed
    nodes).  :func:`cosim.solvers._xbar_lean_kernels.line_system` computes the
    same, bit for bit, in one compiled pass.
    """
    rows, cols = g_cell.shape
    # Laplacian diagonals (before fixing nodes)
    dw = g_cell.copy()
    dw[:, 1:] += gw_seg
    dw[:, :-1] += gw_seg
    dw[:, 0] += g_in
    db = g_cell.copy()
    db[1:, :] += gb_seg
    db[:-1, :] += gb_seg
    db[-1, :] += g_out
    ew = np.zeros((rows, cols))
    ew[:, :-1] = -gw_seg
    eb = np.zeros((rows, cols))
    eb[:-1, :] = -gb_seg
    # couplings seen by each side (zeroed at fixed nodes)
    cw = g_cell.copy()
    # fixed W(i, 0): unit row, no coupling to W(i, 1) or B(i, 0); likewise B(rows - 1, j)
    dw[fix_w, 0] = 1.0
    ew[fix_w, 0] = 0.0
    cw[fix_w, 0] = 0.0
    db[-1, fix_b] = 1.0
    cw[-1, fix_b] = 0.0
    if rows > 1:
        eb[rows - 2, fix_b] = 0.0
    return dw, ew, db, eb, cw


class LineSystem:
    """The crossbar nodal system for one set of cell conductances.

    Parameters
    ----------
    gw_seg : (rows, cols - 1)
        Conductance of the WL segment between nodes (i, j) and (i, j + 1), S, > 0.
    gb_seg : (rows - 1, cols)
        Conductance of the BL segment between nodes (i, j) and (i + 1, j), S, > 0.
    g_cell : (rows, cols)
        Cell conductance WL -> BL, S, >= 0.
    g_in : (rows,)
        Conductance from W(i, 0) to its driver (0 = floating or fixed), S.
    g_out : (cols,)
        Conductance from B(rows - 1, j) to its sense node, S.
    fix_w : (rows,) bool, fix_b : (cols,) bool
        W(i, 0) / B(rows - 1, j) held at the source voltage (zero series resistance).
    """

    def __init__(self, gw_seg, gb_seg, g_cell, g_in, g_out, fix_w, fix_b, *, kernel: str | None = None) -> None:
        rows, cols = g_cell.shape
        self.shape = (rows, cols)
        self.kernel = default_kernel() if kernel is None else check_kernel(kernel)
        self.g_cell = g_cell
        self.gw_seg, self.gb_seg = gw_seg, gb_seg
        self.fix_w, self.fix_b = fix_w, fix_b
        if self.kernel == "numba":
            # one compiled pass, the same operations as the NumPy set-up below (bit-identical)
            f64 = np.ascontiguousarray
            cw, db, eb_rc, w_inv, w_l, ok_w, b_inv, b_l, ok_b = _lean_kernels.line_system(
                f64(gw_seg, float),
                f64(gb_seg, float),
                f64(g_cell, float),
                f64(g_in, float),
                f64(g_out, float),
                f64(fix_w, bool),
                f64(fix_b, bool),
            )
            if not ok_w:
                raise LineSystemError("word-line block not positive definite")
            if not ok_b:
                raise LineSystemError("bit-line block not positive definite")
            self.c_row = cw
            self._k_w = (w_inv, w_l, ok_w)
            self._k_b = (b_inv, b_l, ok_b)
            self._k_db, self._k_eb = db, eb_rc
            return
        dw, ew, db, eb_rc, cw = line_diagonals_numpy(gw_seg, gb_seg, g_cell, g_in, g_out, fix_w, fix_b)
        self.c_row = cw  # (rows, cols)
        eb = np.ascontiguousarray(eb_rc.T)  # column-major: eb[j, i]: B(i, j) - B(i + 1, j)
        self.c_col = np.ascontiguousarray(cw.T)  # (cols, rows)
        dwf, ewf, info = lapack.dpttrf(dw.ravel(), ew.ravel()[:-1])
        if info != 0:
            raise LineSystemError(f"word-line block not positive definite (pttrf info {info})")
        dbf, ebf, info = lapack.dpttrf(np.ascontiguousarray(db.T).ravel(), eb.ravel()[:-1])
        if info != 0:
            raise LineSystemError(f"bit-line block not positive definite (pttrf info {info})")
        self._w = (dwf, ewf)
        self._b = (dbf, ebf)
        self._eb = eb.ravel()[:-1]
        self._db = np.ascontiguousarray(db.T).ravel()

    # -- pieces (batch-leading layout: each right-hand side contiguous) ------
    def _tw_solve(self, x):
        """T_w^{-1} x for x of shape (batch, rows, cols)."""
        b = x.shape[0]
        out, info = lapack.dpttrs(*self._w, x.reshape(b, -1).T)
        return out.T.reshape(x.shape)

    def _tb_solve(self, x):
        """T_b^{-1} x for x of shape (batch, cols, rows) (bit lines contiguous)."""
        b = x.shape[0]
        out, info = lapack.dpttrs(*self._b, x.reshape(b, -1).T)
        return out.T.reshape(x.shape)

    def _tb_mul(self, x):
        flat = x.reshape(x.shape[0], -1)
        y = self._db * flat
        y[:, :-1] += self._eb * flat[:, 1:]
        y[:, 1:] += self._eb * flat[:, :-1]
        return y.reshape(x.shape)

    def _schur_mul(self, xb):
        """S xb for xb of shape (batch, cols, rows)."""
        t = self._tw_solve(self.c_row * xb.transpose(0, 2, 1))
        return self._tb_mul(xb) - self.c_col * t.transpose(0, 2, 1)

    @staticmethod
    def _dot(a, b):
        return np.einsum("bij,bij->b", a, b)

    # -- solve --------------------------------------------------------------
    #: right-hand sides iterated together: larger blocks fall out of cache
    #: (measured at n = 256: chunks of 4..8 are ~40 % faster than 64 at once)
    CHUNK = 8

    def solve(self, rw, rb, *, x0_b=None, rtol: float = 1e-13, max_iter: int = 500):
        """Node voltages for right-hand sides ``rw``, ``rb`` of shape (batch, rows, cols).

        Solves the batch in chunks of :attr:`CHUNK`; see :meth:`_solve_block`.
        ``x0_b`` (batch, rows, cols), optional: starting bit-line voltages
        (a warm start; the stopping rule, hence the accuracy, is unchanged).
        Returns ``(vw, vb, iterations)`` (the largest iteration count).
        """
        batch = rw.shape[0]
        if x0_b is not None and np.shape(x0_b) != rw.shape:
            x0_b = None
        if self.kernel == "numba":
            return self._solve_compiled(rw, rb, x0_b=x0_b, rtol=rtol, max_iter=max_iter)
        if batch <= self.CHUNK:
            return self._solve_block(rw, rb, x0_b=x0_b, rtol=rtol, max_iter=max_iter)
        vw = np.empty(rw.shape)
        vb = np.empty(rw.shape)
        its = 0
        for k in range(0, batch, self.CHUNK):
            sl = slice(k, k + self.CHUNK)
            x0 = None if x0_b is None else x0_b[sl]
            vw[sl], vb[sl], it = self._solve_block(rw[sl], rb[sl], x0_b=x0, rtol=rtol, max_iter=max_iter)
            its = max(its, it)
        return vw, vb, its

    def _solve_block(self, rw, rb, *, x0_b=None, rtol: float = 1e-13, max_iter: int = 500):
        """Node voltages for right-hand sides ``rw``, ``rb`` of shape (batch, rows, cols).

        Fixed nodes must already carry their value in ``rw``/``rb`` (their
        row is the identity) and the neighbours' terms.  Returns ``(vw, vb,
        iterations)``.  Stops when every item's preconditioned-CG residual
        ``||r||_2 <= rtol ||b||_2`` (reduced system), from whatever start:
        the default start is ``T_b^{-1} b``, ``x0_b`` replaces it.

        Raises
        ------
        LineSystemError
            No convergence in ``max_iter`` iterations or a breakdown.
        """
        rw = np.ascontiguousarray(rw, dtype=float)
        rb_c = np.ascontiguousarray(rb.transpose(0, 2, 1), dtype=float)  # (batch, cols, rows)
        b = rb_c + self.c_col * self._tw_solve(rw).transpose(0, 2, 1)
        bnorm = np.sqrt(self._dot(b, b))
        bnorm[bnorm == 0] = 1.0
        if x0_b is None:
            x = self._tb_solve(b)
        else:
            x = np.ascontiguousarray(np.transpose(x0_b, (0, 2, 1)), dtype=float)
        r = b - self._schur_mul(x)
        z = self._tb_solve(r)
        p = z.copy()
        rz = self._dot(r, z)
        it = 0
        while True:
            res = np.sqrt(self._dot(r, r)) / bnorm
            if (res <= rtol).all():
                break
            if it >= max_iter:
                raise LineSystemError(
                    f"line-preconditioned CG did not reach {rtol:g} in {max_iter} iterations (residual {res.max():.3g})"
                )
            q = self._schur_mul(p)
            pq = self._dot(p, q)
            active = res > rtol  # converged items are frozen
            if not (pq[active] > 0).all():
                raise LineSystemError("CG breakdown: the reduced system is not positive definite")
            alpha = np.where(active, rz / np.where(active, pq, 1.0), 0.0)[:, None, None]
            x += alpha * p
            r -= alpha * q
            z = self._tb_solve(r)
            rz_new = self._dot(r, z)
            beta = np.where(active, rz_new / np.where(rz == 0, 1.0, rz), 0.0)[:, None, None]
            p = z + beta * p
            rz = rz_new
            it += 1
        vw = self._tw_solve(rw + self.c_row * x.transpose(0, 2, 1))
        vb = x.transpose(0, 2, 1)
        return vw, vb, it

    #: grid size (rows * cols) from which one right-hand side is split between
    #: threads.  Each CG iteration then has five thread barriers, and on a
    #: machine whose cores are busy with other processes a barrier waits for
    #: a descheduled thread (measured at 256 x 256 with two other jobs on the
    #: two cores: 0.2 s per read split, against 8 ms serial on the idle
    #: machine), so only large grids, whose phases last milliseconds, are split
    PARALLEL_MIN_CELLS = 2**19
    #: blocks of lines a parallel solve is split into: fixed, so that the
    #: sums (hence the last bits of the result) do not depend on the thread count
    PARALLEL_BLOCKS = 2
    #: grid size (rows * cols) from which a batch of right-hand sides is split
    #: between threads.  Below it the right-hand sides are solved one after
    #: the other on one thread (the same kernel, so the same results): at
    #: 100 x 100, 20 read vectors took 27 ms of CPU (28-35 ms wall) split
    #: between the two threads while other processes kept the cores busy,
    #: against 15 ms (15 ms wall) on one thread; a sweep's workers, each with
    #: its own threads, are such processes
    PARALLEL_BATCH_MIN_CELLS = 2**14

    def _solve_compiled(self, rw, rb, *, x0_b=None, rtol: float = 1e-13, max_iter: int = 500):
        """:meth:`solve` by the compiled kernels (:mod:`cosim.solvers._xbar_kernels`)."""
        k = _kernels
        rw = np.ascontiguousarray(rw, dtype=float)
        rb = np.ascontiguousarray(rb, dtype=float)
        batch, rows, cols = rw.shape
        use_x0 = x0_b is not None
        x = np.array(x0_b, dtype=float, order="C") if use_x0 else np.empty(rw.shape)
        vw = np.empty(rw.shape)
        w_inv, w_l, _ = self._k_w
        b_inv, b_l, _ = self._k_b
        args = (w_inv, w_l, b_inv, b_l, self.c_row, self._k_db, self._k_eb)
        if batch == 1:
            if rows * cols >= self.PARALLEL_MIN_CELLS:
                st, it = k.pcg_lines(*args, rw[0], rb[0], x[0], use_x0, rtol, max_iter, vw[0], self.PARALLEL_BLOCKS)
            else:
                st, it = k.pcg_serial(*args, rw[0], rb[0], x[0], use_x0, rtol, max_iter, vw[0])
            status, its = np.array([st]), np.array([it])
        elif rows * cols >= self.PARALLEL_BATCH_MIN_CELLS:
            status, its = k.pcg_batch(*args, rw, rb, x, use_x0, rtol, max_iter, vw)
        else:
            status, its = k.pcg_batch_serial(*args, rw, rb, x, use_x0, rtol, max_iter, vw)
        if (status == k.BREAKDOWN).any():
            raise LineSystemError("CG breakdown: the reduced system is not positive definite")
        if (status == k.NOT_CONVERGED).any():
            raise LineSystemError(f"line-preconditioned CG did not reach {rtol:g} in {max_iter} iterations")
        return vw, x, int(its.max())


def warm_up_kernels() -> float:
    """Compile (or load from numba's cache) every compiled kernel; returns the seconds it took.

    The first solve of a process otherwise pays this once (about 0.2 s from
    the cache, several seconds when the cache is cold).  Benchmarks call it
    before timing.  Does nothing (returns 0) on the NumPy kernel.
    """
    import time

    if default_kernel() != "numba":
        return 0.0
    t0 = time.perf_counter()
    n = 3
    system = LineSystem(
        np.ones((n, n - 1)),
        np.ones((n - 1, n)),
        np.full((n, n), 1e-3),
        np.ones(n),
        np.ones(n),
        np.zeros(n, bool),
        np.zeros(n, bool),
        kernel="numba",
    )
    rw = np.ones((2, n, n))
    system.solve(rw[:1], np.zeros((1, n, n)))
    # the right-hand side and summary kernels of the lean solves
    _lean_kernels.line_rhs(
        rw[:, :, 0],
        rw[:, 0, :],
        rw,
        True,
        np.ones(n),
        np.ones(n),
        np.ones((n, n - 1)),
        np.ones((n - 1, n)),
        system.c_row,
        np.zeros(n, bool),
        np.zeros(n, bool),
    )
    wires = (np.ones((n, n - 1)), np.ones((n - 1, n)), np.ones(n), np.ones(n))
    for grid, mask in ((np.zeros((0, 0)), np.zeros((0, 0), bool)), (np.ones((n, n)), np.ones((n, n), bool))):
        _lean_kernels.summary(
            rw,
            rw,
            system.c_row,
            grid,
            grid.size > 0,
            mask,
            mask.size > 0,
            True,
            np.ones(n, bool),
            np.ones(n, bool),
            rw[:, :, 0],
            rw[:, 0, :],
            wires,
        )
    system.solve(rw, np.zeros((2, n, n)))
    _kernels.pcg_batch(
        *system._k_w[:2],
        *system._k_b[:2],
        system.c_row,
        system._k_db,
        system._k_eb,
        rw,
        np.zeros((2, n, n)),
        np.empty((2, n, n)),
        False,
        1e-13,
        50,
        np.empty((2, n, n)),
    )
    w_inv, w_l, _ = system._k_w
    b_inv, b_l, _ = system._k_b
    _kernels.pcg_lines(
        w_inv,
        w_l,
        b_inv,
        b_l,
        system.c_row,
        system._k_db,
        system._k_eb,
        rw[0],
        np.zeros((n, n)),
        np.empty((n, n)),
        False,
        1e-13,
        50,
        np.empty((n, n)),
        2,
    )
    return time.perf_counter() - t0
