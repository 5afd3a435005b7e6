"""The Tempotron core: kernel normalisation, a hand-computed error-trial update, learning, backends.

References: the closed-form kernel evaluated in the test; the published behaviour that a
tempotron learns random-latency patterns well below its capacity (Gütig & Sompolinsky 2006,
capacity about 3 patterns per synapse); ideal vs nodal vs ngspice arrays on one code path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cosim.algorithms.cores import (
    Core,
    CoreError,
    ExactSynapses,
    SynapseConfig,
    TempotronNeuron,
    TempotronRule,
    build_synapses,
    kernel,
    kernel_traces,
)
from cosim.algorithms.cores.tempotron import evaluate, kernel_v0, train_epoch
from cosim.runs.run import run_experiment

ALG = Path(__file__).resolve().parents[1] / "algorithms"
TAU, TAU_S = 20.0, 5.0


def k_by_hand(s):
    s_peak = TAU * TAU_S * np.log(TAU / TAU_S) / (TAU - TAU_S)  # 9.242 ms
    v0 = 1.0 / (np.exp(-s_peak / TAU) - np.exp(-s_peak / TAU_S))
    s = np.asarray(s, float)
    return np.where(s > 0, v0 * (np.exp(-s / TAU) - np.exp(-s / TAU_S)), 0.0)


def test_kernel_peak_is_one_at_the_closed_form_time():
    s = np.linspace(0, 100, 200001)
    k = kernel(s)
    assert k.max() == pytest.approx(1.0, abs=1e-9)
    assert s[np.argmax(k)] == pytest.approx(20 * 5 * np.log(4) / 15, abs=1e-3)
    assert kernel_v0() == pytest.approx(1 / (4 ** (-1 / 3) - 4 ** (-4 / 3)))
    np.testing.assert_allclose(kernel(s[::1000]), k_by_hand(s[::1000]))


@pytest.mark.parametrize("label,w,sign", [(1, [0.3, 0.2], +1), (0, [0.9, 0.6], -1)])
def test_error_trial_update_by_hand(label, w, sign):
    lam = 0.01
    times = np.array([0.0, 10.0])
    t = np.arange(80.0)
    v = w[0] * k_by_hand(t - times[0]) + w[1] * k_by_hand(t - times[1])
    t_max = t[np.argmax(v)]
    fires = v.max() >= 0.8
    assert fires == (label == 0)  # the trial is an error: a missed "+" or a false "-"
    expected = sign * lam * np.array([k_by_hand(t_max - times[0]), k_by_hand(t_max - times[1])])

    core = Core(ExactSynapses(np.array(w)[:, None]), TempotronNeuron(0.8), TempotronRule(lam))
    seen, _ = core.step(kernel_traces(times, 80), label)
    np.testing.assert_allclose(seen.v[:, 0], v, rtol=1e-12)
    np.testing.assert_allclose(core.weights()[:, 0] - w, expected, rtol=1e-12)
    # a correct trial changes nothing
    before = core.weights().copy()
    core2 = Core(ExactSynapses(before), TempotronNeuron(0.8), TempotronRule(lam))
    core2.step(kernel_traces(times, 80), 1 - label if fires == (label == 0) else label)


def test_neuron_fires_once_at_the_first_crossing():
    neu = TempotronNeuron(0.5)
    v = np.array([[0.1, 0.6], [0.7, 0.4], [0.2, 0.9], [0.8, 0.1]])
    spikes, _, _ = neu.run(v, neu.init_state(2))
    assert spikes.tolist() == [[False, True], [True, False], [False, False], [False, False]]
    # the step-by-step call agrees with run
    s = neu.init_state(2)
    step = []
    for row in v:
        sp, s = neu(row, s)
        step.append(sp.tolist())
    assert step == spikes.tolist()


def _latency_task(n, p, rng):
    times = rng.uniform(0, 500, (p, n))
    return kernel_traces(times, 500, 1.0, dtype=np.float32), rng.integers(0, 2, p)


def test_learns_random_latency_patterns_below_capacity():
    rng = np.random.default_rng(0)
    traces, labels = _latency_task(50, 25, rng)  # load 0.5, far below the capacity of about 3
    for kind in ("software", "memristive"):
        syn = build_synapses(
            SynapseConfig(weights=kind, w_max=0.5, tolerance=0.001),
            rng.normal(0, 0.05, (50, 1)),
            rng=np.random.default_rng(1),
        )
        core = Core(syn, TempotronNeuron(0.8), TempotronRule(0.02))
        order = np.random.default_rng(2)
        first = train_epoch(core, traces, labels, order)["errors"]
        for _ in range(40):
            if train_epoch(core, traces, labels, order)["errors"] == 0:
                break
        _, fired = evaluate(core, traces)
        assert first > 3
        assert np.mean(fired[:, 0] == labels.astype(bool)) >= 0.96, kind


def _small_run(backend):
    rng = np.random.default_rng(4)
    traces, labels = _latency_task(6, 4, rng)
    cfg = SynapseConfig(w_max=0.5, tolerance=0.01, r_wire_ohm=0.0)
    core = Core(
        build_synapses(cfg, rng.normal(0, 0.2, (6, 1)), backend=backend, rng=np.random.default_rng(0)),
        TempotronNeuron(0.8),
        TempotronRule(0.05),
    )
    st = train_epoch(core, traces, labels, np.random.default_rng(0))
    return core.weights(), st


def test_one_code_path_on_ideal_nodal_and_ngspice():
    import shutil

    if shutil.which("ngspice") is None:
        pytest.fail("ngspice is part of the set-up (setup.sh) and must be on PATH")
    w_ideal, st = _small_run("ideal")
    assert st["pulses"] > 0
    for backend in ("nodal", "ngspice"):
        w, st_b = _small_run(backend)
        # wire-free circuits deliver the nominal voltages: the same pulses, the same weights
        assert st_b["pulses"] == st["pulses"]
        np.testing.assert_allclose(w, w_ideal, atol=1e-6)


def test_bad_inputs():
    with pytest.raises(CoreError, match="tau_ms > tau_s_ms"):
        kernel(np.ones(3), tau_ms=5.0, tau_s_ms=20.0)
    with pytest.raises(CoreError, match="target must be 0 or 1"):
        TempotronRule.desired(3, 1)
    with pytest.raises(CoreError, match="threshold"):
        TempotronNeuron(-1.0)


def test_digits_experiment_learns(tmp_path):
    res = run_experiment(
        ALG / "tempotron_digits.toml",
        overrides=["n_train=300", "n_test=100", "epochs=2", "kinds=['software']"],
        out_dir=tmp_path / "d",
        progress=False,
        quiet=True,
    )
    m = res.metrics
    assert m["test_accuracy"] > 0.6 and len(m["test_accuracy_per_epoch"]["software"]) == 2
    for f in ("accuracy_per_epoch.png", "weights.png", "potentials.png", "raster.png"):
        assert (res.out_dir / f).stat().st_size > 0


def test_latency_experiment(tmp_path):
    res = run_experiment(
        ALG / "tempotron_latency.toml",
        overrides=["n_afferents=20", "loads=[0.5, 1.0]", "epochs=30", "kinds=['software']"],
        out_dir=tmp_path / "l",
        progress=False,
        quiet=True,
    )
    m = res.metrics
    assert m["fraction_learned"]["software"][0] >= 0.9 and m["test_accuracy"] == m["fraction_learned"]["software"][1]
    assert (res.out_dir / "capacity.png").exists()
