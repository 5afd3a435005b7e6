"""Template of a user-defined cosim core: copy this file, fill in the three marked parts.

Run it with a config naming this file (see examples/delta_rule_digits.toml):

    experiment = "user_core"
    core_file = "examples/my_core.py"     # relative to where you start `cosim run`
    [params]                              # floats, handed to make_core as a dict
    learning_rate = 0.01

    cosim run my_core.toml [--backend nodal]

cosim builds the synapses (exact numbers or a memristive array, the config's
[synapses] section) and trains the layer; your file only says how the
neurons integrate and how the weights change.
"""

import numpy as np

from cosim.algorithms.cores import CoreSpec


class MyNeuron:
    """A neuron model: ``spikes, state = neuron(current, state)``, vectorised over neurons."""

    def __init__(self, threshold):
        self.threshold = threshold

    def init_state(self, n):
        # 1. the state of n neurons, any ndarray (here: one membrane per neuron)
        return np.zeros(n)

    def __call__(self, current, state):
        # 2. one time step: integrate the synaptic current (n,), decide who spikes, reset them
        v = state + current
        spikes = v >= self.threshold
        return spikes, np.where(spikes, 0.0, v)

    def potential(self, state):
        # the membrane to record (used for ties in the read-out and for figures)
        return state


class MyRule:
    """A plasticity rule: ``dw = rule(seen, target, w)``, shape of ``w`` (n_inputs, n_outputs) or None."""

    def __init__(self, learning_rate):
        self.learning_rate = learning_rate

    def __call__(self, seen, target, w):
        # 3. what the layer saw: seen.pre (T, n_in), seen.current, seen.v, seen.spikes (T, n_out);
        #    target: the label (int) or None. Return a weight change (weight units), or None.
        return None


def make_core(params, n_inputs, n_outputs, rng):
    """Called once per run: ``params`` is the config's [params] table; ``rng`` the run's seeded Generator."""
    return CoreSpec(
        neuron=MyNeuron(params.get("threshold", 1.0)),
        rule=MyRule(params.get("learning_rate", 0.01)),
        w_init=rng.normal(0.0, 0.05, (n_inputs, n_outputs)),  # draw only from rng: runs stay reproducible
    )
