"""LIF/WTA network: one hand-computed step, learning a separable toy set, ideal == zero-wire nodal."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.algorithms.snn import (
    LIF,
    MemristiveSynapses,
    SNNError,
    SoftwareSynapses,
    SpikingNetwork,
    dense_layout,
    direct_layout,
    output_error,
    surrogate_derivative,
    winner_take_all,
)
from cosim.array import CrossbarArray
from cosim.devices import NEUROPACK_2022, Messaris2017
from cosim.netlist.crossbar import CrossbarSpec


def test_one_lif_wta_step_by_hand():
    w = np.array([[4e-4, 1e-4], [3e-4, 5e-4], [2e-4, 6e-4]])
    theta, lam, eta = 5e-4, 0.5, 1e-8
    net = SpikingNetwork([SoftwareSynapses(w)], LIF(theta, lam), eta)
    # step 1, no learning: V = [4e-4, 1e-4] < theta, nobody fires, the membrane is carried
    r1 = net.step([1, 0, 0], learn=False)
    assert r1.prediction == -1 and not r1.y_pre.any()
    # step 2, label 1: V = x.W + 0.5 * carry = [6e-4 + 2e-4, 7e-4 + 0.5e-4]
    r2 = net.step([1, 0, 1], label=1)
    v = np.array([8e-4, 7.5e-4])
    np.testing.assert_allclose(r2.v_out, v, rtol=1e-12)
    assert r2.y_pre.tolist() == [True, True]  # both above theta
    assert r2.y.tolist() == [True, False] and r2.prediction == 0  # WTA: argmax V
    # softmax of V * y = [8e-4, 0]
    e = np.exp(8e-4)
    s = np.array([e / (e + 1), 1 / (e + 1)])
    delta = s - np.array([0.0, 1.0])
    # |V - theta| <= theta for both: err = delta * (y_pre + 0.5 V) / theta
    err = delta * (1 + 0.5 * v) / theta
    np.testing.assert_allclose(r2.error, err, rtol=1e-12)
    dw = -eta * np.outer([1, 0, 1], err)
    np.testing.assert_allclose(net.layers[0].weights_s(), w + dw, rtol=1e-12)
    # the winner's membrane is reset, the loser's carried
    np.testing.assert_allclose(net._carry["train"][0], [0.0, 7.5e-4], rtol=1e-12)


def test_error_far_from_threshold_and_correct_outputs():
    theta = 1e-3
    v = np.array([5e-3, 4e-3, 1e-4])
    y_pre = v > theta
    y = winner_take_all(y_pre, v)
    err = output_error(v, y_pre, y, np.array([0.0, 1.0, 0.0]), theta)
    s = np.exp([5e-3, 0, 0]) / np.exp([5e-3, 0, 0]).sum()
    # neurons 0, 1 are far from threshold: err = delta * y_pre; neuron 2 matches its label (0) -> no error
    np.testing.assert_allclose(err, [s[0] * 1, (s[1] - 1) * 1, 0.0], rtol=1e-12)
    assert surrogate_derivative(np.array([0.0, 1e-3, 2e-3, 2.1e-3]), theta).tolist() == [500.0, 500.0, 500.0, 0.0]
    # a correct answer gives no error at all
    assert not output_error(v, y_pre, np.array([1, 0, 0]), np.array([1.0, 0, 0]), theta).any()


def toy_set(rng, n=160):
    """4 classes, 12 disjoint active inputs each out of 48: linearly separable."""
    labels = rng.integers(0, 4, n)
    x = np.zeros((n, 48), dtype=np.uint8)
    for k, c in enumerate(labels):
        x[k, 12 * c : 12 * c + 12] = 1
    return x, labels


def init_w(rng, shape):
    return 1.0 / (11000 + rng.uniform(-500, 500, shape))


@pytest.mark.parametrize("weights", ["software", "memristive"])
def test_small_network_learns_separable_toy_set(weights):
    rng = np.random.default_rng(0)
    x, y = toy_set(rng)
    if weights == "software":
        layer = SoftwareSynapses(init_w(rng, (48, 4)))
    else:
        arr = CrossbarArray(Messaris2017(**NEUROPACK_2022), 11000 + rng.uniform(-500, 500, (48, 4)))
        layer = MemristiveSynapses(arr, *direct_layout(48, 4), write=dict(tolerance=0.002))
    net = SpikingNetwork([layer], LIF(1e-3, 1.0), 3.5e-6)
    before, _ = net.predict(np.repeat(np.eye(4, dtype=np.uint8), 12, axis=1))
    for xi, yi in zip(x, y):
        net.step(xi, yi)
    pred, _ = net.predict(np.repeat(np.eye(4, dtype=np.uint8), 12, axis=1))
    assert pred.tolist() == [0, 1, 2, 3]
    assert before.tolist() != [0, 1, 2, 3]  # it was not right by chance at the start


def test_ideal_equals_zero_wire_nodal():
    rng = np.random.default_rng(1)
    x, y = toy_set(rng, n=12)
    x, y = x[:, :24], y % 2  # 24 inputs, 2 classes: a 24-cell dense packing on a 7 x 7 array
    x[:, :] = 0
    for k, c in enumerate(y):
        x[k, 12 * c : 12 * c + 12] = 1
    r0 = 11000 + rng.uniform(-500, 500, (7, 7))
    states = []
    for backend in ("ideal", "nodal"):
        spec = CrossbarSpec(7, 7)  # zero wire, driver and sense resistance
        arr = CrossbarArray(Messaris2017(**NEUROPACK_2022), r0, spec=spec, backend=backend)
        layer = MemristiveSynapses(arr, *dense_layout(24, 2, (7, 7)), write=dict(tolerance=0.003, scheme="ideal"))
        net = SpikingNetwork([layer], LIF(1e-3, 1.0), 3.5e-6)
        preds = [net.step(xi, yi).prediction for xi, yi in zip(x, y)]
        states.append((np.array(arr.state), preds))
    assert states[0][1] == states[1][1]
    np.testing.assert_allclose(states[1][0], states[0][0], rtol=1e-9)
    assert not np.array_equal(states[0][0], r0)  # it did learn something


def test_hidden_layer_backprop_by_hand():
    w1 = np.array([[6e-4, 1e-4], [6e-4, 7e-4]])  # 2 inputs -> 2 hidden
    w2 = np.array([[8e-4, 2e-4], [3e-4, 9e-4]])  # 2 hidden -> 2 outputs
    theta, eta = 1e-3, 1e-9
    net = SpikingNetwork([SoftwareSynapses(w1), SoftwareSynapses(w2)], LIF(theta, 1.0), eta)
    r = net.step([1, 1], label=1)
    vh = np.array([1.2e-3, 8e-4])  # both hidden within |V - theta| <= theta; only h0 spikes
    np.testing.assert_allclose(r.hidden_v[0], vh, rtol=1e-12)
    vo = np.array([8e-4, 2e-4])  # from h0's spike only: below theta, no output fires
    np.testing.assert_allclose(r.v_out, vo, rtol=1e-12)
    s = np.array([0.5, 0.5])  # softmax of V * y = [0, 0]
    delta = s - np.array([0, 1])
    err_o = np.where([False, True], delta * (0 + 0.5 * vo) / theta, 0)  # only the label neuron differs
    err_h = (w2 @ err_o) * (0.5 / theta)
    np.testing.assert_allclose(net.layers[1].weights_s(), w2 - eta * np.outer([1, 0], err_o), rtol=1e-12)
    np.testing.assert_allclose(net.layers[0].weights_s(), w1 - eta * np.outer([1, 1], err_h), rtol=1e-12)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: LIF(0.0), "threshold_v must be finite and > 0, got 0.0"),
        (lambda: LIF(1e-3, -0.3), r"leakage -0.3 is outside \[0, 1\] for leak_mode='proper'"),
        (lambda: LIF(1e-3, 0.5, "linear"), "unknown leak_mode 'linear'"),
        (lambda: dense_layout(484, 10, (10, 10)), "need 4840 cells; the array has 100"),
        (
            lambda: SpikingNetwork([SoftwareSynapses(np.ones((3, 2))), SoftwareSynapses(np.ones((3, 2)))], LIF()),
            "do not chain",
        ),
        (
            lambda: SpikingNetwork([SoftwareSynapses(np.ones((3, 2)))], LIF()).step([1, 0]),
            "input has 2 values; the network has 3 inputs",
        ),
        (
            lambda: SpikingNetwork([SoftwareSynapses(np.ones((3, 2)))], LIF()).step([1, 0, 1], label=5),
            r"label 5 outside 0..1",
        ),
    ],
)
def test_bad_input(make, match):
    with pytest.raises(SNNError, match=match):
        make()


def test_neuropack_leak_mode_accepts_growing_membrane():
    lif = LIF(1e-3, -0.3, leak_mode="neuropack")
    _, v = lif(np.array([0.0]), np.array([1e-4]))
    assert v[0] == pytest.approx(1.3e-4)  # carried membrane times 1 - lambda = 1.3, no input
