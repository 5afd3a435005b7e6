"""The compiled Messaris advance against the NumPy closed form (bit for bit) and the ODE itself."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from cosim.devices import NEUROPACK_2022, Messaris2017, _messaris_fast


def test_compiled_path_is_available():
    # numba is a dependency: the comparisons below must not pass by silently taking the NumPy path
    assert _messaris_fast.available()


def _numpy_advance(model, r, v, t, monkeypatch):
    with monkeypatch.context() as m:
        m.setenv("COSIM_KERNEL", "numpy")
        return model.advance(r, v, t)


@pytest.mark.parametrize("t", [1e-9, 1e-6, 1e-3, 1.0])
def test_compiled_advance_is_bit_identical_to_numpy(t, monkeypatch):
    model = Messaris2017(**NEUROPACK_2022)
    rng = np.random.default_rng(3)
    r = rng.uniform(150.0, 9e5, (40, 50))
    v = rng.uniform(-1.5, 1.5, (40, 50))
    v[::7] = 0.0
    v[3] = 1e-300
    v[4] = -1e-12
    r[5, :5] = model.r_p_ohm(v[5, :5])  # at a fixed point
    r[6] = 100.0  # at the lower bound
    fast = model.advance(r, v, t)
    ref = _numpy_advance(model, r, v, t, monkeypatch)
    assert fast.shape == r.shape
    assert np.array_equal(fast, ref)
    assert not np.array_equal(fast, r)  # it did move cells


def test_compiled_advance_follows_the_ode():
    model = Messaris2017(**NEUROPACK_2022)
    r = np.full((16, 16), 11e3)
    v = np.linspace(-1.2, 1.2, 256).reshape(16, 16)
    t = 20e-6
    out = model.advance(r, v, t)
    for k in (0, 40, 128, 200, 255):
        i, j = divmod(k, 16)
        sol = solve_ivp(
            lambda _, y, vij=v[i, j]: model.dstate_dt(y, vij),
            (0.0, t),
            [r[i, j]],
            rtol=1e-11,
            atol=1e-9,
            method="LSODA",
        )
        assert abs(out[i, j] - sol.y[0, -1]) <= 1e-7 * sol.y[0, -1]


def test_small_arrays_and_array_durations_stay_numpy(monkeypatch):
    model = Messaris2017(**NEUROPACK_2022)
    r = np.full((4, 4), 11e3)
    assert _messaris_fast.advance(model, r, np.full((4, 4), 1.0), 1e-6) is None
    big = np.full((20, 20), 11e3)
    assert _messaris_fast.advance(model, big, np.full((20, 20), 1.0), np.full((20, 20), 1e-6)) is None


def test_unknown_kernel_is_refused_by_name(monkeypatch):
    # one switch for the package: the device path refuses a bad COSIM_KERNEL as the solver does
    monkeypatch.setenv("COSIM_KERNEL", "fortran")
    with pytest.raises(ValueError, match="'fortran'"):
        _messaris_fast.available()
