"""Issue 13, items 1 and 2: inputs the crossbar solve cannot honour are refused, by name;
a 1-D wire array means one value per line on every shape.

Reference: the nodal equations of the crossbar written out here one node at a
time and solved in exact rational arithmetic (``fractions.Fraction``, Gaussian
elimination), independent of the solver and free of rounding.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from cosim import solve_crossbar
from cosim.netlist.crossbar import CrossbarSpec, CrossbarSpecError
from cosim.solvers.crossbar import CrossbarSolver


def _exact_read(v, r_cell, r_wl, r_bl):
    """Sense currents of a read in exact arithmetic, badcrossbar's topology.

    Nodes W(i, j), B(i, j); driver v_i -> W(i, 0) through r_wl[i, 0]; WL
    segment r_wl[i, j] between W(i, j - 1) and W(i, j); BL segment r_bl[i, j]
    between B(i, j) and B(i + 1, j); B(rows - 1, j) -> 0 V through r_bl[-1, j];
    cell r_cell[i, j] between W(i, j) and B(i, j).
    """
    rows, cols = r_cell.shape
    n = 2 * rows * cols
    w = lambda i, j: i * cols + j  # noqa: E731
    b = lambda i, j: rows * cols + i * cols + j  # noqa: E731
    a = [[Fraction(0)] * n for _ in range(n)]
    rhs = [Fraction(0)] * n

    def edge(p, q, r):
        g = 1 / Fraction(r)
        a[p][p] += g
        a[q][q] += g
        a[p][q] -= g
        a[q][p] -= g

    def to_source(p, r, volt):
        g = 1 / Fraction(r)
        a[p][p] += g
        rhs[p] += g * Fraction(volt)

    for i in range(rows):
        to_source(w(i, 0), r_wl[i, 0], v[i])
        for j in range(cols):
            edge(w(i, j), b(i, j), r_cell[i, j])
            if j:
                edge(w(i, j - 1), w(i, j), r_wl[i, j])
            if i < rows - 1:
                edge(b(i, j), b(i + 1, j), r_bl[i, j])
    for j in range(cols):
        to_source(b(rows - 1, j), r_bl[rows - 1, j], 0.0)
    # Gaussian elimination (the matrix is symmetric positive definite: no pivoting needed)
    for k in range(n):
        for m in range(k + 1, n):
            if a[m][k]:
                f = a[m][k] / a[k][k]
                for c in range(k, n):
                    a[m][c] -= f * a[k][c]
                rhs[m] -= f * rhs[k]
    x = [Fraction(0)] * n
    for k in range(n - 1, -1, -1):
        x[k] = (rhs[k] - sum(a[k][c] * x[c] for c in range(k + 1, n))) / a[k][k]
    return np.array([float(x[b(rows - 1, j)] / Fraction(r_bl[rows - 1, j])) for j in range(cols)])


V = [0.3, 0.2, 0.1]
ONES = np.ones((3, 3))


def test_near_zero_ohm_cells_are_refused_naming_the_cell_and_ratio():
    """Issue 13's example: 1e-18 ohm cells behind 1 ohm wires gave [0.325, 0.00508, 1.3e-05]."""
    with pytest.raises(CrossbarSpecError, match=r"cell \(0, 0\).*1e\+18 times the weakest wire"):
        solve_crossbar(V, np.full((3, 3), 1e-18), 1.0, 1.0)
    # one bad cell among good ones is the one named
    r = np.full((3, 3), 1e3)
    r[1, 2] = 1e-12
    with pytest.raises(CrossbarSpecError, match=r"cell \(1, 2\).*>= 1\.33e-06 ohm"):
        solve_crossbar(V, r, 1.0, 1.0)
    for backend in ("nodal", "ngspice"):
        with pytest.raises(CrossbarSpecError, match=r"cell \(1, 2\)"):
            CrossbarSolver(CrossbarSpec(3, 3, r_wordline_ohm=1.0, r_bitline_ohm=1.0), backend=backend).read(1 / r, V)
    with pytest.raises(CrossbarSpecError, match=r"cell \(1, 2\)"):
        CrossbarSolver(CrossbarSpec(3, 3, r_wordline_ohm=1.0, r_bitline_ohm=1.0)).read_outputs(1 / r, V)


def test_the_smallest_allowed_cells_are_exact_and_reach_the_short_limit():
    # just above the limit the message gives (1.33e-6 ohm for 3 x 3 behind 1 ohm): right to 1e-9
    r = np.full((3, 3), 2e-6)
    got = solve_crossbar(V, r, 1.0, 1.0).output_currents
    np.testing.assert_allclose(got, _exact_read(V, r, ONES, ONES), rtol=1e-9)
    # and within r_cell / r_wire of the short limit, which issue 13 quotes as about [0.0759, 0.0586, 0.0500]
    short = _exact_read(V, np.full((3, 3), 1e-30), ONES, ONES)
    np.testing.assert_allclose(short, [0.0759, 0.0586, 0.0500], atol=5e-5)
    np.testing.assert_allclose(got, short, rtol=1e-4)


def test_ordinary_cells_agree_with_the_exact_solution():
    rng = np.random.default_rng(2)
    r = rng.uniform(1e3, 1e5, (3, 3))
    np.testing.assert_allclose(
        solve_crossbar(V, r, 1.0, 2.0).output_currents, _exact_read(V, r, ONES, 2 * ONES), rtol=1e-12
    )


@pytest.mark.parametrize("shape", [(3, 3), (3, 4), (4, 3)])
def test_a_1d_wire_array_means_one_value_per_line_on_every_shape(shape):
    rows, cols = shape
    rng = np.random.default_rng(7)
    r = rng.uniform(1e3, 1e4, shape)
    v = rng.uniform(0.1, 0.3, rows)
    r_wl_line = np.array([1.0, 100.0, 1e4, 3.0][:rows])
    r_bl_line = np.array([2.0, 50.0, 7.0, 0.5][:cols])
    got = solve_crossbar(v, r, r_wl_line, r_bl_line).output_currents
    full_wl = np.repeat(r_wl_line[:, None], cols, axis=1)  # word line i: every segment r_wl_line[i]
    full_bl = np.repeat(r_bl_line[None, :], rows, axis=0)  # bit line j: every segment r_bl_line[j]
    np.testing.assert_allclose(got, _exact_read(v, r, full_wl, full_bl), rtol=1e-10)


def test_a_1d_wire_array_of_the_wrong_length_is_refused():
    r = np.full((3, 4), 1e3)
    # (cols,) for the word lines: numpy would have broadcast it per column
    with pytest.raises(CrossbarSpecError, match=r"r_wordline_ohm is 1-D of length 4.*per word line.*length 3"):
        solve_crossbar(V, r, np.ones(4), 1.0)
    with pytest.raises(CrossbarSpecError, match=r"r_bitline_ohm is 1-D of length 3.*per bit line.*length 4"):
        solve_crossbar(V, r, 1.0, np.ones(3))
