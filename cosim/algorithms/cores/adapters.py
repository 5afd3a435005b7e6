"""The existing LIF / BP / WTA network and STDP, seen through the core interface.

Thin adapters: the arithmetic stays in :mod:`cosim.algorithms.snn` and
:mod:`cosim.algorithms.stdp`; these classes only give it the
``neuron(current, state)`` / ``rule(seen, target, w)`` shape, so a
:class:`~cosim.algorithms.cores.base.Core` built from them behaves like
:class:`cosim.algorithms.snn.SpikingNetwork` (one layer, one step per image,
carried membranes; held equal by a test) and STDP events become pulses
through :class:`~cosim.algorithms.cores.base.PulsedSynapses`.
"""

from __future__ import annotations

import numpy as np

from cosim.algorithms.cores.base import CoreError, Seen, one_hot
from cosim.algorithms.snn import LIF, output_error, winner_take_all

__all__ = ["LIFNeuron", "BackpropWTARule", "STDPRule"]


class LIFNeuron:
    """:class:`cosim.algorithms.snn.LIF` with its reset (and optional winner-take-all) as a neuron model.

    The state is ``(2, n)``: the carried membrane (reset where the neuron
    fired) and the membrane of this step before the reset (the potential).

    Parameters
    ----------
    threshold : float
        Fire threshold.
    leakage : float
        The carried membrane is multiplied by ``1 - leakage``.
    leak_mode : str
        As :class:`cosim.algorithms.snn.LIF`.
    wta : bool
        Only the neuron with the largest membrane fires when several cross.

    Examples
    --------
    >>> lif = LIFNeuron(threshold=1.0, leakage=0.0, wta=True)
    >>> spk, s = lif(np.array([1.5, 2.0, 0.5]), lif.init_state(3))
    >>> spk.tolist(), s[0].tolist()
    ([False, True, False], [1.5, 0.0, 0.5])
    """

    def __init__(
        self, threshold: float = 1e-3, leakage: float = 1.0, leak_mode: str = "proper", wta: bool = False
    ) -> None:
        self.lif = LIF(threshold, leakage, leak_mode)
        self.threshold = self.lif.threshold_v
        self.wta = bool(wta)

    def init_state(self, n: int) -> np.ndarray:
        return np.zeros((2, n))

    def potential(self, state: np.ndarray) -> np.ndarray:
        return state[1]

    def __call__(self, current, state):
        spikes, v = self.lif(current, state[0])
        if self.wta:
            spikes = winner_take_all(spikes, v)
        return spikes, np.stack([v * (~spikes), v])


class BackpropWTARule:
    """NeuroPack's output-layer rule (:func:`cosim.algorithms.snn.output_error`) as a plasticity rule.

    ``dW = -eta * outer(pre, err)`` from the last step's potentials and
    spikes; no change when the fired pattern equals the target.

    Parameters
    ----------
    learning_rate : float
        ``eta`` (weight units per unit error), > 0.
    threshold : float
        The neurons' threshold ``theta``.
    """

    def __init__(self, learning_rate: float, threshold: float) -> None:
        if not (np.isfinite(learning_rate) and learning_rate > 0):
            raise CoreError(f"learning_rate must be finite and > 0, got {learning_rate!r}")
        self.learning_rate, self.threshold = float(learning_rate), float(threshold)

    def __call__(self, seen: Seen, target: int | None, w: np.ndarray) -> np.ndarray | None:
        if target is None:
            return None
        v = seen.v[-1]
        err = output_error(v, v > self.threshold, seen.spikes[-1], one_hot(target, v.size), self.threshold)
        return -self.learning_rate * np.outer(seen.pre[-1], err)


class STDPRule:
    """Pair-based STDP as :mod:`cosim.algorithms.stdp` applies it, as signs for :class:`PulsedSynapses`.

    For every neuron that fired in the sample's last spiking step, inputs
    whose last spike lies at most ``ltp_window_steps`` before it get ``+1``
    (one potentiating pulse), every other input ``-1`` (one depressing
    pulse). Unsupervised: ``target`` is ignored.

    Examples
    --------
    >>> pre = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    >>> post = np.array([[False], [False], [True]])
    >>> seen = Seen(pre, pre @ np.ones((3, 1)), np.zeros((3, 1)), post)
    >>> STDPRule(ltp_window_steps=1)(seen, None, np.zeros((3, 1))).ravel().tolist()
    [-1.0, -1.0, 1.0]
    """

    def __init__(self, ltp_window_steps: int = 2) -> None:
        if ltp_window_steps < 0:
            raise CoreError(f"ltp_window_steps must be >= 0, got {ltp_window_steps!r}")
        self.ltp_window_steps = int(ltp_window_steps)

    def __call__(self, seen: Seen, target, w: np.ndarray) -> np.ndarray | None:
        fired_steps = np.flatnonzero(seen.spikes.any(axis=1))
        if fired_steps.size == 0:
            return None
        t = int(fired_steps[-1])
        spiked = seen.pre[: t + 1] > 0
        # last presynaptic spike step of every input (-inf when it never spiked up to t)
        last = np.where(spiked.any(axis=0), t - np.argmax(spiked[::-1], axis=0), -np.inf)
        ltp = (t - last) <= self.ltp_window_steps
        dw = np.zeros(w.shape)
        cols = seen.spikes[t]
        dw[:, cols] = np.where(ltp, 1.0, -1.0)[:, None]
        return dw
