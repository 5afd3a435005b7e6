"""Unsupervised winner-take-all spiking network with pair-based STDP through device pulses.

Each image is shown for ``steps_per_image`` time steps; an active pixel emits
a spike in each step with probability ``p_spike`` (drawn from the caller's
Generator), an inactive one never. Output neurons are leaky integrators of
``x_spikes @ G`` (conductances in siemens, one device per synapse) with
adaptive thresholds; lateral inhibition makes it winner-take-all: when
neurons cross their thresholds only the one with the largest ``V / theta``
fires, and every membrane is reset. If nobody crosses during an image, the
neuron with the largest summed ``V / theta - 1`` is made to fire at its end
(a forced post spike, so every image teaches something).

Pair-based STDP, one device pulse per event, no verify: when neuron ``j``
fires at step ``t``, every input whose last spike lies inside the LTP window
(``t - t_pre <= ltp_window_steps``) gets one *potentiating* pulse on synapse
``(i, j)`` and every other input one *depressing* pulse (the LTD window is
everything older, including never-spiked inputs). The pulses are two writes
on the synapses' column (``rows_sel`` = the inputs, ``cols_sel = j``) through
:meth:`cosim.array.CrossbarArray.write`, so on a circuit backend the write
scheme's half-selected cells are disturbed as the circuit dictates.

Homeostasis keeps every neuron in use: the winner's threshold rises by
``theta_plus`` and all thresholds relax toward ``theta_rest`` with time
constant ``theta_tau_images`` (in images).

Labelled readout (after learning, weights frozen): each neuron is assigned the
label for which it wins most often on the labelled training images; a test
image is classified by the label of the neuron that wins it (the one with the
largest summed ``V / theta - 1`` over the presentation when none fires).
"""

from __future__ import annotations

from dataclasses import dataclass

from typing import Literal

import numpy as np

__all__ = ["STDPError", "STDPParams", "STDPNetwork"]


class STDPError(ValueError):
    """Bad STDP input; the message names the offending value."""


@dataclass(frozen=True)
class STDPParams:
    """STDP network parameters.

    Attributes
    ----------
    steps_per_image : int
        Time steps each image is shown.
    p_spike : float
        Spike probability per step of an active pixel.
    leak : float
        Membrane leak per step, 0..1 (``V <- (1 - leak) V + I``).
    theta_rest_s : float
        Resting threshold (the membrane is a sum of conductances, siemens).
    theta_plus_s : float
        Threshold increase of a neuron each time it fires.
    theta_tau_images : float
        Relaxation time constant of the thresholds, in images.
    ltp_window_steps : int
        An input that spiked at most this many steps before the post spike is potentiated.
    ltp_amplitude_v, ltp_width_s, ltd_amplitude_v, ltd_width_s : float
        The potentiating (raises G) and depressing (lowers G) pulses, volt and second.
    scheme : {"ideal", "v2", "v3", "floating"}
        Write scheme of the pulses (``"ideal"``, ``"v2"``, ...).
    """

    steps_per_image: int = 8
    p_spike: float = 1.0
    leak: float = 0.2
    theta_rest_s: float = 1.5e-3
    theta_plus_s: float = 2.0e-5
    theta_tau_images: float = 50.0
    ltp_window_steps: int = 2
    ltp_amplitude_v: float = -1.2
    ltp_width_s: float = 1e-6
    ltd_amplitude_v: float = 1.2
    ltd_width_s: float = 30e-6
    scheme: Literal["ideal", "v2", "v3", "floating"] = "ideal"

    def __post_init__(self) -> None:
        if not (isinstance(self.steps_per_image, (int, np.integer)) and self.steps_per_image >= 1):
            raise STDPError(f"steps_per_image must be an integer >= 1, got {self.steps_per_image!r}")
        if not 0 < self.p_spike <= 1:
            raise STDPError(f"p_spike must be in (0, 1], got {self.p_spike!r}")
        if not 0 <= self.leak <= 1:
            raise STDPError(f"leak must be in [0, 1], got {self.leak!r}")
        for name in ("theta_rest_s", "theta_tau_images", "ltp_width_s", "ltd_width_s"):
            if not getattr(self, name) > 0:
                raise STDPError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if self.theta_plus_s < 0:
            raise STDPError(f"theta_plus_s must be >= 0, got {self.theta_plus_s!r}")
        if self.ltp_window_steps < 0:
            raise STDPError(f"ltp_window_steps must be >= 0, got {self.ltp_window_steps!r}")


class STDPNetwork:
    """Inputs on word lines, output neurons on bit lines of a ``CrossbarArray`` (n_inputs x n_neurons).

    Parameters
    ----------
    array : CrossbarArray
        Holds the synapses (its shape is (n_inputs, n_neurons)); any backend.
    params : STDPParams
    rng : numpy.random.Generator
        Input spikes are drawn from it.
    forward : {"conductance", "read"}
        Synaptic currents from the devices' conductances, or a crossbar read
        at ``v_read_v`` (IR drop included on circuit backends).
    """

    def __init__(
        self,
        array,
        params: STDPParams,
        rng: np.random.Generator,
        *,
        forward: str = "conductance",
        v_read_v: float = 0.2,
    ) -> None:
        if not isinstance(rng, np.random.Generator):
            raise STDPError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        if forward not in ("conductance", "read"):
            raise STDPError(f"unknown forward {forward!r}; expected 'conductance' or 'read'")
        self.array = array
        self.p = params
        self.rng = rng
        self.forward = forward
        self.v_read_v = float(v_read_v)
        self.n_inputs, self.n_neurons = array.shape
        self.theta_s = np.full(self.n_neurons, params.theta_rest_s)
        self.pulses = 0
        self.post_spikes = 0

    def _currents(self, s: np.ndarray) -> np.ndarray:
        if self.forward == "read":
            return self.array.read(s * self.v_read_v) / self.v_read_v
        return s @ self.array.conductance_s

    def present(self, x: np.ndarray, *, learn: bool = True) -> tuple[int, np.ndarray]:
        """Show one binary image ``x`` (n_inputs,); returns (first winner or -1, spike counts per neuron)."""
        x = np.asarray(x, dtype=float).ravel()
        if x.size != self.n_inputs:
            raise STDPError(f"image has {x.size} pixels; the network has {self.n_inputs} inputs")
        p = self.p
        v = np.zeros(self.n_neurons)
        last_pre = np.full(self.n_inputs, -(10**9))
        counts = np.zeros(self.n_neurons, dtype=np.int64)
        margin = np.zeros(self.n_neurons)
        first = -1
        for t in range(p.steps_per_image):
            s = (self.rng.random(self.n_inputs) < p.p_spike * x).astype(float)
            last_pre[s > 0] = t
            v = (1 - p.leak) * v + self._currents(s)
            over = v / self.theta_s - 1.0  # relative: the threshold scales each neuron's excitability
            margin += over
            if (over > 0).any():
                j = int(np.argmax(over))
                counts[j] += 1
                if first < 0:
                    first = j
                v[:] = 0.0  # lateral inhibition: every membrane resets
                if learn:
                    self._stdp(j, t - last_pre <= p.ltp_window_steps)
                    self.theta_s[j] += p.theta_plus_s
        if first < 0:
            # nobody crossed: the neuron closest to firing over the presentation is made to fire
            # at the end (a forced post spike, as NeuroPack's stimulus files force spikes)
            first = int(np.argmax(margin))
            counts[first] += 1
            if learn:
                self._stdp(first, p.steps_per_image - 1 - last_pre <= p.ltp_window_steps)
                self.theta_s[first] += p.theta_plus_s
        if learn:
            self.theta_s += (p.theta_rest_s - self.theta_s) / p.theta_tau_images
        return first, counts

    def _stdp(self, j: int, ltp_rows: np.ndarray) -> None:
        self.post_spikes += 1
        p = self.p
        for rows, amp, width in (
            (np.flatnonzero(ltp_rows), p.ltp_amplitude_v, p.ltp_width_s),
            (np.flatnonzero(~ltp_rows), p.ltd_amplitude_v, p.ltd_width_s),
        ):
            if rows.size:
                self.array.write(rows, [j], amp, width, scheme=p.scheme)
                self.pulses += 1

    def winners(self, x_batch: np.ndarray) -> np.ndarray:
        """Winning neuron per image without learning: most spikes, ties and silence by the largest margin."""
        out = np.empty(len(x_batch), dtype=np.int64)
        theta = self.theta_s.copy()
        for k, x in enumerate(np.atleast_2d(x_batch)):
            p = self.p
            v = np.zeros(self.n_neurons)
            counts = np.zeros(self.n_neurons)
            margin = np.zeros(self.n_neurons)
            for _ in range(p.steps_per_image):
                s = (self.rng.random(self.n_inputs) < p.p_spike * np.asarray(x, float)).astype(float)
                v = (1 - p.leak) * v + self._currents(s)
                over = v / theta - 1.0
                margin += over
                if (over > 0).any():
                    counts[int(np.argmax(over))] += 1
                    v[:] = 0.0
            out[k] = int(np.argmax(counts + 1e-3 * (margin - margin.min()) / (np.ptp(margin) + 1e-30)))
        return out

    @staticmethod
    def assign_labels(winners: np.ndarray, labels: np.ndarray, n_neurons: int, n_classes: int = 10) -> np.ndarray:
        """Label of each neuron: the class it wins most often (-1 for a neuron that never wins)."""
        table = np.zeros((n_neurons, n_classes))
        np.add.at(table, (winners, labels), 1)
        # normalise by class frequency so frequent classes do not take every neuron
        freq = np.bincount(labels, minlength=n_classes).astype(float)
        table = table / np.where(freq > 0, freq, 1)
        return np.where(table.sum(axis=1) > 0, table.argmax(axis=1), -1)
