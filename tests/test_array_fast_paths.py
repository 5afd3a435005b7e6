"""Exact fast paths of the circuit in the loop, held against the reference path.

References: the general nodal solver (``CrossbarSolver``, sparse LU, itself
tested against ngspice and badcrossbar) for the O(n) line-pulse solve; Ohm's
law on a hand-derived series circuit; and the same array with
``fast_paths=False`` (every solve general, every cell advanced) for pulses,
verified writes, STDP and SNN training. Agreement required: 1e-9 relative.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cosim.array import CrossbarArray
from cosim.array.advance import static_at_zero_v
from cosim.devices import NEUROPACK_2022, Messaris2017
from cosim.devices.variability import CycleNoise
from cosim.netlist.bias import Bias, write_bias
from cosim.netlist.crossbar import CrossbarSpec
from cosim.solvers.crossbar import CrossbarSolver
from cosim.solvers.row_pulse import solve_line_pulse

FIELDS = (
    "output_currents_a",
    "cell_voltages_v",
    "device_voltages_v",
    "cell_currents_a",
    "wordline_voltages_v",
    "bitline_voltages_v",
    "driver_currents_a",
    "sense_currents_a",
    "power_cells_w",
    "power_wires_w",
)


def _rel(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.fixture
def model():
    return Messaris2017(**NEUROPACK_2022)


@pytest.mark.parametrize("r_driver, r_sense", [(0.0, 0.0), (3.0, 5.0), (0.0, 2.0)])
@pytest.mark.parametrize(
    "rows_sel, cols_sel, amp",
    [(2, [1, 3, 4, 8], 1.3), ([0, 2, 5, 6], 3, -1.1), (4, [7], 0.7), (6, list(range(9)), -0.9)],
)
def test_line_pulse_equals_general_solver(r_driver, r_sense, rows_sel, cols_sel, amp):
    rng = np.random.default_rng(0)
    spec = CrossbarSpec(
        7,
        9,
        r_wordline_ohm=rng.uniform(0.5, 20, (7, 9)),
        r_bitline_ohm=rng.uniform(0.5, 20, (7, 9)),
        r_driver_ohm=r_driver,
        r_sense_ohm=r_sense,
    )
    g = rng.uniform(1e-4, 1e-2, (7, 9))
    g[2, 3] = g[5, 3] = 0.0  # open cells inside the selection
    bias = write_bias("ideal", spec.shape, rows_sel, cols_sel, amp)
    ref = CrossbarSolver(spec, method="sparse").apply(g, bias)
    fast = solve_line_pulse(spec, g, bias)
    assert fast is not None
    full = fast.full()
    for name in FIELDS:
        assert _rel(getattr(full, name), getattr(ref, name)) < 1e-9, name
    assert _rel(fast.device_voltages_v, ref.device_voltages_v) < 1e-9
    assert fast.power_cells_w == pytest.approx(float(ref.power_cells_w), rel=1e-9)
    assert fast.power_wires_w == pytest.approx(float(ref.power_wires_w), rel=1e-9)


def test_line_pulse_single_cell_is_ohms_law():
    # one selected cell (1, 2) of a 3 x 4 array: driver, WL segments 0..2, the cell, BL segments 1..2, sense
    r_wl, r_bl, r_drv, r_sns, r_cell = 2.0, 3.0, 7.0, 11.0, 1000.0
    spec = CrossbarSpec(3, 4, r_wordline_ohm=r_wl, r_bitline_ohm=r_bl, r_driver_ohm=r_drv, r_sense_ohm=r_sns)
    g = np.full((3, 4), 1e-3)
    bias = write_bias("ideal", (3, 4), 1, 2, 1.0)
    sol = solve_line_pulse(spec, g, bias)
    r_total = r_drv + 3 * r_wl + r_cell + 2 * r_bl + r_sns
    i = 1.0 / r_total
    assert sol.i_cell_a[0] == pytest.approx(i, rel=1e-13)
    assert sol.device_voltages_v[1, 2] == pytest.approx(i * r_cell, rel=1e-13)
    assert sol.power_wires_w == pytest.approx(i * i * (r_total - r_cell), rel=1e-12)
    assert np.count_nonzero(sol.device_voltages_v) == 1


def test_line_pulse_declines_what_is_not_a_tree():
    spec = CrossbarSpec(4, 4, r_wordline_ohm=1.0, r_bitline_ohm=1.0)
    g = np.full((4, 4), 1e-4)
    assert solve_line_pulse(spec, g, write_bias("ideal", (4, 4), [0, 1], [1, 2], 1.0)) is None  # a loop
    assert solve_line_pulse(spec, g, write_bias("v2", (4, 4), 0, [1, 2], 1.0)) is None  # no selectors
    float_bias = Bias(
        wordline_v=[1.0, 0, 0, np.nan],
        bitline_v=np.zeros(4),
        gate_on=True,
        selected=np.eye(4, dtype=bool) & np.array([[1], [0], [0], [0]], bool),
        ideal_selector=True,
    )
    assert solve_line_pulse(spec, g, float_bias) is None
    zero_seg = CrossbarSpec(4, 4, r_wordline_ohm=0.0, r_bitline_ohm=1.0)
    assert solve_line_pulse(zero_seg, g, write_bias("ideal", (4, 4), 0, [1, 2], 1.0)) is None
    sel = CrossbarSpec(4, 4, r_wordline_ohm=1.0, r_bitline_ohm=1.0, cell="1S1R")
    assert solve_line_pulse(sel, g, write_bias("ideal", (4, 4), 0, [1, 2], 1.0)) is None


def test_which_models_advance_sparsely(model):
    assert static_at_zero_v(model)
    # the claim behind it: 0 V leaves every state exactly where it is
    r = np.random.default_rng(0).uniform(model.r_min_ohm, model.r_max_ohm, 50)
    assert np.array_equal(model.advance(r, np.zeros(50), 1e-3), r)
    assert not static_at_zero_v(CycleNoise(model, sigma=0.1))  # draws random numbers per cell
    spread = Messaris2017(**{**NEUROPACK_2022, "a_p": np.full((3, 3), NEUROPACK_2022["a_p"])})
    assert not static_at_zero_v(spread)


def _pair(model, shape, r_wire, **kw):
    r0 = np.random.default_rng(3).uniform(10.5e3, 11.5e3, shape)
    spec = CrossbarSpec(*shape, r_wordline_ohm=r_wire, r_bitline_ohm=r_wire, r_driver_ohm=2.0, r_sense_ohm=1.0)
    fast = CrossbarArray(model, r0, spec=spec, backend="nodal", **kw)
    ref = CrossbarArray(model, r0, spec=spec, backend="nodal", fast_paths=False, **kw)
    return fast, ref


def test_pulses_fast_equal_reference(model):
    fast, ref = _pair(model, (12, 10), 2.0, split_tolerance=0.01)
    seq = [
        (3, [1, 4, 5], -1.2, "ideal"),
        ([0, 5, 9], 7, 1.1, "ideal"),
        (2, 2, -1.2, "v2"),
        ([1, 2], [3, 4], 1.2, "ideal"),
        (11, list(range(10)), -1.1, "ideal"),
    ]
    for rows, cols, amp, scheme in seq:
        a = fast.write(rows, cols, amp, 20e-6, scheme=scheme)
        b = ref.write(rows, cols, amp, 20e-6, scheme=scheme)
        assert _rel(a.v_device_v, b.v_device_v) < 1e-9
        assert a.n_substeps == b.n_substeps and a.n_advances == b.n_advances
        assert a.energy_j == pytest.approx(b.energy_j, rel=1e-9)
        assert _rel(fast.state, ref.state) < 1e-9
    assert fast._backend.stats["line_pulses"] > 0 and ref._backend.stats["line_pulses"] == 0


@pytest.mark.parametrize("scheme", ["ideal", "v2"])
def test_verified_write_circuit_predictor_fast_equals_reference(model, scheme):
    from cosim.algorithms.verified_write import verified_write

    fast, ref = _pair(model, (10, 10), 1.0)
    rng = np.random.default_rng(5)
    rows, cols = np.divmod(rng.choice(100, 30, replace=False), 10)
    target = rng.uniform(5e3, 10e3, 30)
    a = verified_write(fast, rows, cols, target, tolerance=0.01, predictor="circuit", scheme=scheme)
    b = verified_write(ref, rows, cols, target, tolerance=0.01, predictor="circuit", scheme=scheme)
    assert np.array_equal(a.steps, b.steps) and np.array_equal(a.option_history, b.option_history)
    assert _rel(a.r_final_ohm, b.r_final_ohm) < 1e-9
    assert _rel(fast.state, ref.state) < 1e-9
    assert a.energy_j == pytest.approx(b.energy_j, rel=1e-9)


@pytest.mark.parametrize("scheme", ["ideal", "v2"])
def test_snn_training_fast_equals_reference(scheme):
    from cosim.runs.experiments.snn import SNNConfig, _dataset, build_network

    cfg = SNNConfig(dataset="digits", n_train=30, n_test=10, array_rows=20, array_cols=32, figures=False)
    # reuse_tolerance=0: the reference must be exact (with reuse > 0 its stale pulse solves are an
    # approximation that the exact line-pulse solve does not share)
    cfg = dataclasses.replace(
        cfg,
        circuit=dataclasses.replace(cfg.circuit, r_wire_ohm=1.0, reuse_tolerance=0.0),
        write=dataclasses.replace(cfg.write, scheme=scheme, tolerance=0.01),
    )
    data = _dataset(cfg)
    nets = []
    for fast in (True, False):
        net, arr = build_network(cfg, data.n_inputs, 10, np.random.default_rng(7), "nodal")
        arr.fast_paths = fast
        s0 = np.array(arr.state)
        preds = [net.step(x, int(y)).prediction for x, y in zip(data.x_train[:4], data.y_train[:4])]
        nets.append((arr, preds))
    (fa, fp), (ra, rp) = nets
    assert fp == rp
    assert _rel(fa.state, ra.state) < 1e-9
    assert np.count_nonzero(fa.state != s0) > 10  # training moved the devices
    assert fa.energy_j == pytest.approx(ra.energy_j, rel=1e-9)


def test_stdp_fast_equals_reference(model):
    from cosim.algorithms.stdp import STDPNetwork, STDPParams

    outs = []
    for fast in (True, False):
        r0 = np.random.default_rng(2).uniform(10.5e3, 11.5e3, (16, 4))
        spec = CrossbarSpec(16, 4, r_wordline_ohm=1.0, r_bitline_ohm=1.0)
        arr = CrossbarArray(model, r0, spec=spec, backend="nodal", fast_paths=fast)
        net = STDPNetwork(arr, STDPParams(scheme="ideal", steps_per_image=3), rng=np.random.default_rng(1))
        x = np.random.default_rng(4).random((4, 16)) < 0.4
        for img in x:
            net.present(img.astype(float))
        outs.append((np.array(arr.state), net.pulses, arr._backend.stats["line_pulses"]))
    assert _rel(outs[0][0], outs[1][0]) < 1e-9
    assert outs[0][1] == outs[1][1] > 0
    assert outs[0][2] > 0 and outs[1][2] == 0


def test_line_batch_equals_pulses_one_by_one(model):
    from cosim.array.batch import write_line_batch

    fast, ref = _pair(model, (12, 10), 2.0, split_tolerance=0.005)  # fine sub-steps: splitting is exercised
    stuck = np.zeros((12, 10), bool)
    stuck[3, 4] = True
    fast.set_stuck(stuck)
    ref.set_stuck(stuck)
    writes = [
        (np.array([3, 3, 3]), np.array([1, 4, 5]), -1.2, 20e-6),
        (np.array([0, 5, 9]), np.array([7, 7, 7]), 1.1, 5e-6),
        (np.array([3, 3]), np.array([0, 9]), 1.2, 50e-6),
        (np.array([8]), np.array([2]), -0.9, 1e-6),
    ]
    s_init = np.array(fast.state)
    done = write_line_batch(fast, writes)
    assert done is not None
    e_ref = ref.energy_j
    substeps = []
    for (r, c, amp, w), (s0, v) in zip(writes, done):
        rep = ref.write(r[0] if np.ptp(r) == 0 else r, c if np.ptp(r) == 0 else c[0], amp, w, scheme="ideal")
        substeps.append(rep.n_substeps)
        assert _rel(s0, rep.state_before[r, c]) == 0.0
        assert _rel(v, rep.v_device_v[r, c]) < 1e-9
    assert max(substeps) > 2
    assert _rel(fast.state, ref.state) < 1e-9
    assert fast.state[3, 4] == ref.state[3, 4] == s_init[3, 4]  # the stuck cell stays
    assert fast.energy_j == pytest.approx(ref.energy_j, rel=1e-9) and ref.energy_j > e_ref
    # outside its case it declines and changes nothing
    before = np.array(fast.state)
    assert write_line_batch(fast, [(np.array([1, 2]), np.array([1, 2]), 1.0, 1e-6)]) is None  # not one line
    assert write_line_batch(fast, writes[:1] + writes[:1]) is None  # shared cells
    fast.fast_paths = False
    assert write_line_batch(fast, writes) is None
    assert np.array_equal(fast.state, before)


def test_read_memo_is_exact_and_forgets_on_every_state_change(model):
    from cosim.devices.variability import ReadNoise

    fast, ref = _pair(model, (8, 6), 2.0)
    v = np.zeros((3, 8))
    v[[0, 1, 2], [1, 4, 1]] = 0.2  # rows 0 and 2 repeat a vector
    first = fast.read(v)
    assert np.array_equal(first[0], first[2])
    again = fast.read(v[:2])
    assert fast._backend.stats["memo_reads"] == 2  # both vectors of the second read came from memory
    assert np.array_equal(again, first[:2])
    assert _rel(first, ref.read(v)) < 1e-12
    ref.read(v[:2])
    assert fast.energy_j == pytest.approx(ref.energy_j, rel=1e-12)  # a remembered read still costs its energy
    for arr in (fast, ref):
        arr.write(4, [0, 3], -1.2, 50e-6, scheme="ideal")
    after = fast.read(v)
    assert _rel(after, ref.read(v)) < 1e-12 and not np.allclose(after, first, rtol=1e-9, atol=0)
    fast.set_state(np.full((8, 6), 9000.0))
    ref.set_state(np.full((8, 6), 9000.0))
    assert _rel(fast.read(v), ref.read(v)) < 1e-12
    # read noise is drawn afresh on every read, memo or not
    noisy = CrossbarArray(
        model, np.full((8, 6), 11e3), spec=fast.spec, backend="nodal", read_noise=ReadNoise("uniform", 0.01), rng=1
    )
    assert not np.array_equal(noisy.read(v[0]), noisy.read(v[0]))
