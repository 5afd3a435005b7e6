"""STDP through device pulses: one post spike by hand, learning two patterns on ideal and nodal arrays."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.algorithms.stdp import STDPError, STDPNetwork, STDPParams
from cosim.array import CrossbarArray
from cosim.devices import NEUROPACK_2022, Messaris2017
from cosim.netlist.crossbar import CrossbarSpec
from reference_formulas import messaris_r_ohm

P = NEUROPACK_2022


def test_one_post_spike_potentiates_recent_inputs_and_depresses_the_rest():
    arr = CrossbarArray(Messaris2017(**P), np.full((4, 2), 11000.0))
    params = STDPParams(steps_per_image=1, theta_rest_s=1e-4, theta_plus_s=0.0)
    net = STDPNetwork(arr, params, np.random.default_rng(0))
    first, counts = net.present(np.array([1, 1, 0, 0]))
    # both neurons cross (2 x 1/11k > 1e-4), equal V/theta: argmax takes neuron 0, the only post spike
    assert first == 0 and counts.tolist() == [1, 0] and net.pulses == 2
    ltp = messaris_r_ohm(11000.0, params.ltp_amplitude_v, params.ltp_width_s)
    ltd = messaris_r_ohm(11000.0, params.ltd_amplitude_v, params.ltd_width_s)
    np.testing.assert_allclose(arr.state[:, 0], [ltp, ltp, ltd, ltd], rtol=1e-10)
    np.testing.assert_array_equal(arr.state[:, 1], 11000.0)  # the other neuron's synapses are untouched
    assert ltp < 11000 < ltd


@pytest.mark.parametrize("backend", ["ideal", "nodal"])
def test_two_neurons_learn_two_patterns(backend):
    rng = np.random.default_rng(3)
    patterns = np.zeros((2, 8), dtype=np.uint8)
    patterns[0, :4] = 1
    patterns[1, 4:] = 1
    spec = CrossbarSpec(
        8, 2, r_wordline_ohm=0.5 if backend == "nodal" else 0.0, r_bitline_ohm=0.5 if backend == "nodal" else 0.0
    )
    arr = CrossbarArray(Messaris2017(**P), 11000 + rng.uniform(-500, 500, (8, 2)), spec=spec, backend=backend)
    net = STDPNetwork(arr, STDPParams(steps_per_image=4, theta_rest_s=6e-4, theta_plus_s=0.0), rng)
    labels = rng.integers(0, 2, 30)
    for c in labels:
        net.present(patterns[c])
    winners = net.winners(patterns)
    assert winners[0] != winners[1]  # each pattern has its own neuron
    lab = STDPNetwork.assign_labels(net.winners(patterns[labels]), labels, 2, 2)
    assert (lab[net.winners(patterns)] == [0, 1]).all()
    # receptive fields: each neuron's conductance is higher on its own pattern's inputs
    g = arr.conductance_s
    for c in (0, 1):
        j = winners[c]
        assert g[patterns[c] == 1, j].min() > g[patterns[c] == 0, j].max()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(p_spike=0.0), r"p_spike must be in \(0, 1\], got 0.0"),
        (dict(leak=1.5), r"leak must be in \[0, 1\], got 1.5"),
        (dict(steps_per_image=0), "steps_per_image must be an integer >= 1, got 0"),
        (dict(ltd_width_s=0.0), "ltd_width_s must be > 0, got 0.0"),
    ],
)
def test_bad_params(kwargs, match):
    with pytest.raises(STDPError, match=match):
        STDPParams(**kwargs)


def test_wrong_image_size():
    arr = CrossbarArray(Messaris2017(**P), np.full((4, 2), 11000.0))
    net = STDPNetwork(arr, STDPParams(), np.random.default_rng(0))
    with pytest.raises(STDPError, match="image has 3 pixels; the network has 4 inputs"):
        net.present(np.ones(3))
