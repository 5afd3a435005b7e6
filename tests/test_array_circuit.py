"""CrossbarArray on the circuit backends (nodal, ngspice).

Independent references: the ideal backend (v @ G, nominal voltages) for
zero-wire circuits; the Messaris closed form at exactly V/2 for half-selected
cells of an ideal-wire V/2 write; Kirchhoff's laws for a 1S1R cell's device /
selector split; a finely split run for the quasi-static tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest

from cosim.array import CrossbarArray
from cosim.devices import Messaris2017, NEUROPACK_2022
from cosim.devices.selector import SinhSelector
from cosim.netlist.bias import write_bias
from cosim.netlist.crossbar import CrossbarSpec
from cosim.solvers.ngspice import ngspice_available
from reference_formulas import messaris_r_ohm, series_current_a


@pytest.fixture
def model():
    return Messaris2017(**NEUROPACK_2022)


def _r0(shape, seed=0):
    return np.random.default_rng(seed).uniform(10.5e3, 11.5e3, shape)


def test_ideal_equals_nodal_with_zero_wires(model):
    r0 = _r0((5, 4))
    ideal = CrossbarArray(model, r0)
    nodal = CrossbarArray(model, r0, spec=CrossbarSpec(5, 4), backend="nodal")
    v = np.random.default_rng(1).uniform(-0.3, 0.3, (6, 5))
    np.testing.assert_allclose(nodal.read(v), ideal.read(v), rtol=1e-12, atol=1e-20)
    np.testing.assert_allclose(nodal.energy_j, ideal.energy_j, rtol=1e-12)
    # pulses: ideal-selector scheme, a row (parallel write), then a block; states agree to rounding
    for rows, cols, amp in ((2, 1, -1.2), (0, [0, 1, 2, 3], 1.1), ([1, 3], [0, 2], -1.15)):
        ri = ideal.write(rows, cols, amp, 20e-6, scheme="ideal")
        rn = nodal.write(rows, cols, amp, 20e-6, scheme="ideal")
        np.testing.assert_allclose(rn.v_device_v, ri.v_device_v, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(nodal.state, ideal.state, rtol=1e-12)
        assert rn.energy_j == pytest.approx(ri.energy_j, rel=1e-10)
        assert rn.n_substeps == ri.n_substeps
    assert np.any(nodal.state != r0)
    np.testing.assert_allclose(nodal.read(v), ideal.read(v), rtol=1e-12, atol=1e-20)


def test_half_select_disturb_v2_vs_ideal_selector(model):
    r0 = np.full((3, 3), 11e3)
    spec = CrossbarSpec(3, 3)
    v2 = CrossbarArray(model, r0, spec=spec, backend="nodal")
    rep = v2.write(1, 1, 1.2, 10e-6, scheme="v2")
    # with ideal wires the half-selected cells see exactly +0.6 V; reference: the closed form there
    half = np.zeros((3, 3), bool)
    half[1, :] = half[:, 1] = True
    half[1, 1] = False
    np.testing.assert_allclose(rep.v_device_v[half], 0.6, rtol=1e-12)
    np.testing.assert_allclose(v2.state[half], messaris_r_ohm(11e3, 0.6, 10e-6), rtol=1e-9)
    assert np.all(v2.state[half] > 11e3 + 100)  # the disturb is real: > 100 ohm
    np.testing.assert_array_equal(v2.state[~half & ~np.eye(3, dtype=bool)], 11e3)  # unselected: 0 V
    sel = CrossbarArray(model, r0, spec=spec, backend="nodal")
    sel.write(1, 1, 1.2, 10e-6, scheme="ideal")
    assert sel.state[1, 1] == pytest.approx(v2.state[1, 1], rel=1e-9)
    np.testing.assert_array_equal(sel.state[half], 11e3)


def test_ir_drop_far_cell_changes_less(model):
    n = 8
    spec = CrossbarSpec(n, n, r_wordline_ohm=5.0, r_bitline_ohm=5.0)
    r0 = np.full((n, n), 11e3)
    out = {}
    # drivers on the left of each word line, sense amplifiers at the bottom of each bit line
    for name, (i, j) in {"near": (n - 1, 0), "far": (0, n - 1)}.items():
        arr = CrossbarArray(model, r0, spec=spec, backend="nodal")
        rep = arr.write(i, j, -1.2, 10e-6, scheme="v2")
        out[name] = (rep.v_device_v[i, j], arr.state[i, j] - 11e3)
    (v_near, d_near), (v_far, d_far) = out["near"], out["far"]
    assert -1.2 < v_near < v_far < 0  # both weakened, the far one more
    assert d_near < d_far < 0 and abs(d_near) > 1.1 * abs(d_far)
    # the query answers what the pulse saw at its start, without changing anything
    fresh = CrossbarArray(model, r0, spec=spec, backend="nodal", split_tolerance=np.inf)
    bias = write_bias("v2", (n, n), 0, n - 1, -1.2)
    v = fresh.cell_voltages_v(bias)
    np.testing.assert_array_equal(fresh.state, r0)
    np.testing.assert_allclose(v, fresh.pulse(bias, 10e-6).v_device_v, rtol=1e-14, atol=1e-15)


def test_split_tolerance_converges_with_ir_drop(model):
    n = 4
    spec = CrossbarSpec(n, n, r_wordline_ohm=10.0, r_bitline_ohm=10.0)
    r0 = np.full((n, n), 11e3)

    def run(tol):
        arr = CrossbarArray(model, r0, spec=spec, backend="nodal", split_tolerance=tol, max_halvings=16)
        rep = arr.write(0, np.arange(n), -1.2, 300e-6, scheme="v2")
        return np.array(arr.state), rep

    ref, rep_ref = run(5e-4)
    assert ref[0].max() < 0.8 * 11e3  # a strong change, so the circuit's voltages move during the pulse
    errs = {}
    for tol in (np.inf, 0.1, 0.03, 0.01):
        state, rep = run(tol)
        errs[tol] = np.max(np.abs(state - ref) / ref)
    assert errs[np.inf] > 0.02  # one solve per pulse: measurably wrong
    assert errs[np.inf] > errs[0.1] > errs[0.03] > errs[0.01]
    assert errs[0.01] < 1e-3
    # with ideal wires the voltages do not depend on the state: splitting changes nothing
    flat = CrossbarSpec(n, n)
    a = CrossbarArray(model, r0, spec=flat, backend="nodal", split_tolerance=np.inf)
    b = CrossbarArray(model, r0, spec=flat, backend="nodal", split_tolerance=1e-3)
    a.write(0, np.arange(n), -1.2, 300e-6)
    b.write(0, np.arange(n), -1.2, 300e-6)
    np.testing.assert_allclose(a.state, b.state, rtol=1e-10)


def test_reuse_tolerance_error_is_bounded(model):
    n = 16
    spec = CrossbarSpec(n, n, r_wordline_ohm=2.0, r_bitline_ohm=2.0)
    r0 = _r0((n, n), seed=3)
    exact = CrossbarArray(model, r0, spec=spec, backend="nodal")
    reuse = CrossbarArray(model, r0, spec=spec, backend="nodal", reuse_tolerance=0.02)
    cells = np.random.default_rng(4).integers(0, n, size=(30, 2))
    v = np.full(n, 0.2)
    for k, (i, j) in enumerate(cells):
        amp = -1.2 if k % 2 else 1.1
        exact.write(i, j, amp, 2e-6)
        reuse.write(i, j, amp, 2e-6)
        ie, ir = exact.read(v), reuse.read(v)
        # each V/2 pulse moves ~31 cells (half-selected ones too) and their errors add up:
        # measured up to 2.8e-4 (documented in CircuitBackend); an uncorrected stale solve is off by
        # the whole conductance change (~1e-2 of a cell, 1e-3 of a bit line)
        np.testing.assert_allclose(ir, ie, rtol=5e-4)
    assert reuse._backend.stats["stale_solves"] > 30
    np.testing.assert_allclose(reuse.state, exact.state, rtol=1e-4)


def test_1s1r_device_voltage_obeys_kirchhoff(model):
    sel = SinhSelector(i_s_a=1e-6, v_0_v=0.15)
    spec = CrossbarSpec(3, 3, cell="1S1R", selector=sel, r_wordline_ohm=1.0, r_bitline_ohm=1.0)
    arr = CrossbarArray(model, np.full((3, 3), 11e3), spec=spec, backend="nodal", split_tolerance=np.inf)
    rep = arr.write(1, 1, -1.6, 1e-6, scheme="v2")
    # KCL at the internal node: device current v_dev / R equals the selector current at (v_cell - v_dev)
    sol = arr._backend.solver.apply(1.0 / rep.state_before, rep.bias)
    v_dev = rep.v_device_v
    np.testing.assert_allclose(v_dev / 11e3, sel.current_a(sol.cell_voltages_v - v_dev), rtol=1e-8, atol=1e-15)
    assert abs(v_dev[1, 0]) < 0.5 * abs(v_dev[1, 1])  # the selector starves half-selected devices


@pytest.mark.ngspice
@pytest.mark.skipif(not ngspice_available(), reason="ngspice not installed")
def test_ngspice_backend_matches_nodal(model):
    r0 = _r0((2, 3))
    spec = CrossbarSpec(2, 3, r_wordline_ohm=3.0, r_bitline_ohm=2.0, r_driver_ohm=10.0)
    arrs = {b: CrossbarArray(model, r0, spec=spec, backend=b, split_tolerance=np.inf) for b in ("nodal", "ngspice")}
    for arr in arrs.values():
        arr.write(0, [0, 1, 2], -1.2, 20e-6, scheme="v3")
    np.testing.assert_allclose(arrs["ngspice"].state, arrs["nodal"].state, rtol=1e-6)
    v = np.array([0.2, -0.1])
    np.testing.assert_allclose(arrs["ngspice"].read(v), arrs["nodal"].read(v), rtol=1e-6)


def test_1t1r_device_gets_its_divider_share(model):
    spec = CrossbarSpec(3, 3, cell="1T1R", r_transistor_on_ohm=2e3, r_transistor_off_ohm=1e12)
    r0 = np.full((3, 3), 11e3)
    arr = CrossbarArray(model, r0, spec=spec, backend="nodal", split_tolerance=np.inf)
    rep = arr.write(1, 1, -1.2, 1e-6, scheme="v2")
    # ideal wires: the selected row's gate is on, so its cells see (V_wl - V_bl) * R / (R + r_on);
    # rows with the gate off pass (almost) nothing to their devices
    np.testing.assert_allclose(rep.v_device_v[1], np.array([-0.6, -1.2, -0.6]) * 11e3 / 13e3, rtol=1e-10)
    assert np.all(np.abs(rep.v_device_v[[0, 2]]) < 1e-6)
    np.testing.assert_allclose(arr.state[1, 1], messaris_r_ohm(11e3, -1.2 * 11e3 / 13e3, 1e-6), rtol=1e-10)


def test_energy_in_cells_and_wires_of_a_1x1_series_circuit(model):
    # one cell behind driver, word-line segment, bit-line segment and sense resistor: a series
    # circuit, I = V / (R + r_wires); cells dissipate I^2 R t, wires I^2 r_wires t
    r_wires = 5.0 + 10.0 + 20.0 + 7.0
    spec = CrossbarSpec(1, 1, r_wordline_ohm=10.0, r_bitline_ohm=20.0, r_driver_ohm=5.0, r_sense_ohm=7.0)
    arr = CrossbarArray(model, [[11e3]], spec=spec, backend="nodal", read_width_s=3e-6, split_tolerance=np.inf)
    rep = arr.read_report([[0.2], [-0.1]])  # a batch of two reads lasts two read widths
    i = series_current_a([0.2, -0.1], 11e3, r_wires)
    assert rep.energy_cells_j == pytest.approx(np.sum(i**2) * 11e3 * 3e-6, rel=1e-12)
    assert rep.energy_wires_j == pytest.approx(np.sum(i**2) * r_wires * 3e-6, rel=1e-10)
    # an unsplit pulse: the power at the start state times the width
    pulse = arr.write(0, 0, -1.2, 2e-6, scheme="ideal")
    i = series_current_a(1.2, 11e3, r_wires)
    assert pulse.energy_cells_j == pytest.approx(i**2 * 11e3 * 2e-6, rel=1e-12)
    assert pulse.energy_wires_j == pytest.approx(i**2 * r_wires * 2e-6, rel=1e-10)
    assert arr.energy_j == pytest.approx(rep.energy_j + pulse.energy_j, rel=1e-15)
    assert arr.state[0, 0] < 11e3  # the pulse did program the cell


def test_energy_of_a_pulse_with_wires_equals_the_sources_work(model):
    # power delivered by the line sources, sum V_wl I_driver - sum V_bl I_sense, times the width:
    # every joule the sources deliver is dissipated in a cell or a wire
    spec = CrossbarSpec(4, 5, r_wordline_ohm=3.0, r_bitline_ohm=2.0, r_driver_ohm=1.0, r_sense_ohm=4.0)
    arr = CrossbarArray(model, _r0((4, 5)), spec=spec, backend="nodal", split_tolerance=np.inf)
    bias = write_bias("v3", (4, 5), [1], [2, 3], -1.2)
    sol = arr._backend.solver.apply(arr.conductance_s, bias)
    work = (bias.wordline_v @ sol.driver_currents_a - bias.bitline_v @ sol.sense_currents_a) * 5e-6
    rep = arr.pulse(bias, 5e-6)
    assert rep.energy_wires_j > 0
    assert rep.energy_j == pytest.approx(work, rel=1e-9)


def _sinh_device(leaky_device, v0_v=0.25):
    """Non-ohmic test device built on the shared leaky one (its state never moves here):
    state = small-signal conductance g, I = g v0 sinh(v / v0)."""

    class Sinh(leaky_device):
        name = "sinh_test"
        ohmic = False

        def current_a(self, state, v_v):
            return np.asarray(state, float) * v0_v * np.sinh(np.asarray(v_v, float) / v0_v)

        def dcurrent_dv_s(self, state, v_v):
            return np.asarray(state, float) * np.cosh(np.asarray(v_v, float) / v0_v)

    return Sinh(rate_s_per_v_s=0.0)


def test_non_ohmic_devices_read_through_newton(leaky_device):
    model = _sinh_device(leaky_device)
    g = np.random.default_rng(6).uniform(1e-4, 1e-3, (3, 4))
    v = np.array([[0.3, -0.2, 0.5], [0.1, 0.4, -0.6]])
    # ideal backend: every cell at its row's voltage, currents summed down each bit line (by hand)
    expected = np.einsum("bij->bj", g[None] * 0.25 * np.sinh(v[:, :, None] / 0.25))
    ideal = CrossbarArray(model, g)
    np.testing.assert_allclose(ideal.read(v), expected, rtol=1e-13)
    # the circuit with ideal wires: the same (Newton's method on the device I-V)
    nodal = CrossbarArray(model, g, spec=CrossbarSpec(3, 4), backend="nodal")
    np.testing.assert_allclose(nodal.read(v), expected, rtol=1e-9)
    # one cell behind 150 ohm of wire: the device voltage is the scalar root of I(u) = (V - u) / 150
    from scipy.optimize import brentq

    one = CrossbarArray(
        model,
        [[1e-3]],
        spec=CrossbarSpec(1, 1, r_wordline_ohm=100.0, r_bitline_ohm=50.0),
        backend="nodal",
        split_tolerance=np.inf,
    )
    u = brentq(lambda u: 1e-3 * 0.25 * np.sinh(u / 0.25) - (0.9 - u) / 150.0, 0.0, 0.9, xtol=1e-15)
    assert one.read([0.9])[0] == pytest.approx((0.9 - u) / 150.0, rel=1e-9)
    rep = one.write(0, 0, 0.9, 1e-6, scheme="ideal")
    assert rep.v_device_v[0, 0] == pytest.approx(u, rel=1e-9)
    assert rep.energy_cells_j == pytest.approx(u * (0.9 - u) / 150.0 * 1e-6, rel=1e-8)


def test_parallel_row_and_column_writes_are_one_circuit_solve(model):
    n = 6
    spec = CrossbarSpec(n, n, r_wordline_ohm=2.0, r_bitline_ohm=2.0)
    for rows, cols in ((2, np.arange(n)), (np.arange(n), 4)):  # row-wise and column-wise Manhattan updates
        arr = CrossbarArray(model, np.full((n, n), 11e3), spec=spec, backend="nodal", split_tolerance=np.inf)
        rep = arr.write(rows, cols, -1.2, 5e-6, scheme="v2")
        assert rep.n_substeps == 1 and arr._backend.solver.stats["solves"] == 1
        assert rep.selected.sum() == n and np.all(arr.state[rep.selected] < 11e3)
        # every selected cell moved by what its own (IR-dropped) voltage gives, in the same solve
        np.testing.assert_allclose(
            arr.state[rep.selected], [messaris_r_ohm(11e3, v, 5e-6) for v in rep.v_device_v[rep.selected]], rtol=1e-9
        )
