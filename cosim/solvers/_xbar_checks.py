"""Input checks of the crossbar solver (private): shapes, NaN, signs, bias types.

Every check raises :class:`~cosim.netlist.crossbar.CrossbarSpecError` naming
the offending value and its index.
"""

from __future__ import annotations

import numpy as np

from cosim.netlist.bias import Bias
from cosim.netlist.crossbar import CrossbarSpec, CrossbarSpecError


def _first_index(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(k) for k in np.argwhere(mask)[0])


def _check_conductance(spec: CrossbarSpec, g_cell_s, name: str = "g_cell_s") -> np.ndarray:
    """Validate a (rows, cols) conductance array in siemens (0 = open cell)."""
    g = np.asarray(g_cell_s, dtype=float)
    if g.shape != spec.shape:
        raise CrossbarSpecError(f"{name} has shape {g.shape}; the crossbar is {spec.shape}")
    if np.isnan(g).any():
        raise CrossbarSpecError(f"{name} contains NaN at cell {_first_index(np.isnan(g))}")
    if (g < 0).any():
        idx = _first_index(g < 0)
        raise CrossbarSpecError(f"{name} must be >= 0 S (0 = open cell), got {g[idx]!r} at cell {idx}")
    if np.isinf(g).any():
        idx = _first_index(np.isinf(g))
        raise CrossbarSpecError(
            f"{name} is inf at cell {idx}: a zero-resistance cell would short its word line to its bit line"
        )
    return g


def _check_inputs(spec: CrossbarSpec, v_in_v, name: str = "v_in_v") -> np.ndarray:
    """Validate read voltages: shape (rows,) or (batch, rows), finite volts."""
    v = np.asarray(v_in_v, dtype=float)
    if v.ndim not in (1, 2) or v.shape[-1] != spec.rows:
        raise CrossbarSpecError(
            f"{name} has shape {v.shape}; expected ({spec.rows},) or (batch, {spec.rows}) for {spec.rows} word lines"
        )
    if v.ndim == 2 and v.shape[0] == 0:
        raise CrossbarSpecError(f"{name} has an empty batch (shape {v.shape})")
    if not np.isfinite(v).all():
        idx = _first_index(~np.isfinite(v))
        raise CrossbarSpecError(f"{name} must be finite volts, got {v[idx]!r} at index {idx}")
    return v


def _check_bias(spec: CrossbarSpec, bias: Bias) -> None:
    if not isinstance(bias, Bias):
        raise CrossbarSpecError(f"bias must be a cosim.netlist.bias.Bias, got {type(bias).__name__}")
    if bias.shape != spec.shape:
        raise CrossbarSpecError(f"bias has shape {bias.shape}; the crossbar is {spec.shape}")

