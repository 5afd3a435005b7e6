"""VTEAM: the voltage threshold adaptive memristor model.

Reference
---------
S. Kvatinsky, M. Ramadan, E. G. Friedman, A. Kolodny, "VTEAM: A General
Model for Voltage-Controlled Memristors", IEEE Trans. Circuits Syst. II
62(8), 786-790 (2015), eqs. (1)-(4) (state equation, linear and
exponential I-V) and the window functions of the TEAM model
(Kvatinsky et al., IEEE TCAS-I 60(1), 211-221, 2013).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from cosim.devices._common import ParamsMixin, as_param, check_option, check_voltage, prepare_advance
from cosim.devices.base import (
    DeviceError,
    DeviceModel,
    UnitIntervalState,
    integrator_tolerances,
    on_off_resistances,
)
from cosim.devices.integrate import integrate_adaptive

IV_KINDS = ("linear", "exponential")
WINDOWS = ("none", "kvatinsky")


class VTEAM(UnitIntervalState, ParamsMixin, DeviceModel):
    r"""VTEAM with state ``x = (w - w_on) / (w_off - w_on)`` in [0, 1].

    .. math::

        \frac{dw}{dt} = \begin{cases}
          k_{off} (v / v_{off} - 1)^{\alpha_{off}} f_{off}(w) & 0 < v_{off} < v \\
          0 & v_{on} \le v \le v_{off} \\
          k_{on} (v / v_{on} - 1)^{\alpha_{on}} f_{on}(w) & v < v_{on} < 0
        \end{cases}

    with ``k_off > 0`` and ``k_on < 0``.  x = 0 is the low-resistance bound
    (``w_on``, ``R_on``) and x = 1 the high-resistance one (``w_off``, ``R_off``),
    so a positive voltage above ``v_off`` raises R: ``raises_conductance =
    "negative"``.  I-V, ohmic at each instant: ``iv="linear"``,
    ``R = R_on + (R_off - R_on) x``; ``iv="exponential"``,
    ``R = R_on exp(lambda x)`` with ``lambda = ln(R_off / R_on)``.

    Windows: ``"none"``: the rate is constant at constant v, so
    ``x(t) = x0 + rate t`` exactly, stopped at 0 and 1 (the walls of the
    film).  ``"kvatinsky"`` (TEAM windows):
    ``f_off(w) = exp(-exp((w - a_off) / w_c))``,
    ``f_on(w) = exp(-exp(-(w - a_on) / w_c))``; integrated by
    :func:`cosim.devices.integrate.integrate_adaptive` (error bound there);
    these windows are tiny but not zero at the bounds, so the state is
    also stopped at [0, 1].

    Parameters
    ----------
    r_on_ohm, r_off_ohm : float or array, ohm, 0 < r_on < r_off
    w_on_m, w_off_m : float, metre, w_on < w_off
    k_on_m_per_s : float or array, m/s, < 0
    k_off_m_per_s : float or array, m/s, > 0
    alpha_on, alpha_off : float or array, > 0
    v_on_v : float or array, volt, < 0;  v_off_v : float or array, volt, > 0
    iv : {"linear", "exponential"}
    window : {"none", "kvatinsky"}
    a_on_m, a_off_m, w_c_m : float, metre (Kvatinsky window; defaults, a
        cosim choice: ``w_c = (w_off - w_on) / 30``, ``a_on = w_on + 3 w_c``,
        ``a_off = w_off - 3 w_c``, so the window is ~2e-9 at the wall the
        state moves toward and ~1 at the wall it leaves)
    x0 : float in [0, 1], initial state
    rtol, atol : float, integrator tolerances

    Raises
    ------
    DeviceError
        Parameters of the wrong sign, ``r_on >= r_off``, ``w_on >= w_off``, an
        unknown option, ``x0`` outside [0, 1].

    Examples
    --------
    >>> m = VTEAM()
    >>> x = m.advance([0.5, 0.5, 0.5], [0.5, 0.01, -0.5], 1e-9)
    >>> bool(x[0] > 0.5), bool(x[1] == 0.5), bool(x[2] < 0.5)
    (True, True, True)
    """

    name: ClassVar[str] = "vteam"
    state_name: ClassVar[str] = "x_normalised"
    raises_conductance: ClassVar[str] = "negative"
    ohmic: ClassVar[bool] = True

    def __init__(
        self,
        *,
        r_on_ohm: Any = 50.0,
        r_off_ohm: Any = 1000.0,
        w_on_m: float = 0.0,
        w_off_m: float = 3e-9,
        k_on_m_per_s: Any = -10.0,
        k_off_m_per_s: Any = 5e-4,
        alpha_on: Any = 3.0,
        alpha_off: Any = 1.0,
        v_on_v: Any = -0.2,
        v_off_v: Any = 0.02,
        iv: str = "linear",
        window: str = "none",
        a_on_m: float | None = None,
        a_off_m: float | None = None,
        w_c_m: float | None = None,
        x0: float = 0.0,
        rtol: float = 1e-7,
        atol: float = 1e-10,
    ) -> None:
        n = self.name
        self.r_on_ohm, self.r_off_ohm = on_off_resistances(n, r_on_ohm, r_off_ohm)
        self.w_on_m = float(as_param(n, "w_on_m", w_on_m))
        self.w_off_m = float(as_param(n, "w_off_m", w_off_m))
        if self.w_on_m >= self.w_off_m:
            raise DeviceError(f"{n}: w_on_m {w_on_m!r} must be below w_off_m {w_off_m!r}")
        self.k_on_m_per_s = as_param(n, "k_on_m_per_s", k_on_m_per_s, sign="negative")
        self.k_off_m_per_s = as_param(n, "k_off_m_per_s", k_off_m_per_s, sign="positive")
        self.alpha_on = as_param(n, "alpha_on", alpha_on, sign="positive")
        self.alpha_off = as_param(n, "alpha_off", alpha_off, sign="positive")
        self.v_on_v = as_param(n, "v_on_v", v_on_v, sign="negative")
        self.v_off_v = as_param(n, "v_off_v", v_off_v, sign="positive")
        self.iv = check_option(n, "iv", iv, IV_KINDS)
        self.window = check_option(n, "window", window, WINDOWS)
        span = self.w_off_m - self.w_on_m
        self.w_c_m = float(as_param(n, "w_c_m", span / 30.0 if w_c_m is None else w_c_m, sign="positive"))
        # default centres 3 w_c inside the walls: f = exp(-e^3) ~ 2e-9 at the wall
        # the state moves toward, ~1 at the wall it leaves (a cosim choice)
        a_on_default = self.w_on_m + 3.0 * self.w_c_m
        a_off_default = self.w_off_m - 3.0 * self.w_c_m
        self.a_on_m = float(as_param(n, "a_on_m", a_on_default if a_on_m is None else a_on_m))
        self.a_off_m = float(as_param(n, "a_off_m", a_off_default if a_off_m is None else a_off_m))
        self._set_x0(x0)
        self.rtol, self.atol = integrator_tolerances(n, rtol, atol)
        self._params = dict(
            r_on_ohm=self.r_on_ohm,
            r_off_ohm=self.r_off_ohm,
            w_on_m=self.w_on_m,
            w_off_m=self.w_off_m,
            k_on_m_per_s=self.k_on_m_per_s,
            k_off_m_per_s=self.k_off_m_per_s,
            alpha_on=self.alpha_on,
            alpha_off=self.alpha_off,
            v_on_v=self.v_on_v,
            v_off_v=self.v_off_v,
            iv=self.iv,
            window=self.window,
            a_on_m=self.a_on_m,
            a_off_m=self.a_off_m,
            w_c_m=self.w_c_m,
            x0=self.x0,
            rtol=self.rtol,
            atol=self.atol,
        )

    # -- state ---------------------------------------------------------
    def resistance_ohm(self, state: Any) -> np.ndarray:
        """R(x) in ohm (linear or exponential, see the class docstring)."""
        x = self.check_state(state)
        if self.iv == "linear":
            return self.r_on_ohm + (self.r_off_ohm - self.r_on_ohm) * x
        return self.r_on_ohm * np.exp(np.log(self.r_off_ohm / self.r_on_ohm) * x)

    def state_from_resistance(self, r_ohm: Any) -> np.ndarray:
        """Inverse of :meth:`resistance_ohm`; ``DeviceError`` outside [R_on, R_off]."""
        r = self._check_resistance(r_ohm)
        if self.iv == "linear":
            return (r - self.r_on_ohm) / (self.r_off_ohm - self.r_on_ohm)
        return np.log(r / self.r_on_ohm) / np.log(self.r_off_ohm / self.r_on_ohm)

    # -- electrical ----------------------------------------------------
    def conductance_s(self, state: Any) -> np.ndarray:
        """``1 / R(x)`` in siemens."""
        return 1.0 / self.resistance_ohm(state)

    # -- dynamics ------------------------------------------------------
    def _base_rate(self, v: np.ndarray, k_on, k_off, a_on, a_off, v_on, v_off) -> np.ndarray:
        """dx/dt without the window, 1/s (the threshold law, normalised)."""
        span = self.w_off_m - self.w_on_m
        off = v > v_off
        on = v < v_on
        # clamp the bases to >= 0 before the power so masked-out cells stay finite
        r_off = k_off * np.maximum(v / v_off - 1.0, 0.0) ** a_off
        r_on = k_on * np.maximum(v / v_on - 1.0, 0.0) ** a_on
        return np.where(off, r_off, np.where(on, r_on, 0.0)) / span

    def _window(self, x: np.ndarray, rate: np.ndarray) -> np.ndarray:
        if self.window == "none":
            return np.ones_like(x)
        w = self.w_on_m + (self.w_off_m - self.w_on_m) * x
        f_off = np.exp(-np.exp((w - self.a_off_m) / self.w_c_m))
        f_on = np.exp(-np.exp(-(w - self.a_on_m) / self.w_c_m))
        return np.where(rate > 0, f_off, f_on)

    def dstate_dt(self, state: Any, v_v: Any) -> np.ndarray:
        """``dx/dt`` in 1/s at state ``x`` and voltage ``v_v``."""
        x = self.check_state(state)
        v = check_voltage(self, v_v, x.shape)
        rate = self._base_rate(
            v, self.k_on_m_per_s, self.k_off_m_per_s, self.alpha_on, self.alpha_off, self.v_on_v, self.v_off_v
        )
        return rate * self._window(x, rate)

    def advance(
        self,
        state: Any,
        v_v: Any,
        duration_s: Any,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """State after ``v_v`` is held for ``duration_s``: exact without a
        window, adaptive Dormand-Prince with one (class docstring).  Shapes
        and errors as in :meth:`cosim.devices.messaris.Messaris2017.advance`."""
        x, v, t = prepare_advance(self, state, v_v, duration_s, self.numeric_params())
        rate = self._base_rate(
            v, self.k_on_m_per_s, self.k_off_m_per_s, self.alpha_on, self.alpha_off, self.v_on_v, self.v_off_v
        )
        if self.window == "none":
            return np.clip(x + rate * t, 0.0, 1.0)
        rate_flat = np.broadcast_to(rate, x.shape).ravel()

        def rhs(y: np.ndarray, idx: np.ndarray) -> np.ndarray:
            r = rate_flat[idx]
            return r * self._window(y, r)

        out = integrate_adaptive(
            rhs, x.ravel(), t.ravel() * (rate_flat != 0), rtol=self.rtol, atol=self.atol, lower=0.0, upper=1.0
        )
        return out.reshape(x.shape)
