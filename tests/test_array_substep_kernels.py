"""The compiled sub-step comparisons of the array against their NumPy forms, bit for bit.

:func:`cosim.array._substep_kernels.rel_change` and ``reuse_verdict`` promise
the very answer of the NumPy forms they replace, edge cases included (zeros,
NaN, inf, a cell that opens); the NumPy forms are checked here against values
derived by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from cosim.array import _substep_kernels as sk


def _cases():
    rng = np.random.default_rng(0)
    g = 1.0 / rng.uniform(1e3, 1e5, (30, 40))
    moved = g * (1 + rng.normal(scale=0.01, size=g.shape))
    yield g, moved
    yield g, g.copy()
    z = g.copy()
    z[3, 4] = 0.0
    yield g, z  # a cell opens
    both0 = g.copy()
    both0[0, 0] = 0.0
    yield both0, both0.copy()  # 0 -> 0 counts 0
    nan = g.copy()
    nan[5, 5] = np.nan
    yield g, nan
    inf = g.copy()
    inf[7, 1] = np.inf
    yield inf, inf.copy()  # inf/inf is NaN
    yield g, -g  # sign change (rel 2)
    yield np.zeros((0,)), np.zeros((0,))


@pytest.mark.parametrize("k", range(8))
def test_rel_change_compiled_equals_numpy(k):
    g_old, g_new = list(_cases())[k]
    want = sk.rel_change_numpy(g_old, g_new)
    got = sk.rel_change(g_old, g_new)
    assert (np.isnan(want) and np.isnan(got)) or got == want


def test_rel_change_numpy_by_hand():
    assert sk.rel_change_numpy(np.array([1e-4, 2e-4, 0.0]), np.array([1.1e-4, 2e-4, 0.0])) == pytest.approx(
        0.1 / 1.1, rel=1e-15
    )
    assert sk.rel_change_numpy(np.array([1e-4]), np.array([-1e-4])) == 2.0


@pytest.mark.parametrize("k", range(8))
@pytest.mark.parametrize("tol", [0.0, 0.005, 0.02])
def test_reuse_verdict_compiled_equals_numpy(k, tol):
    g_ref, g_s = list(_cases())[k]
    assert sk.reuse_verdict(g_ref, g_s, tol) == sk.reuse_verdict_numpy(g_ref, g_s, tol)


def test_reuse_verdict_by_hand():
    ref = np.array([1e-4, 2e-4, 0.0])
    assert sk.reuse_verdict(ref, ref.copy(), 0.02) == sk.REUSE_SAME
    assert sk.reuse_verdict(ref, ref * np.array([1.01, 1.0, 1.0]), 0.02) == sk.REUSE_STALE
    assert sk.reuse_verdict(ref, ref * np.array([1.03, 1.0, 1.0]), 0.02) == sk.REUSE_NO
    assert sk.reuse_verdict(ref, np.array([1e-4, 2e-4, 1e-12]), 0.02) == sk.REUSE_NO  # a cell closes
