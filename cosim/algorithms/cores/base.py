r"""The core interface: a neuron model, a plasticity rule and synapses.

NeuroPack calls a *core* a neuron model plus its learning rule; cosim keeps
that word and splits a core into three replaceable parts:

**Neuron model** -- a callable on its state, vectorised over neurons::

    state = neuron.init_state(n)              # any ndarray, first axis free
    spikes, state = neuron(current, state)    # spikes: bool (n,)
    v = neuron.potential(state)               # membrane, (n,)

**Plasticity rule** -- turns what the network saw (a :class:`Seen`) and the
target into a weight change of the same shape as the weights::

    dw = rule(seen, target, w)                # (n_in, n_out), or None for "no change"

**Synapses** -- anything with ``shape``, ``weights()``, ``forward(pre)``
and ``update(dw) -> dict`` of write statistics: exact numbers
(:class:`~cosim.algorithms.cores.synapses.ExactSynapses`), device conductances programmed by verified writes
(:class:`cosim.algorithms.snn.MemristiveSynapses`) or by single pulses
(:class:`~cosim.algorithms.cores.synapses.PulsedSynapses`), seen through a linear weight map
(:class:`~cosim.algorithms.cores.synapses.MappedSynapses`, ``w = (G - g_ref) * w_per_siemens``) when the
weights are signed or not in siemens. :func:`~cosim.algorithms.cores.synapses.build_synapses` makes any of
them on any backend from one :class:`~cosim.algorithms.cores.synapses.SynapseConfig`.

:class:`Core` runs one layer for the time steps of one sample and asks the
rule for the update. Multi-layer networks (:mod:`cosim.algorithms.cores.drtp`) keep one synapse
object -- one array or one region of an array -- per layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = [
    "CoreError",
    "NeuronModel",
    "PlasticityRule",
    "Seen",
    "Core",
    "CoreSpec",
    "one_hot",
]

_ZERO_STATS = {"cells": 0, "pulses": 0, "steps": 0, "energy_j": 0.0, "converged": 0}


class CoreError(ValueError):
    """Bad input to a core; the message names the offending value."""


@runtime_checkable
class NeuronModel(Protocol):
    """What a neuron model provides (see the module docstring)."""

    def init_state(self, n: int) -> np.ndarray: ...

    def __call__(self, current: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def potential(self, state: np.ndarray) -> np.ndarray: ...


@runtime_checkable
class PlasticityRule(Protocol):
    """``dw = rule(seen, target, w)``: the weight change after one sample (None = none)."""

    def __call__(self, seen: Seen, target: int | None, w: np.ndarray) -> np.ndarray | None: ...


def one_hot(label: int, n: int) -> np.ndarray:
    """``(n,)`` float vector with a 1 at ``label``; ``CoreError`` outside ``0..n-1``."""
    if not 0 <= int(label) < n:
        raise CoreError(f"label {label!r} outside 0..{n - 1}")
    y = np.zeros(n)
    y[int(label)] = 1.0
    return y


@dataclass
class Seen:
    """What one layer saw while one sample was presented (``T`` time steps).

    Attributes
    ----------
    pre : ndarray (T, n_in)
        Presynaptic activity per step (spikes, or kernel traces for the Tempotron).
    current : ndarray (T, n_out)
        Synaptic input of every neuron per step, ``pre @ w``.
    v : ndarray (T, n_out)
        Membrane potential after each step's integration (``neuron.potential``).
    spikes : ndarray of bool (T, n_out)
        Output spikes per step.
    """

    pre: np.ndarray
    current: np.ndarray
    v: np.ndarray
    spikes: np.ndarray

    @property
    def counts(self) -> np.ndarray:
        """Spikes per neuron over the sample, (n_out,)."""
        return self.spikes.sum(axis=0)

    def prediction(self) -> int:
        """Neuron with the most spikes (ties: the larger peak potential); -1 when none fired."""
        c = self.counts
        if not c.any():
            return -1
        best = np.flatnonzero(c == c.max())
        return int(best[np.argmax(self.v.max(axis=0)[best])])


@dataclass
class CoreSpec:
    """What a user's ``make_core(params, n_inputs, n_outputs, rng)`` returns (see ``docs/cores.md``).

    Attributes
    ----------
    neuron : NeuronModel
    rule : PlasticityRule
    w_init : ndarray (n_inputs, n_outputs)
        Initial weights (weight units; clipped to the synapses' range).
    carry_state : bool
        Keep the neurons' state from one sample to the next.
    """

    neuron: object
    rule: object
    w_init: np.ndarray
    carry_state: bool = False


class Core:
    """One layer: synapses feeding neurons, trained by a plasticity rule.

    Parameters
    ----------
    synapses : ExactSynapses, MappedSynapses, ...
        ``shape == (n_in, n_out)``.
    neuron : NeuronModel
    rule : PlasticityRule, optional
        None: a fixed (inference-only) core.
    carry_state : bool
        Keep the neurons' state from one sample to the next (NeuroPack's
        carried membranes; one state per phase, "train" and "test").

    Examples
    --------
    >>> from cosim.algorithms.cores import ExactSynapses, Izhikevich
    >>> core = Core(ExactSynapses(np.full((1, 2), 10.0)), Izhikevich.preset("regular_spiking"))
    >>> seen = core.present(np.ones((200, 1)))
    >>> seen.counts.tolist()
    [5, 5]
    """

    def __init__(self, synapses, neuron, rule=None, *, carry_state: bool = False) -> None:
        for attr in ("shape", "forward", "update"):
            if not hasattr(synapses, attr):
                raise CoreError(f"synapses {synapses!r} lack {attr!r}")
        if not callable(neuron) or not hasattr(neuron, "init_state"):
            raise CoreError(f"neuron {neuron!r} must be callable with an init_state(n) method")
        if rule is not None and not callable(rule):
            raise CoreError(f"rule {rule!r} is not callable")
        self.synapses, self.neuron, self.rule = synapses, neuron, rule
        self.n_inputs, self.n_outputs = synapses.shape
        self.carry_state = bool(carry_state)
        self._state: dict[str, np.ndarray] = {}

    def weights(self) -> np.ndarray:
        s = self.synapses
        return s.weights() if hasattr(s, "weights") else s.weights_s()

    def reset(self) -> None:
        """Forget the carried neuron states."""
        self._state.clear()

    def present(self, pre: np.ndarray, *, phase: str = "train") -> Seen:
        """Run the neurons over the ``T`` steps of ``pre`` (T, n_in); return what they saw.

        The synaptic currents of all steps come from one forward call (the
        layer is feed-forward; the weights do not change inside a sample).
        A neuron model with a ``run(current (T, n), state) -> (spikes, v,
        state)`` method (one whose steps it can vectorise over time) is run
        through it; otherwise step by step.
        """
        pre = np.asarray(pre, dtype=float)
        if pre.ndim == 1:
            pre = pre[None, :]
        if pre.ndim != 2 or pre.shape[1] != self.n_inputs:
            raise CoreError(f"pre must be (T, {self.n_inputs}), got shape {pre.shape}")
        current = np.asarray(self.synapses.forward(pre), dtype=float).reshape(len(pre), self.n_outputs)
        state = self._state.get(phase) if self.carry_state else None
        if state is None:
            state = self.neuron.init_state(self.n_outputs)
        if hasattr(self.neuron, "run"):
            spikes, v, state = self.neuron.run(current, state)
        else:
            v = np.empty_like(current)
            spikes = np.zeros(current.shape, dtype=bool)
            for t in range(len(pre)):  # time is sequential; each step is vectorised over neurons
                spikes[t], state = self.neuron(current[t], state)
                v[t] = self.neuron.potential(state)
        if self.carry_state:
            self._state[phase] = state
        return Seen(pre, current, v, spikes)

    def learn(self, seen: Seen, target: int | None) -> dict:
        """Apply ``rule(seen, target, w)`` to the synapses; return the write statistics."""
        if self.rule is None:
            return dict(_ZERO_STATS)
        dw = self.rule(seen, target, self.weights())
        if dw is None:
            return dict(_ZERO_STATS)
        dw = np.asarray(dw, dtype=float)
        if dw.shape != self.synapses.shape:
            raise CoreError(f"the rule returned a change of shape {dw.shape}; the weights are {self.synapses.shape}")
        if not np.isfinite(dw).all():
            raise CoreError("the rule returned a non-finite weight change")
        if not dw.any():
            return dict(_ZERO_STATS)
        return self.synapses.update(dw)

    def step(
        self, pre: np.ndarray, target: int | None = None, *, learn: bool = True, phase: str = "train"
    ) -> tuple[Seen, dict]:
        """``present`` then (when ``learn`` and a target is given) ``learn``."""
        seen = self.present(pre, phase=phase)
        stats = self.learn(seen, target) if (learn and target is not None) else dict(_ZERO_STATS)
        return seen, stats
