"""Two-terminal selectors for 1S1R cells.

The selector is the circuit-level non-linearity of a 1S1R cell; both the
netlist writer (as an ngspice B-source subcircuit) and the nodal solver
(Newton's method) use this one definition.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SinhSelector:
    """Symmetric exponential selector, ``I = i_s_a * sinh(V / v_0_v)``.

    A common compact form for threshold-less selectors (tunnel-barrier and
    MIEC selectors are fitted this way; see e.g. Burr et al., J. Vac. Sci.
    Technol. B 32, 040802 (2014), section on selector I-V).  The
    half-bias non-linearity ``I(V) / I(V/2)`` is ``sinh(V/v0) / sinh(V/(2 v0))``
    ``= 2 cosh(V / (2 v0))``.

    Parameters
    ----------
    i_s_a : float
        Current scale in ampere (> 0).
    v_0_v : float
        Voltage scale in volt (> 0); smaller is more non-linear.

    Raises
    ------
    ValueError
        If a parameter is not finite and positive.
    """

    i_s_a: float = 1e-7
    v_0_v: float = 0.1

    def __post_init__(self) -> None:
        for name in ("i_s_a", "v_0_v"):
            val = getattr(self, name)
            if not (np.isfinite(val) and val > 0):
                raise ValueError(f"SinhSelector.{name} must be finite and > 0, got {val!r}")

    def current_a(self, v_v: np.ndarray) -> np.ndarray:
        """Current in ampere at voltage ``v_v`` (volt), elementwise."""
        return self.i_s_a * np.sinh(np.asarray(v_v, dtype=float) / self.v_0_v)

    def conductance_s(self, v_v: np.ndarray) -> np.ndarray:
        """Differential conductance dI/dV in siemens at ``v_v``, elementwise."""
        return (self.i_s_a / self.v_0_v) * np.cosh(np.asarray(v_v, dtype=float) / self.v_0_v)

    def voltage_v(self, i_a: np.ndarray) -> np.ndarray:
        """Inverse I-V: the voltage in volt that carries current ``i_a``."""
        return self.v_0_v * np.arcsinh(np.asarray(i_a, dtype=float) / self.i_s_a)

    def half_bias_ratio(self, v_v: float) -> float:
        """``I(v_v) / I(v_v / 2)``: how much a half-selected cell's current falls."""
        return float(2.0 * np.cosh(v_v / (2.0 * self.v_0_v)))
