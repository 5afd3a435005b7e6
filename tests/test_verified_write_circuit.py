"""Verified writes on the nodal circuit: the circuit-aware predictor against the nominal one under IR drop."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.algorithms.verified_write import VerifiedWriteError, verified_write
from cosim.array import CrossbarArray
from cosim.devices import NEUROPACK_2022, Messaris2017
from cosim.netlist.crossbar import CrossbarSpec


def nodal_array(r_wire, n=16, r0=11000.0):
    spec = CrossbarSpec(n, n, r_wordline_ohm=r_wire, r_bitline_ohm=r_wire)
    return CrossbarArray(Messaris2017(**NEUROPACK_2022), np.full((n, n), r0), spec=spec, backend="nodal")


ROWS, COLS = np.array([15, 15, 15, 14]), np.array([12, 13, 15, 15])  # far corner of a 16 x 16 array


def first_step(pred, scheme, factor):
    """One verified-write step toward factor x the read resistance; (report, target)."""
    from cosim.algorithms.verified_write import read_cells

    arr = nodal_array(20.0)  # 20-ohm segments: the far corner sees ~7 % less than the nominal voltage
    target = read_cells(arr, ROWS, COLS) * factor
    rep = verified_write(arr, ROWS, COLS, target, tolerance=1e-4, max_steps=1, predictor=pred, scheme=scheme)
    return rep, target


@pytest.mark.parametrize("factor", [0.97, 0.9])
def test_circuit_predictor_predicts_what_the_circuit_delivers(factor):
    # selector array (ideal scheme) with wires: the only error of the nominal predictor is the IR drop
    err = {}
    for pred in ("nominal", "circuit"):
        rep, _ = first_step(pred, "ideal", factor)
        err[pred] = np.abs(rep.predicted_ohm[0] / rep.r_final_ohm - 1)
        if pred == "circuit":
            assert rep.n_solves == 2  # one candidate solve per row group
    # what remains is the read's own IR drop (the prediction starts from the read resistance)
    assert (err["circuit"] < err["nominal"]).all() and err["circuit"].mean() < 0.6 * err["nominal"].mean()


def test_circuit_predictor_lands_closer_under_v2():
    landed = {}
    for pred in ("nominal", "circuit"):
        rep, target = first_step(pred, "v2", 0.9)
        landed[pred] = np.abs(rep.r_final_ohm - target) / target
    assert landed["circuit"].mean() < landed["nominal"].mean()


def test_without_wires_both_predictors_agree():
    rows, cols, target = np.array([3, 3, 7]), np.array([1, 9, 9]), np.array([10200.0, 9800.0, 10600.0])
    states = []
    for pred in ("nominal", "circuit"):
        arr = nodal_array(0.0, n=10)
        verified_write(arr, rows, cols, target, tolerance=0.002, predictor=pred, scheme="ideal")
        states.append(np.array(arr.state))
    np.testing.assert_allclose(states[0], states[1], rtol=1e-9)


def test_v2_disturbs_half_selected_cells_on_the_circuit_only():
    rows, cols, target = np.array([2]), np.array([3]), np.array([11600.0])  # raise R: positive pulses
    arr = nodal_array(1.0, n=6)
    verified_write(arr, rows, cols, target, tolerance=0.001, scheme="v2", max_steps=3)
    s = np.array(arr.state)
    assert (s[2, [0, 1, 4, 5]] > 11000.0).all() and (s[[0, 1, 3, 4, 5], 3] > 11000.0).all()  # half-selected moved
    assert s[0, 0] == pytest.approx(11000.0, abs=1e-6)  # unselected (0 V) did not
    ideal = CrossbarArray(Messaris2017(**NEUROPACK_2022), np.full((6, 6), 11000.0))
    verified_write(ideal, rows, cols, target, tolerance=0.001, scheme="v2", max_steps=3)
    mask = np.ones((6, 6), bool)
    mask[2, 3] = False
    np.testing.assert_array_equal(np.array(ideal.state)[mask], 11000.0)


def test_merge_refused_on_a_circuit_backend():
    with pytest.raises(VerifiedWriteError, match="merge=True is exact only on the ideal backend"):
        verified_write(nodal_array(0.0, n=4), [0], [0], [1e4], merge=True)


@pytest.mark.ngspice
def test_ngspice_backend_gives_the_same_write_as_nodal():
    from cosim.solvers.ngspice import ngspice_available

    if not ngspice_available():
        pytest.skip("ngspice is not installed")
    states, reports = [], []
    for backend in ("nodal", "ngspice"):
        spec = CrossbarSpec(3, 3, r_wordline_ohm=2.0, r_bitline_ohm=2.0)
        arr = CrossbarArray(Messaris2017(**NEUROPACK_2022), np.full((3, 3), 11000.0), spec=spec, backend=backend)
        reports.append(verified_write(arr, [0, 2], [1, 2], [10500.0, 11080.0], tolerance=0.002, scheme="v2"))
        states.append(np.array(arr.state))
    np.testing.assert_array_equal(reports[0].steps, reports[1].steps)
    np.testing.assert_allclose(states[1], states[0], rtol=1e-6)
    assert not np.allclose(states[0], 11000.0)
