"""Write biases: what every word line and bit line is held at during a pulse.

A :class:`Bias` is a voltage (volt) or *floating* (NaN) for every word line
(applied at its driver end, through ``r_driver_ohm``) and every bit line
(applied at its sense end, through ``r_sense_ohm``), plus the gate state of
every word line for 1T1R arrays.  The write schemes are plain functions that
build a bias for a selected block of cells; what each cell then *actually*
sees comes from a circuit solve, so half-select disturb and IR drop fall out of
the circuit, not out of special cases.

A single bias can only fully select a block ``rows x cols`` (every selected
word line crosses every selected bit line); selecting an arbitrary set of
cells takes several pulses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

SchemeName = Literal["ideal", "v2", "v3", "floating"]
SCHEMES = ("ideal", "v2", "v3", "floating")


class BiasError(ValueError):
    """A bias or a selection is invalid; the message names the bad value."""


@dataclass(frozen=True)
class Bias:
    """Line voltages for one pulse.

    Attributes
    ----------
    wordline_v : ndarray, shape (rows,)
        Voltage applied to each word line's driver, volt; NaN = floating.
    bitline_v : ndarray, shape (cols,)
        Voltage applied at each bit line's sense end, volt; NaN = floating.
    gate_on : ndarray of bool, shape (rows,)
        1T1R gate of each word line (ignored for 1R / 1S1R).
    ideal_selector : bool
        True for the "ideal selector" scheme: cells that are not fully
        selected are treated as open (an ideal threshold selector blocks them).
    selected : ndarray of bool, shape (rows, cols)
        The cells this bias is meant to program (for bookkeeping and for the
        ideal-selector mask).
    """

    wordline_v: np.ndarray
    bitline_v: np.ndarray
    gate_on: np.ndarray
    selected: np.ndarray
    ideal_selector: bool = False

    def __post_init__(self) -> None:
        wl = np.asarray(self.wordline_v, dtype=float).ravel()
        bl = np.asarray(self.bitline_v, dtype=float).ravel()
        sel = np.asarray(self.selected, dtype=bool)
        if sel.shape != (wl.size, bl.size):
            raise BiasError(f"selected has shape {sel.shape}; expected {(wl.size, bl.size)}")
        try:
            gate = np.broadcast_to(np.asarray(self.gate_on, dtype=bool), (wl.size,)).copy()
        except ValueError:
            raise BiasError(f"gate_on has shape {np.shape(self.gate_on)}; expected () or ({wl.size},)") from None
        for name, line in (("wordline_v", wl), ("bitline_v", bl)):
            if np.isinf(line).any():
                k = int(np.flatnonzero(np.isinf(line))[0])
                raise BiasError(
                    f"{name}[{k}] is {float(line[k])!r}; line voltages must be finite volts or NaN (floating)"
                )
        if np.isnan(wl).all() and np.isnan(bl).all():
            raise BiasError("every line is floating: nothing drives the array")
        object.__setattr__(self, "wordline_v", wl)
        object.__setattr__(self, "bitline_v", bl)
        object.__setattr__(self, "gate_on", gate)
        object.__setattr__(self, "selected", sel)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.wordline_v.size, self.bitline_v.size)

    def nominal_cell_voltages_v(self) -> np.ndarray:
        """``V_wl[i] - V_bl[j]`` with ideal wires (floating lines count 0 V): (rows, cols), volt."""
        wl = np.nan_to_num(self.wordline_v)
        bl = np.nan_to_num(self.bitline_v)
        v = wl[:, None] - bl[None, :]
        if self.ideal_selector:
            v = np.where(self.selected, v, 0.0)
        return v


def _selection(rows_sel, cols_sel, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks of selected rows and columns; errors name bad indices."""
    out = []
    for name, sel, n in (("rows", rows_sel, shape[0]), ("cols", cols_sel, shape[1])):
        arr = np.asarray(sel)
        if arr.dtype == bool:
            if arr.shape != (n,):
                raise BiasError(f"selected {name} mask has shape {arr.shape}; expected ({n},)")
            mask = arr.copy()
        else:
            idx = np.atleast_1d(arr).astype(np.int64)
            bad = idx[(idx < 0) | (idx >= n)]
            if bad.size:
                raise BiasError(f"selected {name} index {int(bad[0])} out of range 0..{n - 1}")
            mask = np.zeros(n, dtype=bool)
            mask[idx] = True
        if not mask.any():
            raise BiasError(f"no {name} selected")
        out.append(mask)
    return out[0], out[1]


def write_bias(
    scheme: SchemeName,
    shape: tuple[int, int],
    rows_sel: Sequence[int] | np.ndarray,
    cols_sel: Sequence[int] | np.ndarray,
    amplitude_v: float,
) -> Bias:
    """Bias that applies ``amplitude_v`` across the block ``rows_sel x cols_sel``.

    Selected word lines are driven at ``amplitude_v`` and selected bit lines
    at 0 V. Unselected lines, per scheme:

    * ``"ideal"``: unselected lines at 0 V and unselected cells open (an ideal
      selector): only the selected block sees any voltage;
    * ``"v2"``: every unselected line at ``amplitude_v / 2``: half-selected
      cells see ``V/2``, unselected ones 0;
    * ``"v3"``: unselected word lines at ``V/3``, unselected bit lines at
      ``2V/3``: every non-selected cell sees ``+-V/3``;
    * ``"floating"``: unselected lines float (their voltage comes from the
      circuit through the cells).

    A negative amplitude reverses the polarity of every level.

    Raises
    ------
    BiasError
        Unknown scheme, NaN/inf amplitude, empty or out-of-range selection.
    """
    if scheme not in SCHEMES:
        raise BiasError(f"unknown write scheme {scheme!r}; expected one of {SCHEMES}")
    if not np.isfinite(amplitude_v):
        raise BiasError(f"amplitude_v must be a finite voltage, got {amplitude_v!r}")
    rmask, cmask = _selection(rows_sel, cols_sel, shape)
    v = float(amplitude_v)
    if scheme == "ideal":
        wl_un, bl_un = 0.0, 0.0
    elif scheme == "v2":
        wl_un, bl_un = v / 2, v / 2
    elif scheme == "v3":
        wl_un, bl_un = v / 3, 2 * v / 3
    else:
        wl_un, bl_un = np.nan, np.nan
    wl = np.where(rmask, v, wl_un)
    bl = np.where(cmask, 0.0, bl_un)
    return Bias(
        wordline_v=wl,
        bitline_v=bl,
        gate_on=rmask,
        selected=rmask[:, None] & cmask[None, :],
        ideal_selector=(scheme == "ideal"),
    )


def read_bias(v_in_v: np.ndarray, cols: int) -> Bias:
    """Bias of a read: word lines at ``v_in_v`` (volt), bit lines at virtual ground, all gates on."""
    v = np.asarray(v_in_v, dtype=float).ravel()
    return Bias(
        wordline_v=v,
        bitline_v=np.zeros(cols),
        gate_on=np.ones(v.size, dtype=bool),
        selected=np.ones((v.size, cols), dtype=bool),
    )
