"""Synapses for cores: exact numbers, single-pulse device cells, a linear weight map.

Anything with ``shape``, ``weights()``, ``forward(pre)`` and ``update(dw) ->
dict`` of write statistics is a synapse object (see :mod:`cosim.algorithms.cores.base`);
:func:`build_synapses` makes the shipped ones on any backend from one
:class:`SynapseConfig`. Import them from :mod:`cosim.algorithms.cores`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from cosim.algorithms.cores.base import _ZERO_STATS, CoreError


class ExactSynapses:
    """Weights stored exactly in memory (the software baseline), in weight units.

    Parameters
    ----------
    w : ndarray (n_in, n_out)
        Initial weights.
    w_min, w_max : float, optional
        Clip window after every update (None: unbounded).

    Examples
    --------
    >>> s = ExactSynapses(np.zeros((2, 1)), w_max=0.5)
    >>> s.update(np.array([[0.2], [0.9]]))["cells"], s.weights().ravel().tolist()
    (2, [0.2, 0.5])
    """

    kind = "software"

    def __init__(self, w: np.ndarray, w_min: float | None = None, w_max: float | None = None) -> None:
        w = np.array(w, dtype=float)
        if w.ndim != 2 or not np.isfinite(w).all():
            raise CoreError(f"weights must be a finite 2-D array, got shape {w.shape}")
        self.w, self.w_min, self.w_max = w, w_min, w_max

    @property
    def shape(self) -> tuple[int, int]:
        return self.w.shape

    def weights(self) -> np.ndarray:
        return self.w

    def forward(self, pre: np.ndarray) -> np.ndarray:
        """``pre @ w`` for one step (n_in,) or many (T, n_in)."""
        return np.asarray(pre, dtype=float) @ self.w

    def update(self, dw: np.ndarray) -> dict:
        w = self.w + dw
        if self.w_min is not None or self.w_max is not None:
            w = np.clip(w, self.w_min, self.w_max)
        self.w = w
        return dict(_ZERO_STATS, cells=int(np.count_nonzero(dw)))


class PulsedSynapses:
    """Device conductances moved by one fixed pulse per cell and update (no verify), siemens.

    A cell with ``dW > dead_zone_s`` gets one potentiating pulse, one with
    ``dW < -dead_zone_s`` one depressing pulse; the pulses of one output
    (bit line) and polarity share one bias, ``array.write(rows, [col], ...)``
    under ``scheme``, so half-selected cells on a circuit backend are
    disturbed as the circuit dictates (as in STDP, :mod:`cosim.algorithms.stdp`).

    Parameters
    ----------
    array : CrossbarArray
    rows, cols : ndarray of int (n_in, n_out)
        Must be the direct layout (input ``i`` on word line ``rows[i, 0]``,
        output ``o`` on bit line ``cols[0, o]``), so one bias selects exactly
        the cells of one output.
    up_amplitude_v, up_width_s, down_amplitude_v, down_width_s : float
        The conductance-raising and -lowering pulses (Messaris card: negative raises).
    scheme : {"ideal", "v2", "v3", "floating"}
    dead_zone_s : float
        Changes no larger than this are not written, siemens.
    """

    kind = "memristive"

    def __init__(
        self,
        array,
        rows,
        cols,
        *,
        up_amplitude_v: float = -1.2,
        up_width_s: float = 1e-6,
        down_amplitude_v: float = 1.2,
        down_width_s: float = 30e-6,
        scheme: str = "ideal",
        dead_zone_s: float = 0.0,
    ) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        if rows.ndim != 2 or rows.shape != cols.shape:
            raise CoreError(f"rows and cols must be 2-D of one shape, got {rows.shape} and {cols.shape}")
        if not ((rows == rows[:, :1]).all() and (cols == cols[:1, :]).all()):
            raise CoreError("PulsedSynapses needs the direct layout (one word line per input, one bit line per output)")
        if rows.max() >= array.rows or cols.max() >= array.cols or rows.min() < 0 or cols.min() < 0:
            raise CoreError(f"the layout does not fit the {array.shape} array")
        self.array, self.rows, self.cols = array, rows, cols
        self.up = (float(up_amplitude_v), float(up_width_s))
        self.down = (float(down_amplitude_v), float(down_width_s))
        self.scheme = scheme
        self.dead_zone_s = float(dead_zone_s)

    @property
    def shape(self) -> tuple[int, int]:
        return self.rows.shape

    def weights(self) -> np.ndarray:
        """Conductance of every synapse, (n_in, n_out), siemens."""
        return self.array.conductance_s[self.rows, self.cols]

    def forward(self, pre: np.ndarray) -> np.ndarray:
        return np.asarray(pre, dtype=float) @ self.weights()

    def update(self, dw_s: np.ndarray) -> dict:
        dw_s = np.asarray(dw_s, dtype=float)
        pulses = cells = 0
        e0 = self.array.energy_j
        in_rows = self.rows[:, 0]
        for o in range(self.shape[1]):  # one bias per output and polarity: a loop over bit lines, not cells
            for mask, (amp, width) in (
                (dw_s[:, o] > self.dead_zone_s, self.up),
                (dw_s[:, o] < -self.dead_zone_s, self.down),
            ):
                if mask.any():
                    self.array.write(in_rows[mask], [int(self.cols[0, o])], amp, width, scheme=self.scheme)
                    pulses += 1
                    cells += int(mask.sum())
        return {
            "cells": cells,
            "pulses": pulses,
            "steps": cells,
            "energy_j": float(self.array.energy_j - e0),
            "converged": cells,
        }


class MappedSynapses:
    """Weights seen through a linear map of device conductances: ``w = (G - g_ref_s) * w_per_siemens``.

    ``forward`` subtracts the reference current ``g_ref_s * sum(pre)`` (one
    reference column, computed digitally) from the synapses' own forward
    (a crossbar read when the inner synapses read through the circuit);
    ``update(dw)`` asks the inner synapses for ``dw / w_per_siemens``.

    Parameters
    ----------
    inner : MemristiveSynapses or PulsedSynapses
        Synapses in siemens.
    g_ref_s : float
        Conductance that means weight 0, siemens.
    w_per_siemens : float
        Weight units per siemens, > 0.
    """

    def __init__(self, inner, g_ref_s: float, w_per_siemens: float) -> None:
        if not (np.isfinite(w_per_siemens) and w_per_siemens > 0):
            raise CoreError(f"w_per_siemens must be finite and > 0, got {w_per_siemens!r}")
        self.inner, self.g_ref_s, self.w_per_siemens = inner, float(g_ref_s), float(w_per_siemens)
        self.kind = getattr(inner, "kind", "memristive")

    @property
    def shape(self) -> tuple[int, int]:
        return self.inner.shape

    @property
    def array(self):
        return self.inner.array

    def weights(self) -> np.ndarray:
        g = self.inner.weights_s() if hasattr(self.inner, "weights_s") else self.inner.weights()
        return (g - self.g_ref_s) * self.w_per_siemens

    def forward(self, pre: np.ndarray) -> np.ndarray:
        pre = np.asarray(pre, dtype=float)
        if pre.ndim == 2 and getattr(self.inner, "forward_mode", "conductance") == "read":
            i = np.stack([self.inner.forward(p) for p in pre])  # one read per step (the circuit's own batch)
        else:
            i = self.inner.forward(pre)
        return (i - self.g_ref_s * pre.sum(axis=-1)[..., None]) * self.w_per_siemens

    def update(self, dw: np.ndarray) -> dict:
        return self.inner.update(np.asarray(dw, dtype=float) / self.w_per_siemens)


@dataclass
class SynapseConfig:
    """How a layer's synapses are held (the ``[synapses]`` section of the core experiments).

    Weights ``w`` (dimensionless) map to conductances linearly:
    signed, ``w = w_max (G - g_mid) / g_half`` (``g_mid``, ``g_half`` the
    centre and half-width of ``[1/r_max_ohm, 1/r_min_ohm]``, so
    ``w`` spans ``[-w_max, w_max]``); unsigned, ``w = w_max G / g_max``.

    Attributes
    ----------
    weights : {"memristive", "software"}
        Device conductances on a crossbar, or exact numbers (clipped to the same range).
    programming : {"verified", "pulse"}
        Memristive updates by predict-write-verify (:func:`cosim.algorithms.verified_write.verified_write`)
        or one fixed pulse per changed cell (:class:`PulsedSynapses`).
    signed : bool
        Signed weights around ``g_mid`` (else proportional to ``G``).
    w_max : float
        Weight at the top of the conductance window.
    r_min_ohm, r_max_ohm : float
        Conductance window ``[1/r_max_ohm, 1/r_min_ohm]`` (NeuroPack's PFLOOR/PCEIL), ohm.
    tolerance : float
        Verified writes: R-tolerance, relative.
    max_steps : int
        Verified writes: most pulses per cell and update.
    predictor : {"nominal", "circuit"}
        Verified writes: predict with the device model at the nominal amplitude ("nominal")
        or at the voltage the circuit delivers ("circuit").
    scheme : {"ideal", "v2", "v3", "floating"}
        Write scheme of every pulse.
    v_read_v : float
        Read voltage, volt.
    read_noise : float
        Uniform multiplicative read noise, +-fraction.
    pulse_up_v, pulse_up_width_s, pulse_down_v, pulse_down_width_s : float
        Single-pulse programming: the conductance-raising and -lowering pulses, volt and second.
    forward : {"conductance", "read"}
        Synaptic currents from the devices' conductances or from a crossbar read (IR drop included).
    r_wire_ohm : float
        Word- and bit-line segment resistance (circuit backends), ohm.
    cell : {"1R", "1S1R", "1T1R"}
        Cell kind (circuit backends; "1S1R": device + sinh selector).
    """

    weights: Literal["memristive", "software"] = "memristive"
    programming: Literal["verified", "pulse"] = "verified"
    signed: bool = True
    w_max: float = 1.0
    r_min_ohm: float = 2231.0
    r_max_ohm: float = 12854.0
    tolerance: float = 0.01
    max_steps: int = 5
    predictor: Literal["nominal", "circuit"] = "nominal"
    scheme: Literal["ideal", "v2", "v3", "floating"] = "ideal"
    v_read_v: float = 0.2
    read_noise: float = 0.0
    pulse_up_v: float = -1.2
    pulse_up_width_s: float = 1e-6
    pulse_down_v: float = 1.2
    pulse_down_width_s: float = 30e-6
    forward: Literal["conductance", "read"] = "conductance"
    r_wire_ohm: float = 0.0
    cell: Literal["1R", "1S1R", "1T1R"] = "1R"

    def window(self) -> tuple[float, float]:
        """The weight range ``(w_lo, w_hi)`` the devices can hold."""
        g_lo, g_hi = 1.0 / self.r_max_ohm, 1.0 / self.r_min_ohm
        return (-self.w_max, self.w_max) if self.signed else (self.w_max * g_lo / g_hi, self.w_max)

    def g_ref_and_scale(self) -> tuple[float, float]:
        """``(g_ref_s, w_per_siemens)`` of the weight map."""
        g_lo, g_hi = 1.0 / self.r_max_ohm, 1.0 / self.r_min_ohm
        if self.signed:
            return 0.5 * (g_lo + g_hi), self.w_max / (0.5 * (g_hi - g_lo))
        return 0.0, self.w_max / g_hi


def build_synapses(
    cfg: SynapseConfig, w_init: np.ndarray, *, backend: str = "ideal", rng: np.random.Generator | None = None
):
    """Synapses holding ``w_init`` (n_in, n_out) as ``cfg`` says, on ``backend``.

    Memristive synapses sit on their own ``n_in x n_out`` array (input ``i``
    on word line ``i``, output ``o`` on bit line ``o``) of Messaris/NeuroPack
    devices whose initial states hold ``w_init`` (clipped to the window)
    exactly: the initial programming is not simulated.

    Raises
    ------
    CoreError
        Bad window or weight scale, or an unknown backend (named).
    """
    w_init = np.asarray(w_init, dtype=float)
    if w_init.ndim != 2:
        raise CoreError(f"w_init must be (n_in, n_out), got shape {w_init.shape}")
    if not 0 < cfg.r_min_ohm < cfg.r_max_ohm:
        raise CoreError(f"need 0 < r_min_ohm < r_max_ohm, got {cfg.r_min_ohm!r}, {cfg.r_max_ohm!r}")
    if not (np.isfinite(cfg.w_max) and cfg.w_max > 0):
        raise CoreError(f"w_max must be finite and > 0, got {cfg.w_max!r}")
    lo, hi = cfg.window()
    w0 = np.clip(w_init, lo, hi)
    if cfg.weights == "software":
        return ExactSynapses(w0, lo, hi)
    if backend not in ("ideal", "nodal", "ngspice"):
        raise CoreError(f"unknown backend {backend!r}; expected 'ideal', 'nodal' or 'ngspice'")
    from cosim.algorithms.snn import MemristiveSynapses, direct_layout
    from cosim.algorithms.verified_write import NEUROPACK_OPTIONS
    from cosim.array import CrossbarArray
    from cosim.devices import NEUROPACK_2022, Messaris2017
    from cosim.devices.variability import ReadNoise
    from cosim.netlist.crossbar import CrossbarSpec

    rng = rng if rng is not None else np.random.default_rng(0)
    n_in, n_out = w0.shape
    g_ref, scale = cfg.g_ref_and_scale()
    g0 = np.clip(w0 / scale + g_ref, 1.0 / cfg.r_max_ohm, 1.0 / cfg.r_min_ohm)
    spec = CrossbarSpec(n_in, n_out, r_wordline_ohm=cfg.r_wire_ohm, r_bitline_ohm=cfg.r_wire_ohm, cell=cfg.cell)
    noise = ReadNoise("uniform", cfg.read_noise) if cfg.read_noise > 0 else None
    kw = dict(spec=spec, backend=backend, read_noise=noise, rng=rng)
    if backend != "ideal":
        kw["reuse_tolerance"] = 0.02
    array = CrossbarArray(Messaris2017(**NEUROPACK_2022), 1.0 / g0, **kw)
    rows, cols = direct_layout(n_in, n_out)
    if cfg.programming == "pulse":
        inner = PulsedSynapses(
            array,
            rows,
            cols,
            up_amplitude_v=cfg.pulse_up_v,
            up_width_s=cfg.pulse_up_width_s,
            down_amplitude_v=cfg.pulse_down_v,
            down_width_s=cfg.pulse_down_width_s,
            scheme=cfg.scheme,
        )
    else:
        write = dict(
            options=NEUROPACK_OPTIONS,
            tolerance=cfg.tolerance,
            max_steps=cfg.max_steps,
            predictor=cfg.predictor,
            scheme=cfg.scheme,
            v_read_v=cfg.v_read_v,
        )
        inner = MemristiveSynapses(
            array,
            rows,
            cols,
            r_min_ohm=cfg.r_min_ohm,
            r_max_ohm=cfg.r_max_ohm,
            forward=cfg.forward,
            v_read_v=cfg.v_read_v,
            write=write,
        )
    return MappedSynapses(inner, g_ref, scale)
