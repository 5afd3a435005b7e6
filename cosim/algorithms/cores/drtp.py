r"""Direct random target projection (Frenkel, Lefebvre & Bol, Front. Neurosci. 15:629892, 2021).

A two-layer spiking network: input pixels -> hidden spiking neurons (LIF or
Izhikevich) -> output spiking neurons, each layer a
:class:`~cosim.algorithms.cores.base.Core` with its own synapses (its own
array). An image is presented for ``n_steps`` steps (every active pixel
spikes in every step); rates are spike counts over ``n_steps``.

Updates (per sample, or summed over ``batch_size`` samples before one write)
----------------------------------------------------------------------------
* output layer, from its own error: ``e = r_out - y*`` (``y*`` one-hot),
  ``dW2 = -eta_out * outer(r_hidden, e)`` (:class:`OutputDeltaRule`);
* hidden layer, DRTP: ``delta = (B^T y*) * f'``, ``dW1 = -eta_hidden *
  outer(x_rate, delta)`` with ``B`` (n_out, n_hidden) fixed random
  (:class:`DRTPHiddenRule`) -- no backward pass, no weight transport;
* hidden layer, BP (the software comparison): ``delta = (W2 e) * f'``.

``f'`` is a box surrogate on the hidden neurons' mean input current:
1 inside ``[surrogate_lo, surrogate_hi]`` (the range over which their rate
responds), 0 outside.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from cosim.algorithms.cores.base import Core, CoreError, Seen, one_hot

__all__ = ["OutputDeltaRule", "DRTPHiddenRule", "TwoLayerNet"]


class OutputDeltaRule:
    """``dW = -eta * outer(mean pre, rate - y*)``: the output layer's own error.

    Examples
    --------
    >>> seen = Seen(np.array([[1.0, 0.0], [1.0, 1.0]]), np.zeros((2, 2)), np.zeros((2, 2)),
    ...             np.array([[True, False], [True, True]]))
    >>> OutputDeltaRule(0.1)(seen, 1, np.zeros((2, 2))).round(3).tolist()
    [[-0.1, 0.05], [-0.05, 0.025]]
    """

    def __init__(self, learning_rate: float) -> None:
        if not (np.isfinite(learning_rate) and learning_rate > 0):
            raise CoreError(f"learning_rate must be finite and > 0, got {learning_rate!r}")
        self.learning_rate = float(learning_rate)

    def error(self, seen: Seen, target: int) -> np.ndarray:
        rate = seen.counts / len(seen.spikes)
        return rate - one_hot(target, rate.size)

    def __call__(self, seen: Seen, target, w):
        if target is None:
            return None
        return -self.learning_rate * np.outer(seen.pre.mean(axis=0), self.error(seen, target))


class DRTPHiddenRule:
    """``dW = -eta * outer(mean pre, (B^T y*) * f'(mean current))`` with a fixed random ``B``.

    Parameters
    ----------
    projection : ndarray (n_out, n_hidden)
        ``B``, drawn once and never trained.
    learning_rate : float
    surrogate_lo, surrogate_hi : float
        ``f' = 1`` where the mean input current lies in ``[lo, hi]``.
    """

    def __init__(self, projection: np.ndarray, learning_rate: float, surrogate_lo: float, surrogate_hi: float) -> None:
        b = np.asarray(projection, dtype=float)
        if b.ndim != 2:
            raise CoreError(f"projection must be (n_out, n_hidden), got shape {b.shape}")
        if not (np.isfinite(learning_rate) and learning_rate > 0):
            raise CoreError(f"learning_rate must be finite and > 0, got {learning_rate!r}")
        if not surrogate_lo < surrogate_hi:
            raise CoreError(f"need surrogate_lo < surrogate_hi, got {surrogate_lo!r}, {surrogate_hi!r}")
        self.projection, self.learning_rate = b, float(learning_rate)
        self.lo, self.hi = float(surrogate_lo), float(surrogate_hi)

    def surrogate(self, seen: Seen) -> np.ndarray:
        i = seen.current.mean(axis=0)
        return ((i >= self.lo) & (i <= self.hi)).astype(float)

    def __call__(self, seen: Seen, target, w):
        if target is None:
            return None
        delta = (self.projection.T @ one_hot(target, self.projection.shape[0])) * self.surrogate(seen)
        return -self.learning_rate * np.outer(seen.pre.mean(axis=0), delta)


class TwoLayerNet:
    """Hidden and output :class:`Core` trained by DRTP (or BP) from rates.

    Parameters
    ----------
    hidden : Core
        Input -> hidden; its rule must be a :class:`DRTPHiddenRule` (its
        surrogate and learning rate are used by BP too).
    output : Core
        Hidden -> output with an :class:`OutputDeltaRule`.
    n_steps : int
        Steps per image.
    feedback : {"drtp", "bp"}
        Hidden-layer teaching signal.
    batch_size : int
        Samples whose changes are summed before one write of each layer.
    """

    def __init__(
        self,
        hidden: Core,
        output: Core,
        *,
        n_steps: int = 10,
        feedback: Literal["drtp", "bp"] = "drtp",
        batch_size: int = 1,
    ) -> None:
        if hidden.n_outputs != output.n_inputs:
            raise CoreError(f"layer shapes do not chain: {hidden.synapses.shape} then {output.synapses.shape}")
        if feedback not in ("drtp", "bp"):
            raise CoreError(f"unknown feedback {feedback!r}; expected 'drtp' or 'bp'")
        if not isinstance(hidden.rule, DRTPHiddenRule) or not isinstance(output.rule, OutputDeltaRule):
            raise CoreError(
                "TwoLayerNet needs a DRTPHiddenRule on the hidden core and an OutputDeltaRule on the output"
            )
        if n_steps < 1 or batch_size < 1:
            raise CoreError(f"n_steps and batch_size must be >= 1, got {n_steps!r}, {batch_size!r}")
        self.hidden, self.output = hidden, output
        self.n_steps, self.feedback, self.batch_size = int(n_steps), feedback, int(batch_size)
        self._dw = [np.zeros(hidden.synapses.shape), np.zeros(output.synapses.shape)]
        self._pending = 0

    def forward(self, x: np.ndarray, phase: str = "train") -> tuple[Seen, Seen]:
        pre = np.broadcast_to(np.asarray(x, dtype=float).ravel(), (self.n_steps, self.hidden.n_inputs))
        seen_h = self.hidden.present(pre, phase=phase)
        seen_o = self.output.present(seen_h.spikes.astype(float), phase=phase)
        return seen_h, seen_o

    def step(self, x: np.ndarray, label: int) -> tuple[int, list[dict]]:
        """Present ``x``, accumulate the changes, write when a batch is full; (prediction, write stats)."""
        seen_h, seen_o = self.forward(x)
        d_out = self.output.rule(seen_o, label, None)
        if self.feedback == "drtp":
            d_hid = self.hidden.rule(seen_h, label, None)
        else:
            rule = self.hidden.rule
            delta = (self.output.weights() @ self.output.rule.error(seen_o, label)) * rule.surrogate(seen_h)
            d_hid = -rule.learning_rate * np.outer(seen_h.pre.mean(axis=0), delta)
        self._dw[0] += d_hid
        self._dw[1] += d_out
        self._pending += 1
        stats: list[dict] = []
        if self._pending >= self.batch_size:
            stats = self.flush()
        return seen_o.prediction(), stats

    def flush(self) -> list[dict]:
        """Write the accumulated changes of both layers (one update each)."""
        stats = []
        for core, dw in zip((self.hidden, self.output), self._dw):
            stats.append(
                core.synapses.update(dw)
                if dw.any()
                else {"cells": 0, "pulses": 0, "steps": 0, "energy_j": 0.0, "converged": 0}
            )
            dw[:] = 0.0
        self._pending = 0
        return stats

    def predict(self, x_batch: np.ndarray) -> np.ndarray:
        return np.array([self.forward(x, phase="test")[1].prediction() for x in np.atleast_2d(x_batch)])
