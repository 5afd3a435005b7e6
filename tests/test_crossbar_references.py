"""The crossbar solver against two other programs: badcrossbar 1.1 (same
topology with zero driver/sense resistance) and ngspice (same netlist, from
``cosim.netlist.generate``), on random circuits."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from cosim import solve_crossbar
from cosim.devices.selector import SinhSelector
from cosim.netlist.bias import write_bias
from cosim.netlist.crossbar import CrossbarSpec
from cosim.solvers.crossbar import CrossbarSolver

# badcrossbar warns at import that its plotting stack (cairo) is missing
pytestmark = pytest.mark.filterwarnings("ignore::ImportWarning")


def _badcrossbar():
    """``badcrossbar.compute`` (installed --no-deps; the test extra brings the
    ``pathvalidate`` and ``sigfig`` its solver imports)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pytest.importorskip("badcrossbar")
        from badcrossbar.compute import compute
    import logging

    logging.getLogger("badcrossbar").setLevel(logging.WARNING)
    return compute


@pytest.mark.badcrossbar
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (8, 8), (17, 6), (20, 31)])
def test_matches_badcrossbar(shape):
    compute = _badcrossbar()
    rng = np.random.default_rng(sum(shape))
    r = rng.uniform(1e3, 1e5, shape)
    v = rng.uniform(-0.3, 0.3, (3, shape[0]))
    r_wl, r_bl = rng.uniform(0.5, 3.0), rng.uniform(0.5, 3.0)
    ref = compute(v.T, r, r_i_word_line=r_wl, r_i_bit_line=r_bl)
    sol = solve_crossbar(v, r, r_wl, r_bl)
    np.testing.assert_allclose(sol.output_currents, ref.currents.output, rtol=1e-9)
    ref_w = np.asarray(ref.voltages.word_line).reshape(*shape, -1)
    ref_b = np.asarray(ref.voltages.bit_line).reshape(*shape, -1)
    ref_i = np.asarray(ref.currents.device).reshape(*shape, -1)
    np.testing.assert_allclose(sol.wordline_voltages_v, np.moveaxis(ref_w, -1, 0), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(sol.bitline_voltages_v, np.moveaxis(ref_b, -1, 0), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(sol.cell_currents_a, np.moveaxis(ref_i, -1, 0), rtol=1e-9, atol=1e-18)


ngspice = pytest.mark.ngspice


def _ngspice_or_skip():
    from cosim.solvers.ngspice import ngspice_available

    if not ngspice_available():
        pytest.skip("ngspice is not installed")


CASES = [
    # (rows, cols, cell, wire ohm)
    (4, 3, "1R", 0.0),
    (9, 16, "1R", 2.0),
    (32, 32, "1R", 1.0),
    (5, 7, "1S1R", 0.0),
    (12, 10, "1S1R", 3.0),
    (32, 32, "1S1R", 1.0),
    (6, 6, "1T1R", 1.0),
]


@ngspice
@pytest.mark.parametrize("rows, cols, cell, r_wire", CASES)
def test_matches_ngspice_reads(rows, cols, cell, r_wire):
    _ngspice_or_skip()
    rng = np.random.default_rng(rows * 100 + cols)
    spec = CrossbarSpec(
        rows,
        cols,
        r_wordline_ohm=r_wire,
        r_bitline_ohm=r_wire,
        r_driver_ohm=0.5,
        cell=cell,
        selector=SinhSelector(i_s_a=1e-7, v_0_v=0.1),
    )
    g = 1 / rng.uniform(1e3, 1e5, (rows, cols))
    v = rng.uniform(0.2, 1.0, rows)
    ref = CrossbarSolver(spec, backend="ngspice").read(g, v)
    sol = CrossbarSolver(spec).read(g, v)
    assert ref.backend.startswith("ngspice")
    np.testing.assert_allclose(sol.output_currents, ref.output_currents, rtol=1e-6)
    np.testing.assert_allclose(sol.cell_voltages_v, ref.cell_voltages_v, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(sol.device_voltages_v, ref.device_voltages_v, rtol=1e-6, atol=1e-9)


@ngspice
@pytest.mark.parametrize("scheme", ["v2", "v3", "floating", "ideal"])
def test_matches_ngspice_write_schemes(scheme):
    _ngspice_or_skip()
    rng = np.random.default_rng(7)
    spec = CrossbarSpec(6, 5, r_wordline_ohm=2.0, r_bitline_ohm=2.0, cell="1S1R")
    g = 1 / rng.uniform(1e3, 1e5, (6, 5))
    bias = write_bias(scheme, (6, 5), [2], [1, 3], 1.4)
    ref = CrossbarSolver(spec, backend="ngspice").apply(g, bias)
    sol = CrossbarSolver(spec).apply(g, bias)
    np.testing.assert_allclose(sol.device_voltages_v, ref.device_voltages_v, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(sol.sense_currents_a, ref.sense_currents_a, rtol=1e-6, atol=1e-15)
    np.testing.assert_allclose(sol.driver_currents_a, ref.driver_currents_a, rtol=1e-6, atol=1e-15)


@ngspice
def test_one_call_ngspice_backend_with_batch_and_open_cell():
    _ngspice_or_skip()
    r = np.array([[1e3, np.inf, 3e3], [4e3, 5e3, 6e3]])
    v = np.array([[0.2, 0.1], [-0.3, 0.4]])
    ref = solve_crossbar(v, r, 1.0, 2.0, r_driver_ohm=3.0, r_sense_ohm=4.0, backend="ngspice")
    sol = solve_crossbar(v, r, 1.0, 2.0, r_driver_ohm=3.0, r_sense_ohm=4.0)
    assert ref.output_currents.shape == (2, 3)
    np.testing.assert_allclose(sol.output_currents, ref.output_currents, rtol=1e-6)
    np.testing.assert_allclose(sol.driver_currents_a, ref.driver_currents_a, rtol=1e-6)
    assert np.all(ref.cell_currents_a[:, 0, 1] == 0.0)
