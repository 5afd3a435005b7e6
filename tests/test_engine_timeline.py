"""The discrete-event engine: ordering, time, composite events, trace, files, bad input.

Reference for what every event does: the same operations applied directly to
a copy of the array (CrossbarArray.read / write / idle), and hand-computed
clock arithmetic.
"""

from __future__ import annotations

import numpy as np
import pytest

from cosim.array import CrossbarArray
from cosim.devices import Messaris2017, NEUROPACK_2022
from cosim.engine import Composite, EngineError, Idle, Pulse, Read, Timeline, Trace, Write
from cosim.netlist.bias import write_bias
from cosim.netlist.crossbar import CrossbarSpec


@pytest.fixture
def array():
    r0 = np.random.default_rng(0).uniform(10.5e3, 11.5e3, (3, 4))
    return CrossbarArray(Messaris2017(**NEUROPACK_2022), r0, read_width_s=2e-6)


class VerifyDown(Composite):
    """A minimal verified write: read the cell, pulse it down while above the target, at most max_steps."""

    def __init__(self, row, col, target_ohm, max_steps=20, **kw):
        super().__init__(**kw)
        self.row, self.col, self.target_ohm, self.max_steps = row, col, target_ohm, max_steps

    def expand(self, array, now_s):
        v = np.zeros(array.rows)
        v[self.row] = 0.1
        for step in range(self.max_steps):
            i_out = yield Read(v)
            r_read = 0.1 / i_out[self.col]
            if r_read <= self.target_ohm:
                return step
            yield Write(self.row, self.col, -1.2, 5e-6, scheme="v2")
        return self.max_steps


def test_events_run_in_time_order_and_match_direct_calls(array):
    twin = array.copy()
    r_initial = np.array(array.state)
    tl = Timeline(array)
    bias = write_bias("v2", (3, 4), 0, 1, -1.2)
    # scheduled out of order; equal times keep scheduling order
    tl.schedule(Idle(1e-3), at_s=5e-3)
    tl.schedule(Pulse(bias, 3e-6), at_s=1e-3)
    tl.schedule(Read([0.1, 0.2, 0.0]), at_s=1e-3)
    tl.schedule(Write(2, [0, 1, 2, 3], 1.1, 4e-6, scheme="v3", label="row2"))
    tl.run(until_s=0.0)
    assert len(tl.trace) == 1 and len(tl) == 3  # only the event due at t = 0 ran
    trace = tl.run()
    assert list(trace.kind) == ["write", "idle", "pulse", "read", "idle", "idle"]
    assert list(trace.label) == ["row2", "gap", "", "", "gap", ""]
    # clock: write 0..4us, gap to 1 ms, pulse 3 us, read 2 us, gap to 5 ms, idle 1 ms
    np.testing.assert_allclose(trace.time_s, [0, 4e-6, 1e-3, 1.003e-3, 1.005e-3, 5e-3], rtol=1e-12)
    np.testing.assert_allclose(trace.duration_s, [4e-6, 1e-3 - 4e-6, 3e-6, 2e-6, 5e-3 - 1.005e-3, 1e-3])
    assert tl.now_s == pytest.approx(6e-3)
    # the same operations applied directly
    w = twin.write(2, [0, 1, 2, 3], 1.1, 4e-6, scheme="v3")
    p = twin.pulse(bias, 3e-6)
    i = twin.read([0.1, 0.2, 0.0])
    np.testing.assert_array_equal(array.state, twin.state)
    np.testing.assert_array_equal(trace.get("i_out_a", 3), i)
    np.testing.assert_array_equal(trace.get("cells", 0), [[2, 0], [2, 1], [2, 2], [2, 3]])
    np.testing.assert_array_equal(trace.get("state_after", 0), w.state_after[2])
    np.testing.assert_array_equal(trace.get("state_before", 2), [p.state_before[0, 1]])
    np.testing.assert_array_equal(trace.get("v_applied_v", 2), [-1.2])
    np.testing.assert_array_equal(trace.get("full_state_after", 5), twin.state)
    np.testing.assert_array_equal(trace.initial_state, r_initial)
    assert trace.energy_j[0] == pytest.approx(w.energy_j) and trace.energy_j[3] > 0
    assert trace.energy_j.sum() == pytest.approx(array.energy_j, rel=1e-12)


def test_composite_event_feeds_results_back(array):
    r_start = np.array(array.state)
    tl = Timeline(array)
    target = 0.93 * array.state[1, 2]
    steps = tl.execute(VerifyDown(1, 2, target, label="vw"))
    trace = tl.trace
    kinds = list(trace.kind)
    assert kinds == ["read", "write"] * steps + ["read"]
    assert set(trace.label) == {"vw"}
    assert 1 < steps < 20
    # stopped exactly when the read resistance first reached the target
    r_reads = [0.1 / trace.get("i_out_a", k)[2] for k in range(0, len(trace), 2)]
    assert r_reads[-1] <= target < r_reads[-2]
    assert array.state[1, 2] == pytest.approx(r_reads[-1], rel=1e-12)
    np.testing.assert_allclose(trace.time_s[1:], np.cumsum(trace.duration_s)[:-1], rtol=1e-12)
    # without a trace: same results, nothing recorded
    twin = CrossbarArray(array.model, r_start, read_width_s=2e-6)
    quiet = Timeline(twin, record=False)
    assert quiet.execute(VerifyDown(1, 2, target, label="vw")) == steps
    np.testing.assert_array_equal(twin.state, array.state)
    assert len(quiet.trace) == 0 and quiet.now_s == pytest.approx(tl.now_s)
    # composite events can also be queued
    tl.schedule(VerifyDown(0, 0, 0.97 * array.state[0, 0]), at_s=1.0)
    tl.run()
    assert trace.label[-1] == "VerifyDown" and trace.time_s[-1] > 1.0


def test_trace_save_load_round_trip(array, tmp_path):
    tl = Timeline(array)
    tl.schedule(Read(np.array([[0.1, 0.0, 0.2], [0.0, 0.1, 0.0]])))
    tl.schedule(Write([0, 1], 3, -1.2, 1e-6))
    tl.schedule(Idle(1e-6))
    tl.run()
    tl.execute(VerifyDown(2, 2, 0.99 * array.state[2, 2]))
    path = tl.trace.save(tmp_path / "trace.npz")
    back = Trace.load(path)
    assert len(back) == len(tl.trace) and back.meta == tl.trace.meta
    for k in range(len(back)):
        a, b = tl.trace.record(k), back.record(k)
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]), err_msg=f"{key} of record {k}")
    np.testing.assert_array_equal(back.initial_state, tl.trace.initial_state)
    assert back.get("i_out_a", 0).shape == (2, 4)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        tl.trace.save(path)
    tl.trace.save(path, overwrite=True)
    with pytest.raises(FileNotFoundError, match="no trace file"):
        Trace.load(tmp_path / "missing.npz")
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(EngineError, match="not a cosim trace: missing field 'time_s'"):
        Trace.load(tmp_path / "other.npz")
    with pytest.raises(EngineError, match="must end in .npz"):
        tl.trace.save(tmp_path / "trace.txt")


def test_large_array_records_touched_cells_only():
    n = 40
    r0 = np.full((n, n), 11e3)
    arr = CrossbarArray(Messaris2017(**NEUROPACK_2022), r0, spec=CrossbarSpec(n, n), backend="nodal")
    tl = Timeline(arr)
    tl.schedule(Write(3, 5, 1.2, 1e-6, scheme="v2"))
    trace = tl.run()
    assert trace.initial_state is None and trace.get("full_state_after", 0).size == 0
    np.testing.assert_array_equal(trace.get("cells", 0), [[3, 5]])
    # the half-selected cells moved (+0.6 V on a passive array): the disturb column says by how much
    expected = np.abs(arr.state - r0)
    expected[3, 5] = 0
    assert trace.disturb[0] == pytest.approx(expected.max()) and trace.disturb[0] > 1.0


def test_idle_and_gaps_relax_volatile_devices(leaky_device):
    arr = CrossbarArray(leaky_device(rate_s_per_v_s=1e-2, g_rest_s=1e-5, tau_s=1e-3), np.full((2, 2), 2e-4))
    tl = Timeline(arr)
    tl.schedule(Idle(0.5e-3))
    tl.schedule(Read([0.1, 0.1]), at_s=2e-3)  # 1.5 ms gap before it
    trace = tl.run()
    np.testing.assert_allclose(arr.state, 1e-5 + 1.9e-4 * np.exp(-2.0), rtol=1e-12)
    np.testing.assert_allclose(trace.get("i_out_a", 2), 2 * 0.1 * arr.state[0], rtol=1e-12)


def test_bad_engine_input(array):
    tl = Timeline(array)
    with pytest.raises(EngineError, match="cannot schedule 'read'"):
        tl.schedule("read")
    with pytest.raises(EngineError, match="at_s must be a finite time in seconds, got nan"):
        tl.schedule(Idle(1e-6), at_s=float("nan"))
    with pytest.raises(EngineError, match="Idle.duration_s must be a finite duration >= 0 s, got -1"):
        Idle(-1)
    with pytest.raises(EngineError, match="Write.width_s"):
        Write(0, 0, 1.0, -1e-6)
    with pytest.raises(EngineError, match="Pulse.bias must be"):
        Pulse("v2", 1e-6)
    with pytest.raises(EngineError, match="Timeline needs a cosim.array.CrossbarArray"):
        Timeline(np.zeros((2, 2)))
    with pytest.raises(EngineError, match="unknown write scheme 'v5'"):
        Write(0, 0, 1.0, 1e-6, scheme="v5")
    with pytest.raises(ValueError, match="index 7 out of range"):
        tl.execute(Write(7, 0, 1.0, 1e-6))


def test_seeded_runs_bit_identical(tmp_path):
    def run(seed):
        model = Messaris2017(**NEUROPACK_2022)
        r0 = np.random.default_rng(seed).uniform(10e3, 12e3, (4, 4))
        noise = lambda i, rng: i * (1 + rng.uniform(-0.01, 0.01, np.shape(i)))  # noqa: E731
        arr = CrossbarArray(
            model,
            r0,
            spec=CrossbarSpec(4, 4, r_wordline_ohm=2.0, r_bitline_ohm=2.0),
            backend="nodal",
            read_noise=noise,
            rng=np.random.default_rng(seed),
        )
        tl = Timeline(arr)
        for k in range(4):
            tl.schedule(VerifyDown(k, (k + 1) % 4, 0.95 * r0[k, (k + 1) % 4]))
        tl.run()
        return tl.trace.save(tmp_path / f"t{seed}_{np.random.default_rng().integers(1 << 30)}.npz")

    a, b, c = (np.load(run(s)) for s in (3, 3, 4))
    assert all(np.array_equal(a[k], b[k]) for k in a.files)
    assert not np.array_equal(a["i_out_a__data"], c["i_out_a__data"])


def test_devices_volatile_wrapper_relaxes_on_the_time_line():
    from cosim.devices.variability import Volatile

    model = Volatile(Messaris2017(**NEUROPACK_2022), tau_s=1e-3, rest_state=11000.0)
    arr = CrossbarArray(model, np.array([[9000.0, 12000.0]]))
    tl = Timeline(arr)
    tl.schedule(Read([0.1]), at_s=0.5e-3)  # 0.5 ms gap, then a 1 us read
    tl.schedule(Idle(0.5e-3 - 1e-6), at_s=0.5e-3)  # same time, queued later: right after the read
    tl.run()
    assert tl.trace.kind.tolist() == ["idle", "read", "idle"] and tl.now_s == pytest.approx(1e-3)
    np.testing.assert_allclose(
        arr.state, 11000.0 + np.array([[-2000.0, 1000.0]]) * np.exp(-(1e-3 - 1e-6) / 1e-3), rtol=1e-12
    )


def test_more_bad_engine_input_is_named(array, tmp_path):
    with pytest.raises(EngineError, match="start_s must be a finite time in seconds, got 'noon'"):
        Timeline(array, start_s="noon")
    with pytest.raises(EngineError, match="start_s must be a finite time in seconds, got inf"):
        Timeline(array, start_s=float("inf"))
    with pytest.raises(EngineError, match="Pulse.width_s must be a finite duration >= 0 s, got -2e-06"):
        Pulse(write_bias("v2", (3, 4), 0, 0, 1.0), -2e-6)
    with pytest.raises(EngineError, match="Idle.duration_s must be a number of seconds, got 'a while'"):
        Idle("a while")
    tl = Timeline(array)
    tl.execute(Idle(1e-6))
    with pytest.raises(EngineError, match="unknown trace field 'voltage'"):
        tl.trace.get("voltage", 0)
    with pytest.raises(EngineError, match="trace path must end in .npz, got 'trace.csv'"):
        tl.trace.save("trace.csv")
