"""Fast paths of the crossbar solver against the exact path and an independent solver (issue 9).

References: the general sparse MNA solver (:func:`cosim.solvers.nodal.solve_nodal`)
on the generated netlist (independent of the crossbar solver), and the crossbar
solver's own exact path (``method="sparse"``: one LU solve per read, no warm
start, no superposition).  Tolerance: 1e-9 relative, as issue 9 asks.
"""

from __future__ import annotations

import numpy as np
import pytest

from cosim.netlist.bias import read_bias, write_bias
from cosim.netlist.crossbar import CrossbarSpec, CrossbarSpecError
from cosim.netlist.generate import crossbar_circuit
from cosim.solvers.crossbar import CrossbarSolver
from cosim.solvers.nodal import solve_nodal


def _mna_outputs(spec, g, v):
    """Sense currents of one read from the general MNA solver on the written netlist."""
    with np.errstate(divide="ignore"):
        r = 1.0 / g
    sol = solve_nodal(crossbar_circuit(spec, r, read_bias(v, spec.cols)))
    return np.array([sol.source_currents_a[f"v_out_{j}"] for j in range(spec.cols)])


@pytest.mark.parametrize("cell", ["1R", "1T1R"])
def test_read_outputs_equal_full_reads_and_the_general_solver(cell):
    rng = np.random.default_rng(21)
    rows, cols = 9, 6
    spec = CrossbarSpec(rows, cols, r_wordline_ohm=1.0, r_bitline_ohm=2.0, r_driver_ohm=0.5, cell=cell)
    g = 1 / rng.uniform(1e3, 1e5, (rows, cols))
    g[2, 4] = 0.0
    v = rng.uniform(-0.3, 0.3, (20, rows))
    solver = CrossbarSolver(spec)
    small = solver.read_outputs(g, v[:3])  # fewer than rows reads: solved directly
    assert solver.stats["transfers"] == 0
    big = solver.read_outputs(g, v)  # >= rows reads: through the transfer matrix
    assert solver.stats["transfers"] == 1
    exact = CrossbarSolver(spec, method="sparse").read(g, v).output_currents_a
    np.testing.assert_allclose(small, exact[:3], rtol=1e-9, atol=1e-18)
    np.testing.assert_allclose(big, exact, rtol=1e-9, atol=1e-18)
    for k in (0, 11):
        np.testing.assert_allclose(big[k], _mna_outputs(spec, g, v[k]), rtol=1e-9, atol=1e-18)
    # kept for this state: a single read is now a matrix-vector product ...
    one = solver.read_outputs(g, v[5])
    assert one.shape == (cols,) and solver.stats["transfers"] == 1
    np.testing.assert_allclose(one, exact[5], rtol=1e-9)
    # ... and dropped when a conductance changes
    g2 = g.copy()
    g2[0, 0] *= 2
    np.testing.assert_allclose(
        solver.read_outputs(g2, v[5]), CrossbarSolver(spec, method="sparse").read(g2, v[5]).output_currents_a, rtol=1e-9
    )


def test_read_outputs_reuse_a_full_superposition_basis():
    rng = np.random.default_rng(3)
    spec = CrossbarSpec(5, 4, r_wordline_ohm=1.0, r_bitline_ohm=1.0)
    g = 1 / rng.uniform(1e3, 1e4, (5, 4))
    v = rng.uniform(0, 0.2, (8, 5))
    solver = CrossbarSolver(spec)
    full = solver.read(g, v)  # builds the basis
    solves = solver.stats["solves"]
    out = solver.read_outputs(g, v[:2])
    assert solver.stats["solves"] == solves  # no new solve: derived from the basis
    np.testing.assert_allclose(out, full.output_currents_a[:2], rtol=1e-9)


def test_read_outputs_of_1s1r_cells_equal_full_reads():
    rng = np.random.default_rng(8)
    spec = CrossbarSpec(6, 5, r_wordline_ohm=1.0, r_bitline_ohm=1.0, cell="1S1R")
    g = 1 / rng.uniform(1e3, 1e5, (6, 5))
    v = rng.uniform(0.5, 0.9, (7, 6))
    solver = CrossbarSolver(spec)
    np.testing.assert_allclose(solver.read_outputs(g, v), solver.read(g, v).output_currents_a, rtol=1e-9)


@pytest.mark.parametrize("scheme", ["v2", "v3"])
def test_warm_start_equals_cold_solves_and_saves_iterations(scheme):
    """A training-like loop: a few cells change between pulses of one bias pattern."""
    rng = np.random.default_rng(5)
    n = 40
    spec = CrossbarSpec(n, n, r_wordline_ohm=1.0, r_bitline_ohm=1.0)
    g = 1 / rng.uniform(1e3, 1e5, (n, n))
    bias = write_bias(scheme, (n, n), [3], [5, 7], 1.0)
    warm = CrossbarSolver(spec, warm_start=True, method="lines")
    cold = CrossbarSolver(spec, method="lines")
    for _ in range(6):
        idx = rng.integers(0, n, (2, 5))
        g[idx[0], idx[1]] *= 1.02
        a = warm.apply(g, bias)
        b = cold.apply(g, bias)
        exact = CrossbarSolver(spec, method="sparse").apply(g, bias)
        for sol in (a, b):
            np.testing.assert_allclose(sol.cell_voltages_v, exact.cell_voltages_v, rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(sol.sense_currents_a, exact.sense_currents_a, rtol=1e-9, atol=1e-15)
    assert warm.stats["cg_iterations"] < cold.stats["cg_iterations"]


def test_warm_start_must_be_a_bool():
    with pytest.raises(CrossbarSpecError, match="warm_start"):
        CrossbarSolver(CrossbarSpec(2, 2), warm_start="yes")


@pytest.mark.parametrize(
    ("rows", "cols", "r_first_wl_ohm"),
    [(12, 3, 1.0), (12, 3, 0.0), (3, 8, 1.0), (3, 8, 0.0)],  # 0: driver ends fixed (Dirichlet)
)
def test_transfer_matrix_from_min_rows_cols_solves(rows, cols, r_first_wl_ohm):
    """cols < rows: by reciprocity from cols solves; rows <= cols: from rows unit inputs.
    Both against the exact path and the general MNA solver, with and without fixed ports."""
    rng = np.random.default_rng(rows * cols)
    r_wl = np.full((rows, cols), 1.5)
    r_wl[:, 0] = r_first_wl_ohm
    spec = CrossbarSpec(rows, cols, r_wordline_ohm=r_wl, r_bitline_ohm=0.7)
    g = 1 / rng.uniform(1e3, 1e5, (rows, cols))
    v = rng.uniform(-0.3, 0.3, (min(rows, cols) + 2, rows))
    solver = CrossbarSolver(spec)
    out = solver.read_outputs(g, v)
    assert solver.stats["transfers"] == 1
    assert solver.stats["solves"] == min(rows, cols)
    exact = CrossbarSolver(spec, method="sparse").read(g, v).output_currents_a
    np.testing.assert_allclose(out, exact, rtol=1e-9, atol=1e-18)
    np.testing.assert_allclose(out[1], _mna_outputs(spec, g, v[1]), rtol=1e-9, atol=1e-18)


def _rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-300))


@pytest.mark.parametrize(
    "cell, scheme, method",
    [("1R", "v2", "auto"), ("1R", "ideal", "auto"), ("1T1R", "v3", "auto"), ("1R", "floating", "sparse")],
)
def test_apply_and_read_summaries_equal_the_full_solution_and_the_general_solver(cell, scheme, method):
    """What the array asks (device voltages / sense currents and the powers) against the full solution
    of the exact sparse path, and the sense currents against the general MNA solver."""
    rng = np.random.default_rng(5)
    rows, cols = 8, 7
    spec = CrossbarSpec(rows, cols, r_wordline_ohm=1.0, r_bitline_ohm=1.5, r_driver_ohm=0.5, r_sense_ohm=0.2, cell=cell)
    g = 1 / rng.uniform(2e3, 5e4, (rows, cols))
    g[3, 2] = 0.0
    lean = CrossbarSolver(spec, method=method)
    ref = CrossbarSolver(spec, method="sparse")
    bias = write_bias(scheme, (rows, cols), [2, 5], [1], -1.1)
    v_dev, p_c, p_w = lean.apply_summary(g, bias)
    full = ref.apply(g, bias)
    assert v_dev.shape == (rows, cols)
    assert _rel(v_dev, full.device_voltages_v) < 1e-9
    assert abs(p_c - full.power_cells_w) <= 1e-9 * full.power_cells_w
    assert abs(p_w - full.power_wires_w) <= 1e-9 * full.power_wires_w
    v = rng.uniform(-0.3, 0.3, (5, rows))
    for inputs in (v, v[0]):
        i_out, p_c, p_w = lean.read_summary(g, inputs)
        full = ref.read(g, inputs)
        assert np.shape(i_out) == np.shape(full.output_currents_a)
        assert _rel(i_out, full.output_currents_a) < 1e-9
        assert _rel(p_c, full.power_cells_w) < 1e-9
        assert _rel(p_w, full.power_wires_w) < 1e-9
    if cell == "1R":
        assert _rel(lean.read_summary(g, v[1])[0], _mna_outputs(spec, g, v[1])) < 1e-9


def test_summaries_of_non_linear_cells_are_those_of_the_full_solve():
    spec = CrossbarSpec(4, 5, r_wordline_ohm=1.0, r_bitline_ohm=1.0, cell="1S1R")
    g = np.full((4, 5), 1e-4)
    solver = CrossbarSolver(spec)
    bias = write_bias("v2", (4, 5), [1], [2], 1.5)
    v_dev, p_c, p_w = solver.apply_summary(g, bias)
    full = solver.apply(g, bias)
    assert np.array_equal(v_dev, full.device_voltages_v)
    assert (p_c, p_w) == (full.power_cells_w, full.power_wires_w)
    i_out, _, _ = solver.read_summary(g, np.full(4, 0.2))
    assert np.array_equal(i_out, solver.read(g, np.full(4, 0.2)).output_currents_a)
