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


#: largest relative rounding error of a cell current the solver accepts (issue 13)
ROUNDING_TARGET = 1e-9


def _weakest_wire_s(spec: CrossbarSpec) -> float:
    """Smallest conductance of a finite, non-zero wire element (inner segment,
    driver + first segment, last segment + sense), S; ``inf`` when every wire is 0 ohm."""
    r_wl, r_bl = spec.r_wordline_ohm, spec.r_bitline_ohm
    r = np.concatenate(
        (
            r_wl[:, 1:].ravel(),
            r_bl[:-1, :].ravel(),
            spec.r_driver_ohm + r_wl[:, 0],
            spec.r_sense_ohm + r_bl[-1, :],
        )
    )
    r = r[r > 0]
    return float(1.0 / r.max()) if r.size else np.inf


def _check_conditioning(spec: CrossbarSpec, g_cell_s: np.ndarray, g_wire_min_s: float, g_access_s=None) -> None:
    """Refuse cells so much better conducting than the wires that their current is lost to rounding.

    A cell's current is ``g (V_wl - V_bl)``; the node voltages carry a
    rounding error of about ``eps`` times the source voltages, so a cell of
    conductance ``g`` behind wires of conductance ``g_w`` (up to ``rows +
    cols`` of them in series) has a relative current error of about
    ``eps (rows + cols) g / g_w``.  Above :data:`ROUNDING_TARGET` the answer
    would be silently wrong (issue 13: 1e-18 ohm cells behind 1 ohm wires
    gave currents off by 4x), so the cell is named and refused instead.

    Raises
    ------
    CrossbarSpecError
        Naming the cell, its conductance, the ratio to the weakest wire and
        the smallest cell resistance these wires allow.
    """
    if not np.isfinite(g_wire_min_s) or g_cell_s.size == 0:
        return
    g_max = float(g_cell_s.max())
    if g_access_s is not None:  # 1T1R: the access transistor is in series
        g_max = g_max * g_access_s / (g_max + g_access_s)
    scale = np.finfo(float).eps * (spec.rows + spec.cols) / g_wire_min_s
    if g_max * scale <= ROUNDING_TARGET:
        return
    idx = _first_index(g_cell_s == g_cell_s.max())
    r_min = scale / ROUNDING_TARGET
    raise CrossbarSpecError(
        f"cell {idx} conducts {g_cell_s[idx]:.3g} S ({1.0 / g_cell_s[idx]:.3g} ohm), "
        f"{g_max / g_wire_min_s:.3g} times the weakest wire ({g_wire_min_s:.3g} S): its current would be lost "
        f"to rounding (estimated relative error {g_max * scale:.1g} > {ROUNDING_TARGET:g}); behind these wires a "
        f"cell must be >= {r_min:.3g} ohm (to model a short, use that resistance: its current then "
        f"differs from a short's by about r_cell / r_wire)"
    )


def _per_line_wire(value, n_lines: int, shape: tuple[int, int], name: str, axis: int):
    """A wire resistance given per line: 1-D of length ``n_lines`` -> (rows, cols).

    ``axis`` 0: one value per word line (row), repeated along it; 1: one value
    per bit line (column).  Scalars and 2-D arrays pass through unchanged (the
    spec checks them); any other 1-D length is refused on every shape (numpy
    broadcasting would silently apply a (cols,) vector per column).
    """
    arr = np.asarray(value) if not np.isscalar(value) else value
    if np.ndim(arr) != 1:
        return value
    line = "word line" if axis == 0 else "bit line"
    if arr.shape[0] != n_lines:
        raise CrossbarSpecError(
            f"{name} is 1-D of length {arr.shape[0]}: a 1-D wire resistance means one value per {line}, "
            f"so it needs length {n_lines}; give a ({shape[0]}, {shape[1]}) array for one value per segment"
        )
    arr = np.asarray(arr, dtype=float)
    return np.broadcast_to(arr[:, None] if axis == 0 else arr[None, :], shape).copy()
