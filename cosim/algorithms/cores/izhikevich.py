r"""Izhikevich neurons (Izhikevich, "Simple model of spiking neurons", IEEE TNN 14:1569, 2003).

.. math::

    v' = 0.04 v^2 + 5 v + 140 - u + I, \qquad u' = a (b v - u),

``v`` in mV, ``t`` in ms, ``I`` in the paper's dimensionless current units;
when ``v >= v_peak_mv`` (30 mV) the neuron spikes and ``v <- c``,
``u <- u + d``.

Integration
-----------
``scheme="paper"`` (default) is the paper's own: per 1 ms step, two
0.5 ms forward-Euler half-steps of ``v`` (its MATLAB code says "for
numerical stability"), then one 1 ms step of ``u`` with the new ``v``; the
spike test and reset follow the step (the paper tests at the start of the
next one: the same sequence). ``scheme="euler"`` is plain forward Euler at
``dt_ms`` for both variables.

Presets (:data:`PRESETS`, the paper's Fig. 2, named as there):
regular spiking, intrinsically bursting, chattering, fast spiking,
low-threshold spiking, thalamo-cortical and resonator.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from cosim.algorithms.cores.base import CoreError

__all__ = ["PRESETS", "Izhikevich"]

#: (a, b, c, d) of the paper's Fig. 2 (Izhikevich 2003, figure and its caption).
PRESETS: dict[str, tuple[float, float, float, float]] = {
    "regular_spiking": (0.02, 0.2, -65.0, 8.0),
    "intrinsically_bursting": (0.02, 0.2, -55.0, 4.0),
    "chattering": (0.02, 0.2, -50.0, 2.0),
    "fast_spiking": (0.1, 0.2, -65.0, 2.0),
    "low_threshold_spiking": (0.02, 0.25, -65.0, 2.0),
    "thalamo_cortical": (0.02, 0.25, -65.0, 0.05),
    "resonator": (0.1, 0.26, -65.0, 2.0),
}


class Izhikevich:
    """Izhikevich neurons, ``spikes, state = neuron(current, state)``, vectorised over neurons.

    Parameters
    ----------
    a, b, c, d : float or ndarray (n,)
        The model's parameters (per neuron when arrays): ``a`` 1/ms,
        ``b`` dimensionless, ``c`` mV (reset), ``d`` (recovery jump).
    v_peak_mv : float
        Spike cut-off, mV (30).
    v_init_mv : float
        Initial membrane, mV; ``u`` starts at ``b * v_init_mv``.
    scheme : {"paper", "euler"}
        The paper's 2 x 0.5 ms + 1 ms scheme (one call = 1 ms), or forward
        Euler at ``dt_ms``.
    dt_ms : float
        Step of ``scheme="euler"``, ms (the paper scheme's step is 1 ms).
    current_gain : float
        Multiplies the incoming current (synaptic sums in weight units -> model units).

    Notes
    -----
    The state is ``(3, n)``: ``v`` (after any reset), ``u``, and the membrane
    to report for this step (``v``, or ``v_peak_mv`` where the neuron spiked),
    so traces show the spikes as the paper's figures do.

    Examples
    --------
    >>> rs = Izhikevich.preset("regular_spiking")
    >>> s = rs.init_state(2)
    >>> n = 0
    >>> for _ in range(100):
    ...     spk, s = rs(np.array([10.0, 0.0]), s)
    ...     n += spk
    >>> n.tolist()
    [3, 0]
    """

    def __init__(
        self,
        a=0.02,
        b=0.2,
        c=-65.0,
        d=8.0,
        *,
        v_peak_mv: float = 30.0,
        v_init_mv: float = -65.0,
        scheme: Literal["paper", "euler"] = "paper",
        dt_ms: float = 1.0,
        current_gain: float = 1.0,
    ) -> None:
        if scheme not in ("paper", "euler"):
            raise CoreError(f"unknown scheme {scheme!r}; expected 'paper' or 'euler'")
        if not (np.isfinite(dt_ms) and dt_ms > 0):
            raise CoreError(f"dt_ms must be finite and > 0, got {dt_ms!r}")
        for name, val in (("a", a), ("b", b), ("c", c), ("d", d)):
            if not np.all(np.isfinite(val)):
                raise CoreError(f"Izhikevich parameter {name} must be finite, got {val!r}")
        self.a, self.b, self.c, self.d = (np.asarray(p, dtype=float) for p in (a, b, c, d))
        self.v_peak_mv = float(v_peak_mv)
        self.v_init_mv = float(v_init_mv)
        self.scheme = scheme
        self.dt_ms = 1.0 if scheme == "paper" else float(dt_ms)
        self.current_gain = float(current_gain)

    @classmethod
    def preset(cls, name: str, **kwargs) -> Izhikevich:
        """The neuron of the paper's Fig. 2 called ``name`` (see :data:`PRESETS`).

        Raises ``CoreError`` naming the unknown preset and the known ones.
        """
        try:
            a, b, c, d = PRESETS[name]
        except KeyError:
            raise CoreError(f"unknown Izhikevich preset {name!r}; known: {', '.join(PRESETS)}") from None
        return cls(a, b, c, d, **kwargs)

    def init_state(self, n: int) -> np.ndarray:
        v = np.full(n, self.v_init_mv)
        return np.stack([v, np.broadcast_to(self.b * v, (n,)).astype(float), v.copy()])

    def potential(self, state: np.ndarray) -> np.ndarray:
        return state[2]

    def _dv(self, v, u, i):
        return 0.04 * v * v + 5.0 * v + 140.0 - u + i

    def __call__(self, current: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Advance one step (1 ms for the paper's scheme, ``dt_ms`` for Euler) at ``current``."""
        i = self.current_gain * np.asarray(current, dtype=float)
        v, u = state[0], state[1]
        if self.scheme == "paper":
            v = v + 0.5 * self._dv(v, u, i)
            v = v + 0.5 * self._dv(v, u, i)
            u = u + self.a * (self.b * v - u)
        else:
            dt = self.dt_ms
            v, u = v + dt * self._dv(v, u, i), u + dt * self.a * (self.b * v - u)
        spikes = v >= self.v_peak_mv
        shown = np.where(spikes, self.v_peak_mv, v)
        v = np.where(spikes, self.c, v)
        u = np.where(spikes, u + self.d, u)
        return spikes, np.stack([v, u, shown])

    def __repr__(self) -> str:
        return f"Izhikevich(a={self.a}, b={self.b}, c={self.c}, d={self.d}, scheme={self.scheme!r}, dt_ms={self.dt_ms})"
