"""The Stanford-PKU metal-oxide RRAM model (filament gap, field- and heat-driven).

References
----------
X. Guan, S. Yu, H.-S. P. Wong, "A SPICE compact model of metal oxide
resistive switching memory with variations", IEEE Electron Device Lett.
33(10), 1405-1407 (2012).
Z. Jiang, Y. Wu, S. Yu, L. Yang, K. Song, Z. Karim, H.-S. P. Wong, "A compact
model for metal-oxide resistive random access memory with experiment
verification", IEEE Trans. Electron Devices 63(5), 1884-1892 (2016).
Stanford University RRAM Verilog-A model v1.0.0 (Z. Jiang, H.-S. P. Wong,
nanoHUB 2014, doi:10.4231/D37H1DN48): the default parameter set and the
minimum-field condition.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy import constants

from cosim.devices._common import ParamsMixin, as_param, check_voltage, prepare_advance
from cosim.devices.base import DeviceError, DeviceModel, integrator_tolerances
from cosim.devices.integrate import integrate_adaptive

_Q_C = constants.e  # elementary charge, C (CODATA exact)
_KB_J_PER_K = constants.k  # Boltzmann constant, J/K (CODATA exact)
_NM = 1e-9  # the integrator works in nanometre (atol is absolute)


class StanfordPKU(ParamsMixin, DeviceModel):
    r"""Stanford-PKU RRAM; the state is the tunnelling gap ``g`` (metre).

    .. math::

        I = I_0\, e^{-g/g_0} \sinh(V / V_0), \qquad
        \frac{dg}{dt} = -\nu_0\, e^{-q E_a / k T}
            \sinh\!\Big(\frac{\gamma\, a_0\, q\, V}{t_{ox}\, k T}\Big)

        \gamma = \gamma_0 - \beta\,(g / g_1)^{\alpha}, \qquad
        T = T_0 + |V I|\, R_{th}

    with ``gamma = 0`` (no motion) while the field ``gamma |V| / t_ox`` is
    below ``f_min_v_per_m`` (the v1.0.0 Verilog-A condition), and ``g`` held
    in ``[gap_min_m, gap_max_m]``.  A positive voltage shrinks the gap (SET,
    ``raises_conductance = "positive"``).  The temperature is the
    quasi-static one (the v1.0.0 model's ``model_switch = 0``: the thermal
    time constant, ~0.2 ns, is neglected against pulse widths).

    Minimum field: during RESET (V < 0, g growing, gamma falling) the motion
    stops where ``gamma(g*) |V| / t_ox = F_min``, i.e.
    ``g* = g1 ((gamma0 - F_min t_ox / |V|) / beta)^(1/alpha)``; that point is
    passed to the integrator as the upper bound, so the stop is exact.
    During SET gamma grows as g shrinks: a cell above the condition at the
    start stays above it.

    Integration: :func:`cosim.devices.integrate.integrate_adaptive` on
    ``g`` in nanometre (error bound there).

    Stochastic gap (optional, off by default): after each :meth:`advance`
    with ``V != 0`` and an ``rng``, ``g += N(0, 1) gap_noise_m s(T)`` with the
    v1.0.0 temperature activation ``s(T) = 1 / (1 + exp((T_crit - T) / T_smth))``
    at the pulse's starting temperature.  This is a per-call (per-pulse)
    discretisation, a cosim choice: the Verilog-A adds the term to dg/dt at
    every time step, which makes its size depend on the simulator's step.

    The I-V is non-linear (``ohmic = False``, Newton in the circuit); the
    read "resistance" of a state is the chord ``v_read_v / I(g, v_read_v)``.

    Parameters
    ----------
    i0_a : float or array, ampere, > 0
    g0_m : float or array, metre, > 0
    v0_v : float or array, volt, > 0
    vel0_m_per_s : float or array, m/s, > 0  (``nu_0``)
    ea_ev : float or array, eV, > 0  (activation energy)
    a0_m : float or array, metre, > 0  (atomic hopping distance)
    tox_m : float or array, metre, > 0  (oxide thickness)
    gamma0, beta : float or array, > 0 (field enhancement and its gap dependence)
    alpha : float or array, > 0 (exponent, 3)
    g1_m : float, metre, > 0 (1 nm)
    t0_k : float or array, kelvin, > 0 (ambient temperature)
    rth_k_per_w : float or array, K/W, >= 0 (thermal resistance)
    f_min_v_per_m : float or array, V/m, >= 0 (minimum field for switching)
    gap_min_m, gap_max_m : float, metre, 0 < min < max
    gap0_m : float, metre, initial gap
    gap_noise_m : float, metre, >= 0 (stochastic gap, see above)
    t_crit_k, t_smth_k : float, kelvin (activation of the noise)
    v_read_v : float, volt, > 0 (read voltage of :meth:`resistance_ohm`)
    rtol, atol : float, integrator tolerances (atol in nanometre)

    Raises
    ------
    DeviceError
        A parameter of the wrong sign (named), ``gap_min_m >= gap_max_m``,
        ``gap0_m`` outside the gap range.

    Examples
    --------
    >>> m = StanfordPKU()
    >>> g = m.advance([1.0e-9, 1.0e-9, 1.0e-9], [1.4, 0.5, -1.4], 10e-9)
    >>> bool(g[0] < 1e-9), bool(g[1] == 1e-9), bool(g[2] > 1e-9)
    (True, True, True)
    """

    name: ClassVar[str] = "stanford_pku"
    state_name: ClassVar[str] = "gap_m"
    raises_conductance: ClassVar[str] = "positive"
    ohmic: ClassVar[bool] = False
    # set from the keyword arguments in __init__ (as_param arrays: scalar or per cell)
    i0_a: np.ndarray
    g0_m: np.ndarray
    v0_v: np.ndarray
    vel0_m_per_s: np.ndarray
    ea_ev: np.ndarray
    a0_m: np.ndarray
    tox_m: np.ndarray
    gamma0: np.ndarray
    beta: np.ndarray
    alpha: np.ndarray
    t0_k: np.ndarray

    def __init__(
        self,
        *,
        i0_a: Any = 1e-3,
        g0_m: Any = 0.25e-9,
        v0_v: Any = 0.25,
        vel0_m_per_s: Any = 10.0,
        ea_ev: Any = 0.6,
        a0_m: Any = 0.25e-9,
        tox_m: Any = 12e-9,
        gamma0: Any = 16.0,
        beta: Any = 0.8,
        alpha: Any = 3.0,
        g1_m: float = 1e-9,
        t0_k: Any = 298.0,
        rth_k_per_w: Any = 2.1e3,
        f_min_v_per_m: Any = 1.4e9,
        gap_min_m: float = 0.2e-9,
        gap_max_m: float = 1.7e-9,
        gap0_m: float = 0.2e-9,
        gap_noise_m: float = 0.0,
        t_crit_k: float = 450.0,
        t_smth_k: float = 500.0,
        v_read_v: float = 0.1,
        rtol: float = 1e-8,
        atol: float = 1e-11,
    ) -> None:
        n = self.name
        pos = dict(
            i0_a=i0_a,
            g0_m=g0_m,
            v0_v=v0_v,
            vel0_m_per_s=vel0_m_per_s,
            ea_ev=ea_ev,
            a0_m=a0_m,
            tox_m=tox_m,
            gamma0=gamma0,
            beta=beta,
            alpha=alpha,
            t0_k=t0_k,
        )
        for key, val in pos.items():
            setattr(self, key, as_param(n, key, val, sign="positive"))
        self.rth_k_per_w = as_param(n, "rth_k_per_w", rth_k_per_w, sign="nonnegative")
        self.f_min_v_per_m = as_param(n, "f_min_v_per_m", f_min_v_per_m, sign="nonnegative")
        self.g1_m = float(as_param(n, "g1_m", g1_m, sign="positive"))
        self.gap_min_m = float(as_param(n, "gap_min_m", gap_min_m, sign="positive"))
        self.gap_max_m = float(as_param(n, "gap_max_m", gap_max_m, sign="positive"))
        if self.gap_min_m >= self.gap_max_m:
            raise DeviceError(f"{n}: gap_min_m {gap_min_m!r} must be below gap_max_m {gap_max_m!r}")
        self.gap0_m = as_param(n, "gap0_m", gap0_m)
        if np.any((self.gap0_m < self.gap_min_m) | (self.gap0_m > self.gap_max_m)):
            raise DeviceError(
                f"{n}: gap0_m {gap0_m!r} must be in [gap_min_m, gap_max_m] = [{self.gap_min_m!r}, {self.gap_max_m!r}]"
            )
        self.gap_noise_m = float(as_param(n, "gap_noise_m", gap_noise_m, sign="nonnegative"))
        self.t_crit_k = float(as_param(n, "t_crit_k", t_crit_k, sign="positive"))
        self.t_smth_k = float(as_param(n, "t_smth_k", t_smth_k, sign="positive"))
        self.v_read_v = float(as_param(n, "v_read_v", v_read_v, sign="positive"))
        self.rtol, self.atol = integrator_tolerances(n, rtol, atol)
        self._params = {
            **{k: getattr(self, k) for k in pos},
            **dict(
                g1_m=self.g1_m,
                rth_k_per_w=self.rth_k_per_w,
                f_min_v_per_m=self.f_min_v_per_m,
                gap_min_m=self.gap_min_m,
                gap_max_m=self.gap_max_m,
                gap0_m=self.gap0_m,
                gap_noise_m=self.gap_noise_m,
                t_crit_k=self.t_crit_k,
                t_smth_k=self.t_smth_k,
                v_read_v=self.v_read_v,
                rtol=self.rtol,
                atol=self.atol,
            ),
        }

    # -- state ---------------------------------------------------------
    def initial_state(self, shape: tuple[int, ...], rng: np.random.Generator | None = None) -> np.ndarray:
        """``gap0_m`` everywhere."""
        return np.broadcast_to(self.gap0_m, shape).astype(float)

    def state_bounds(self) -> tuple[float, float]:
        """``(gap_min_m, gap_max_m)``."""
        return self.gap_min_m, self.gap_max_m

    def resistance_ohm(self, state: Any) -> np.ndarray:
        """Chord resistance ``v_read / I(g, v_read)`` in ohm."""
        return 1.0 / self.conductance_s(state)

    def state_from_resistance(self, r_ohm: Any) -> np.ndarray:
        """Inverse of :meth:`resistance_ohm`; ``DeviceError`` outside [R(gap_min), R(gap_max)]."""
        r = np.asarray(r_ohm, dtype=float)
        lo = self.resistance_ohm(self.gap_min_m)
        hi = self.resistance_ohm(self.gap_max_m)
        if np.any(~np.isfinite(r) | (r < lo * (1 - 1e-12)) | (r > hi * (1 + 1e-12))):
            raise DeviceError(
                f"{self.name}: resistance {r_ohm!r} ohm is outside [R(gap_min_m), R(gap_max_m)] = "
                f"[{float(np.min(lo))!r}, {float(np.max(hi))!r}] at v_read_v = {self.v_read_v!r} V"
            )
        g = self.g0_m * np.log(r * self.i0_a * np.sinh(self.v_read_v / self.v0_v) / self.v_read_v)
        return np.clip(g, self.gap_min_m, self.gap_max_m)

    # -- electrical ----------------------------------------------------
    def conductance_s(self, state: Any) -> np.ndarray:
        """Chord conductance ``I(g, v_read) / v_read`` in siemens."""
        g = self.check_state(state)
        return self.current_a(g, self.v_read_v) / self.v_read_v

    def current_a(self, state: Any, v_v: Any) -> np.ndarray:
        """``I0 exp(-g / g0) sinh(V / V0)`` in ampere."""
        g = np.asarray(state, dtype=float)
        return self.i0_a * np.exp(-g / self.g0_m) * np.sinh(np.asarray(v_v, dtype=float) / self.v0_v)

    def dcurrent_dv_s(self, state: Any, v_v: Any) -> np.ndarray:
        """``(I0 / V0) exp(-g / g0) cosh(V / V0)`` in siemens."""
        g = np.asarray(state, dtype=float)
        return (self.i0_a / self.v0_v) * np.exp(-g / self.g0_m) * np.cosh(np.asarray(v_v, dtype=float) / self.v0_v)

    def temperature_k(self, state: Any, v_v: Any) -> np.ndarray:
        """Quasi-static filament temperature ``T0 + |V I| Rth`` in kelvin."""
        v = np.asarray(v_v, dtype=float)
        return self.t0_k + np.abs(v * self.current_a(state, v)) * self.rth_k_per_w

    # -- dynamics ------------------------------------------------------
    def _rate(self, g, v, p) -> np.ndarray:
        """dg/dt in m/s; ``p`` holds the (broadcast) parameters."""
        i = p["i0_a"] * np.exp(-g / p["g0_m"]) * np.sinh(v / p["v0_v"])
        temp = p["t0_k"] + np.abs(v * i) * p["rth_k_per_w"]
        gamma = p["gamma0"] - p["beta"] * (g / self.g1_m) ** p["alpha"]
        gamma = np.where(gamma * np.abs(v) / p["tox_m"] < p["f_min_v_per_m"], 0.0, gamma)
        kt = _KB_J_PER_K * temp
        return (
            -p["vel0_m_per_s"]
            * np.exp(-_Q_C * p["ea_ev"] / kt)
            * np.sinh(gamma * p["a0_m"] * _Q_C * v / (p["tox_m"] * kt))
        )

    _RATE_KEYS = (
        "i0_a",
        "g0_m",
        "v0_v",
        "t0_k",
        "rth_k_per_w",
        "gamma0",
        "beta",
        "alpha",
        "tox_m",
        "f_min_v_per_m",
        "vel0_m_per_s",
        "ea_ev",
        "a0_m",
    )

    def dstate_dt(self, state: Any, v_v: Any) -> np.ndarray:
        """``dg/dt`` in m/s at gap ``state`` (metre) and voltage ``v_v``."""
        g = self.check_state(state)
        v = check_voltage(self, v_v, g.shape)
        return self._rate(g, v, {k: getattr(self, k) for k in self._RATE_KEYS})

    def reset_stop_gap_m(self, v_v: Any) -> np.ndarray:
        """Gap ``g*`` (metre) where a RESET at ``v_v`` stops (the field falls to
        ``f_min_v_per_m``), clipped to the gap range; ``gap_max_m`` when it never stops."""
        v = np.abs(np.asarray(v_v, dtype=float))
        with np.errstate(divide="ignore", invalid="ignore"):
            need = self.gamma0 - self.f_min_v_per_m * self.tox_m / v
            g_star = self.g1_m * np.maximum(need / self.beta, 0.0) ** (1.0 / self.alpha)
        return np.clip(np.where(v > 0, g_star, self.gap_max_m), self.gap_min_m, self.gap_max_m)

    def advance(
        self,
        state: Any,
        v_v: Any,
        duration_s: Any,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """Gap (metre) after ``v_v`` (volt) is held for ``duration_s`` (second).

        Shapes broadcast to the state; errors as in
        :meth:`cosim.devices.messaris.Messaris2017.advance`.  With
        ``gap_noise_m > 0`` and an ``rng`` the stochastic gap term is added
        (class docstring); without an ``rng`` the model is deterministic.
        """
        g, v, t = prepare_advance(self, state, v_v, duration_s, self.numeric_params())
        shape = g.shape
        p = {k: np.broadcast_to(getattr(self, k), shape).ravel() for k in self._RATE_KEYS}
        v_flat = np.broadcast_to(v, shape).ravel()
        g_flat = g.ravel()
        moving = self._rate(g_flat, v_flat, p) != 0
        upper = np.where(v_flat < 0, np.broadcast_to(self.reset_stop_gap_m(v), shape).ravel(), self.gap_max_m)
        upper = np.maximum(upper, g_flat)  # a cell already beyond g* does not move (its rate is 0)

        def rhs(y_nm: np.ndarray, idx: np.ndarray) -> np.ndarray:
            return self._rate(y_nm * _NM, v_flat[idx], {k: a[idx] for k, a in p.items()}) / _NM

        out = (
            integrate_adaptive(
                rhs,
                g_flat / _NM,
                np.broadcast_to(t, shape).ravel() * moving,
                rtol=self.rtol,
                atol=self.atol,
                lower=self.gap_min_m / _NM,
                upper=upper / _NM,
            )
            * _NM
        )
        if self.gap_noise_m > 0 and rng is not None:
            i = p["i0_a"] * np.exp(-g_flat / p["g0_m"]) * np.sinh(v_flat / p["v0_v"])
            temp = p["t0_k"] + np.abs(v_flat * i) * p["rth_k_per_w"]
            s = 1.0 / (1.0 + np.exp((self.t_crit_k - temp) / self.t_smth_k))
            kick = rng.standard_normal(out.shape) * self.gap_noise_m * s * (v_flat != 0)
            out = out + kick
        return np.clip(out, self.gap_min_m, self.gap_max_m).reshape(shape)

    def spice_subckt(self, name: str = "cosim_stanford_pku") -> str:
        """This model as an ngspice behavioural subcircuit (for ``.tran``).

        ``.subckt <name> a b params: gap0=<gap0 in nm>``: the gap in
        nanometre is the voltage of an internal node ``g`` on a 1 F capacitor
        charged by a B-source ``I = dg/dt`` (the class equations, the
        quasi-static temperature and the minimum-field condition inline);
        the device is a B-source ``I = I0 exp(-g/g0) sinh(V/V0)``.  The gap
        range is not enforced (keep the run inside it); no noise.  Scalar
        parameters only.

        Raises
        ------
        DeviceError
            A per-cell parameter array.
        """
        keys = self._RATE_KEYS + ("gap0_m",)
        for key in keys:
            arr = np.asarray(getattr(self, key))
            if arr.ndim:
                raise DeviceError(
                    f"{self.name}: spice_subckt needs scalar parameters; {key} is an array of shape {arr.shape}"
                )
        # ngspice's B-source division guards against zero by adding ~1e-32 to the
        # denominator, so no denominator here may be tiny: lengths are in nm and
        # the constants are pre-combined (q/k in K/V, a0/tox, F_min tox)
        p = {key: float(np.asarray(getattr(self, key))) for key in keys}
        q_over_k = repr(_Q_C / _KB_J_PER_K)
        v, g = "v(a,b)", "v(g)"
        cur = f"({p['i0_a']!r})*exp(-{g}/{p['g0_m'] / _NM!r})*sinh({v}/{p['v0_v']!r})"
        temp = f"({p['t0_k']!r}+abs({v}*{cur})*{p['rth_k_per_w']!r})"
        gam = f"({p['gamma0']!r}-({p['beta']!r})*pow({g}*{_NM / self.g1_m!r},{p['alpha']!r}))"
        gam = f"(({gam}*abs({v}) < {p['f_min_v_per_m'] * p['tox_m']!r}) ? 0 : {gam})"
        rate = (
            f"-({p['vel0_m_per_s'] / _NM!r})*exp(-{p['ea_ev']!r}*{q_over_k}/{temp})"
            f"*sinh({gam}*{p['a0_m'] / p['tox_m']!r}*{v}*{q_over_k}/{temp})"
        )
        return (
            "\n".join(
                [
                    f".subckt {name} a b params: gap0={p['gap0_m'] / _NM!r}",
                    "* Stanford-PKU RRAM (cosim.devices.StanfordPKU); node g holds the gap in nm (1 V = 1 nm)",
                    "cstate g 0 1 ic={gap0}",
                    f"bstate 0 g i={{{rate}}}",
                    f"bdev a b i={cur}",
                    f".ends {name}",
                ]
            )
            + "\n"
        )
