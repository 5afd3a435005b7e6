"""Verified writes on the ideal array: stopping rule, choice of pulse against the closed form, reports."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.algorithms.verified_write import (
    NEUROPACK_OPTIONS,
    PulseOption,
    VerifiedWrite,
    VerifiedWriteError,
    read_cells,
    verified_write,
)
from cosim.array import CrossbarArray
from cosim.devices import NEUROPACK_2022, Messaris2017
from cosim.engine import Timeline
from reference_formulas import messaris_r_ohm

P = NEUROPACK_2022


def make_array(r, **kw):
    return CrossbarArray(Messaris2017(**P), np.asarray(r, dtype=float), backend="ideal", **kw)


def test_target_within_tolerance_takes_no_pulse():
    arr = make_array(np.full((3, 3), 11000.0))
    rep = verified_write(arr, [1], [1], [11000.0 * 1.0099], tolerance=0.01)
    assert rep.steps.tolist() == [0] and rep.n_pulses == 0 and rep.converged.all()
    assert rep.n_read_vectors == 1  # the first read only
    np.testing.assert_array_equal(arr.state, 11000.0)


def test_first_choice_is_the_option_nearest_the_target_by_the_closed_form():
    arr = make_array(np.full((2, 2), 11000.0))
    target = 10000.0
    rep = verified_write(arr, [0], [1], [target], tolerance=0.001, max_steps=1)
    # R > target: resistance must fall, Messaris lowers R with negative pulses
    neg = [(k, o) for k, o in enumerate(NEUROPACK_OPTIONS) if o.amplitude_v < 0]
    pred = {k: messaris_r_ohm(11000.0, o.amplitude_v, o.width_s) for k, o in neg}
    best = min(pred, key=lambda k: abs(pred[k] - target))
    assert rep.option_history[0, 0] == best
    assert rep.predicted_ohm[0, 0] == pytest.approx(pred[best], rel=1e-12)
    # ideal backend, no noise: the device lands exactly where predicted; the rest of the array is untouched
    assert arr.state[0, 1] == pytest.approx(pred[best], rel=1e-12)
    assert arr.state[0, 0] == arr.state[1, 1] == arr.state[1, 0] == 11000.0
    assert rep.steps.tolist() == [1] and rep.n_pulses == 1


def test_max_steps_respected_for_an_unreachable_target():
    # r_n(-1.2 V) = 2230.6 ohm: 1 kohm can never be reached
    arr = make_array(np.full((2, 2), 11000.0))
    rep = verified_write(arr, [1], [0], [1000.0], tolerance=0.01, max_steps=5)
    assert rep.steps.tolist() == [5] and rep.n_pulses == 5 and not rep.converged[0]
    assert np.isfinite(rep.r_history_ohm[:, 0]).all()
    # every step chose the strongest negative option (-1.2 V, 50 us), the nearest to 1 kohm
    assert (rep.option_history[:, 0] == 11).all()
    r = 11000.0
    for _ in range(5):
        r = messaris_r_ohm(r, -1.2, 50e-6)
    assert rep.r_final_ohm[0] == pytest.approx(r, rel=1e-10)


def test_many_cells_converge_within_tolerance_with_read_noise():
    rng = np.random.default_rng(5)
    r0 = 11000 + rng.uniform(-500, 500, (10, 10))

    def noise(i, g):
        return i * (1 + g.uniform(-0.001, 0.001, np.shape(i)))

    arr = make_array(r0, read_noise=noise, rng=1)
    rows, cols = np.nonzero(rng.random((10, 10)) < 0.4)
    target = r0[rows, cols] * rng.uniform(0.85, 1.02, rows.size)  # raising R is slow on this card
    rep = verified_write(arr, rows, cols, target, tolerance=0.01, max_steps=10)
    assert rep.converged.all()
    true_rel = np.abs(arr.state[rows, cols] - target) / target
    assert true_rel.max() < 0.01 + 0.0011  # tolerance on the read, plus at most the read noise
    # stopping rule: every converged cell stopped at the first read inside tolerance
    for k in range(rows.size):
        h = rep.r_history_ohm[: rep.steps[k] + 1, k]
        rel = np.abs(h - target[k]) / target[k]
        assert (rel[:-1] >= 0.01).all() and rel[-1] < 0.01
    # untouched cells stay where they were (ideal selectors)
    untouched = np.ones((10, 10), bool)
    untouched[rows, cols] = False
    np.testing.assert_array_equal(arr.state[untouched], r0[untouched])
    assert rep.energy_j > 0 and (rep.energy_cell_j[rep.steps > 0] > 0).all()


def test_raising_resistance_uses_positive_pulses():
    arr = make_array(np.full((1, 4), 11000.0))
    rep = verified_write(arr, [0, 0], [0, 3], [11100.0, 11120.0], tolerance=0.002, max_steps=20)
    assert rep.converged.all() and (arr.state[0, [0, 3]] > 11000).all()
    used = rep.option_history[rep.option_history >= 0]
    assert all(NEUROPACK_OPTIONS[k].amplitude_v > 0 for k in used)
    # two cells of one row that chose one option share one pulse
    assert rep.n_pulses <= int((rep.option_history >= 0).sum())


def test_read_cells_row_reads():
    r = np.array([[1000.0, 2000.0], [4000.0, 8000.0]])
    arr = make_array(np.clip(r, 100, None))
    np.testing.assert_allclose(read_cells(arr, [1, 0, 1], [1, 1, 0]), [8000.0, 2000.0, 4000.0])


def test_timeline_composite_matches_direct_call_and_is_traced():
    r0 = np.full((3, 3), 11000.0)
    a1, a2 = make_array(r0), make_array(r0)
    rows, cols, tgt = [0, 2, 2], [1, 0, 2], [10500.0, 11500.0, 9000.0]
    direct = verified_write(a1, rows, cols, tgt, tolerance=0.002)
    tl = Timeline(a2)
    via = tl.execute(VerifiedWrite(rows, cols, tgt, tolerance=0.002))
    np.testing.assert_array_equal(a1.state, a2.state)
    np.testing.assert_array_equal(direct.steps, via.steps)
    kinds = tl.trace.kind.tolist()
    assert kinds.count("pulse") + kinds.count("write") == via.n_pulses > 0
    assert kinds.count("read") == int(via.steps.max()) + 1  # first read + one verify read per step
    assert set(tl.trace.label.tolist()) == {"verify", "program"}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(rows=[0, 0], cols=[1, 1], r_target_ohm=[1e4, 1e4]), r"cell \(0, 1\) is listed twice"),
        (dict(rows=[0], cols=[5], r_target_ohm=[1e4]), "col index 5 out of range 0..2"),
        (dict(rows=[0], cols=[1], r_target_ohm=[-5.0]), "r_target_ohm must be finite and > 0 ohm, got -5.0"),
        (dict(rows=[0, 1], cols=[1], r_target_ohm=[1e4]), "must be 1-D of one length"),
        (dict(tolerance=0), "tolerance must be a finite relative error > 0, got 0"),
        (dict(max_steps=-1), "max_steps must be an integer >= 0, got -1"),
        (dict(predictor="oracle"), "unknown predictor 'oracle'"),
        (dict(grouping="diag"), "unknown grouping 'diag'"),
        (dict(options=[PulseOption(1.2, 1e-6)]), "both polarities"),
        (
            dict(options=[PulseOption(1.2, -1e-6), PulseOption(-1.2, 1e-6)]),
            "pulse width must be a finite duration > 0 s, got -1e-06",
        ),
    ],
)
def test_bad_input(kwargs, match):
    arr = make_array(np.full((3, 3), 11000.0))
    args = dict(rows=[0], cols=[1], r_target_ohm=[1e4])
    args.update(kwargs)
    with pytest.raises(VerifiedWriteError, match=match):
        verified_write(arr, args.pop("rows"), args.pop("cols"), args.pop("r_target_ohm"), **args)


def test_merged_pulses_on_the_ideal_backend_equal_separate_pulses():
    rng = np.random.default_rng(2)
    r0 = 11000 + rng.uniform(-500, 500, (6, 8))
    rows, cols = np.nonzero(rng.random((6, 8)) < 0.5)
    target = r0[rows, cols] * rng.uniform(0.8, 1.01, rows.size)
    a1, a2 = make_array(r0), make_array(r0)
    sep = verified_write(a1, rows, cols, target, tolerance=0.002, merge=False)
    mer = verified_write(a2, rows, cols, target, tolerance=0.002)  # merge="auto": on for ideal
    np.testing.assert_allclose(a2.state, a1.state, rtol=1e-12)
    np.testing.assert_array_equal(sep.option_history, mer.option_history)
    # energy is a left Riemann sum over the quasi-static sub-steps, which merging changes slightly
    assert mer.energy_j == pytest.approx(sep.energy_j, rel=1e-3)
    assert mer.n_pulses < sep.n_pulses
