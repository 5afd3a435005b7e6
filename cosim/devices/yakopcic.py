"""The Yakopcic memristor model (2011; generalised form of 2013).

References
----------
C. Yakopcic, T. M. Taha, G. Subramanyam, R. E. Pino, S. Rogers, "A Memristor
Device Model", IEEE Electron Device Lett. 32(10), 1436-1438 (2011): the I-V,
the threshold function g(V), the motion window f(x) and the fit of the
Oblea et al. Ag-chalcogenide device (``models/yakopcic2011_oblea.toml``).
C. Yakopcic, T. M. Taha, G. Subramanyam, R. E. Pino, "Generalized Memristive
Device SPICE Model and its Application in Circuit Design", IEEE Trans. CAD
32(8), 1201-1214 (2013): the direction factor ``eta``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from cosim.devices._common import ParamsMixin, as_param, check_option, check_voltage, prepare_advance
from cosim.devices.base import DeviceError, DeviceModel, integrator_tolerances
from cosim.devices.integrate import integrate_adaptive
from cosim.devices.windows import WINDOWS as _GENERIC_WINDOWS
from cosim.devices.windows import window as generic_window

#: ``"yakopcic"`` is the paper's exponential window; the others are the generic ones.
WINDOWS = ("yakopcic",) + _GENERIC_WINDOWS


class Yakopcic(ParamsMixin, DeviceModel):
    r"""Yakopcic's model; the state ``x`` in [0, 1] scales the current.

    .. math::

        I = \begin{cases} a_1\,x\,\sinh(b V) & V \ge 0 \\ a_2\,x\,\sinh(b V) & V < 0 \end{cases}
        \qquad
        \frac{dx}{dt} = \eta\, g(V)\, f(x)

        g(V) = \begin{cases}
          A_p\,(e^{V} - e^{V_p}) & V > V_p \\
          -A_n\,(e^{-V} - e^{V_n}) & V < -V_n \\
          0 & \text{otherwise}
        \end{cases}

    (V in volt inside the exponentials, as in the paper).  The paper's window
    (``window="yakopcic"``): when x rises (``eta V > 0``),
    ``f = exp(-alpha_p (x - x_p)) w_p(x)`` for ``x >= x_p``, else 1, with
    ``w_p = (x_p - x) / (1 - x_p) + 1``; when x falls,
    ``f = exp(alpha_n (x + x_n - 1)) w_n(x)`` for ``x <= 1 - x_n``, else 1,
    with ``w_n = x / (1 - x_n)``.  ``w_p(1) = 0`` and ``w_n(0) = 0``: the
    state approaches the walls and never crosses them.  ``window`` may also
    be one of the generic windows of :mod:`cosim.devices.windows`
    (Joglekar, Biolek, Prodromakis, exponent ``p``, scale ``window_j``).

    The I-V is non-linear (``ohmic = False``): the circuit solvers use
    :meth:`current_a` and :meth:`dcurrent_dv_s` in Newton's method.  The
    read "resistance" of a state is the chord ``v_read_v / I(x, v_read_v)``
    (:meth:`resistance_ohm`, :meth:`conductance_s`), a cosim convention for
    comparing with R-based models and measured pulse data.

    Integration: at constant V the rate is ``eta g(V) f(x)``; where
    ``f = 1`` (below ``x_p`` rising, above ``1 - x_n`` falling) the motion
    is linear and advanced exactly up to the knee, the rest of the pulse by
    :func:`cosim.devices.integrate.integrate_adaptive` (error bound there;
    the window is smooth beyond the knee).

    Parameters
    ----------
    a1_a, a2_a : float or array, ampere, > 0
        Current prefactors for V >= 0 and V < 0.
    b_per_v : float or array, 1/volt, > 0
        sinh slope.
    vp_v, vn_v : float or array, volt, >= 0
        Positive and negative thresholds (g = 0 for ``-vn_v <= V <= vp_v``).
    ap_per_s, an_per_s : float or array, 1/s, > 0
        Rate magnitudes above the thresholds.
    xp, xn : float or array in [0, 1)
        Where the window starts to act (rising, falling).
    alpha_p, alpha_n : float or array, >= 0
        Decay constants of the window.
    eta : {1, -1}
        Direction of motion relative to the voltage polarity (2013 form);
        with ``eta = 1`` a positive voltage raises x and the conductance.
    window : {"yakopcic", "none", "joglekar", "biolek", "prodromakis"}
    p, window_j : float, generic window exponent and Prodromakis scale
    x0 : float in [0, 1], initial state
    v_read_v : float, volt, > 0
        Read voltage of :meth:`resistance_ohm` (cosim convention).
    rtol, atol : float, integrator tolerances

    Raises
    ------
    DeviceError
        A parameter of the wrong sign or outside its range (named), ``eta``
        not +-1, an unknown window.

    Examples
    --------
    >>> m = Yakopcic()
    >>> x = m.advance([0.11, 0.11, 0.11], [0.5, 0.1, -0.5], 1e-3)
    >>> bool(x[0] > 0.11), bool(x[1] == 0.11), bool(x[2] < 0.11)
    (True, True, True)
    """

    name: ClassVar[str] = "yakopcic"
    state_name: ClassVar[str] = "x_normalised"
    raises_conductance: ClassVar[str] = "positive"
    ohmic: ClassVar[bool] = False

    def __init__(
        self,
        *,
        a1_a: Any = 0.17,
        a2_a: Any = 0.17,
        b_per_v: Any = 0.05,
        vp_v: Any = 0.16,
        vn_v: Any = 0.15,
        ap_per_s: Any = 4000.0,
        an_per_s: Any = 4000.0,
        xp: Any = 0.3,
        xn: Any = 0.5,
        alpha_p: Any = 1.0,
        alpha_n: Any = 5.0,
        eta: float = 1.0,
        window: str = "yakopcic",
        p: Any = 2.0,
        window_j: Any = 1.0,
        x0: float = 0.11,
        v_read_v: float = 0.1,
        rtol: float = 1e-8,
        atol: float = 1e-11,
    ) -> None:
        n = self.name
        self.a1_a = as_param(n, "a1_a", a1_a, sign="positive")
        self.a2_a = as_param(n, "a2_a", a2_a, sign="positive")
        self.b_per_v = as_param(n, "b_per_v", b_per_v, sign="positive")
        self.vp_v = as_param(n, "vp_v", vp_v, sign="nonnegative")
        self.vn_v = as_param(n, "vn_v", vn_v, sign="nonnegative")
        self.ap_per_s = as_param(n, "ap_per_s", ap_per_s, sign="positive")
        self.an_per_s = as_param(n, "an_per_s", an_per_s, sign="positive")
        self.xp = as_param(n, "xp", xp, sign="nonnegative")
        self.xn = as_param(n, "xn", xn, sign="nonnegative")
        for key, val in (("xp", self.xp), ("xn", self.xn)):
            if np.any(val >= 1.0):
                raise DeviceError(f"{n}: {key} {float(np.max(val))!r} must be below 1")
        self.alpha_p = as_param(n, "alpha_p", alpha_p, sign="nonnegative")
        self.alpha_n = as_param(n, "alpha_n", alpha_n, sign="nonnegative")
        if eta not in (1, -1):
            raise DeviceError(f"{n}: eta must be 1 or -1, got {eta!r}")
        self.eta = float(eta)
        # instance attribute: the polarity that raises x depends on eta (2013 form)
        self.raises_conductance = "positive" if self.eta > 0 else "negative"
        self.window = check_option(n, "window", window, WINDOWS)
        self.p = as_param(n, "p", p, sign="positive")
        self.window_j = as_param(n, "window_j", window_j, sign="positive")
        self.x0 = as_param(n, "x0", x0)
        if np.any((self.x0 < 0) | (self.x0 > 1)):
            raise DeviceError(f"{n}: x0 {x0!r} must be in [0, 1]")
        self.v_read_v = float(as_param(n, "v_read_v", v_read_v, sign="positive"))
        self.rtol, self.atol = integrator_tolerances(n, rtol, atol)
        self._params = dict(
            a1_a=self.a1_a,
            a2_a=self.a2_a,
            b_per_v=self.b_per_v,
            vp_v=self.vp_v,
            vn_v=self.vn_v,
            ap_per_s=self.ap_per_s,
            an_per_s=self.an_per_s,
            xp=self.xp,
            xn=self.xn,
            alpha_p=self.alpha_p,
            alpha_n=self.alpha_n,
            eta=self.eta,
            window=self.window,
            p=self.p,
            window_j=self.window_j,
            x0=self.x0,
            v_read_v=self.v_read_v,
            rtol=self.rtol,
            atol=self.atol,
        )

    # -- state ---------------------------------------------------------
    def initial_state(self, shape: tuple[int, ...], rng: np.random.Generator | None = None) -> np.ndarray:
        """``x0`` everywhere."""
        return np.broadcast_to(self.x0, shape).astype(float)

    def state_bounds(self) -> tuple[float, float]:
        """``(0, 1)``."""
        return 0.0, 1.0

    def resistance_ohm(self, state: Any) -> np.ndarray:
        """Chord resistance ``v_read / I(x, v_read)`` in ohm (``inf`` at x = 0)."""
        g = self.conductance_s(state)
        with np.errstate(divide="ignore"):
            return 1.0 / g

    def state_from_resistance(self, r_ohm: Any) -> np.ndarray:
        """Inverse of :meth:`resistance_ohm`; ``DeviceError`` below ``R(x = 1)``."""
        r = np.asarray(r_ohm, dtype=float)
        g_full = self.a1_a * np.sinh(self.b_per_v * self.v_read_v) / self.v_read_v
        r_min = 1.0 / g_full
        if np.any(~np.isfinite(r) | (r < r_min * (1 - 1e-12))):
            raise DeviceError(
                f"{self.name}: resistance {r_ohm!r} ohm is outside [R(x=1), inf) = "
                f"[{float(np.min(r_min))!r}, inf) at v_read_v = {self.v_read_v!r} V"
            )
        return np.minimum(1.0 / (r * g_full), 1.0)

    # -- electrical ----------------------------------------------------
    def conductance_s(self, state: Any) -> np.ndarray:
        """Chord conductance ``I(x, v_read) / v_read`` in siemens."""
        x = self.check_state(state)
        return self.a1_a * x * np.sinh(self.b_per_v * self.v_read_v) / self.v_read_v

    def current_a(self, state: Any, v_v: Any) -> np.ndarray:
        """``a x sinh(b V)`` in ampere (``a = a1`` for V >= 0, ``a2`` below)."""
        x = np.asarray(state, dtype=float)
        v = np.asarray(v_v, dtype=float)
        return np.where(v >= 0, self.a1_a, self.a2_a) * x * np.sinh(self.b_per_v * v)

    def dcurrent_dv_s(self, state: Any, v_v: Any) -> np.ndarray:
        """``a b x cosh(b V)`` in siemens."""
        x = np.asarray(state, dtype=float)
        v = np.asarray(v_v, dtype=float)
        return np.where(v >= 0, self.a1_a, self.a2_a) * self.b_per_v * x * np.cosh(self.b_per_v * v)

    # -- dynamics ------------------------------------------------------
    def _g(self, v: np.ndarray, ap, an, vp, vn) -> np.ndarray:
        """The threshold function g(V) in 1/s (module docstring)."""
        up = ap * (np.exp(v) - np.exp(vp))
        down = -an * (np.exp(-v) - np.exp(vn))
        return np.where(v > vp, up, np.where(v < -vn, down, 0.0))

    def _f(self, x, rate, xp, xn, alpha_p, alpha_n, p, j) -> np.ndarray:
        """The window at state ``x`` for motion of sign ``rate``."""
        if self.window != "yakopcic":
            return generic_window(self.window, x, rate, p, j)
        f_up = np.where(x >= xp, np.exp(-alpha_p * (x - xp)) * ((xp - x) / (1.0 - xp) + 1.0), 1.0)
        f_down = np.where(x <= 1.0 - xn, np.exp(alpha_n * (x + xn - 1.0)) * (x / (1.0 - xn)), 1.0)
        return np.where(rate > 0, f_up, f_down)

    def dstate_dt(self, state: Any, v_v: Any) -> np.ndarray:
        """``dx/dt`` in 1/s at state ``x`` and voltage ``v_v``."""
        x = self.check_state(state)
        v = check_voltage(self, v_v, x.shape)
        rate = self.eta * self._g(v, self.ap_per_s, self.an_per_s, self.vp_v, self.vn_v)
        return rate * self._f(x, rate, self.xp, self.xn, self.alpha_p, self.alpha_n, self.p, self.window_j)

    def advance(
        self,
        state: Any,
        v_v: Any,
        duration_s: Any,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """State after ``v_v`` (volt) is held for ``duration_s`` (second).

        Exact linear motion up to the window's knee, adaptive Dormand-Prince
        beyond it (class docstring).  Shapes broadcast to the state; errors
        as in :meth:`cosim.devices.messaris.Messaris2017.advance`.
        """
        x, v, t = prepare_advance(self, state, v_v, duration_s, self.numeric_params())
        shape = x.shape
        rate = self.eta * self._g(v, self.ap_per_s, self.an_per_s, self.vp_v, self.vn_v)
        rate = np.broadcast_to(rate, shape)
        t = np.broadcast_to(t, shape) * (rate != 0)
        if self.window == "yakopcic":
            # f = 1 below the knee: x moves linearly, exactly, until it reaches it
            knee = np.broadcast_to(np.where(rate > 0, self.xp, 1.0 - self.xn), shape)
            flat_part = (rate != 0) & np.where(rate > 0, x < knee, x > knee)
            with np.errstate(divide="ignore", invalid="ignore"):
                t_knee = np.where(flat_part, (knee - x) / rate, 0.0)
            reach = flat_part & (t >= t_knee)
            x = np.where(flat_part, np.where(reach, knee, x + rate * t), x)
            t = np.where(flat_part, np.where(reach, t - t_knee, 0.0), t)
        names = ("xp", "xn", "alpha_p", "alpha_n", "p", "window_j")
        flat = {k: np.broadcast_to(getattr(self, k), shape).ravel() for k in names}
        rate_flat = rate.ravel()

        def rhs(y: np.ndarray, idx: np.ndarray) -> np.ndarray:
            r = rate_flat[idx]
            return r * self._f(y, r, *(flat[k][idx] for k in names))

        out = integrate_adaptive(rhs, x.ravel(), t.ravel(), rtol=self.rtol, atol=self.atol, lower=0.0, upper=1.0)
        return out.reshape(shape)

    def spice_subckt(self, name: str = "cosim_yakopcic") -> str:
        """This model as an ngspice behavioural subcircuit (for ``.tran``).

        ``.subckt <name> a b params: x0=<x0>``: the state x is the voltage of
        an internal node ``x`` on a 1 F capacitor (1 V = x) charged by a
        B-source ``I = dx/dt`` (the class equations with ``V = v(a, b)``); the
        device is a B-source ``I = a x sinh(b V)``.  Start the state with
        ``params: x0=...`` and ``.tran ... uic``.  Only the paper's window,
        scalar parameters.

        Raises
        ------
        DeviceError
            A per-cell parameter array, or a generic window.
        """
        if self.window != "yakopcic":
            raise DeviceError(f"{self.name}: spice_subckt supports window 'yakopcic' only, got {self.window!r}")
        keys = (
            "a1_a",
            "a2_a",
            "b_per_v",
            "vp_v",
            "vn_v",
            "ap_per_s",
            "an_per_s",
            "xp",
            "xn",
            "alpha_p",
            "alpha_n",
            "x0",
        )
        k = {}
        for key in keys:
            arr = np.asarray(getattr(self, key))
            if arr.ndim:
                raise DeviceError(
                    f"{self.name}: spice_subckt needs scalar parameters; {key} is an array of shape {arr.shape}"
                )
            k[key] = repr(float(arr))
        v, x = "v(a,b)", "v(x)"
        g = (
            f"(({v} > {k['vp_v']}) ? ({k['ap_per_s']})*(exp({v})-exp({k['vp_v']})) : "
            f"(({v} < -{k['vn_v']}) ? -({k['an_per_s']})*(exp(-{v})-exp({k['vn_v']})) : 0))"
        )
        f_up = f"(({x} >= {k['xp']}) ? exp(-({k['alpha_p']})*({x}-{k['xp']}))*(({k['xp']}-{x})/(1-{k['xp']})+1) : 1)"
        f_down = f"(({x} <= 1-{k['xn']}) ? exp(({k['alpha_n']})*({x}+{k['xn']}-1))*({x}/(1-{k['xn']})) : 1)"
        eta = repr(self.eta)
        rate = f"({eta})*{g}*((({eta})*{v} > 0) ? {f_up} : {f_down})"
        return (
            "\n".join(
                [
                    f".subckt {name} a b params: x0={k['x0']}",
                    "* Yakopcic 2011/2013 (cosim.devices.Yakopcic); node x holds the state (1 V = 1)",
                    "cstate x 0 1 ic={x0}",
                    f"bstate 0 x i={{{rate}}}",
                    f"bdev a b i=(({v} >= 0) ? {k['a1_a']} : {k['a2_a']})*{x}*sinh({k['b_per_v']}*{v})",
                    f".ends {name}",
                ]
            )
            + "\n"
        )
