"""The compiled set-up, right-hand side and summary of a line-CG solve against their NumPy forms.

:mod:`cosim.solvers._xbar_lean_kernels` promises bit-identical results for the
line system's couplings and factors, for the right-hand sides and for the
device voltages and sense currents of the summary, and the powers to rounding.
The references are the NumPy code of the package itself: the set-up by
``_xbar_lines.line_diagonals_numpy`` (then factored by the kernels' own
factorisation, which ``tests/test_xbar_kernels.py`` holds against LAPACK), the right-hand side by ``_LineFactor._rhs_numpy`` and the
summary by ``_xbar_lean.summary_numpy``; and end to end, the lean summary of
a solve against the full solution that the solver assembles independently.
"""

from __future__ import annotations

import numpy as np
import pytest

from cosim.netlist.bias import write_bias
from cosim.netlist.crossbar import CrossbarSpec
from cosim.solvers import CrossbarSolver
from cosim.solvers import _xbar_kernels as kernels
from cosim.solvers import _xbar_lean_kernels as lean
from cosim.solvers._xbar_lean import summary_numpy
from cosim.solvers._xbar_lines import line_diagonals_numpy
from cosim.solvers._xbar_network import _LineFactor, _Network
from cosim.solvers._xbar_result import _wire_conductances


def _numpy_setup(gw_seg, gb_seg, g_cell, g_in, g_out, fix_w, fix_b):
    """The NumPy set-up (LineSystem's NumPy branch), factored by the kernels' own factorisation."""
    dw, ew, db, eb, cw = line_diagonals_numpy(gw_seg, gb_seg, g_cell, g_in, g_out, fix_w, fix_b)
    return cw, db, eb, kernels.factor_rows(dw, ew), kernels.factor_cols(db, eb)


@pytest.mark.parametrize("shape", [(2, 2), (2, 7), (9, 2), (17, 33)])
def test_line_system_is_bit_identical_to_the_numpy_setup(shape):
    rng = np.random.default_rng(sum(shape))
    rows, cols = shape
    g = 1.0 / rng.uniform(1e3, 1e5, shape)
    g[rng.random(shape) < 0.2] = 0.0  # open cells
    gw = 1.0 / rng.uniform(0.5, 2.0, (rows, cols - 1))
    gb = 1.0 / rng.uniform(0.5, 2.0, (rows - 1, cols))
    fix_w = rng.random(rows) < 0.4
    fix_b = rng.random(cols) < 0.4
    g_in = np.where(fix_w, 0.0, 1.0 / 50)
    g_out = np.where(fix_b, 0.0, 1.0 / 20)
    cw, db, eb, w_inv, w_l, ok_w, b_inv, b_l, ok_b = lean.line_system(gw, gb, g, g_in, g_out, fix_w, fix_b)
    cw0, db0, eb0, (w_inv0, w_l0, ok_w0), (b_inv0, b_l0, ok_b0) = _numpy_setup(gw, gb, g, g_in, g_out, fix_w, fix_b)
    for got, want in ((cw, cw0), (db, db0), (eb, eb0), (w_inv, w_inv0), (w_l, w_l0), (b_inv, b_inv0), (b_l, b_l0)):
        np.testing.assert_array_equal(got, want)
    assert ok_w and ok_b and ok_w0 and ok_b0


def test_line_system_reports_a_non_positive_pivot():
    g = np.full((3, 3), 1e-3)
    gw, gb = np.ones((3, 2)), np.ones((2, 3))
    gw[1, 0] = -5.0  # not a conductance: the word-line block is indefinite
    out = lean.line_system(gw, gb, g, np.ones(3), np.ones(3), np.zeros(3, bool), np.zeros(3, bool))
    assert out[5] is False or not out[5]
    assert out[8]


def _line_factor(rng, rows, cols, *, r_driver, r_sense, driven_w, driven_b):
    # 0-ohm first WL / last BL segments: with a 0-ohm driver or sense, those ends are fixed nodes
    r_wl = rng.uniform(0.5, 2.0, (rows, cols))
    r_bl = rng.uniform(0.5, 2.0, (rows, cols))
    r_wl[:, 0] = 0.0
    r_bl[-1, :] = 0.0
    spec = CrossbarSpec(rows, cols, r_wordline_ohm=r_wl, r_bitline_ohm=r_bl, r_driver_ohm=r_driver, r_sense_ohm=r_sense)
    net = _Network(spec, driven_w, driven_b)
    g = 1.0 / rng.uniform(1e3, 1e5, (rows, cols))
    return _LineFactor(net, g)


@pytest.mark.parametrize("r_driver,r_sense", [(0.0, 0.0), (50.0, 20.0), (0.0, 20.0)])
@pytest.mark.parametrize("with_j0", [False, True])
def test_line_rhs_is_bit_identical_to_the_numpy_build(r_driver, r_sense, with_j0):
    rng = np.random.default_rng(3)
    rows, cols, batch = 6, 5, 3
    driven_w = np.array([1, 1, 0, 1, 0, 1], bool)
    driven_b = np.array([1, 0, 1, 1, 0], bool)
    spec_rw = dict(r_driver=r_driver, r_sense=r_sense, driven_w=driven_w, driven_b=driven_b)
    factor = _line_factor(rng, rows, cols, **spec_rw)
    v_wl = np.where(driven_w, rng.normal(size=(batch, rows)), np.nan)
    v_bl = np.where(driven_b, rng.normal(size=(batch, cols)), np.nan)
    # j0 of one vector broadcast over the batch, as the Newton iteration passes it
    j0 = rng.normal(scale=1e-5, size=(1, rows, cols)) if with_j0 else None
    rw, rb = factor._rhs_compiled(v_wl, v_bl, j0)
    rw0, rb0 = factor._rhs_numpy(v_wl, v_bl, j0)
    assert factor.net.fix_w.any() == (r_driver == 0.0) and factor.net.fix_b.any() == (r_sense == 0.0)
    np.testing.assert_array_equal(rw, rw0)
    np.testing.assert_array_equal(rb, rb0)
    if r_driver == 0.0:  # fixed word-line starts carry their source voltage
        np.testing.assert_array_equal(rw[:, driven_w, 0], v_wl[:, driven_w])


@pytest.mark.parametrize("cell", ["1R", "1T1R"])
@pytest.mark.parametrize("ideal_selector", [False, True])
def test_summary_matches_numpy_and_the_full_solution(cell, ideal_selector):
    rng = np.random.default_rng(11)
    rows, cols = 12, 9
    spec = CrossbarSpec(
        rows, cols, r_wordline_ohm=2.0, r_bitline_ohm=2.0, r_driver_ohm=10.0, r_sense_ohm=5.0, cell=cell
    )
    g = 1.0 / rng.uniform(1e3, 1e5, (rows, cols))
    solver = CrossbarSolver(spec)
    bias = write_bias("ideal" if ideal_selector else "v2", (rows, cols), [3, 7], [2, 5], 1.2)
    v_wl, v_bl = bias.wordline_v[None, :], bias.bitline_v[None, :]
    net = solver._network(bias)
    g_eff, g_open = solver._cell_model(g, bias, None)
    vw, vb = solver._solve_linear(net, g_eff, v_wl, v_bl)
    g_acc = solver._access_g(bias)
    frac = np.zeros((0, 0)) if g_acc is None else np.broadcast_to(g_acc / (g_open + g_acc), g.shape).copy()
    blocked = solver._blocked(bias)
    args = (
        vw,
        vb,
        g_eff,
        frac,
        g_acc is not None,
        np.zeros((0, 0), bool) if blocked is None else blocked,
        blocked is not None,
        True,
        net.driven_w,
        net.driven_b,
        v_wl,
        v_bl,
        _wire_conductances(spec, net),
    )
    v_dev, sense, p_c, p_w = lean.summary(*args)
    v_dev0, sense0, p_c0, p_w0 = summary_numpy(*args)
    np.testing.assert_array_equal(v_dev, v_dev0)
    np.testing.assert_array_equal(sense, sense0)
    np.testing.assert_allclose(p_c, p_c0, rtol=1e-13)
    np.testing.assert_allclose(p_w, p_w0, rtol=1e-13)
    # the assembled full solution: its own formulas (driver/sense KCL, pairwise sums)
    full = solver.apply(g, bias)
    np.testing.assert_allclose(v_dev[0], full.device_voltages_v, rtol=0, atol=1e-15)
    np.testing.assert_allclose(p_c[0], full.power_cells_w, rtol=1e-12)
    np.testing.assert_allclose(p_w[0], full.power_wires_w, rtol=1e-12)
    if blocked is not None:
        assert (v_dev[0][blocked] == 0).all()


def test_read_summary_sense_currents_match_the_full_read():
    rng = np.random.default_rng(5)
    spec = CrossbarSpec(20, 16, r_wordline_ohm=1.0, r_bitline_ohm=1.0)
    g = 1.0 / rng.uniform(1e3, 1e5, spec.shape)
    v = rng.uniform(0, 0.3, (4, 20))
    solver = CrossbarSolver(spec)
    i_out, p_c, p_w = solver.read_summary(g, v)
    full = CrossbarSolver(spec).read(g, v)
    np.testing.assert_allclose(i_out, full.output_currents_a, rtol=1e-12)
    np.testing.assert_allclose(p_c, full.power_cells_w, rtol=1e-12)
    np.testing.assert_allclose(p_w, full.power_wires_w, rtol=1e-12)


def test_wire_power_kernel_matches_the_numpy_sums(monkeypatch):
    from cosim.solvers._xbar_result import _wire_power

    rng = np.random.default_rng(8)
    rows, cols, batch = 7, 6, 3
    spec = CrossbarSpec(rows, cols, r_wordline_ohm=1.5, r_bitline_ohm=0.7, r_driver_ohm=10.0, r_sense_ohm=5.0)
    driven_w = np.array([1, 0, 1, 1, 1, 0, 1], bool)
    driven_b = np.array([1, 1, 0, 1, 1, 1], bool)
    net = _Network(spec, driven_w, driven_b)
    vw, vb = rng.normal(size=(2, batch, rows, cols))
    v_wl = np.where(driven_w, rng.normal(size=(batch, rows)), np.nan)
    v_bl = np.where(driven_b, rng.normal(size=(batch, cols)), np.nan)
    monkeypatch.setenv("COSIM_KERNEL", "numba")
    fast = _wire_power(spec, net, vw, vb, v_wl, v_bl)
    monkeypatch.setenv("COSIM_KERNEL", "numpy")
    ref = _wire_power(spec, net, vw, vb, v_wl, v_bl)
    np.testing.assert_allclose(fast, ref, rtol=1e-13)
    # by hand for the first vector: sum of G * dV^2 over segments, drivers and sense resistors
    d_w, d_b = np.diff(vw[0], axis=1), np.diff(vb[0], axis=0)
    hand = (d_w**2).sum() / 1.5 + (d_b**2).sum() / 0.7
    hand += (((v_wl[0] - vw[0, :, 0])[driven_w]) ** 2).sum() / (10.0 + 1.5)
    hand += (((vb[0, -1, :] - v_bl[0])[driven_b]) ** 2).sum() / (5.0 + 0.7)
    assert fast[0] == pytest.approx(hand, rel=1e-12)
