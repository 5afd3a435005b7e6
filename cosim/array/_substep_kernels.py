"""The two conductance comparisons every pulse sub-step makes, compiled (private).

:meth:`cosim.array.CrossbarArray.pulse` asks after every device advance how
far the conductances moved (:func:`rel_change`: was the sub-step small
enough?), and the circuit backend asks before every solve whether the
conductances are still within ``reuse_tolerance`` of the state it last solved
at (:func:`reuse_verdict`).  Each NumPy form makes five or more passes with
as many temporaries over the cells (0.1-0.15 ms at 10,000 cells, paid on every
sub-step); each compiled form is one pass.  Both forms give the same answer
bit for bit (every cell's quotient or comparison is the same IEEE operation,
and a maximum or an "all" does not depend on order; tested in
``tests/test_array_substep_kernels.py``), including the NumPy forms' treatment of
NaN (a cell whose larger magnitude is NaN counts 0 in :func:`rel_change`) and of inf
(inf/inf is NaN and propagates).  The compiled forms are used when the
package's kernel is "numba" (:mod:`cosim._kernel_choice`); numba compiles them
on first use and caches them.
"""

from __future__ import annotations

import numpy as np

from cosim._kernel_choice import default_kernel

try:  # numba is a dependency; without it the NumPy form is used
    import numba as _nb
except ImportError:  # pragma: no cover
    _nb = None


def rel_change_numpy(g_old: np.ndarray, g_new: np.ndarray) -> float:
    """Largest ``|G_new - G_old| / max(|G_old|, |G_new|)`` over cells (0 where both are 0); NumPy."""
    den = np.maximum(np.abs(g_old), np.abs(g_new))
    with np.errstate(invalid="ignore", divide="ignore"):
        num = np.abs(g_new - g_old)
        rel = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    return float(rel.max()) if rel.size else 0.0


def _rel_change_flat(g_old, g_new):  # compiled below; 1-D float arrays of one size
    best = 0.0
    for k in range(g_old.size):
        a = abs(g_old[k])
        b = abs(g_new[k])
        # np.maximum: NaN if either is NaN
        den = np.nan if (a != a or b != b) else (a if a > b else b)
        rel = abs(g_new[k] - g_old[k]) / den if den > 0.0 else 0.0
        if rel != rel:
            return np.nan  # np.max propagates NaN
        if rel > best:
            best = rel
    return best


#: :func:`reuse_verdict` answers
REUSE_NO, REUSE_SAME, REUSE_STALE = 0, 1, 2


def _reuse_flat(g_ref, g_s, tol):  # compiled below; 1-D float arrays of one size
    same = True
    for k in range(g_ref.size):
        r = g_ref[k]
        g = g_s[k]
        den = np.nan if (r != r or g != g) else (r if r > g else g)
        if not abs(g - r) <= tol * den:
            return 0
        if (r > 0.0) != (g > 0.0):
            return 0
        if r != g:
            same = False
    return 1 if same else 2


if _nb is not None:
    _jit = _nb.njit(cache=True, nogil=True, error_model="numpy")
    _rel_change_flat = _jit(_rel_change_flat)
    _reuse_flat = _jit(_reuse_flat)


def reuse_verdict_numpy(g_ref: np.ndarray, g_s: np.ndarray, tol: float) -> int:
    """Whether conductances ``g_s`` may be solved at ``g_ref`` (both siemens, one shape); NumPy.

    Returns :data:`REUSE_NO` (some cell moved by more than ``tol`` relative,
    or a cell opened or closed: the network would change), :data:`REUSE_SAME`
    (equal) or :data:`REUSE_STALE` (within ``tol``, not equal).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        den = np.maximum(g_ref, g_s)
        ok = np.abs(g_s - g_ref) <= tol * den
    if not (ok.all() and np.array_equal(g_ref > 0, g_s > 0)):
        return REUSE_NO
    return REUSE_SAME if np.array_equal(g_ref, g_s) else REUSE_STALE


def reuse_verdict(g_ref: np.ndarray, g_s: np.ndarray, tol: float) -> int:
    """:func:`reuse_verdict_numpy`, compiled when the package's kernel is "numba"."""
    if _nb is None or default_kernel() != "numba" or np.shape(g_ref) != np.shape(g_s):
        return reuse_verdict_numpy(g_ref, g_s, tol)
    a = np.ascontiguousarray(g_ref, dtype=float).ravel()
    b = np.ascontiguousarray(g_s, dtype=float).ravel()
    return int(_reuse_flat(a, b, float(tol)))


def rel_change(g_old: np.ndarray, g_new: np.ndarray) -> float:
    """:func:`rel_change_numpy`, compiled when the package's kernel is "numba".

    ``g_old``, ``g_new``: conductances of the same shape, siemens.  Shapes that
    differ take the NumPy form (which broadcasts or raises as NumPy does).
    """
    if _nb is None or default_kernel() != "numba" or np.shape(g_old) != np.shape(g_new):
        return rel_change_numpy(g_old, g_new)
    a = np.ascontiguousarray(g_old, dtype=float).ravel()
    b = np.ascontiguousarray(g_new, dtype=float).ravel()
    return float(_rel_change_flat(a, b))
