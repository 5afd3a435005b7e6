"""The core interface: the LIF/BP/WTA network and STDP through adapters, synapse kinds, backends.

References: :class:`cosim.algorithms.snn.SpikingNetwork` and
:class:`cosim.algorithms.stdp.STDPNetwork` themselves (the adapters must
reproduce them bit for bit), and hand-derived weight maps.
"""

from __future__ import annotations

import numpy as np
import pytest

from cosim.algorithms.cores import (
    BackpropWTARule,
    Core,
    CoreError,
    ExactSynapses,
    LIFNeuron,
    PulsedSynapses,
    Seen,
    STDPRule,
    SynapseConfig,
    build_synapses,
)
from cosim.algorithms.snn import LIF, MemristiveSynapses, SoftwareSynapses, SpikingNetwork, direct_layout
from cosim.algorithms.stdp import STDPNetwork, STDPParams
from cosim.array import CrossbarArray
from cosim.devices import NEUROPACK_2022, Messaris2017
from cosim.netlist.crossbar import CrossbarSpec
from cosim.runs.datasets import load_digits


@pytest.mark.parametrize("leakage,mode", [(1.0, "proper"), (-0.3, "neuropack")])
def test_lif_bp_wta_core_is_the_spiking_network(leakage, mode):
    data = load_digits(n_train=200, n_test=10)
    rng = np.random.default_rng(1)
    w0 = 1.0 / (11000 + rng.uniform(-500, 500, (64, 10)))
    net = SpikingNetwork([SoftwareSynapses(w0)], LIF(1e-3, leakage, mode), 3.5e-6)
    core = Core(
        ExactSynapses(w0), LIFNeuron(1e-3, leakage, mode, wta=True), BackpropWTARule(3.5e-6, 1e-3), carry_state=True
    )
    for x, y in zip(data.x_train, data.y_train):
        r = net.step(x, int(y))
        seen, _ = core.step(x, int(y))
        assert seen.prediction() == r.prediction
        np.testing.assert_array_equal(seen.v[-1], r.v_out)
    np.testing.assert_allclose(core.weights(), net.layers[0].weights_s(), rtol=0, atol=1e-18)


def test_lif_bp_wta_core_on_memristive_array_is_the_spiking_network():
    data = load_digits(n_train=40, n_test=10)
    r0 = 11000 + np.random.default_rng(2).uniform(-500, 500, (64, 10))
    arrays = [CrossbarArray(Messaris2017(**NEUROPACK_2022), r0, backend="ideal", rng=5) for _ in range(2)]
    rows, cols = direct_layout(64, 10)
    write = dict(tolerance=0.01, max_steps=5)
    net = SpikingNetwork([MemristiveSynapses(arrays[0], rows, cols, write=write)], LIF(1e-3, 1.0), 3.5e-6)
    core = Core(
        MemristiveSynapses(arrays[1], rows, cols, write=write),
        LIFNeuron(1e-3, 1.0, wta=True),
        BackpropWTARule(3.5e-6, 1e-3),
        carry_state=True,
    )
    pulses = 0
    for x, y in zip(data.x_train, data.y_train):
        r = net.step(x, int(y))
        _, stats = core.step(x, int(y))
        assert stats == r.write_totals
        pulses += stats["pulses"]
    assert pulses > 0
    np.testing.assert_array_equal(arrays[0].state, arrays[1].state)


@pytest.mark.parametrize("backend,scheme", [("ideal", "ideal"), ("nodal", "v2")])
def test_stdp_rule_on_pulsed_synapses_is_stdp_networks_event(backend, scheme):
    n_in, n_out = 6, 3
    rng = np.random.default_rng(3)
    r0 = rng.uniform(5000, 9000, (n_in, n_out))
    spec = CrossbarSpec(n_in, n_out, r_wordline_ohm=2.0, r_bitline_ohm=2.0)
    a, b = (CrossbarArray(Messaris2017(**NEUROPACK_2022), r0, spec=spec, backend=backend, rng=0) for _ in range(2))
    params = STDPParams(ltp_window_steps=1, scheme=scheme)
    net = STDPNetwork(a, params, np.random.default_rng(0))
    pre = np.array([[1, 0, 0, 0, 1, 0], [0, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0], [0, 0, 0, 0, 1, 0]], float)
    post = np.zeros((4, n_out), bool)
    post[3, 2] = True  # neuron 2 fires at step 3
    last = np.array([0, 1, 2, -(10**9), 3, -(10**9)])
    net._stdp(2, 3 - last <= params.ltp_window_steps)
    syn = PulsedSynapses(
        b,
        *direct_layout(n_in, n_out),
        up_amplitude_v=params.ltp_amplitude_v,
        up_width_s=params.ltp_width_s,
        down_amplitude_v=params.ltd_amplitude_v,
        down_width_s=params.ltd_width_s,
        scheme=scheme,
    )
    core = Core(syn, LIFNeuron(1.0, 0.0), STDPRule(params.ltp_window_steps))
    dw = core.rule(Seen(pre, pre @ syn.weights(), np.zeros((4, n_out)), post), None, syn.weights())
    assert dw[:, 2].tolist() == [-1, -1, 1, -1, 1, -1] and not dw[:, :2].any()
    stats = syn.update(dw)
    assert stats["pulses"] == 2 and stats["cells"] == 6
    np.testing.assert_array_equal(a.state, b.state)
    if scheme == "v2":  # half-selected cells in other columns moved: the circuit's disturb
        assert not np.array_equal(b.state[:, :2], r0[:, :2])


def test_weight_map_by_hand():
    cfg = SynapseConfig(r_min_ohm=2000.0, r_max_ohm=10000.0, w_max=2.0)
    g_ref, scale = cfg.g_ref_and_scale()
    assert g_ref == pytest.approx(0.5 * (1e-4 + 5e-4)) and scale == pytest.approx(2.0 / 2e-4)
    w0 = np.array([[-2.0, 0.0], [1.0, 2.0], [0.5, -1.0]])
    syn = build_synapses(cfg, w0, backend="ideal")
    np.testing.assert_allclose(syn.weights(), w0, atol=1e-12)
    # G of the cells: -2 -> 1e-4 S (10 kohm), 2 -> 5e-4 S (2 kohm)
    np.testing.assert_allclose(syn.array.conductance_s[[0, 1], [0, 1]], [1e-4, 5e-4])
    x = np.array([1.0, 1.0, 0.0])
    np.testing.assert_allclose(syn.forward(x), x @ w0, atol=1e-12)
    sw = build_synapses(SynapseConfig(weights="software", w_max=2.0), w0 * 5)
    assert isinstance(sw, ExactSynapses) and sw.weights().max() == 2.0 and sw.weights().min() == -2.0


def test_mapped_update_reaches_the_target_within_tolerance():
    cfg = SynapseConfig(tolerance=0.005, max_steps=20)
    syn = build_synapses(cfg, np.zeros((4, 2)), backend="ideal")
    dw = np.array([[0.3, 0.0], [-0.4, 0.0], [0.0, 0.2], [0.0, 0.0]])
    stats = syn.update(dw)
    assert stats["cells"] == 3 and stats["pulses"] > 0
    g_ref, scale = cfg.g_ref_and_scale()
    g_target = g_ref + dw[dw != 0] / scale
    g = syn.array.conductance_s[:4, :2][dw != 0]
    np.testing.assert_allclose(g, g_target, rtol=0.02)


def test_read_forward_through_the_circuit_is_the_weighted_sum_without_wires():
    cfg = SynapseConfig(forward="read", r_wire_ohm=0.0)
    w0 = np.random.default_rng(0).uniform(-1, 1, (5, 3))
    syn = build_synapses(cfg, w0, backend="nodal")
    pre = np.array([[1, 0, 1, 1, 0], [0, 1, 0, 0, 1]], float)
    np.testing.assert_allclose(syn.forward(pre), pre @ w0, rtol=1e-6, atol=1e-9)


def test_core_errors():
    core = Core(ExactSynapses(np.zeros((3, 2))), LIFNeuron(1.0, 0.0), lambda s, t, w: np.ones((2, 2)))
    with pytest.raises(CoreError, match=r"pre must be \(T, 3\)"):
        core.present(np.ones((4, 2)))
    seen = core.present(np.ones((2, 3)))
    with pytest.raises(CoreError, match="shape"):
        core.learn(seen, 0)
    with pytest.raises(CoreError, match="lack 'shape'"):
        Core(object(), LIFNeuron())
    with pytest.raises(CoreError, match="direct layout"):
        arr = CrossbarArray(Messaris2017(**NEUROPACK_2022), np.full((4, 4), 5000.0), backend="ideal")
        PulsedSynapses(arr, np.array([[0, 1], [2, 3]]), np.array([[0, 0], [1, 1]]))
    with pytest.raises(CoreError, match="r_min_ohm"):
        build_synapses(SynapseConfig(r_min_ohm=5e3, r_max_ohm=1e3), np.zeros((2, 2)))
