"""Linear ion drift memristor (the HP model) with Joglekar, Biolek and Prodromakis windows.

References
----------
D. B. Strukov, G. S. Snider, D. R. Stewart, R. S. Williams, "The missing
memristor found", Nature 453, 80-83 (2008).
Y. N. Joglekar, S. J. Wolf, "The elusive memristor: properties of basic
electrical circuits", Eur. J. Phys. 30, 661-675 (2009).
Z. Biolek, D. Biolek, V. Biolkova, "SPICE model of memristor with nonlinear
dopant drift", Radioengineering 18(2), 210-214 (2009).
T. Prodromakis et al., "A versatile memristor model with nonlinear dopant
kinetics", IEEE Trans. Electron Devices 58(9), 3099-3105 (2011).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from cosim.devices._common import ParamsMixin, as_param, check_option, check_voltage, prepare_advance
from cosim.devices.base import (
    DeviceModel,
    UnitIntervalState,
    integrator_tolerances,
    on_off_resistances,
)
from cosim.devices.integrate import integrate_adaptive
from cosim.devices.windows import WINDOWS, window

# the window functions live in cosim.devices.windows; ``window`` is re-exported here
__all__ = ["LinearIonDrift", "WINDOWS", "window"]


class LinearIonDrift(UnitIntervalState, ParamsMixin, DeviceModel):
    r"""Strukov's linear ion drift model; the state is the doped fraction x = w / D.

    .. math::

        R(x) = R_{on}\,x + R_{off}\,(1 - x), \qquad
        I = v / R(x), \qquad
        \frac{dx}{dt} = \frac{\mu_v R_{on}}{D^2}\, I\, F(x)

    Positive current (positive cell voltage) widens the doped region, so
    positive voltage lowers R: ``raises_conductance = "positive"``.  The I-V
    is ohmic at every instant.

    ``window="none"``: at constant v, ``d(R^2)/dt = -2 (R_off - R_on) k v``
    with ``k = mu_v R_on / D^2``, so ``R(t) = sqrt(R0^2 - 2 (R_off - R_on) k v t)``
    exactly; the state stops at x = 0 or 1 (R_off or R_on), the hard walls
    of the undoped / fully doped film.  Windows ``"joglekar"``,
    ``"biolek"`` and ``"prodromakis"`` (:func:`cosim.devices.windows.window`):
    :func:`cosim.devices.integrate.integrate_adaptive` (error bound in its
    docstring).

    Parameters
    ----------
    r_on_ohm, r_off_ohm : float or array, ohm, 0 < r_on < r_off
    d_m : float or array, film thickness D in metre
    mu_v_m2_per_v_s : float or array, dopant mobility in m^2/(V s)
    window : {"none", "joglekar", "biolek", "prodromakis"}
    p : float or array, window exponent (> 0)
    window_j : float or array, Prodromakis window scale ``j`` (> 0; default 1)
    x0 : float, initial state for :meth:`initial_state`
    rtol, atol : float, integrator tolerances (windowed cases)

    Raises
    ------
    DeviceError
        Non-positive parameters, ``r_on_ohm >= r_off_ohm``, an unknown window,
        ``x0`` outside [0, 1].

    Examples
    --------
    >>> m = LinearIonDrift(window="none")
    >>> x = m.advance(0.5, 1.0, 1e-3)
    >>> bool(x > 0.5), bool(m.conductance_s(x) > m.conductance_s(0.5))
    (True, True)
    """

    name: ClassVar[str] = "linear_ion_drift"
    state_name: ClassVar[str] = "x_doped_fraction"
    raises_conductance: ClassVar[str] = "positive"
    ohmic: ClassVar[bool] = True

    def __init__(
        self,
        *,
        r_on_ohm: Any = 100.0,
        r_off_ohm: Any = 16000.0,
        d_m: Any = 10e-9,
        mu_v_m2_per_v_s: Any = 1e-14,
        window: str = "none",
        p: Any = 10.0,
        window_j: Any = 1.0,
        x0: float = 0.5,
        rtol: float = 1e-7,
        atol: float = 1e-10,
    ) -> None:
        n = self.name
        self.r_on_ohm, self.r_off_ohm = on_off_resistances(n, r_on_ohm, r_off_ohm)
        self.d_m = as_param(n, "d_m", d_m, sign="positive")
        self.mu_v_m2_per_v_s = as_param(n, "mu_v_m2_per_v_s", mu_v_m2_per_v_s, sign="positive")
        self.window = check_option(n, "window", window, WINDOWS)
        self.p = as_param(n, "p", p, sign="positive")
        self.window_j = as_param(n, "window_j", window_j, sign="positive")
        self._set_x0(x0)
        self.rtol, self.atol = integrator_tolerances(n, rtol, atol)
        self._params = dict(
            r_on_ohm=self.r_on_ohm,
            r_off_ohm=self.r_off_ohm,
            d_m=self.d_m,
            mu_v_m2_per_v_s=self.mu_v_m2_per_v_s,
            window=self.window,
            p=self.p,
            window_j=self.window_j,
            x0=self.x0,
            rtol=self.rtol,
            atol=self.atol,
        )

    @property
    def k_per_a_s(self) -> np.ndarray:
        """``mu_v R_on / D^2`` in 1/(A s)."""
        return self.mu_v_m2_per_v_s * self.r_on_ohm / self.d_m**2

    # -- state ---------------------------------------------------------
    def resistance_ohm(self, state: Any) -> np.ndarray:
        """``R_on x + R_off (1 - x)`` in ohm."""
        x = self.check_state(state)
        return self.r_on_ohm * x + self.r_off_ohm * (1.0 - x)

    def state_from_resistance(self, r_ohm: Any) -> np.ndarray:
        """``x = (R_off - R) / (R_off - R_on)``; ``DeviceError`` outside [R_on, R_off]."""
        r = self._check_resistance(r_ohm)
        return (self.r_off_ohm - r) / (self.r_off_ohm - self.r_on_ohm)

    # -- electrical ----------------------------------------------------
    def conductance_s(self, state: Any) -> np.ndarray:
        """``1 / R(x)`` in siemens."""
        return 1.0 / self.resistance_ohm(state)

    # -- dynamics ------------------------------------------------------
    def dstate_dt(self, state: Any, v_v: Any) -> np.ndarray:
        """``dx/dt`` in 1/s at state ``x`` and voltage ``v_v``."""
        x = self.check_state(state)
        v = check_voltage(self, v_v, x.shape)
        i = v / (self.r_on_ohm * x + self.r_off_ohm * (1.0 - x))
        return self.k_per_a_s * i * window(self.window, x, i, self.p, self.window_j)

    def advance(
        self,
        state: Any,
        v_v: Any,
        duration_s: Any,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """Doped fraction after ``v_v`` is held for ``duration_s``.

        Closed form for ``window="none"``, adaptive Dormand-Prince otherwise
        (see the class docstring).  Shapes and errors as in
        :meth:`cosim.devices.messaris.Messaris2017.advance`.
        """
        x, v, t = prepare_advance(self, state, v_v, duration_s, self.numeric_params())
        shape = x.shape
        if self.window == "none":
            r0 = self.r_on_ohm * x + self.r_off_ohm * (1.0 - x)
            d_r = self.r_off_ohm - self.r_on_ohm
            r_sq = r0**2 - 2.0 * d_r * self.k_per_a_s * v * t
            r = np.sqrt(np.clip(r_sq, self.r_on_ohm**2, self.r_off_ohm**2))
            return np.clip((self.r_off_ohm - r) / d_r, 0.0, 1.0)
        flat = {
            name: np.broadcast_to(val, shape).ravel()
            for name, val in dict(
                r_on=self.r_on_ohm, r_off=self.r_off_ohm, k=self.k_per_a_s, p=self.p, j=self.window_j
            ).items()
        }
        v_flat = v.ravel()

        def rhs(y: np.ndarray, idx: np.ndarray) -> np.ndarray:
            i = v_flat[idx] / (flat["r_on"][idx] * y + flat["r_off"][idx] * (1.0 - y))
            return flat["k"][idx] * i * window(self.window, y, i, flat["p"][idx], flat["j"][idx])

        moving = (v_flat != 0).astype(float)
        out = integrate_adaptive(
            rhs, x.ravel(), t.ravel() * moving, rtol=self.rtol, atol=self.atol, lower=0.0, upper=1.0
        )
        return out.reshape(shape)
