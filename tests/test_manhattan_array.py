"""The Manhattan perceptron trained on a CrossbarArray: one code path for the
ideal and the circuit backends, held equal to the reference-mode trainer and
to itself across backends; pulses that the circuit weakens below the device
threshold must not move the device."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.algorithms.manhattan import (
    ManhattanConfigError,
    ManhattanRule,
    measured_4x4_array,
    reference_task,
    train_manhattan,
)
from cosim.algorithms.manhattan_reference import ReferenceSettings, reference_shifts_s, train_reference


def _same_history(a, b, *, rtol=1e-12):
    assert a.converged == b.converged and a.updates == b.updates
    np.testing.assert_array_equal(a.state, b.state)
    np.testing.assert_array_equal(a.signs, b.signs)
    np.testing.assert_allclose(a.g_s, b.g_s, rtol=rtol)
    np.testing.assert_allclose(a.currents_a, b.currents_a, rtol=1e-9, atol=1e-20)


@pytest.mark.parametrize("seed", [0, 190])
def test_ideal_array_reproduces_the_reference_trainer(seed):
    ref = train_reference([seed])
    arr = measured_4x4_array(ref.shifts_s[0], backend="ideal")
    h = train_manhattan(arr, reference_task(), ManhattanRule())
    assert h.converged == bool(ref.converged[0]) and h.updates == int(ref.updates[0])
    n = h.g_s.shape[0]
    np.testing.assert_array_equal(h.state, ref.index[0, :n])
    np.testing.assert_array_equal(h.signs, ref.signs[0, : n - 1])
    np.testing.assert_allclose(h.g_s, ref.g_s[0, :n], rtol=1e-13)
    np.testing.assert_allclose(h.activation, ref.activation[0, :n], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(h.error, ref.error[0, :n], rtol=1e-9, atol=1e-12)


def test_ideal_array_reproduces_the_well_posed_trainer():
    st = ReferenceSettings(beta_per_a=4e7, k_scale=20.0, delta_rule="hinge")
    ref = train_reference([3], st)
    arr = measured_4x4_array(ref.shifts_s[0], k_scale=20.0, backend="ideal")
    h = train_manhattan(arr, reference_task(), ManhattanRule(beta_per_a=4e7, delta_rule="hinge"))
    n = h.g_s.shape[0]
    assert h.updates == int(ref.updates[0])
    np.testing.assert_array_equal(h.state, ref.index[0, :n])


@pytest.mark.parametrize("scheme", ["ideal", "v2", "v3"])
def test_ideal_backend_equals_nodal_with_zero_wires(scheme):
    shifts = reference_shifts_s(190).reshape(4, 4)
    rule = ManhattanRule(scheme=scheme)
    h_ideal = train_manhattan(measured_4x4_array(shifts, backend="ideal"), reference_task(), rule)
    h_nodal = train_manhattan(measured_4x4_array(shifts, backend="nodal"), reference_task(), rule)
    _same_history(h_ideal, h_nodal)
    # the circuit delivers the full amplitude to selected cells, and the scheme's level to the others
    assert np.nanmin(h_nodal.v_selected_min_v) == pytest.approx(1.0, rel=1e-12)
    expect_unsel = {"ideal": 0.0, "v2": 0.5, "v3": 1 / 3}[scheme]
    assert h_nodal.v_unselected_max_v.max() == pytest.approx(expect_unsel, abs=1e-12)


def test_a_pulse_weakened_below_threshold_by_the_sense_resistor_moves_nothing():
    # ideal selector, one column at a time: each pulsed cell sees at most
    # V * R_cell / (R_cell + r_sense) with cells sharing the sense resistor;
    # with r_sense >= the largest cell resistance every cell voltage is <= 1 V / 2 < 0.6 V
    shifts = reference_shifts_s(0).reshape(4, 4)
    r_cell_max = 1.0 / (10.0 * shifts.min())  # G = K * shift at pulse index 0 is the lowest of each cell
    arr = measured_4x4_array(shifts, backend="nodal", r_sense_ohm=r_cell_max)
    h = train_manhattan(arr, reference_task(), ManhattanRule(max_updates=5))
    assert h.pulses.sum() > 0
    assert np.nanmax(h.v_selected_max_v) < 0.6
    np.testing.assert_array_equal(h.state[-1], np.zeros((4, 4)))


def test_half_select_above_threshold_disturbs_under_v2_but_not_with_an_ideal_selector():
    shifts = reference_shifts_s(0).reshape(4, 4)
    common = dict(max_updates=1, amplitude_v=1.3)  # V/2 = 0.65 V > 0.6 V threshold
    h_v2 = train_manhattan(
        measured_4x4_array(shifts, backend="nodal"), reference_task(), ManhattanRule(scheme="v2", **common)
    )
    h_id = train_manhattan(
        measured_4x4_array(shifts, backend="nodal"), reference_task(), ManhattanRule(scheme="ideal", **common)
    )
    pulsed = h_id.state[1] - h_id.state[0]
    assert pulsed.max() == 1 and (pulsed >= 0).all()
    assert ((h_v2.state[1] - h_v2.state[0]) > pulsed).any()  # cells moved that nobody meant to pulse


def test_layout_that_does_not_fit_is_named():
    arr = measured_4x4_array(np.full((4, 4), 5e-8))
    with pytest.raises(ManhattanConfigError, match="neuron_cols"):
        train_manhattan(arr, reference_task(), ManhattanRule(), neuron_cols=[0, 1, 2, 7])


@pytest.mark.parametrize(
    "kwargs, key",
    [
        ({"scheme": "v4"}, "scheme"),
        ({"amplitude_v": -1.0}, "amplitude_v"),
        ({"width_s": 0.0}, "width_s"),
        ({"grouping": "diag"}, "grouping"),
        ({"delta_rule": "x"}, "delta_rule"),
        ({"max_updates": -1}, "max_updates"),
    ],
)
def test_bad_rule_values_name_the_key(kwargs, key):
    with pytest.raises(ManhattanConfigError, match=key):
        ManhattanRule(**kwargs)
