"""CrossbarArray on the ideal backend: reads, pulses, energy, splitting, bad input.

References are written out independently here: Ohm's law and Kirchhoff's
current law for the ideal read (I_j = sum_i v_i / R_ij), the Messaris closed
form 1/u(t) = 1/u0 + k t (tests/reference_formulas.py), and P = sum V^2 G.
"""

from __future__ import annotations

import numpy as np
import pytest

from cosim.array import ArrayError, CrossbarArray
from cosim.devices import Messaris2017, NEUROPACK_2022
from cosim.devices.base import DeviceError
from cosim.netlist.bias import BiasError, write_bias
from cosim.netlist.crossbar import CrossbarSpec
from reference_formulas import messaris_r_ohm

CARD = NEUROPACK_2022


@pytest.fixture
def model():
    return Messaris2017(**CARD)


@pytest.fixture
def r_grid():
    return np.array([[11000.0, 9000.0, 12000.0], [10000.0, 11500.0, 8000.0]])


def test_read_is_ohms_law_sum(model, r_grid):
    arr = CrossbarArray(model, r_grid)
    v = np.array([0.2, -0.1])
    expected = np.array([sum(v[i] / r_grid[i, j] for i in range(2)) for j in range(3)])
    np.testing.assert_allclose(arr.read(v), expected, rtol=1e-14)
    np.testing.assert_allclose(v @ arr, expected, rtol=1e-14)
    batch = np.array([[0.2, -0.1], [0.0, 0.3], [0.1, 0.1]])
    out = arr.read(batch)
    assert out.shape == (3, 3)
    for b in range(3):
        np.testing.assert_allclose(out[b], arr.read(batch[b]), rtol=1e-14)


def test_read_energy_is_sum_v2_g_t(model, r_grid):
    arr = CrossbarArray(model, r_grid, read_width_s=2e-6)
    batch = np.array([[0.2, -0.1], [0.0, 0.3]])
    rep = arr.read_report(batch)
    expected = sum(batch[b, i] ** 2 / r_grid[i, j] for b in range(2) for i in range(2) for j in range(3)) * 2e-6
    assert rep.energy_j == pytest.approx(expected, rel=1e-13)
    assert rep.energy_wires_j == 0.0
    assert rep.duration_s == pytest.approx(4e-6)
    assert arr.energy_j == pytest.approx(expected, rel=1e-13)
    assert np.array_equal(arr.state, r_grid)  # no read disturb by default


def test_pulse_ideal_selector_semantics(model, r_grid):
    # on the ideal backend only the selected cell sees the voltage, whatever the scheme
    for scheme in ("v2", "v3", "ideal", "floating"):
        arr = CrossbarArray(model, r_grid)
        rep = arr.write(1, 2, -1.1, 5e-6, scheme=scheme)
        expected = r_grid.copy()
        expected[1, 2] = messaris_r_ohm(r_grid[1, 2], -1.1, 5e-6)
        np.testing.assert_allclose(arr.state, expected, rtol=1e-12)
        assert rep.v_applied_v[1, 2] == -1.1 and np.count_nonzero(rep.v_applied_v) == 1
        np.testing.assert_array_equal(rep.v_device_v, rep.v_applied_v)


def test_parallel_row_write_is_one_solve(model, r_grid):
    arr = CrossbarArray(model, r_grid, split_tolerance=np.inf)
    rep = arr.write(0, [0, 1, 2], 1.2, 1e-6)
    assert rep.n_substeps == 1
    np.testing.assert_allclose(arr.state[0], messaris_r_ohm(r_grid[0], 1.2, 1e-6), rtol=1e-12)
    np.testing.assert_array_equal(arr.state[1], r_grid[1])


def test_pulse_energy_without_splitting_is_v2_g_t(model, r_grid):
    arr = CrossbarArray(model, r_grid, split_tolerance=np.inf)
    rep = arr.write([0, 1], 1, 1.0, 3e-6)
    expected = (1.0 / r_grid[0, 1] + 1.0 / r_grid[1, 1]) * 3e-6
    assert rep.energy_j == pytest.approx(expected, rel=1e-13)


def test_splitting_exact_model_is_consistent(model, r_grid):
    # an exact constant-voltage model composes exactly: splitting changes the result only by rounding,
    # but the energy (left Riemann sum over sub-steps) converges to the integral of V^2/R(t)
    a = CrossbarArray(model, r_grid, split_tolerance=np.inf)
    b = CrossbarArray(model, r_grid, split_tolerance=1e-3)
    ra = a.write(0, 0, -1.2, 1e-4)
    rb = b.write(0, 0, -1.2, 1e-4)
    assert rb.n_substeps > 10 and ra.n_substeps == 1
    assert rb.max_rel_change <= 1e-3 and rb.tolerance_met
    np.testing.assert_allclose(b.state, a.state, rtol=1e-10)
    t = np.linspace(0, 1e-4, 20001)
    r_t = messaris_r_ohm(np.full(t.shape, r_grid[0, 0]), -1.2, t)
    e_ref = np.trapezoid(1.44 / r_t, t)
    assert rb.energy_j == pytest.approx(e_ref, rel=2e-3)
    assert abs(ra.energy_j - e_ref) / e_ref > 0.1  # one step at the start conductance is far off


def test_pulse_counted_model_is_never_split():
    from cosim.devices.measured import MeasuredCurve

    dev = MeasuredCurve(g_table_s=[1e-6, 2e-6, 4e-6, 8e-6], v_threshold_v=0.5)
    arr = CrossbarArray(dev, np.zeros((2, 2)), split_tolerance=1e-3)
    rep = arr.write(0, 1, 1.0, 1e-6)
    assert rep.n_substeps == 1 and rep.n_advances == 1
    np.testing.assert_array_equal(arr.state, [[0, 1], [0, 0]])  # one pulse = one step along the curve
    np.testing.assert_allclose(arr.conductance_s, [[1e-6, 2e-6], [1e-6, 1e-6]])


def test_stuck_cells_do_not_move(model, r_grid):
    stuck = np.zeros((2, 3), bool)
    stuck[0, :] = True
    arr = CrossbarArray(model, r_grid, stuck=stuck)
    arr.write([0, 1], [0, 1, 2], -1.2, 1e-5)
    np.testing.assert_array_equal(arr.state[0], r_grid[0])
    assert np.all(arr.state[1] < r_grid[1])


def test_device_to_device_spread_via_array_parameters(r_grid):
    a_p = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    spread = Messaris2017(**{**CARD, "a_p": a_p})
    arr = CrossbarArray(spread, r_grid)
    arr.write([0, 1], [0, 1, 2], 1.0, 1e-5, scheme="ideal")
    for i in range(2):
        for j in range(3):
            ref = messaris_r_ohm(r_grid[i, j], 1.0, 1e-5, {**CARD, "a_p": a_p[i, j]})
            assert arr.state[i, j] == pytest.approx(float(ref), rel=1e-12)


def test_read_disturb_advances_state(model, r_grid):
    arr = CrossbarArray(model, r_grid, read_disturb=True, read_width_s=1e-3)
    arr.read(np.array([-1.1, 0.0]))
    expected = r_grid.copy()
    expected[0] = messaris_r_ohm(r_grid[0], -1.1, 1e-3)
    np.testing.assert_allclose(arr.state, expected, rtol=1e-12)
    assert np.all(arr.state[0] < r_grid[0])


def test_read_noise_seeded_bit_identical(model, r_grid):
    def noise(i, rng):
        return i * (1 + rng.uniform(-0.01, 0.01, np.shape(i)))

    v = np.array([[0.2, 0.1]] * 5)
    a = CrossbarArray(model, r_grid, read_noise=noise, rng=np.random.default_rng(7)).read(v)
    b = CrossbarArray(model, r_grid, read_noise=noise, rng=np.random.default_rng(7)).read(v)
    c = CrossbarArray(model, r_grid, read_noise=noise, rng=np.random.default_rng(8)).read(v)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    clean = CrossbarArray(model, r_grid).read(v)
    assert np.all(np.abs(a / clean - 1) <= 0.01) and np.any(a != clean)


def test_devices_read_noise_helper_is_accepted(model, r_grid):
    from cosim.devices.variability import ReadNoise

    v = np.array([0.2, 0.1])
    a = CrossbarArray(model, r_grid, read_noise=ReadNoise("uniform", 0.01), rng=5).read(v)
    b = CrossbarArray(model, r_grid, read_noise=ReadNoise("uniform", 0.01), rng=5).read(v)
    clean = CrossbarArray(model, r_grid).read(v)
    assert np.array_equal(a, b) and np.all(np.abs(a / clean - 1) <= 0.01) and np.all(a != clean)


def test_copy_is_independent(model, r_grid):
    arr = CrossbarArray(model, r_grid)
    twin = arr.copy()
    arr.write(0, 0, -1.2, 1e-5)
    np.testing.assert_array_equal(twin.state, r_grid)
    assert twin.energy_j == 0.0 and arr.energy_j > 0


def test_set_state_and_read_only_views(model, r_grid):
    arr = CrossbarArray(model, r_grid)
    with pytest.raises(ValueError):
        arr.state[0, 0] = 1.0
    arr.set_state(r_grid * 1.1)
    np.testing.assert_allclose(arr.conductance_s, 1 / (r_grid * 1.1))


def test_idle_relaxes_volatile_state(leaky_device):
    arr = CrossbarArray(leaky_device(rate_s_per_v_s=1e-3, g_rest_s=1e-5, tau_s=1e-3), np.full((2, 2), 2e-4))
    arr.idle(1e-3)
    np.testing.assert_allclose(arr.state, 1e-5 + 1.9e-4 * np.exp(-1), rtol=1e-12)


# -- bad input ------------------------------------------------------------
def test_bad_construction(model, r_grid):
    with pytest.raises(ArrayError, match="unknown backend 'spice'"):
        CrossbarArray(model, r_grid, backend="spice")
    with pytest.raises(ArrayError, match="backend 'nodal' needs a CrossbarSpec"):
        CrossbarArray(model, r_grid, backend="nodal")
    with pytest.raises(ArrayError, match=r"state has shape \(2, 3\); the crossbar spec is \(3, 3\)"):
        CrossbarArray(model, r_grid, spec=CrossbarSpec(3, 3))
    with pytest.raises(ArrayError, match="2-D"):
        CrossbarArray(model, np.ones(3) * 1e4)
    with pytest.raises(DeviceError, match=r"50.0 at cell \(0, 1\)"):
        CrossbarArray(model, [[1e4, 50.0]])
    with pytest.raises(ArrayError, match="split_tolerance must be > 0"):
        CrossbarArray(model, r_grid, split_tolerance=-0.1)
    with pytest.raises(ArrayError, match=r"stuck mask has shape \(3,\)"):
        CrossbarArray(model, r_grid, stuck=np.zeros(3, bool))
    with pytest.raises(ArrayError, match="model must be"):
        CrossbarArray("messaris", r_grid)
    with pytest.raises(ArrayError, match="read_noise must be"):
        CrossbarArray(model, r_grid, read_noise=0.01)


def test_bad_read_and_pulse(model, r_grid):
    arr = CrossbarArray(model, r_grid)
    with pytest.raises(ArrayError, match=r"v_in_v has shape \(3,\); expected \(2,\)"):
        arr.read(np.zeros(3))
    with pytest.raises(ArrayError, match=r"nan at index \(1,\)"):
        arr.read([0.1, np.nan])
    with pytest.raises(ArrayError, match="width_s must be >= 0 and finite, got -1e-06"):
        arr.write(0, 0, 1.0, -1e-6)
    with pytest.raises(ArrayError, match="width_s"):
        arr.pulse(write_bias("v2", (2, 3), 0, 0, 1.0), np.nan)
    with pytest.raises(ArrayError, match="unknown write scheme 'v4'"):
        arr.write(0, 0, 1.0, 1e-6, scheme="v4")
    with pytest.raises(BiasError, match="amplitude_v must be a finite voltage, got nan"):
        arr.write(0, 0, np.nan, 1e-6)
    with pytest.raises(BiasError, match="index 5 out of range"):
        arr.write(5, 0, 1.0, 1e-6)
    with pytest.raises(ArrayError, match=r"bias has shape \(3, 3\)"):
        arr.pulse(write_bias("v2", (3, 3), 0, 0, 1.0), 1e-6)
    with pytest.raises(ArrayError, match=r"state has shape \(3, 2\)"):
        arr.set_state(np.full((3, 2), 1e4))
    with pytest.raises(DeviceError, match="nan"):
        arr.set_state(np.where(r_grid > 11500, np.nan, r_grid))
    np.testing.assert_array_equal(arr.state, r_grid)  # nothing changed by the refused calls


def test_zero_width_changes_nothing(model, r_grid):
    arr = CrossbarArray(model, r_grid)
    rep = arr.write(0, 0, -1.2, 0.0)
    assert rep.energy_j == 0.0 and np.array_equal(arr.state, r_grid)


def test_more_bad_construction_and_calls_are_named(model, r_grid):
    with pytest.raises(ArrayError, match="spec must be a CrossbarSpec or None, got tuple"):
        CrossbarArray(model, r_grid, spec=(2, 3))
    with pytest.raises(ArrayError, match="rng must be a numpy.random.Generator, an int seed or None, got RandomState"):
        CrossbarArray(model, r_grid, rng=np.random.RandomState(0))
    with pytest.raises(ArrayError, match="stuck mask must be boolean, got dtype int64"):
        CrossbarArray(model, r_grid, stuck=np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(ArrayError, match="split_tolerance must be a number, got 'tight'"):
        CrossbarArray(model, r_grid, split_tolerance="tight")
    with pytest.raises(ArrayError, match="max_halvings must be an integer in 0..40, got 41"):
        CrossbarArray(model, r_grid, max_halvings=41)
    with pytest.raises(ArrayError, match="read_width_s must be > 0 and finite, got 0"):
        CrossbarArray(model, r_grid, read_width_s=0)
    with pytest.raises(ArrayError, match="reuse_tolerance must be >= 0 and finite, got -0.01"):
        CrossbarArray(model, r_grid, reuse_tolerance=-0.01)
    arr = CrossbarArray(model, r_grid)
    with pytest.raises(ArrayError, match="duration_s must be >= 0 and finite, got -1.0"):
        arr.idle(-1.0)
    with pytest.raises(ArrayError, match="bias must be a cosim.netlist.bias.Bias, got str"):
        arr.pulse("v2", 1e-6)
    with pytest.raises(ArrayError, match="bias must be a cosim.netlist.bias.Bias, got dict"):
        arr.cell_voltages_v({})
    with pytest.raises(ArrayError, match=r"bias has shape \(3, 3\); the array is \(2, 3\)"):
        arr.cell_voltages_v(write_bias("v2", (3, 3), 0, 0, 1.0))
    with pytest.raises(ArrayError, match=r"stuck mask has shape \(3, 2\)"):
        arr.set_stuck(np.zeros((3, 2), bool))
    with pytest.raises(ArrayError, match=r"v_in_v has shape \(2, 2, 2\)"):
        arr.read(np.zeros((2, 2, 2)))
    np.testing.assert_array_equal(arr.state, r_grid)
