"""Closed forms the tests compare cosim against, written out once here,
independently of cosim's own code (nothing from ``cosim`` is imported).

Messaris et al. 2017 (the data-driven ReRAM model, NeuroPack's parameter set)
-------------------------------------------------------------------------------
At a constant device voltage ``v`` the resistance moves toward the fixed point
``r_p(v) = a0p + a1p v`` (v > 0) or ``r_n(v) = a0n + a1n v`` (v < 0) as

    dR/dt = a_p (exp(|v| / t_p) - 1) (r_p - R)^2        (v > 0, R < r_p)
    dR/dt = a_n (exp(|v| / t_n) - 1) (R - r_n)^2        (v < 0, R > r_n; a_n < 0)

and stays put beyond it.  With ``u = |r_fix - R|`` both read ``du/dt = -k u^2``,
so ``1/u`` grows linearly: ``u(t) = u0 / (1 + k u0 t)``.

Series circuits
---------------
A one-cell crossbar (driver, word-line segment, cell, bit-line segment, sense
resistor) is a series chain: ``I = V / sum(R)``.
"""

from __future__ import annotations

import numpy as np

#: NeuroPack's Messaris 2017 card: Huang et al. 2022 (NeuroPack), Table 2, typed here from the paper
#: independently of models/messaris2017_neuropack.toml and of cosim.devices.NEUROPACK_2022
NEUROPACK_CARD = {
    "a_p": 0.21388644421061628,
    "a_n": -0.813018367268805,
    "t_p_v": 1.6590990,
    "t_n_v": 1.5148295,
    "a0p_ohm": 37086.672,
    "a1p_ohm_per_v": -20193.240,
    "a0n_ohm": 43430.020,
    "a1n_ohm_per_v": 34332.853,
}


def messaris_fixed_points_ohm(v_v, card=NEUROPACK_CARD):
    """``(r_p(v), r_n(v))`` in ohm: where a positive / negative pulse of ``v`` volt drives R."""
    v = np.asarray(v_v, dtype=float)
    return card["a0p_ohm"] + card["a1p_ohm_per_v"] * v, card["a0n_ohm"] + card["a1n_ohm_per_v"] * v


def messaris_r_ohm(r0_ohm, v_v, t_s, card=NEUROPACK_CARD):
    """Resistance (ohm) after ``t_s`` seconds at constant ``v_v`` volt from ``r0_ohm``.

    The exact solution of the module docstring's ODE; ``r0_ohm``, ``v_v`` and
    ``t_s`` broadcast (one voltage per cell, a time axis, ...).  A scalar in
    gives a float out.
    """
    r0, v, t = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (r0_ohm, v_v, t_s)))
    rp, rn = messaris_fixed_points_ohm(v, card)
    k_p = card["a_p"] * np.expm1(np.abs(v) / card["t_p_v"])
    k_n = -card["a_n"] * np.expm1(np.abs(v) / card["t_n_v"])
    up, un = rp - r0, r0 - rn
    r = r0.copy()
    pos = (v > 0) & (up > 0)  # below r_p: rises toward it; at or above: unchanged
    neg = (v < 0) & (un > 0)  # above r_n: falls toward it
    r[pos] = rp[pos] - up[pos] / (1.0 + k_p[pos] * up[pos] * t[pos])
    r[neg] = rn[neg] + un[neg] / (1.0 + k_n[neg] * un[neg] * t[neg])
    return float(r) if r.ndim == 0 else r


def series_current_a(v_v, *r_ohm):
    """Current (ampere) of ``v_v`` volt across resistors in series: ``V / sum(R)``."""
    return np.asarray(v_v, dtype=float) / float(sum(r_ohm))
