"""NeuroPack's additive LEAKAGE (leak_mode="additive"): V_carry <- max(V_carry + LEAKAGE, 0), then the input.

References: a two-step sequence by hand; and the consequence for NeuroPack's MNIST config
(LEAKAGE = -0.3 on membranes of about 1e-3 S): the carried membrane is always clamped to 0,
so the run is the proper-leak run with leakage = 1, sample for sample.
"""

from __future__ import annotations

import numpy as np
import pytest

from cosim.algorithms.snn import LIF, SNNError, SoftwareSynapses, SpikingNetwork
from cosim.runs.datasets import load_digits


def test_two_steps_by_hand():
    w = np.array([[0.6, 0.2], [0.3, 0.1]])
    net = SpikingNetwork([SoftwareSynapses(w)], LIF(1.0, 0.05, "additive"), 0.01)
    x = np.array([1.0, 1.0])
    r1 = net.step(x, learn=False, phase="test")
    # step 1: carry 0 -> max(0 + 0.05, 0) = 0.05; V = (0.9, 0.3) + 0.05 = (0.95, 0.35), nobody fires
    np.testing.assert_allclose(r1.v_out, [0.95, 0.35])
    r2 = net.step(x, learn=False, phase="test")
    # step 2: carry (0.95, 0.35) + 0.05 -> (1.0, 0.4); V = (1.9, 0.7): output 0 fires
    np.testing.assert_allclose(r2.v_out, [1.9, 0.7])
    assert r2.prediction == 0
    r3 = net.step(x, learn=False, phase="test")
    # step 3: output 0 was reset to 0 -> 0.05 + 0.9; output 1: 0.7 + 0.05 + 0.3
    np.testing.assert_allclose(r3.v_out, [0.95, 1.05])


def test_negative_bias_clamps_at_zero():
    _, v = LIF(1.0, -0.3, "additive")(np.zeros(3), np.array([0.1, 0.5, 0.0]))
    np.testing.assert_allclose(v, [0.0, 0.2, 0.0])


def test_neuropack_mnist_leakage_is_a_full_reset_on_siemens_membranes():
    data = load_digits(n_train=150, n_test=10)
    rng = np.random.default_rng(0)
    w0 = 1.0 / (11000 + rng.uniform(-500, 500, (64, 10)))
    nets = [
        SpikingNetwork([SoftwareSynapses(w0)], LIF(1e-3, leak, mode), 3.5e-6)
        for leak, mode in ((-0.3, "additive"), (1.0, "proper"), (-0.3, "neuropack"))
    ]
    preds = [[n.step(x, int(y)).prediction for x, y in zip(data.x_train, data.y_train)] for n in nets]
    assert preds[0] == preds[1]
    np.testing.assert_array_equal(nets[0].layers[0].weights_s(), nets[1].layers[0].weights_s())
    assert preds[2] != preds[0]  # the multiplicative reading of -0.3 is a different network


def test_unknown_mode_named():
    with pytest.raises(SNNError, match="'proper', 'neuropack' or 'additive'"):
        LIF(1.0, 0.5, "subtractive")
