"""The crossbar nodal solver against closed forms, hand-written equations and
a second solver (the general MNA solver), and its input checks.

Every reference here is independent of ``cosim.solvers.crossbar``: series
formulas, a ladder recursion, dense KCL equations written out by hand and
solved with ``numpy.linalg``, scalar root finding with ``scipy.optimize``, and
the general-purpose sparse MNA solver on the generated netlist.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from cosim import solve_crossbar
from cosim.devices.selector import SinhSelector
from cosim.netlist.bias import Bias, read_bias, write_bias
from cosim.netlist.crossbar import CrossbarSpec, CrossbarSpecError
from cosim.solvers.crossbar import CrossbarSolver, series_split
from cosim.solvers.result import SolverError
from reference_formulas import series_current_a


# -- closed forms ----------------------------------------------------------------
@pytest.mark.parametrize("method", ["auto", "sparse"])
def test_1x1_series_formula(method):
    r_cell, r_wl, r_bl, r_drv, r_sns = 1e3, 10.0, 20.0, 5.0, 7.0
    spec = CrossbarSpec(1, 1, r_wordline_ohm=r_wl, r_bitline_ohm=r_bl, r_driver_ohm=r_drv, r_sense_ohm=r_sns)
    sol = CrossbarSolver(spec, method=method).read([[1 / r_cell]], [0.7])
    i = series_current_a(0.7, r_cell, r_wl, r_bl, r_drv, r_sns)
    np.testing.assert_allclose(sol.output_currents, [i], rtol=1e-14)
    np.testing.assert_allclose(sol.cell_voltages_v, [[i * r_cell]], rtol=1e-14)
    np.testing.assert_allclose(sol.wordline_voltages_v, [[0.7 - i * (r_drv + r_wl)]], rtol=1e-14)
    np.testing.assert_allclose(sol.bitline_voltages_v, [[i * (r_bl + r_sns)]], rtol=1e-14)
    np.testing.assert_allclose(sol.driver_currents_a, [i], rtol=1e-14)
    np.testing.assert_allclose(sol.power_cells_w, i**2 * r_cell, rtol=1e-13)
    np.testing.assert_allclose(sol.power_wires_w, i**2 * (r_wl + r_bl + r_drv + r_sns), rtol=1e-12)


def test_1x1_one_call_with_batch():
    sol = solve_crossbar([[1.0], [-2.0]], [[1e3]], 10.0, 20.0)
    np.testing.assert_allclose(sol.output_currents, [[1 / 1030], [-2 / 1030]], rtol=1e-14)
    assert sol.cell_currents_a.shape == (2, 1, 1)


def test_1t1r_series_access_resistance_and_device_voltage():
    spec = CrossbarSpec(1, 1, r_wordline_ohm=3.0, r_bitline_ohm=4.0, cell="1T1R", r_transistor_on_ohm=500.0)
    sol = CrossbarSolver(spec).read([[1e-3]], [1.0])
    i = series_current_a(1.0, 1e3, 500, 3, 4)  # cell, transistor on, word- and bit-line segments
    np.testing.assert_allclose(sol.output_currents, [i], rtol=1e-14)
    np.testing.assert_allclose(sol.device_voltages_v, [[i * 1e3]], rtol=1e-13)
    np.testing.assert_allclose(sol.cell_voltages_v, [[i * 1500]], rtol=1e-13)
    # gate off: the off resistance is in series instead
    bias = Bias(wordline_v=[1.0], bitline_v=[0.0], gate_on=[False], selected=[[True]])
    off = CrossbarSolver(spec).apply([[1e-3]], bias)
    np.testing.assert_allclose(off.output_currents, [1.0 / (1e3 + 1e12 + 7)], rtol=1e-12)


def _hand_2x2(r_cell, r_wl, r_bl, r_drv, r_sns, v):
    """KCL of the 8 nodes of a 2x2 crossbar, written out one by one.

    Unknowns x = [W00, W01, W10, W11, B00, B01, B10, B11]. Row i's driver:
    v[i] through r_drv[i] + r_wl[i][0] into W_i0; W_i0 - W_i1 through
    r_wl[i][1]. Column j: B_0j - B_1j through r_bl[0][j]; B_1j to the 0 V
    sense through r_bl[1][j] + r_sns[j]. Cell (i, j) between W_ij and B_ij.
    """
    W = {(0, 0): 0, (0, 1): 1, (1, 0): 2, (1, 1): 3}
    B = {(0, 0): 4, (0, 1): 5, (1, 0): 6, (1, 1): 7}
    A = np.zeros((8, 8))
    b = np.zeros(8)

    def conductance(p, q, g):
        A[p, p] += g
        A[q, q] += g
        A[p, q] -= g
        A[q, p] -= g

    for i in range(2):
        g_in = 1.0 / (r_drv[i] + r_wl[i][0])
        A[W[i, 0], W[i, 0]] += g_in
        b[W[i, 0]] += g_in * v[i]
        conductance(W[i, 0], W[i, 1], 1.0 / r_wl[i][1])
    for j in range(2):
        conductance(B[0, j], B[1, j], 1.0 / r_bl[0][j])
        A[B[1, j], B[1, j]] += 1.0 / (r_bl[1][j] + r_sns[j])
    for i in range(2):
        for j in range(2):
            conductance(W[i, j], B[i, j], 1.0 / r_cell[i][j])
    x = np.linalg.solve(A, b)
    out = [x[B[1, j]] / (r_bl[1][j] + r_sns[j]) for j in range(2)]
    return x, np.array(out)


@pytest.mark.parametrize("method", ["auto", "sparse"])
def test_2x2_against_hand_written_kcl(method):
    r_cell = [[1e3, 2.2e3], [4.7e3, 10e3]]
    r_wl = [[1.0, 2.0], [3.0, 4.0]]
    r_bl = [[5.0, 6.0], [7.0, 8.0]]
    r_drv, r_sns, v = [2.0, 3.0], [4.0, 5.0], [0.3, -0.2]
    x, out = _hand_2x2(r_cell, r_wl, r_bl, r_drv, r_sns, v)
    spec = CrossbarSpec(2, 2, r_wordline_ohm=r_wl, r_bitline_ohm=r_bl, r_driver_ohm=r_drv, r_sense_ohm=r_sns)
    sol = CrossbarSolver(spec, method=method).read(1 / np.array(r_cell), v)
    np.testing.assert_allclose(sol.output_currents, out, rtol=1e-12)
    np.testing.assert_allclose(sol.wordline_voltages_v.ravel(), x[:4], rtol=1e-12)
    np.testing.assert_allclose(sol.bitline_voltages_v.ravel(), x[4:], rtol=1e-12)


def test_zero_wires_equal_v_at_g_exactly():
    rng = np.random.default_rng(11)
    r = rng.uniform(1e3, 1e5, (7, 5))
    v = rng.uniform(-0.5, 0.5, (3, 7))
    sol = solve_crossbar(v, r, 0.0, 0.0)
    np.testing.assert_allclose(sol.output_currents, v @ (1 / r), rtol=1e-12)
    np.testing.assert_allclose(sol.cell_voltages_v, np.broadcast_to(v[:, :, None], (3, 7, 5)), rtol=1e-12)


def test_uniform_ladder_rows_match_recursion():
    """Ideal bit lines make every row a resistive ladder; equal rows give equal answers."""
    n_rows, n_cols, r_seg, r_c, v = 6, 9, 3.0, 500.0, 0.4
    sol = solve_crossbar(np.full(n_rows, v), np.full((n_rows, n_cols), r_c), r_seg, 0.0)
    # ladder: from the far end, Z_k = r_c || (r_seg + Z_{k+1}); Z_last = r_c
    z = np.empty(n_cols)
    z[-1] = r_c
    for k in range(n_cols - 2, -1, -1):
        z[k] = 1.0 / (1.0 / r_c + 1.0 / (r_seg + z[k + 1]))
    node = np.empty(n_cols)
    node[0] = v * z[0] / (r_seg + z[0])
    for k in range(1, n_cols):
        node[k] = node[k - 1] * z[k] / (r_seg + z[k])
    np.testing.assert_allclose(sol.wordline_voltages_v, np.broadcast_to(node, (n_rows, n_cols)), rtol=1e-12)
    np.testing.assert_allclose(sol.output_currents, n_rows * node / r_c, rtol=1e-12)


def test_against_general_mna_solver_with_mixed_zero_segments():
    from cosim.netlist.generate import crossbar_circuit
    from cosim.solvers.nodal import solve_nodal

    rng = np.random.default_rng(5)
    rows, cols = 6, 7
    r_wl = rng.uniform(0.5, 2.0, (rows, cols)) * (rng.random((rows, cols)) < 0.6)
    r_bl = rng.uniform(0.5, 2.0, (rows, cols)) * (rng.random((rows, cols)) < 0.6)
    spec = CrossbarSpec(rows, cols, r_wordline_ohm=r_wl, r_bitline_ohm=r_bl, r_driver_ohm=rng.uniform(0, 2, rows))
    r_cell = rng.uniform(1e3, 1e5, (rows, cols))
    r_cell[2, 3] = np.inf
    for bias in (read_bias(rng.uniform(0, 1, rows), cols), write_bias("floating", (rows, cols), [1], [2], 1.2)):
        ref = solve_nodal(crossbar_circuit(spec, r_cell, bias))
        sol = CrossbarSolver(spec).apply(1 / r_cell, bias)
        for i in range(rows):
            for j in range(cols):
                assert sol.wordline_voltages_v[i, j] == pytest.approx(
                    ref.node_voltages_v[f"wl_{i}_{j}"], rel=1e-9, abs=1e-12
                )
                assert sol.bitline_voltages_v[i, j] == pytest.approx(
                    ref.node_voltages_v[f"bl_{i}_{j}"], rel=1e-9, abs=1e-12
                )
        for j in range(cols):
            if f"v_out_{j}" in ref.source_currents_a:
                assert sol.sense_currents_a[j] == pytest.approx(
                    ref.source_currents_a[f"v_out_{j}"], rel=1e-9, abs=1e-15
                )


def test_open_cells_are_exactly_absent():
    """A row of open cells changes nothing else: equal to the array without that row."""
    rng = np.random.default_rng(2)
    r = rng.uniform(1e3, 1e5, (5, 6))
    v = rng.uniform(0.1, 0.3, 5)
    r_open = r.copy()
    r_open[4, :] = np.inf  # last row: its bit-line segment to the next row stays in the circuit
    r_wl = np.full((5, 6), 2.0)
    r_bl = np.full((5, 6), 1.5)
    full = solve_crossbar(v, r_open, r_wl, r_bl)
    # without row 4 the bit lines go straight from row 3 to the sense node through two segments
    r_bl_small = r_bl[:4].copy()
    r_bl_small[3] += r_bl[4]
    small = solve_crossbar(v[:4], r[:4], r_wl[:4], r_bl_small)
    np.testing.assert_allclose(full.output_currents, small.output_currents, rtol=1e-12)
    assert np.all(full.cell_currents_a[4] == 0.0)
    np.testing.assert_allclose(full.wordline_voltages_v[4], v[4], rtol=1e-15)


def test_batch_equals_single_reads_and_factor_is_reused():
    rng = np.random.default_rng(4)
    spec = CrossbarSpec(12, 10, r_wordline_ohm=1.0, r_bitline_ohm=2.0)
    g = 1 / rng.uniform(1e3, 1e5, (12, 10))
    v = rng.uniform(-0.2, 0.2, (4, 12))
    solver = CrossbarSolver(spec)
    batch = solver.read(g, v)
    for k in range(4):
        single = solver.read(g, v[k])
        np.testing.assert_allclose(batch.output_currents[k], single.output_currents, rtol=1e-11)
        np.testing.assert_allclose(batch.cell_voltages_v[k], single.cell_voltages_v, rtol=1e-10, atol=1e-14)
    assert solver.stats["factorisations"] == 1


@pytest.mark.parametrize("r_wire", [0.0, 1.5])
def test_large_batches_by_superposition_equal_direct_solves(r_wire):
    """A batch of >= rows reads is answered from the unit-input responses; it must
    equal solving every read on its own (a second solver, sparse LU)."""
    rng = np.random.default_rng(12)
    spec = CrossbarSpec(10, 7, r_wordline_ohm=r_wire, r_bitline_ohm=1.0, r_driver_ohm=0.5)
    g = 1 / rng.uniform(1e3, 1e5, (10, 7))
    g[3, 3] = 0.0
    v = rng.uniform(-0.3, 0.3, (25, 10))
    solver = CrossbarSolver(spec)
    fast = solver.read(g, v)
    assert fast.info["linear_solver"].endswith("+superposition")
    ref = CrossbarSolver(spec, method="sparse")
    for k in (0, 13, 24):
        one = ref.read(g, v[k])
        np.testing.assert_allclose(fast.output_currents[k], one.output_currents, rtol=1e-10)
        np.testing.assert_allclose(fast.bitline_voltages_v[k], one.bitline_voltages_v, rtol=1e-9, atol=1e-15)
    # the basis is kept for this conductance state: a later small batch reuses it
    assert solver.read(g, v[:2]).info["linear_solver"].endswith("+superposition")
    assert solver.stats["bases"] == 1
    # ... and dropped when the conductances change
    assert not solver.read(g * 1.01, v[:2]).info["linear_solver"].endswith("+superposition")


def test_energy_balance_sources_equal_dissipation():
    rng = np.random.default_rng(8)
    spec = CrossbarSpec(8, 6, r_wordline_ohm=2.0, r_bitline_ohm=3.0, r_driver_ohm=1.0, r_sense_ohm=4.0)
    g = 1 / rng.uniform(1e3, 1e4, (8, 6))
    bias = write_bias("v3", (8, 6), [2, 3], [1], 1.5)
    sol = CrossbarSolver(spec).apply(g, bias)
    p_src = bias.wordline_v @ sol.driver_currents_a - bias.bitline_v @ sol.sense_currents_a
    np.testing.assert_allclose(sol.power_w, p_src, rtol=1e-9)


# -- write schemes -----------------------------------------------------------------
def _line_drops(sol, bias, i, j):
    """How far the WL node of (i, j) fell below its driver and the BL node rose above its source."""
    wl_drop = abs(bias.wordline_v[i] - sol.wordline_voltages_v[i, j])
    bl_rise = abs(sol.bitline_voltages_v[i, j] - bias.bitline_v[j])
    return wl_drop + bl_rise


def test_v2_half_selected_cells_see_half_minus_ir_drop():
    n, sel = 16, 8
    spec = CrossbarSpec(n, n, r_wordline_ohm=2.0, r_bitline_ohm=2.0)
    g = np.full((n, n), 1e-4)
    bias = write_bias("v2", (n, n), [sel], [sel], 1.0)
    sol = CrossbarSolver(spec).apply(g, bias)
    half = [(sel, j) for j in range(n) if j != sel] + [(i, sel) for i in range(n) if i != sel]
    for i, j in half:
        v = sol.cell_voltages_v[i, j]
        assert v < 0.5
        assert v > 0.5 - _line_drops(sol, bias, i, j) - 1e-12
        assert v > 0.45
    # unselected cells see (almost) nothing, the selected one almost the full amplitude
    mask = np.ones((n, n), dtype=bool)
    mask[sel, :] = mask[:, sel] = False
    assert np.abs(sol.cell_voltages_v[mask]).max() < 0.02
    assert 0.9 < sol.cell_voltages_v[sel, sel] < 1.0


def _isolated_cell_current(v, g, sel):
    u = brentq(lambda u: sel.current_a(u) - g * (v - u), 0.0, v, xtol=1e-15, rtol=1e-15)
    return g * (v - u)


def test_selector_suppresses_half_select_current_by_its_ratio():
    n, sel_idx, amp = 8, 3, 1.6
    g = np.full((n, n), 1e-3)
    selector = SinhSelector(i_s_a=1e-15, v_0_v=0.05)
    bias = write_bias("v2", (n, n), [sel_idx], [sel_idx], amp)
    r1 = CrossbarSolver(CrossbarSpec(n, n, r_wordline_ohm=1.0, r_bitline_ohm=1.0)).apply(g, bias)
    s1 = CrossbarSolver(
        CrossbarSpec(n, n, r_wordline_ohm=1.0, r_bitline_ohm=1.0, cell="1S1R", selector=selector)
    ).apply(g, bias)
    i_full_1r = r1.cell_currents_a[sel_idx, sel_idx]
    i_half_1r = r1.cell_currents_a[sel_idx, 0]
    i_full = s1.cell_currents_a[sel_idx, sel_idx]
    i_half = s1.cell_currents_a[sel_idx, 0]
    expected = _isolated_cell_current(amp, 1e-3, selector) / _isolated_cell_current(amp / 2, 1e-3, selector)
    assert i_full_1r / i_half_1r == pytest.approx(2.0, rel=0.02)
    assert i_full / i_half == pytest.approx(expected, rel=0.05)
    assert expected > 1e3  # the selector really is strongly non-linear here


def test_ideal_selector_blocks_unselected_devices():
    spec = CrossbarSpec(4, 4, r_wordline_ohm=1.0, r_bitline_ohm=1.0)
    bias = write_bias("ideal", (4, 4), [1], [2], 1.0)
    sol = CrossbarSolver(spec).apply(np.full((4, 4), 1e-4), bias)
    blocked = ~bias.selected
    assert np.all(sol.device_voltages_v[blocked] == 0.0)
    assert np.all(sol.cell_currents_a[blocked] == 0.0)
    np.testing.assert_allclose(sol.device_voltages_v[1, 2], 1.0 / (1 + 2e-4 * 2) * 1.0, rtol=1e-3)


# -- non-linear cells --------------------------------------------------------------
def test_1s1r_single_cell_against_scalar_root():
    sel = SinhSelector(i_s_a=1e-8, v_0_v=0.08)
    g = 2e-4
    sol = solve_crossbar([0.9], [[1 / g]], 0.0, 0.0, cell="1S1R", selector=sel)
    assert sol.output_currents[0] == pytest.approx(_isolated_cell_current(0.9, g, sel), rel=1e-10)


def test_1s1r_with_wires_satisfies_kcl():
    rng = np.random.default_rng(9)
    rows, cols = 6, 5
    spec = CrossbarSpec(rows, cols, r_wordline_ohm=5.0, r_bitline_ohm=5.0, cell="1S1R")
    g = 1 / rng.uniform(1e3, 1e5, (rows, cols))
    v = rng.uniform(0.3, 1.0, rows)
    sol = CrossbarSolver(spec).read(g, v)
    vw, i = sol.wordline_voltages_v, sol.cell_currents_a
    # cell current = the independently evaluated series pair at the reported split
    v_sel = sol.cell_voltages_v - sol.device_voltages_v
    np.testing.assert_allclose(i, g * sol.device_voltages_v, rtol=1e-12)
    np.testing.assert_allclose(i, spec.selector.current_a(v_sel), rtol=1e-8, atol=1e-15)
    # KCL at interior word-line nodes: current in from the left = cell + current out to the right
    left = (vw[:, :-2] - vw[:, 1:-1]) / 5.0
    right = (vw[:, 1:-1] - vw[:, 2:]) / 5.0
    np.testing.assert_allclose(left - right, i[:, 1:-1], rtol=1e-7, atol=1e-14)


def test_device_iv_ohmic_equals_linear_and_cubic_matches_scalar_root():
    rng = np.random.default_rng(1)
    spec = CrossbarSpec(5, 4, r_wordline_ohm=2.0, r_bitline_ohm=2.0)
    g = 1 / rng.uniform(1e3, 1e4, (5, 4))
    v = rng.uniform(0.1, 0.5, 5)
    solver = CrossbarSolver(spec)
    lin = solver.read(g, v)
    ohmic = solver.read(g, v, device_iv=lambda u: (g * u, g + 0 * u))
    np.testing.assert_allclose(ohmic.output_currents, lin.output_currents, rtol=1e-10)
    k = 1e-3

    def cubic(u):
        return 1e-4 * u + k * u**3, 1e-4 + 3 * k * u**2

    one = CrossbarSolver(CrossbarSpec(1, 1, r_wordline_ohm=100.0, r_bitline_ohm=0.0))
    sol = one.read([[1e-4]], [2.0], device_iv=cubic)
    u = brentq(lambda u: cubic(u)[0] - (2.0 - u) / 100.0, 0, 2, xtol=1e-15)
    assert sol.device_voltages_v[0, 0] == pytest.approx(u, rel=1e-10)


def test_series_split_is_exact_for_two_resistors():
    v = np.linspace(-1, 1, 7)
    i, g, vd = series_split(v, lambda u: (2e-3 * u, 2e-3 + 0 * u), lambda u: (1e-3 * u, 1e-3 + 0 * u))
    np.testing.assert_allclose(i, v / 1500.0, rtol=1e-13, atol=1e-18)
    np.testing.assert_allclose(vd, v / 3, rtol=1e-13, atol=1e-18)
    np.testing.assert_allclose(g, 1 / 1500.0, rtol=1e-13)


# -- bad input -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(r_cell_ohm=[[1e3, -5.0]]), "-5.0"),
        (dict(r_cell_ohm=[[1e3, 0.0]]), "r_cell_ohm must be > 0"),
        (dict(r_cell_ohm=[[1e3, np.nan]]), "NaN"),
        (dict(v_in_v=[0.1, np.nan]), "v_in_v"),
        (dict(v_in_v=[0.1, 0.2, 0.3]), "v_in_v has shape (3,)"),
        (dict(v_in_v=np.zeros((2, 3))), "v_in_v has shape (2, 3)"),
        (dict(r_wordline_ohm=-1.0), "r_wordline_ohm must be >= 0"),
        (dict(r_bitline_ohm=np.zeros((3, 3))), "r_bitline_ohm has shape (3, 3)"),
        (dict(r_driver_ohm=[1.0, np.nan]), "r_driver_ohm contains NaN"),
        (dict(backend="spice3"), "spice3"),
        (dict(cell="2R"), "2R"),
    ],
)
def test_bad_inputs_are_named(kwargs, message):
    args = dict(v_in_v=[0.1, 0.2], r_cell_ohm=[[1e3, 2e3], [3e3, 4e3]], r_wordline_ohm=1.0, r_bitline_ohm=1.0)
    args.update(kwargs)
    with pytest.raises(CrossbarSpecError) as err:
        solve_crossbar(
            args.pop("v_in_v"), args.pop("r_cell_ohm"), args.pop("r_wordline_ohm"), args.pop("r_bitline_ohm"), **args
        )
    assert message in str(err.value)


@pytest.mark.parametrize(
    "g, message",
    [
        (np.array([[1e-3, -1e-3], [1e-3, 1e-3]]), "g_cell_s must be >= 0"),
        (np.array([[1e-3, np.inf], [1e-3, 1e-3]]), "g_cell_s is inf at cell (0, 1)"),
        (np.ones((3, 2)), "g_cell_s has shape (3, 2)"),
    ],
)
def test_bad_conductances_are_named(g, message):
    with pytest.raises(CrossbarSpecError, match=None) as err:
        CrossbarSolver(CrossbarSpec(2, 2, r_wordline_ohm=1.0)).read(g, [0.1, 0.1])
    assert message in str(err.value)


def test_floating_island_names_the_line():
    spec = CrossbarSpec(3, 3, r_wordline_ohm=1.0, r_bitline_ohm=1.0)
    g = np.full((3, 3), 1e-4)
    g[1, :] = 0.0  # word line 1 touches nothing ...
    bias = Bias(wordline_v=[1.0, np.nan, 0.0], bitline_v=[0.0, 0.0, 0.0], gate_on=True, selected=np.ones((3, 3), bool))
    with pytest.raises(SolverError, match=r"word line\(s\) \[1\]"):  # ... and floats
        CrossbarSolver(spec).apply(g, bias)


def test_newton_failure_is_an_error_not_an_answer():
    spec = CrossbarSpec(3, 3, r_wordline_ohm=1.0, r_bitline_ohm=1.0, cell="1S1R", selector=SinhSelector(1e-9, 0.02))
    with pytest.raises(SolverError, match="did not converge"):
        CrossbarSolver(spec, max_newton=1).read(np.full((3, 3), 1e-3), [1.5, 1.5, 1.5])
    with pytest.raises(SolverError, match="non-finite"):
        CrossbarSolver(CrossbarSpec(2, 2)).read(np.ones((2, 2)) * 1e-3, [1.0, 1.0], device_iv=lambda u: (u * np.nan, u))


def test_bad_bias_and_backend():
    solver = CrossbarSolver(CrossbarSpec(2, 2))
    with pytest.raises(CrossbarSpecError, match="bias has shape"):
        solver.apply(np.ones((2, 2)), write_bias("v2", (3, 2), [0], [0], 1.0))
    with pytest.raises(CrossbarSpecError, match="unknown crossbar backend 'xyce'"):
        CrossbarSolver(CrossbarSpec(2, 2), backend="xyce")


def test_random_topologies_against_general_mna_solver():
    """Seeded random crossbars covering every structural case at once: zero and
    non-zero segments, drivers and sense resistors, open cells, floating lines,
    every cell kind and write scheme; node voltages and source currents must
    match the general MNA solver (cosim.solvers.nodal) on the generated netlist."""
    from cosim.netlist.generate import crossbar_circuit
    from cosim.solvers.nodal import solve_nodal

    rng = np.random.default_rng(2024)
    solved = islands = 0
    for case in range(40):
        rows, cols = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        shape = (rows, cols)
        zero_frac = rng.choice([0.0, 0.5, 1.0])
        r_wl = rng.uniform(0.5, 3.0, shape) * (rng.random(shape) >= zero_frac)
        r_bl = rng.uniform(0.5, 3.0, shape) * (rng.random(shape) >= zero_frac)
        cell = ["1R", "1S1R", "1T1R"][case % 3]
        spec = CrossbarSpec(
            rows,
            cols,
            r_wordline_ohm=r_wl,
            r_bitline_ohm=r_bl,
            r_driver_ohm=rng.uniform(0, 5, rows) * (rng.random(rows) < 0.5),
            r_sense_ohm=rng.uniform(0, 5, cols) * (rng.random(cols) < 0.5),
            cell=cell,
            selector=SinhSelector(1e-6, 0.15),
            r_transistor_on_ohm=800.0,
            r_transistor_off_ohm=1e7,
        )
        r_cell = rng.uniform(1e3, 1e5, shape)
        r_cell[rng.random(shape) < 0.15] = np.inf
        scheme = ["read", "v2", "v3", "floating", "ideal"][case % 5]
        if scheme == "read":
            bias = read_bias(rng.uniform(-1, 1, rows), cols)
        else:
            bias = write_bias(scheme, shape, [int(rng.integers(rows))], [int(rng.integers(cols))], 1.3)
        try:
            ref = solve_nodal(crossbar_circuit(spec, r_cell, bias))
        except (SolverError, ValueError):
            # a floating island: ours must refuse it too
            with pytest.raises(SolverError, match="floating island"):
                CrossbarSolver(spec).apply(1 / r_cell, bias)
            islands += 1
            continue
        solved += 1
        sol = CrossbarSolver(spec).apply(1 / r_cell, bias)
        nv = ref.node_voltages_v
        vw = np.array([[nv[f"wl_{i}_{j}"] for j in range(cols)] for i in range(rows)])
        vb = np.array([[nv[f"bl_{i}_{j}"] for j in range(cols)] for i in range(rows)])
        np.testing.assert_allclose(sol.wordline_voltages_v, vw, rtol=1e-7, atol=1e-10, err_msg=f"case {case}")
        np.testing.assert_allclose(sol.bitline_voltages_v, vb, rtol=1e-7, atol=1e-10, err_msg=f"case {case}")
        for j in range(cols):
            if f"v_out_{j}" in ref.source_currents_a:
                assert sol.sense_currents_a[j] == pytest.approx(
                    ref.source_currents_a[f"v_out_{j}"], rel=1e-7, abs=1e-13
                )
        for i in range(rows):
            if f"v_in_{i}" in ref.source_currents_a:
                assert sol.driver_currents_a[i] == pytest.approx(
                    -ref.source_currents_a[f"v_in_{i}"], rel=1e-7, abs=1e-13
                )
    assert solved >= 30  # the cases really were solved, not skipped


def test_method_rule_and_fallback(monkeypatch):
    import cosim.solvers._xbar_lines as lines

    rng = np.random.default_rng(6)
    g = rng.uniform(1e-3, 1e-1, (12, 12))
    v = rng.uniform(0, 0.2, 12)
    good = CrossbarSolver(CrossbarSpec(12, 12, r_wordline_ohm=1e-3, r_bitline_ohm=1e-3)).read(g, v)
    poor = CrossbarSolver(CrossbarSpec(12, 12, r_wordline_ohm=1e3, r_bitline_ohm=1e3)).read(g, v)
    assert good.info["linear_solver"] == "lines-cg"
    assert poor.info["linear_solver"] == "sparse-lu"  # wires no better than the cells: direct

    def fail(self, *args, **kwargs):
        raise lines.LineSystemError("forced")

    spec = CrossbarSpec(12, 12, r_wordline_ohm=1.0, r_bitline_ohm=1.0)
    ref = CrossbarSolver(spec, method="sparse").read(g, v)
    monkeypatch.setattr(lines.LineSystem, "solve", fail)
    fallback = CrossbarSolver(spec).read(g, v)  # CG "fails": auto falls back to LU
    np.testing.assert_allclose(fallback.output_currents, ref.output_currents, rtol=1e-13)
    with pytest.raises(SolverError, match="did not converge"):
        CrossbarSolver(spec, method="lines").read(g, v)


def test_more_bad_solver_inputs_are_named():
    from cosim.solvers import solve_circuit
    from cosim.solvers.crossbar import crossbar_solution_from_circuit
    from cosim.netlist.spice import read_spice

    spec = CrossbarSpec(2, 2, r_wordline_ohm=1.0)
    for tol in (0.0, np.nan, "tight"):
        with pytest.raises(CrossbarSpecError, match=f"tol must be a positive number, got {tol!r}"):
            CrossbarSolver(spec, tol=tol)
    with pytest.raises(CrossbarSpecError, match="unknown linear method 'cholesky'"):
        CrossbarSolver(spec, method="cholesky")
    with pytest.raises(CrossbarSpecError, match="spec must be a CrossbarSpec, got tuple"):
        CrossbarSolver((2, 2))
    with pytest.raises(CrossbarSpecError, match=r"device_iv must return a pair \(i_a, di_dv_s\), got float"):
        CrossbarSolver(spec).read(np.full((2, 2), 1e-3), [0.1, 0.1], device_iv=lambda u: 1.0)
    with pytest.raises(CrossbarSpecError, match=r"r_cell_ohm must be a 2-D \(rows, cols\) array, got shape \(3,\)"):
        solve_crossbar([0.1], [1e3, 2e3, 3e3], 1.0, 1.0)
    with pytest.raises(CrossbarSpecError, match=r"v_in_v has an empty batch \(shape \(0, 2\)\)"):
        solve_crossbar(np.zeros((0, 2)), np.full((2, 2), 1e3), 1.0, 1.0)
    c = read_spice(
        "t\nv_in_0 in_0 0 0.2\nr_wl_0_0 in_0 wl_0_0 1\nr_wl_0_1 wl_0_0 wl_0_1 1\n"
        "rcell_0_0 wl_0_0 bl_0_0 1k\nr_bl_0_0 bl_0_0 0 1\nrcell_0_1 wl_0_1 0 1k\n"
    )
    with pytest.raises(CrossbarSpecError, match="circuit 't' has no node bl_0_1"):
        crossbar_solution_from_circuit(c, solve_circuit(c))
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['tol'\] for backend 'nodal'"):
        solve_circuit(c, tol=1e-9)
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['max_iter'\] for backend 'ngspice'"):
        solve_circuit(c, backend="ngspice", max_iter=5)


def test_newton_accepts_a_residual_at_the_rounding_floor_of_low_ohm_wires():
    """Regression: a 1S1R single-cell read (the far cell, in its high-resistance
    state) with every other line floating and 0.5 ohm wires used to be refused
    ("did not converge", KCL residual 6e-16 A): the residual test sat below the
    rounding floor of 2 S wire conductances at 0.5 V. It must converge, and
    agree with the general MNA solver (a different method) on the same circuit."""
    from cosim.netlist.generate import crossbar_circuit
    from cosim.solvers import solve_circuit

    n = 64
    rng = np.random.default_rng(0)
    g = np.exp(-rng.uniform(np.log(1e4), np.log(1e6), size=(n, n)))
    row, col = 0, n - 1
    g[row, col] = 1e-6
    spec = CrossbarSpec(n, n, 0.5, 0.5, cell="1S1R")
    wl = np.full(n, np.nan)
    wl[row] = 0.5
    bl = np.full(n, np.nan)
    bl[col] = 0.0
    sel = np.zeros((n, n), bool)
    sel[row, col] = True
    bias = Bias(wl, bl, np.ones(n, bool), sel)
    sol = CrossbarSolver(spec, tol=1e-10).apply(g, bias)
    ref = solve_circuit(crossbar_circuit(spec, 1 / g, bias))
    assert sol.sense_currents_a[col] == pytest.approx(ref.source_currents_a[f"v_out_{col}"], rel=1e-7)
