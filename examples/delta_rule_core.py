"""A worked user core: integrate-and-fire outputs trained by the delta rule (Widrow-Hoff on spike rates).

Each output neuron integrates ``x @ w`` and fires when its membrane reaches
``threshold`` (reset to 0). After an image shown for T steps, the output's
rate ``r = spikes / T`` is compared with the one-hot target ``y*`` and

    dw_ij = learning_rate * x_i * (y*_j - r_j)          (x_i = mean input spike of pixel i)

so the correct output is pushed to fire every step and the others to stay
silent. Run: cosim run examples/delta_rule_digits.toml [--backend nodal]
"""

import numpy as np

from cosim.algorithms.cores import CoreSpec


class IntegrateAndFire:
    """Non-leaky integrate-and-fire neurons; the state is the membrane (n,)."""

    def __init__(self, threshold):
        self.threshold = float(threshold)

    def init_state(self, n):
        return np.zeros(n)

    def __call__(self, current, state):
        v = state + current
        spikes = v >= self.threshold
        return spikes, np.where(spikes, 0.0, v)

    def potential(self, state):
        return state


class DeltaRule:
    """``dw = eta * outer(mean pre, y* - rate)``; no change when the rates already equal the target."""

    def __init__(self, learning_rate):
        self.learning_rate = float(learning_rate)

    def __call__(self, seen, target, w):
        if target is None:
            return None
        rate = seen.counts / len(seen.spikes)
        y = np.zeros_like(rate)
        y[target] = 1.0
        return self.learning_rate * np.outer(seen.pre.mean(axis=0), y - rate)


def make_core(params, n_inputs, n_outputs, rng):
    return CoreSpec(
        neuron=IntegrateAndFire(params.get("threshold", 0.5)),
        rule=DeltaRule(params.get("learning_rate", 0.01)),
        w_init=rng.uniform(-0.05, 0.05, (n_inputs, n_outputs)),
    )
