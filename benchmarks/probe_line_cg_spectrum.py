"""Why the line-preconditioned CG needs more iterations on larger crossbars, and whether a coarse grid helps.

The single-read case of ``bench_read_goals.py`` (cells uniform in 1 kohm to
100 kohm, ``default_rng(0)``; 1 ohm segments; 0.2 V on every word line).
The solver runs conjugate gradients on the bit-line Schur complement ``S``
preconditioned by the bit-line tridiagonals ``T_b`` (see
``cosim/solvers/_xbar_lines.py``).  This script prints

1. the smallest eigenvalues of the preconditioned operator (``S v = lam T_b v``;
   every eigenvalue is in (0, 1]; ``--eigs K`` of them, by ARPACK), which set
   the iteration count: a continuum of small ones needs many iterations, a
   few outliers only a few more;
2. the CG iterations to the solver's stopping rule (relative residual 1e-13)
   with the line preconditioner alone, and with an additive two-level
   preconditioner ``T_b^{-1} + Z (Z^T S Z)^{-1} Z^T`` for block-constant coarse
   spaces ``Z`` (blocks of ``b`` bit lines by all rows, ``j``, or of ``b x b``
   nodes, ``ij``), and with deflation by the same ``Z`` (DEF1), and the
   largest difference of each solution from the line-CG one.

This is a probe (NumPy path, no timing), recorded in docs/solver-speed.md.

Usage: ``python benchmarks/probe_line_cg_spectrum.py --n 256 [--eigs 12] [--blocks 256,64,32]``
(``--eigs 0`` skips part 1; at n = 1024 part 1 takes several minutes).
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.sparse.linalg import LinearOperator, eigsh

from cosim.solvers._xbar_lines import LineSystem

RTOL = 1e-13  # the solver's stopping rule (LineSystem.solve)


def case(n: int) -> tuple[LineSystem, np.ndarray]:
    """The line system of the benchmark's single read and its reduced right-hand side (1, cols, rows)."""
    g = 1.0 / np.random.default_rng(0).uniform(1e3, 1e5, (n, n))
    one = np.ones(n)
    system = LineSystem(
        np.ones((n, n - 1)), np.ones((n - 1, n)), g, one, one, np.zeros(n, bool), np.zeros(n, bool), kernel="numpy"
    )
    rw = np.zeros((1, n, n))
    rw[0, :, 0] = 0.2  # 0.2 V behind the 1-ohm first segment
    b = system.c_col * system._tw_solve(rw).transpose(0, 2, 1)
    return system, np.ascontiguousarray(b)


def smallest_eigenvalues(system: LineSystem, k: int) -> np.ndarray:
    """The ``k`` smallest ``lam`` of ``S v = lam T_b v`` (as the largest ``1 - lam`` of ``(T_b - S) v = mu T_b v``)."""
    n = system.shape[0]
    size = n * n

    def op(f):
        return LinearOperator((size, size), matvec=lambda x: f(np.asarray(x).reshape(1, n, n)).ravel(), dtype=float)

    tb, tbi = op(system._tb_mul), op(system._tb_solve)
    diff = op(lambda x: system._tb_mul(x) - system._schur_mul(x))
    mu = eigsh(diff, k=k, M=tb, Minv=tbi, which="LA", return_eigenvectors=False, tol=1e-6)
    return np.sort(1.0 - mu)


def pcg(operator, b: np.ndarray, precondition, x0: np.ndarray, b_norm: float | None = None) -> tuple[np.ndarray, int]:
    """Preconditioned CG on ``operator(x) = b`` from ``x0``, to the solver's stopping rule
    ``||r|| <= RTOL b_norm`` (``b_norm``: ``||b||`` unless given); returns ``(x, iterations)``."""
    x = x0.copy()
    r = b - operator(x)
    z = precondition(r)
    bnorm = np.linalg.norm(b) if b_norm is None else b_norm
    p, rz, it = z.copy(), np.vdot(r, z), 0
    while np.linalg.norm(r) / bnorm > RTOL and it < 500:
        q = operator(p)
        alpha = rz / np.vdot(p, q)
        x += alpha * p
        r -= alpha * q
        z = precondition(r)
        rz_new = np.vdot(r, z)
        p = z + rz_new / rz * p
        rz = rz_new
        it += 1
    return x, it


def coarse_space(system: LineSystem, block_j: int, block_i: int):
    """Block labels (cols, rows), ``S Z`` (m, cols, rows) and ``(Z^T S Z)^{-1}`` for blocks of
    ``block_j`` bit lines x ``block_i`` rows."""
    n = system.shape[0]
    labels = (np.arange(n)[:, None] // block_j) * (-(-n // block_i)) + np.arange(n)[None, :] // block_i
    m = int(labels.max()) + 1
    s_z = np.stack([system._schur_mul((labels == k).astype(float)[None])[0] for k in range(m)])
    coarse = np.stack([np.bincount(labels.ravel(), weights=s_z[k].ravel(), minlength=m) for k in range(m)])
    return labels, s_z, np.linalg.inv(coarse)


def two_level(system: LineSystem, labels, coarse_inv):
    """The additive two-level preconditioner ``T_b^{-1} + Z (Z^T S Z)^{-1} Z^T``."""
    m = coarse_inv.shape[0]

    def precondition(r):
        y = coarse_inv @ np.bincount(labels.ravel(), weights=r[0].ravel(), minlength=m)
        return system._tb_solve(r) + y[labels][None]

    return precondition


def deflated_pcg(system: LineSystem, b, labels, s_z, coarse_inv) -> tuple[np.ndarray, int]:
    """Deflated CG (DEF1: the iteration on ``P S``, ``P = I - S Z (Z^T S Z)^{-1} Z^T``), line-preconditioned.

    Costs, per iteration, one Schur product and ``m`` passes for ``S Z y``; returns ``(x, iterations)``.
    """
    m = coarse_inv.shape[0]

    def zt(v):
        return np.bincount(labels.ravel(), weights=v[0].ravel(), minlength=m)

    def project(v):  # P v
        return v - np.tensordot(coarse_inv @ zt(v), s_z, 1)[None]

    q_b = (coarse_inv @ zt(b))[labels][None]  # Z E^-1 Z^T b
    # the residual P (b - S x~) is that of the full solution: measured against ||b||, as the line CG's
    x, it = pcg(
        lambda v: project(system._schur_mul(v)), project(b), system._tb_solve, np.zeros_like(b), np.linalg.norm(b)
    )
    # x = Q b + P^T x~, P^T v = v - Z E^-1 (S Z)^T v
    x_full = q_b + x - (coarse_inv @ np.tensordot(s_z, x[0], 2))[labels][None]
    return x_full, it


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--eigs", type=int, default=12)
    ap.add_argument("--blocks", default="256,64,32", help="coarse block sizes (comma separated)")
    args = ap.parse_args(argv)
    system, b = case(args.n)
    if args.eigs:
        lam = smallest_eigenvalues(system, args.eigs)
        print(f"n = {args.n}: smallest eigenvalues of T_b^-1 S:", " ".join(f"{v:.4f}" for v in lam))
    x_line, it_line = pcg(system._schur_mul, b, system._tb_solve, system._tb_solve(b))
    print(f"line preconditioner: {it_line} iterations")
    for size in (int(s) for s in args.blocks.split(",")):
        for kind, bi in (("j", args.n), ("ij", size)):
            labels, s_z, coarse_inv = coarse_space(system, size, bi)
            m = coarse_inv.shape[0]
            precondition = two_level(system, labels, coarse_inv)
            x, it = pcg(system._schur_mul, b, precondition, precondition(b))
            err = np.abs(x - x_line).max() / np.abs(x_line).max()
            print(
                f"additive two-level, {kind} blocks of {size} ({m} coarse unknowns): {it} iterations (difference {err:.1e})"
            )
            x, it = deflated_pcg(system, b, labels, s_z, coarse_inv)
            err = np.abs(x - x_line).max() / np.abs(x_line).max()
            print(f"deflated, {kind} blocks of {size} ({m} coarse unknowns): {it} iterations (difference {err:.1e})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
