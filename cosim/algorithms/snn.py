r"""LIF / surrogate-gradient BP / winner-take-all spiking network on conductances.

NeuroPack's ``core_LIF_supervisedlearning_wta`` (Huang et al., "NeuroPack",
Front. Nanotechnol. 2022, and its code), vectorised over neurons and synapses.
One image is one time step: every active pixel is one input spike ``x_j``.
Weights are conductances in siemens, ``W = G``, one device per synapse.

Equations (per time step ``t``; ``theta`` = fire threshold)
-------------------------------------------------------------
* Membrane: :math:`V_t = \sum_j x_j W_{ij} + V_{t-1} (1 - \lambda)(1 - y_{t-1})`,
  i.e. the carried membrane is reset where the neuron fired (post-WTA spike
  ``y``) and leaks by ``lambda``. NeuroPack's MNIST config has
  ``LEAKAGE = lambda = -0.3``, so the carried membrane *grows* by 1.3: that is
  ``leak_mode="neuropack"``; the default ``leak_mode="proper"`` insists on a
  real leak, ``0 <= lambda <= 1``.
* Spikes: ``y_pre = V > theta``. WTA: if several outputs spike, only
  ``argmax V`` fires (``y``).
* Softmax over outputs of ``V * y`` (only the winner's potential survives).
* Output error, only where the fired state differs from the label
  ``yhat`` (one-hot): ``delta = S - yhat``; ``err = delta * y_pre`` if
  ``|V - theta| > theta``, else ``err = delta * (y_pre + 0.5 V) / theta``.
* Hidden layers (deeper nets): ``err_h = sum_o err_o W_ho * sg(V_h)`` with
  the surrogate derivative ``sg = 0.5 / theta`` inside ``|V - theta| <= theta``,
  0 outside. (NeuroPack's code writes ``0.5 V / theta``; the paper's box
  ``0.5 / theta`` is used here, as the issue specifies.)
* Update: :math:`\Delta W_{ij} = -\eta\, err_i\, x_j` (``x`` = the layer's
  pre-synaptic spikes, input pixels or hidden pre-WTA spikes),
  ``eta = 3.5e-6`` in NeuroPack's config. Software weights add it exactly;
  memristive weights set a target ``G = G_read + dW`` (clipped to the
  conductance window ``[1/r_max_ohm, 1/r_min_ohm]``, NeuroPack's
  ``PCEIL``/``PFLOOR``; NeuroPack itself silently skips writes whose target
  is negative) and program it with :func:`cosim.algorithms.verified_write.verified_write`.
* Prediction: the output that fires after WTA; no spike = no answer (wrong).

A neuron is a callable, ``spikes, membrane = lif(current, membrane)``
(snnTorch style), where ``membrane`` is the carried (already reset) potential.

Differences from NeuroPack, on purpose
--------------------------------------
* The forward pass uses the conductances the devices actually hold
  (``array.conductance_s`` -- disturbed cells included) or, with
  ``forward="read"`` on the direct mapping, a crossbar read through the
  circuit; NeuroPack uses its last read-back values (read noise frozen in).
* All synapses of one update are programmed by one vectorised verified write
  (NeuroPack programs them one device after the other; the outcome per cell
  is the same on the ideal backend, the order of disturbances differs on a
  passive circuit).
* No ``NOISESCALE`` term: an older NeuroPack core multiplied ``delta`` by
  ``yhat + rand * NOISESCALE``; the core the issue follows (and this module)
  uses ``y_pre`` and the near-threshold branch instead.

Mappings (synapse (input i, output o) -> device)
------------------------------------------------
:func:`dense_layout`: synapse ``k = o * n_inputs + i`` goes to word line
``k // cols`` and bit line ``k % cols`` (NeuroPack's ``MNIST_LIF_connmat.txt``
on a 100 x 100 array). :func:`direct_layout`: input ``i`` on word line ``i``,
output ``o`` on bit line ``o`` (a 484 x 10 array whose read is the layer's
matrix-vector product).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from cosim.algorithms.verified_write import read_cells, verified_write

__all__ = [
    "SNNError",
    "LIF",
    "winner_take_all",
    "softmax",
    "output_error",
    "surrogate_derivative",
    "dense_layout",
    "direct_layout",
    "SoftwareSynapses",
    "MemristiveSynapses",
    "StepResult",
    "SpikingNetwork",
]


class SNNError(ValueError):
    """Bad input to the spiking network; the message names the offending value."""


class LIF:
    """Leaky integrate-and-fire neurons (vectorised), ``spikes, membrane = lif(current, membrane)``.

    Parameters
    ----------
    threshold_v : float
        Fire threshold ``theta`` (NeuroPack's ``FIRETH``), > 0. Membrane
        potentials are sums of conductances (siemens) times unit spikes; the
        name keeps NeuroPack's "voltage" reading.
    leakage : float
        ``lambda``: the carried membrane is multiplied by ``1 - lambda``.
    leak_mode : {"proper", "neuropack", "additive"}
        ``"proper"`` requires ``0 <= leakage <= 1``; ``"neuropack"`` accepts
        any finite value (its MNIST config uses -0.3, a growing membrane).
        ``"additive"``: the carried membrane becomes ``max(V + leakage, 0)``
        (``leakage`` an additive bias per step, any finite value), the
        meaning of ``LEAKAGE`` in the NeuroPack core its ``MNIST_LIF.json``
        was written with (2021-11-29; multiplicative from 2022-02-21).

    Examples
    --------
    >>> lif = LIF(threshold_v=1.0, leakage=0.5)
    >>> spikes, v = lif(np.array([0.6, 0.3]), np.array([1.0, 0.0]))
    >>> spikes.tolist(), v.tolist()
    ([True, False], [1.1, 0.3])
    >>> LIF(1.0, -0.3, "additive")(np.array([0.5, 0.5]), np.array([1.0, 0.1]))[1].tolist()
    [1.2, 0.5]
    """

    def __init__(self, threshold_v: float = 1e-3, leakage: float = 1.0, leak_mode: str = "proper") -> None:
        if not (np.isfinite(threshold_v) and threshold_v > 0):
            raise SNNError(f"threshold_v must be finite and > 0, got {threshold_v!r}")
        if leak_mode not in ("proper", "neuropack", "additive"):
            raise SNNError(f"unknown leak_mode {leak_mode!r}; expected 'proper', 'neuropack' or 'additive'")
        if not np.isfinite(leakage):
            raise SNNError(f"leakage must be finite, got {leakage!r}")
        if leak_mode == "proper" and not 0 <= leakage <= 1:
            raise SNNError(
                f"leakage {leakage!r} is outside [0, 1] for leak_mode='proper' "
                "(NeuroPack's growing membrane, e.g. -0.3, needs leak_mode='neuropack')"
            )
        self.threshold_v = float(threshold_v)
        self.leakage = float(leakage)
        self.leak_mode = leak_mode

    def __call__(self, current: np.ndarray, membrane: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Integrate ``current`` onto the carried ``membrane``; return (spikes bool, new membrane)."""
        carried = np.asarray(membrane, dtype=float)
        if self.leak_mode == "additive":  # bias the (already reset) membrane, clamp at 0, then integrate
            carried = np.maximum(carried + self.leakage, 0.0)
        else:
            carried = (1.0 - self.leakage) * carried
        v = np.asarray(current, dtype=float) + carried
        return v > self.threshold_v, v

    def __repr__(self) -> str:
        return f"LIF(threshold_v={self.threshold_v}, leakage={self.leakage}, leak_mode={self.leak_mode!r})"


def winner_take_all(spikes: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Post-WTA spikes: unchanged if at most one neuron spikes, else only ``argmax v`` fires.

    >>> winner_take_all(np.array([True, True, False]), np.array([2.0, 3.0, 0.5])).tolist()
    [False, True, False]
    """
    spikes = np.asarray(spikes, dtype=bool)
    if spikes.sum() <= 1:
        return spikes.copy()
    out = np.zeros_like(spikes)
    out[int(np.argmax(v))] = True
    return out


def softmax(z: np.ndarray) -> np.ndarray:
    """Numerically stable softmax of a vector."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max())
    return e / e.sum()


def output_error(v: np.ndarray, y_pre: np.ndarray, y: np.ndarray, target: np.ndarray, threshold_v: float) -> np.ndarray:
    """NeuroPack's output error (module docstring); zero where ``y`` equals ``target``.

    Parameters
    ----------
    v : (n_out,) membrane potentials; y_pre, y : (n_out,) pre- and post-WTA
    spikes; target : (n_out,) one-hot label; threshold_v : theta.
    """
    y_pre = np.asarray(y_pre, dtype=float)
    y = np.asarray(y, dtype=float)
    target = np.asarray(target, dtype=float)
    s = softmax(v * y)
    delta = s - target
    near = np.abs(v - threshold_v) <= threshold_v
    err = np.where(near, delta * (y_pre + 0.5 * v) / threshold_v, delta * y_pre)
    return np.where(y != target, err, 0.0)


def surrogate_derivative(v: np.ndarray, threshold_v: float) -> np.ndarray:
    """``0.5 / theta`` inside ``|v - theta| <= theta``, 0 outside."""
    return np.where(np.abs(np.asarray(v, dtype=float) - threshold_v) <= threshold_v, 0.5 / threshold_v, 0.0)


def dense_layout(n_inputs: int, n_outputs: int, shape: tuple[int, int] = (100, 100), offset: int = 0):
    """Device rows and cols (each (n_inputs, n_outputs)) of NeuroPack's dense packing.

    Synapse ``k = offset + o * n_inputs + i`` -> word line ``k // cols``,
    bit line ``k % cols``. Raises ``SNNError`` when the synapses do not fit.

    >>> r, c = dense_layout(484, 10)
    >>> int(r[483, 9]), int(c[483, 9])
    (48, 39)
    """
    rows_, cols_ = shape
    need = offset + n_inputs * n_outputs
    if need > rows_ * cols_:
        raise SNNError(
            f"{n_inputs} x {n_outputs} synapses from offset {offset} need {need} cells; the array has {rows_ * cols_}"
        )
    k = offset + np.arange(n_outputs)[None, :] * n_inputs + np.arange(n_inputs)[:, None]
    return k // cols_, k % cols_


def direct_layout(n_inputs: int, n_outputs: int):
    """Input ``i`` on word line ``i``, output ``o`` on bit line ``o`` (each (n_inputs, n_outputs))."""
    rows = np.broadcast_to(np.arange(n_inputs)[:, None], (n_inputs, n_outputs)).copy()
    cols = np.broadcast_to(np.arange(n_outputs)[None, :], (n_inputs, n_outputs)).copy()
    return rows, cols


class SoftwareSynapses:
    """Weights stored exactly in memory (the ideal baseline), siemens.

    Parameters
    ----------
    w_s : ndarray (n_in, n_out)
        Initial weights (conductances), siemens.
    g_min_s, g_max_s : float, optional
        Clip window applied after each update (None: unbounded).
    """

    kind = "software"

    def __init__(self, w_s: np.ndarray, g_min_s: float | None = None, g_max_s: float | None = None) -> None:
        w = np.array(w_s, dtype=float)
        if w.ndim != 2 or not np.isfinite(w).all():
            raise SNNError(f"w_s must be a finite 2-D array, got shape {w.shape}")
        self.w_s = w
        self.g_min_s, self.g_max_s = g_min_s, g_max_s

    @property
    def shape(self) -> tuple[int, int]:
        return self.w_s.shape

    def weights_s(self) -> np.ndarray:
        return self.w_s

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Synaptic current into each post-synaptic neuron: ``x @ W``."""
        return x @ self.w_s

    def update(self, dw_s: np.ndarray) -> dict:
        """``W += dW`` (then the optional clip); returns write statistics (all zero)."""
        w = self.w_s + dw_s
        if self.g_min_s is not None or self.g_max_s is not None:
            w = np.clip(w, self.g_min_s, self.g_max_s)
        self.w_s = w
        return {
            "cells": int(np.count_nonzero(dw_s)),
            "pulses": 0,
            "steps": 0,
            "energy_j": 0.0,
            "converged": int(np.count_nonzero(dw_s)),
        }


class MemristiveSynapses:
    """Weights held as device conductances on a :class:`cosim.array.CrossbarArray`.

    Parameters
    ----------
    array : CrossbarArray
        The array (any backend). Its state is the weights.
    rows, cols : ndarray of int (n_in, n_out)
        Device of each synapse (:func:`dense_layout`, :func:`direct_layout`).
    r_min_ohm, r_max_ohm : float
        Conductance window of the targets, ``[1/r_max_ohm, 1/r_min_ohm]``.
    forward : {"conductance", "read"}
        ``"conductance"``: ``x @ G`` with the conductances the devices hold;
        ``"read"``: a crossbar read at ``v_read_v`` (direct layout only:
        rows = inputs in order, cols = outputs in order), IR drop included.
    write : dict
        Keyword arguments of :func:`verified_write` (``options``,
        ``tolerance``, ``max_steps``, ``predictor``, ``scheme``,
        ``grouping``, ``v_read_v``).
    """

    kind = "memristive"

    def __init__(
        self,
        array,
        rows: np.ndarray,
        cols: np.ndarray,
        *,
        r_min_ohm: float = 2231.0,
        r_max_ohm: float = 12854.0,
        forward: str = "conductance",
        v_read_v: float = 0.2,
        write: dict | None = None,
    ) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        if rows.shape != cols.shape or rows.ndim != 2:
            raise SNNError(f"rows and cols must be 2-D of one shape, got {rows.shape} and {cols.shape}")
        if rows.min() < 0 or rows.max() >= array.rows or cols.min() < 0 or cols.max() >= array.cols:
            raise SNNError(f"the layout does not fit the {array.shape} array")
        flat = rows * array.cols + cols
        if np.unique(flat).size != flat.size:
            raise SNNError("two synapses share one device in the layout")
        if not 0 < r_min_ohm < r_max_ohm:
            raise SNNError(f"need 0 < r_min_ohm < r_max_ohm, got {r_min_ohm!r}, {r_max_ohm!r}")
        if forward not in ("conductance", "read"):
            raise SNNError(f"unknown forward {forward!r}; expected 'conductance' or 'read'")
        if forward == "read":
            r_ref, c_ref = direct_layout(*rows.shape)
            if not (np.array_equal(rows, r_ref) and np.array_equal(cols, c_ref)):
                raise SNNError(
                    "forward='read' needs the direct layout (input i on word line i, output o on bit line o)"
                )
        self.array = array
        self.rows, self.cols = rows, cols
        self.g_min_s, self.g_max_s = 1.0 / r_max_ohm, 1.0 / r_min_ohm
        self.forward_mode = forward
        self.v_read_v = float(v_read_v)
        self.write_kwargs = dict(write or {})
        self.last_report = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.rows.shape

    def weights_s(self) -> np.ndarray:
        """Conductance of every synapse's device, (n_in, n_out), siemens."""
        return self.array.conductance_s[self.rows, self.cols]

    def forward(self, x: np.ndarray) -> np.ndarray:
        if self.forward_mode == "read":
            n_in = self.rows.shape[0]
            v = np.zeros(self.array.rows)
            v[:n_in] = x * self.v_read_v
            return self.array.read(v)[: self.rows.shape[1]] / self.v_read_v
        return x @ self.weights_s()

    def update(self, dw_s: np.ndarray) -> dict:
        """Program ``G_read + dW`` (clipped to the window) into every synapse with ``dW != 0``."""
        ii, oo = np.nonzero(dw_s)
        if ii.size == 0:
            self.last_report = None
            return {"cells": 0, "pulses": 0, "steps": 0, "energy_j": 0.0, "converged": 0}
        rows, cols = self.rows[ii, oo], self.cols[ii, oo]
        kw = dict(self.write_kwargs)
        v_read = kw.get("v_read_v", self.v_read_v)
        r_read = read_cells(self.array, rows, cols, v_read_v=v_read)
        g_target = np.clip(1.0 / r_read + dw_s[ii, oo], self.g_min_s, self.g_max_s)
        rep = verified_write(self.array, rows, cols, 1.0 / g_target, r_initial_ohm=r_read, **kw)
        self.last_report = rep
        return {
            "cells": int(ii.size),
            "pulses": int(rep.n_pulses),
            "steps": int(rep.steps.sum()),
            "energy_j": float(rep.energy_j),
            "converged": int(rep.converged.sum()),
        }


@dataclass
class StepResult:
    """What one time step (one image) did.

    Attributes
    ----------
    v_out : (n_out,) output membrane potentials; y_pre, y : (n_out,) pre-/post-WTA spikes;
    prediction : int (-1 when no output fires); error : (n_out,) output error;
    hidden_v : list of (n_h,) hidden membranes; writes : list of per-layer write statistics.
    """

    v_out: np.ndarray
    y_pre: np.ndarray
    y: np.ndarray
    prediction: int
    error: np.ndarray
    hidden_v: list = field(default_factory=list)
    writes: list = field(default_factory=list)

    @property
    def write_totals(self) -> dict:
        out = {"cells": 0, "pulses": 0, "steps": 0, "energy_j": 0.0, "converged": 0}
        for w in self.writes:
            for k in out:
                out[k] += w[k]
        return out


class SpikingNetwork:
    """Feed-forward LIF network with WTA outputs trained by NeuroPack's rule.

    Parameters
    ----------
    layers : sequence of SoftwareSynapses / MemristiveSynapses
        Weight layers, input -> hidden ... -> output; shapes must chain.
    lif : LIF
        Neuron model shared by every layer.
    learning_rate : float
        ``eta`` (siemens per unit error), > 0.

    Notes
    -----
    Training and test keep separate membranes (NeuroPack's ``NeurAccum`` and
    ``NeurAccumForTest``); both carry from one image to the next.
    """

    def __init__(self, layers: Sequence, lif: LIF, learning_rate: float = 3.5e-6) -> None:
        if not layers:
            raise SNNError("a network needs at least one weight layer")
        for a, b in zip(layers[:-1], layers[1:]):
            if a.shape[1] != b.shape[0]:
                raise SNNError(f"layer shapes do not chain: {a.shape} then {b.shape}")
        if not (np.isfinite(learning_rate) and learning_rate > 0):
            raise SNNError(f"learning_rate must be finite and > 0, got {learning_rate!r}")
        self.layers = list(layers)
        self.lif = lif
        self.learning_rate = float(learning_rate)
        self.n_inputs = self.layers[0].shape[0]
        self.n_outputs = self.layers[-1].shape[1]
        self._carry = {"train": self._zeros(), "test": self._zeros()}

    def _zeros(self):
        return [np.zeros(layer.shape[1]) for layer in self.layers]

    def reset(self, phase: str | None = None) -> None:
        """Zero the carried membranes of ``phase`` ("train", "test") or both."""
        for ph in [phase] if phase else ["train", "test"]:
            self._carry[ph] = self._zeros()

    def step(self, x: np.ndarray, label: int | None = None, *, learn: bool = True, phase: str = "train") -> StepResult:
        """Present one image ``x`` (n_inputs,) of 0/1 spikes; learn from ``label`` when ``learn``.

        Raises ``SNNError`` for a wrong input length or a label outside 0..n_outputs-1.
        """
        x = np.asarray(x, dtype=float).ravel()
        if x.size != self.n_inputs:
            raise SNNError(f"input has {x.size} values; the network has {self.n_inputs} inputs")
        if label is not None and not (0 <= int(label) < self.n_outputs):
            raise SNNError(f"label {label!r} outside 0..{self.n_outputs - 1}")
        carry = self._carry[phase]
        pre = [x]
        vs, pres = [], []
        for k, layer in enumerate(self.layers):
            spikes, v = self.lif(layer.forward(pre[-1]), carry[k])
            vs.append(v)
            pres.append(spikes)
            if k < len(self.layers) - 1:
                carry[k] = v * (~spikes)
                pre.append(spikes.astype(float))
        v_out, y_pre = vs[-1], pres[-1]
        y = winner_take_all(y_pre, v_out)
        carry[-1] = v_out * (~y)
        prediction = int(np.argmax(y)) if y.any() else -1
        err = np.zeros(self.n_outputs)
        writes: list = []
        if label is not None:
            target = np.zeros(self.n_outputs)
            target[int(label)] = 1.0
            err = output_error(v_out, y_pre, y, target, self.lif.threshold_v)
            if learn and err.any():
                errs = [err]
                for k in range(len(self.layers) - 2, -1, -1):
                    w_next = self.layers[k + 1].weights_s()
                    errs.insert(0, (w_next @ errs[0]) * surrogate_derivative(vs[k], self.lif.threshold_v))
                for k, layer in enumerate(self.layers):
                    dw = -self.learning_rate * np.outer(pre[k], errs[k])
                    writes.append(layer.update(dw))
        return StepResult(v_out, y_pre, y, prediction, err, vs[:-1], writes)

    def predict(self, x_batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Test phase: present images in order without learning; (predictions (n,), output membranes (n, n_out))."""
        x_batch = np.atleast_2d(x_batch)
        preds = np.empty(len(x_batch), dtype=np.int64)
        vs = np.empty((len(x_batch), self.n_outputs))
        for t, x in enumerate(x_batch):
            r = self.step(x, learn=False, phase="test")
            preds[t], vs[t] = r.prediction, r.v_out
        return preds, vs
