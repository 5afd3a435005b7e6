r"""The Tempotron (Gütig & Sompolinsky, Nat. Neurosci. 9:420, 2006) as a core.

The potential of an output is a weighted sum of post-synaptic kernels

.. math::

    V(t) = \sum_i w_i \sum_{t_i < t} K(t - t_i), \qquad
    K(s) = V_0 \left(e^{-s/\tau} - e^{-s/\tau_s}\right),

``tau = 20 ms``, ``tau_s = 5 ms``, ``V0`` normalising the kernel's peak to 1,
threshold 0.8 (NeuroPack's defaults; all settable). The neuron fires (once:
Gütig's shunting stops further spikes) when ``V`` reaches the threshold.

After an *error trial* (a "+" pattern that did not fire or a "-" pattern that
did), every weight of that output changes by

.. math::

    \Delta w_i = \pm \lambda \sum_{t_i < t_{max}} K(t_{max} - t_i),

``+`` for a missed "+" pattern, ``-`` for a false alarm, ``t_max`` the time
of the maximum of ``V`` in the trial (the unshunted potential).

In the core interface the presynaptic activity of a step is the kernel
trace ``K(t - t_i)`` of every afferent (:func:`kernel_traces`), so the
synaptic current *is* ``V(t)`` -- an exact sum or a crossbar read -- and the
rule's ``sum K(t_max - t_i)`` is the trace at ``t_max``: ``seen.pre[t_max]``.
"""

from __future__ import annotations

import numpy as np

from cosim.algorithms.cores.base import CoreError, Seen

__all__ = ["kernel_v0", "kernel", "kernel_traces", "latency_code", "TempotronNeuron", "TempotronRule"]


def _check_taus(tau_ms: float, tau_s_ms: float) -> None:
    if not (np.isfinite(tau_ms) and np.isfinite(tau_s_ms) and tau_ms > tau_s_ms > 0):
        raise CoreError(f"the kernel needs tau_ms > tau_s_ms > 0, got tau_ms={tau_ms!r}, tau_s_ms={tau_s_ms!r}")


def kernel_v0(tau_ms: float = 20.0, tau_s_ms: float = 5.0) -> float:
    """``V0`` such that the kernel's maximum is 1 (at ``s* = tau tau_s ln(tau/tau_s) / (tau - tau_s)``).

    >>> round(kernel_v0(20.0, 5.0), 4)
    2.1165
    """
    _check_taus(tau_ms, tau_s_ms)
    s_peak = tau_ms * tau_s_ms * np.log(tau_ms / tau_s_ms) / (tau_ms - tau_s_ms)
    return float(1.0 / (np.exp(-s_peak / tau_ms) - np.exp(-s_peak / tau_s_ms)))


def kernel(s_ms, tau_ms: float = 20.0, tau_s_ms: float = 5.0) -> np.ndarray:
    """``K(s)`` for delays ``s_ms`` (ms, any shape); 0 for ``s <= 0`` and for NaN (no spike)."""
    s = np.asarray(s_ms, dtype=float)
    v0 = kernel_v0(tau_ms, tau_s_ms)
    with np.errstate(invalid="ignore", over="ignore"):
        k = v0 * (np.exp(-s / tau_ms) - np.exp(-s / tau_s_ms))
    return np.where(s > 0, k, 0.0)


def kernel_traces(
    spike_times_ms: np.ndarray,
    n_steps: int,
    dt_ms: float = 1.0,
    tau_ms: float = 20.0,
    tau_s_ms: float = 5.0,
    dtype=np.float64,
) -> np.ndarray:
    """Kernel trace of every afferent on the grid ``t_k = k dt_ms``: ``K(t_k - t_i)``.

    Parameters
    ----------
    spike_times_ms : ndarray (..., n_in)
        One spike time per afferent, ms; NaN = the afferent does not spike.
    n_steps : int
        Grid points.
    dt_ms : float
        Grid step, ms.

    Returns
    -------
    ndarray (..., n_steps, n_in)
    """
    if not (isinstance(n_steps, (int, np.integer)) and n_steps >= 1):
        raise CoreError(f"n_steps must be an integer >= 1, got {n_steps!r}")
    if not (np.isfinite(dt_ms) and dt_ms > 0):
        raise CoreError(f"dt_ms must be finite and > 0, got {dt_ms!r}")
    t = np.arange(n_steps) * float(dt_ms)
    ts = np.asarray(spike_times_ms, dtype=float)
    return kernel(t[:, None] - ts[..., None, :], tau_ms, tau_s_ms).astype(dtype)


def latency_code(intensity: np.ndarray, window_ms: float, top: float) -> np.ndarray:
    """Brighter spikes earlier: ``t = window_ms (1 - x / top)``; ``x = 0`` does not spike (NaN).

    >>> latency_code(np.array([16, 8, 0]), 50.0, 16).tolist()
    [0.0, 25.0, nan]
    """
    x = np.asarray(intensity, dtype=float)
    if (x < 0).any() or (x > top).any():
        raise CoreError(f"intensities must lie in [0, {top}], got min {x.min()!r}, max {x.max()!r}")
    return np.where(x > 0, window_ms * (1.0 - x / top), np.nan)


class TempotronNeuron:
    """Threshold units on the kernel sum: fire once, at the first step with ``V >= threshold``.

    The state is ``(2, n)``: the potential and whether the neuron has fired
    in this trial. ``run`` does a whole trial at once (no step depends on the
    neuron's own output except through "fired once", a cumulative maximum).

    Examples
    --------
    >>> neu = TempotronNeuron(threshold=0.8)
    >>> spikes, v, _ = neu.run(np.array([[0.5], [0.9], [1.0], [0.7]]), neu.init_state(1))
    >>> spikes.ravel().tolist()
    [False, True, False, False]
    """

    def __init__(self, threshold: float = 0.8) -> None:
        if not (np.isfinite(threshold) and threshold > 0):
            raise CoreError(f"threshold must be finite and > 0, got {threshold!r}")
        self.threshold = float(threshold)

    def init_state(self, n: int) -> np.ndarray:
        return np.zeros((2, n))

    def potential(self, state: np.ndarray) -> np.ndarray:
        return state[0]

    def __call__(self, current, state):
        v = np.asarray(current, dtype=float)
        spikes = (v >= self.threshold) & (state[1] == 0)
        return spikes, np.stack([v, np.maximum(state[1], spikes)])

    def run(self, current: np.ndarray, state: np.ndarray):
        v = np.asarray(current, dtype=float)
        over = (v >= self.threshold) & (state[1] == 0)[None, :]
        first = over & (np.cumsum(over, axis=0) == 1)
        return first, v, np.stack([v[-1], np.maximum(state[1], over.any(axis=0))])


class TempotronRule:
    """Gütig & Sompolinsky's error-trial update (module docstring).

    Parameters
    ----------
    learning_rate : float
        ``lambda``, > 0.

    Notes
    -----
    ``target``: with one output, whether it should fire (0 or 1); with
    several, the label of the one output that should fire (one-vs-rest).

    Examples
    --------
    Two afferents, the first spiking at 0 ms; a missed "+" trial whose
    potential peaks at step 2 adds ``lambda`` times the traces there:

    >>> pre = np.array([[0.0, 0.0], [0.5, 0.0], [0.9, 0.2], [0.7, 0.6]])
    >>> seen = Seen(pre, pre @ [[0.5], [0.1]], pre @ [[0.5], [0.1]], np.zeros((4, 1), bool))
    >>> TempotronRule(0.1)(seen, 1, np.array([[0.5], [0.1]])).ravel().round(3).tolist()
    [0.09, 0.02]
    """

    def __init__(self, learning_rate: float = 1e-3) -> None:
        if not (np.isfinite(learning_rate) and learning_rate > 0):
            raise CoreError(f"learning_rate must be finite and > 0, got {learning_rate!r}")
        self.learning_rate = float(learning_rate)

    @staticmethod
    def desired(target: int, n_out: int) -> np.ndarray:
        """Which outputs should fire for ``target`` (see Notes)."""
        if n_out == 1:
            if target not in (0, 1, True, False):
                raise CoreError(f"a single tempotron's target must be 0 or 1, got {target!r}")
            return np.array([bool(target)])
        if not 0 <= int(target) < n_out:
            raise CoreError(f"label {target!r} outside 0..{n_out - 1}")
        return np.arange(n_out) == int(target)

    def __call__(self, seen: Seen, target, w: np.ndarray) -> np.ndarray | None:
        if target is None:
            return None
        n_out = seen.v.shape[1]
        want = self.desired(target, n_out)
        wrong = seen.spikes.any(axis=0) != want
        if not wrong.any():
            return None
        t_max = np.argmax(seen.v, axis=0)  # (n_out,)
        sign = np.where(want, 1.0, -1.0) * wrong
        return self.learning_rate * seen.pre[t_max].T * sign[None, :]


def train_epoch(core, traces: np.ndarray, targets: np.ndarray, rng: np.random.Generator) -> dict:
    """One pass over ``traces`` (P, T, n_in) in a random order (from ``rng``), learning after every error trial.

    Returns ``errors`` (error trials of the pass) and the summed write statistics.
    """
    errors = 0
    tot = {"cells": 0, "pulses": 0, "steps": 0, "energy_j": 0.0, "converged": 0}
    for p in rng.permutation(len(traces)):
        seen, stats = core.step(traces[p], int(targets[p]))
        errors += int(_wrong(core, seen, int(targets[p])))
        for k in tot:
            tot[k] += stats[k]
    return {"errors": errors, **tot}


def _wrong(core, seen: Seen, target: int) -> bool:
    want = TempotronRule.desired(target, core.n_outputs)
    return bool((seen.spikes.any(axis=0) != want).any())


def evaluate(core, traces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Peak potential and whether each output fired, per pattern: ``(v_max (P, n_out), fired (P, n_out))``."""
    v_max = np.empty((len(traces), core.n_outputs))
    fired = np.empty((len(traces), core.n_outputs), dtype=bool)
    for p, tr in enumerate(traces):
        seen = core.present(tr, phase="test")
        v_max[p], fired[p] = seen.v.max(axis=0), seen.spikes.any(axis=0)
    return v_max, fired
