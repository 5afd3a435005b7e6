"""The data-driven ReRAM model of Messaris et al. (2017), as used by NeuroPack.

References
----------
I. Messaris, A. Serb, S. Stathopoulos, A. Khiat, S. Nikolaidis,
T. Prodromakis, "A Data-Driven Verilog-A ReRAM Model", IEEE Trans.
Computer-Aided Design 37(12), 3151-3162 (2018; online 2017).
J. Huang, S. Stathopoulos, A. Serb, T. Prodromakis, "NeuroPack: An
Algorithm-Level Python-Based Simulator for Memristor-Empowered
Neuro-Inspired Computing", Frontiers in Nanotechnology 4 (2022), Table 2
(the parameter card in ``models/messaris2017_neuropack.toml``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from cosim.devices import _messaris_fast
from cosim.devices._common import ParamsMixin, as_param, check_voltage, prepare_advance
from cosim.devices.base import DeviceError, DeviceModel


class Messaris2017(ParamsMixin, DeviceModel):
    r"""Messaris 2017 data-driven bipolar ReRAM model; the state is the resistance.

    .. math::

        \frac{dR}{dt} = \begin{cases}
            A_p\,(e^{|v|/t_p} - 1)\,(r_p(v) - R)^2 & v > 0,\ R < r_p(v) \\
            A_n\,(e^{|v|/t_n} - 1)\,(R - r_n(v))^2 & v \le 0,\ R > r_n(v) \\
            0 & \text{otherwise}
        \end{cases}
        \qquad r_p(v) = a_{0p} + a_{1p} v,\quad r_n(v) = a_{0n} + a_{1n} v

    With ``a_p > 0`` and ``a_n < 0``, a positive cell voltage (word line above
    bit line) raises R toward the fixed point ``r_p(v)`` (lowers the
    conductance) and a negative voltage lowers R toward ``r_n(v)``; neither
    fixed point is ever crossed.  ``raises_conductance = "negative"``.

    The read is ohmic, ``I = v / R`` (NeuroPack's convention; the paper's
    sinh I-V is not used by NeuroPack).

    At constant ``v`` the equation is separable: with ``u = |r(v) - R|`` and
    ``k = |A|(e^{|v|/t} - 1) >= 0``, ``du/dt = -k u^2`` so
    ``1/u(t) = 1/u(0) + k t`` exactly.  :meth:`advance` uses this closed form,
    so one call for a whole pulse is exact whatever its width.

    Parameters
    ----------
    a_p : float or array, 1/(ohm s), >= 0
        Switching-rate prefactor for positive voltage (``A_p``).
    a_n : float or array, 1/(ohm s), <= 0
        Switching-rate prefactor for negative voltage (``A_n``, negative so
        that R falls).
    t_p_v, t_n_v : float or array, volt, > 0
        Voltage scales of the exponential rate terms (``t_p``, ``t_n``).
    a0p_ohm, a1p_ohm_per_v : float or array
        ``r_p(v) = a0p_ohm + a1p_ohm_per_v * v``.
    a0n_ohm, a1n_ohm_per_v : float or array
        ``r_n(v) = a0n_ohm + a1n_ohm_per_v * v``.
    r_min_ohm, r_max_ohm : float, ohm
        Validity envelope of the state (not from the paper; a cosim choice).
        :meth:`check_state` refuses states outside it, and :meth:`advance`
        stops a trajectory at ``r_min_ohm``: this only matters where the card
        extrapolates beyond its fit (with NeuroPack's card ``r_n(v) < 100``
        ohm for ``v < -1.262`` V, where the equation would drive R below
        zero).
    r0_ohm : float, ohm
        Resistance returned by :meth:`initial_state`.

    Raises
    ------
    DeviceError
        For a non-finite parameter, ``a_p < 0``, ``a_n > 0``, non-positive
        ``t_*``, or ``r_min_ohm >= r_max_ohm``.

    Examples
    --------
    >>> m = Messaris2017(**NEUROPACK_2022)
    >>> round(float(m.r_p_ohm(1.2)), 1), round(float(m.r_n_ohm(-1.2)), 1)
    (12854.8, 2230.6)
    """

    name: ClassVar[str] = "messaris2017"
    state_name: ClassVar[str] = "resistance_ohm"
    raises_conductance: ClassVar[str] = "negative"
    ohmic: ClassVar[bool] = True

    def __init__(
        self,
        *,
        a_p: Any,
        a_n: Any,
        t_p_v: Any,
        t_n_v: Any,
        a0p_ohm: Any,
        a1p_ohm_per_v: Any,
        a0n_ohm: Any,
        a1n_ohm_per_v: Any,
        r_min_ohm: float = 100.0,
        r_max_ohm: float = 1.0e6,
        r0_ohm: float = 11000.0,
    ) -> None:
        n = self.name
        self.a_p = as_param(n, "a_p", a_p, sign="nonnegative")
        self.a_n = as_param(n, "a_n", a_n, sign="nonpositive")
        self.t_p_v = as_param(n, "t_p_v", t_p_v, sign="positive")
        self.t_n_v = as_param(n, "t_n_v", t_n_v, sign="positive")
        self.a0p_ohm = as_param(n, "a0p_ohm", a0p_ohm)
        self.a1p_ohm_per_v = as_param(n, "a1p_ohm_per_v", a1p_ohm_per_v)
        self.a0n_ohm = as_param(n, "a0n_ohm", a0n_ohm)
        self.a1n_ohm_per_v = as_param(n, "a1n_ohm_per_v", a1n_ohm_per_v)
        self.r_min_ohm = as_param(n, "r_min_ohm", r_min_ohm, sign="positive")
        self.r_max_ohm = as_param(n, "r_max_ohm", r_max_ohm, sign="positive")
        self.r0_ohm = as_param(n, "r0_ohm", r0_ohm, sign="positive")
        if np.any(self.r_min_ohm >= self.r_max_ohm):
            raise DeviceError(f"{n}: r_min_ohm {r_min_ohm!r} must be below r_max_ohm {r_max_ohm!r}")
        if np.any((self.r0_ohm < self.r_min_ohm) | (self.r0_ohm > self.r_max_ohm)):
            raise DeviceError(f"{n}: r0_ohm {r0_ohm!r} is outside [r_min_ohm, r_max_ohm]")
        self._params = dict(
            a_p=self.a_p,
            a_n=self.a_n,
            t_p_v=self.t_p_v,
            t_n_v=self.t_n_v,
            a0p_ohm=self.a0p_ohm,
            a1p_ohm_per_v=self.a1p_ohm_per_v,
            a0n_ohm=self.a0n_ohm,
            a1n_ohm_per_v=self.a1n_ohm_per_v,
            r_min_ohm=self.r_min_ohm,
            r_max_ohm=self.r_max_ohm,
            r0_ohm=self.r0_ohm,
        )

    # -- state ---------------------------------------------------------
    def initial_state(self, shape: tuple[int, ...], rng: np.random.Generator | None = None) -> np.ndarray:
        """``r0_ohm`` everywhere (spread comes from :mod:`cosim.devices.variability`)."""
        return np.broadcast_to(self.r0_ohm, shape).astype(float)

    def state_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """``(r_min_ohm, r_max_ohm)``."""
        return self.r_min_ohm, self.r_max_ohm

    def state_from_resistance(self, r_ohm: Any) -> np.ndarray:
        """The state is the resistance: checked copy of ``r_ohm``."""
        return self.check_state(r_ohm).copy()

    def resistance_ohm(self, state: Any) -> np.ndarray:
        """Resistance in ohm (the state itself, checked)."""
        return self.check_state(state).copy()

    # -- electrical ----------------------------------------------------
    def conductance_s(self, state: Any) -> np.ndarray:
        """``1 / R`` in siemens."""
        return 1.0 / self.check_state(state)

    # -- dynamics ------------------------------------------------------
    def r_p_ohm(self, v_v: Any) -> np.ndarray:
        """Positive-side fixed point ``r_p(v) = a0p + a1p v`` (ohm)."""
        return self.a0p_ohm + self.a1p_ohm_per_v * np.asarray(v_v, dtype=float)

    def r_n_ohm(self, v_v: Any) -> np.ndarray:
        """Negative-side fixed point ``r_n(v) = a0n + a1n v`` (ohm)."""
        return self.a0n_ohm + self.a1n_ohm_per_v * np.asarray(v_v, dtype=float)

    def _rates(self, r: np.ndarray, v: np.ndarray):
        """Masks, distance to the fixed point and the (>= 0) rate constant k."""
        r_p = self.r_p_ohm(v)
        r_n = self.r_n_ohm(v)
        pos = (v > 0) & (r < r_p)
        neg = (v <= 0) & (r > r_n)
        u = np.where(pos, r_p - r, np.where(neg, r - r_n, 0.0))
        # expm1 keeps the rate accurate at small |v| (read voltages)
        k = np.where(
            pos,
            self.a_p * np.expm1(np.abs(v) / self.t_p_v),
            np.where(neg, -self.a_n * np.expm1(np.abs(v) / self.t_n_v), 0.0),
        )
        return pos, neg, u, k, r_p, r_n

    def dstate_dt(self, state: Any, v_v: Any) -> np.ndarray:
        """dR/dt in ohm/s at resistance ``state`` and voltage ``v_v`` (the
        right-hand side above; for integrators and SPICE cross-checks)."""
        r = self.check_state(state)
        v = check_voltage(self, v_v, r.shape)
        pos, neg, u, k, _, _ = self._rates(r, v)
        return np.where(pos, k * u**2, np.where(neg, -k * u**2, 0.0))

    def advance(
        self,
        state: Any,
        v_v: Any,
        duration_s: Any,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """Resistance after ``v_v`` is held for ``duration_s``: exact closed form.

        Parameters
        ----------
        state : array, ohm
            Present resistances (within ``state_bounds``).
        v_v : float or array, volt
            Cell voltage, broadcast to ``state``'s shape.
        duration_s : float or array, second, >= 0
            Hold time, broadcast to ``state``'s shape.
        rng : ignored
            This model is deterministic (see
            :class:`cosim.devices.variability.CycleNoise`).

        Returns
        -------
        ndarray, ohm, shape of ``state``
            ``u(t) = u0 / (1 + k u0 t)`` with ``u = |r(v) - R|``; clipped to
            ``[r_min_ohm, r_max_ohm]`` (see the class docstring).

        Raises
        ------
        DeviceError
            NaN or infinite voltage, negative or NaN duration, state outside
            its bounds, or shapes that do not broadcast to the state.
        """
        r, v, t = prepare_advance(self, state, v_v, duration_s, self.numeric_params())
        fast = _messaris_fast.advance(self, r, v, duration_s)  # the same arithmetic, compiled
        if fast is not None:
            return fast
        pos, neg, u, k, r_p, r_n = self._rates(r, v)
        # the move u0 - u(t) = u0 * s / (1 + s), s = k u0 t, added to R: exact
        # at t = 0 and free of the cancellation in r(v) - u(t) for small moves;
        # min/max keep rounding from stepping past the fixed point
        s = k * u * t
        move = u * (s / (1.0 + s))
        out = np.where(pos, np.minimum(r + move, r_p), np.where(neg, np.maximum(r - move, r_n), r))
        return np.clip(out, self.r_min_ohm, self.r_max_ohm)

    def spice_subckt(self, name: str = "cosim_messaris") -> str:
        """This model as an ngspice behavioural subcircuit (for ``.tran``).

        ``.subckt <name> a b params: r0=<r0_ohm>``: the state R is the voltage
        of an internal node ``r`` on a 1 F capacitor (1 V = 1 ohm) charged by
        a B-source ``I = dR/dt`` (the equation above with ``v = v(a, b)``);
        the device itself is a B-source ``I = v(a, b) / v(r)``.  Start the
        state with ``params: r0=...`` and ``.tran ... uic``.  Parameters
        must be scalars (one subcircuit describes one device kind).

        Raises
        ------
        DeviceError
            If a parameter is a per-cell array.
        """
        vals = {}
        for key in ("a_p", "a_n", "t_p_v", "t_n_v", "a0p_ohm", "a1p_ohm_per_v", "a0n_ohm", "a1n_ohm_per_v", "r0_ohm"):
            arr = getattr(self, key)
            if arr.ndim:
                raise DeviceError(
                    f"{self.name}: spice_subckt needs scalar parameters; {key} is an array of shape {arr.shape}"
                )
            vals[key] = repr(float(arr))
        v = "v(a,b)"
        r_p = f"({vals['a0p_ohm']}+({vals['a1p_ohm_per_v']})*{v})"
        r_n = f"({vals['a0n_ohm']}+({vals['a1n_ohm_per_v']})*{v})"
        up = f"({vals['a_p']})*(exp(abs({v})/{vals['t_p_v']})-1)*pow({r_p}-v(r),2)"
        down = f"({vals['a_n']})*(exp(abs({v})/{vals['t_n_v']})-1)*pow(v(r)-{r_n},2)"
        rate = f"({v} > 0) ? ((v(r) < {r_p}) ? {up} : 0) : ((v(r) > {r_n}) ? {down} : 0)"
        return (
            "\n".join(
                [
                    f".subckt {name} a b params: r0={vals['r0_ohm']}",
                    "* Messaris 2017 (cosim.devices.Messaris2017); node r holds R (1 V = 1 ohm)",
                    "cstate r 0 1 ic={r0}",
                    f"bstate 0 r i={{{rate}}}",
                    "bdev a b i=v(a,b)/v(r)",
                    f".ends {name}",
                ]
            )
            + "\n"
        )


#: NeuroPack's Messaris card (Huang et al. 2022, Table 2), full precision.
NEUROPACK_2022: dict[str, float] = dict(
    a_p=0.21388644421061628,
    a_n=-0.813018367268805,
    t_p_v=1.6590990,
    t_n_v=1.5148295,
    a0p_ohm=37086.672,
    a1p_ohm_per_v=-20193.240,
    a0n_ohm=43430.020,
    a1n_ohm_per_v=34332.853,
)
