"""The two compiled passes of :mod:`cosim.devices._messaris_fast` (private; numba).

In a module of their own so that numba is imported only when an advance first
takes the compiled path, and ``cache=True`` keeps them compiled across processes.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def _argument(v, t_p, t_n):
    q = np.empty(v.size)
    for i in range(v.size):
        q[i] = abs(v[i]) / (t_p if v[i] > 0 else t_n)
    return q


@numba.njit(cache=True)
def _move(r, v, e, t, a_p, a_n, a0p, a1p, a0n, a1n, r_min, r_max):
    out = np.empty(r.size)
    for i in range(r.size):
        ri = r[i]
        vi = v[i]
        o = ri
        if vi > 0:
            rp = a0p + a1p * vi
            if ri < rp:
                u = rp - ri
                s = a_p * e[i] * u * t
                o = min(ri + u * (s / (1.0 + s)), rp)
        else:
            rn = a0n + a1n * vi
            if ri > rn:
                u = ri - rn
                s = -a_n * e[i] * u * t
                o = max(ri - u * (s / (1.0 + s)), rn)
        out[i] = min(max(o, r_min), r_max)
    return out
