"""Crossbar geometry: the M x N array description every backend shares.

Topology (docs/design.md conventions, the same as badcrossbar's):

* Row ``i`` is word line ``i``. Its driver is an ideal voltage source
  ``v_in[i]`` behind ``r_driver_ohm[i]`` (0 = ideal driver); from the driver
  node to the WL node of cell ``(i, 0)`` there is word-line segment
  ``r_wordline_ohm[i, 0]``, and between the WL nodes of cells ``(i, j-1)`` and
  ``(i, j)`` segment ``r_wordline_ohm[i, j]``.
* Column ``j`` is bit line ``j``, sensed at its bottom end (after the last
  row): between the BL nodes of cells ``(i, j)`` and ``(i+1, j)`` is segment
  ``r_bitline_ohm[i, j]``; from the BL node of cell ``(rows-1, j)`` segment
  ``r_bitline_ohm[rows-1, j]`` leads to the sense node, which is held at 0 V
  (a virtual ground, transimpedance amplifier) behind ``r_sense_ohm[j]``.
* A cell connects the WL node and the BL node at its crossing. Its voltage
  is ``V(WL node) - V(BL node)``.

With ``r_driver_ohm = r_sense_ohm = 0`` this is badcrossbar's topology, so
results compare one to one.  Zero wire resistance means an ideal line and is
solved exactly (nodes merged), never approximated by a tiny resistor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from cosim.devices.selector import SinhSelector

CellKind = Literal["1R", "1S1R", "1T1R"]
CELL_KINDS = ("1R", "1S1R", "1T1R")


class CrossbarSpecError(ValueError):
    """A crossbar description is invalid; the message names the bad value."""


def _as_array(name: str, value, shape: tuple[int, ...], *, allow_zero: bool, allow_inf: bool) -> np.ndarray:
    """Broadcast ``value`` to ``shape`` as float, refusing NaN / negative / inf."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise CrossbarSpecError(f"{name} must be a number or an array of numbers in ohm, got {value!r}") from None
    try:
        arr = np.broadcast_to(arr, shape).copy()
    except ValueError:
        raise CrossbarSpecError(f"{name} has shape {np.shape(value)}; expected a scalar or shape {shape}") from None
    if np.isnan(arr).any():
        raise CrossbarSpecError(f"{name} contains NaN at index {tuple(int(k) for k in np.argwhere(np.isnan(arr))[0])}")
    if (arr < 0).any():
        idx = tuple(int(k) for k in np.argwhere(arr < 0)[0])
        raise CrossbarSpecError(f"{name} must be >= 0 ohm, got {float(arr[idx])!r} at index {idx}")
    if not allow_zero and (arr == 0).any():
        idx = tuple(int(k) for k in np.argwhere(arr == 0)[0])
        raise CrossbarSpecError(f"{name} must be > 0 ohm, got 0 at index {idx}")
    if not allow_inf and np.isinf(arr).any():
        idx = tuple(int(k) for k in np.argwhere(np.isinf(arr))[0])
        raise CrossbarSpecError(f"{name} must be finite, got inf at index {idx}")
    return arr


@dataclass(frozen=True)
class CrossbarSpec:
    """Geometry and wiring of an M x N crossbar (no device state).

    Parameters
    ----------
    rows, cols : int
        Number of word lines (M) and bit lines (N), both >= 1.
    r_wordline_ohm : float or array (rows, cols)
        Word-line segment resistance in ohm, >= 0 (see module doc for which
        segment is which). Stored as a full (rows, cols) array.
    r_bitline_ohm : float or array (rows, cols)
        Bit-line segment resistance in ohm, >= 0.
    r_driver_ohm : float or array (rows,), default 0
        Output resistance of each word-line driver, ohm, >= 0.
    r_sense_ohm : float or array (cols,), default 0
        Input resistance of each bit-line sense amplifier, ohm, >= 0.
    cell : {"1R", "1S1R", "1T1R"}
        Cell kind: bare resistive device; device in series with ``selector``;
        device in series with an access transistor (``r_on_ohm`` when its
        gate is on, ``r_off_ohm`` otherwise).
    selector : SinhSelector, optional
        The 1S1R selector (default ``SinhSelector()``); ignored for other kinds.
    r_transistor_on_ohm, r_transistor_off_ohm : float
        1T1R access transistor resistances in ohm.

    Raises
    ------
    CrossbarSpecError
        Non-positive size, unknown cell kind, NaN, negative or mis-shaped
        resistance; the message names the argument and the offending value.
    """

    rows: int
    cols: int
    r_wordline_ohm: np.ndarray | float = 0.0
    r_bitline_ohm: np.ndarray | float = 0.0
    r_driver_ohm: np.ndarray | float | None = 0.0
    r_sense_ohm: np.ndarray | float | None = 0.0
    cell: CellKind = "1R"
    selector: SinhSelector = field(default_factory=SinhSelector)
    r_transistor_on_ohm: float = 1e3
    r_transistor_off_ohm: float = 1e12

    def __post_init__(self) -> None:
        for name in ("rows", "cols"):
            val = getattr(self, name)
            if not isinstance(val, (int, np.integer)) or isinstance(val, bool) or val < 1:
                raise CrossbarSpecError(f"{name} must be an integer >= 1, got {val!r}")
        if self.cell not in CELL_KINDS:
            raise CrossbarSpecError(f"cell must be one of {CELL_KINDS}, got {self.cell!r}")
        shape = (int(self.rows), int(self.cols))
        set_ = object.__setattr__
        set_(self, "rows", int(self.rows))
        set_(self, "cols", int(self.cols))
        set_(
            self,
            "r_wordline_ohm",
            _as_array("r_wordline_ohm", self.r_wordline_ohm, shape, allow_zero=True, allow_inf=False),
        )
        set_(
            self,
            "r_bitline_ohm",
            _as_array("r_bitline_ohm", self.r_bitline_ohm, shape, allow_zero=True, allow_inf=False),
        )
        set_(
            self,
            "r_driver_ohm",
            _as_array(
                "r_driver_ohm",
                0.0 if self.r_driver_ohm is None else self.r_driver_ohm,
                (shape[0],),
                allow_zero=True,
                allow_inf=False,
            ),
        )
        set_(
            self,
            "r_sense_ohm",
            _as_array(
                "r_sense_ohm",
                0.0 if self.r_sense_ohm is None else self.r_sense_ohm,
                (shape[1],),
                allow_zero=True,
                allow_inf=False,
            ),
        )
        if not isinstance(self.selector, SinhSelector):
            raise CrossbarSpecError(f"selector must be a SinhSelector, got {type(self.selector).__name__}")
        for name in ("r_transistor_on_ohm", "r_transistor_off_ohm"):
            val = getattr(self, name)
            try:
                ok = float(val) > 0
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise CrossbarSpecError(f"{name} must be > 0 ohm, got {val!r}")

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)``."""
        return (self.rows, self.cols)

    @property
    def ideal_wires(self) -> bool:
        """True when every wire, driver and sense resistance is zero."""
        return not (
            self.r_wordline_ohm.any() or self.r_bitline_ohm.any() or self.r_driver_ohm.any() or self.r_sense_ohm.any()
        )

    def check_cells(self, r_cell_ohm, name: str = "r_cell_ohm") -> np.ndarray:
        """Validate a (rows, cols) array of cell resistances in ohm.

        ``inf`` (an open, stuck-off cell) is allowed; 0, negative and NaN are
        refused with the index named. Returns a float copy.
        """
        arr = np.asarray(r_cell_ohm, dtype=float)
        if arr.shape != self.shape:
            raise CrossbarSpecError(f"{name} has shape {arr.shape}; the crossbar is {self.shape}")
        return _as_array(name, arr, self.shape, allow_zero=False, allow_inf=True)


# Node names used by the SPICE writer and by every result that names nodes.
def wordline_node(i: int, j: int) -> str:
    """Name of the word-line node of cell (i, j)."""
    return f"wl_{i}_{j}"


def bitline_node(i: int, j: int) -> str:
    """Name of the bit-line node of cell (i, j)."""
    return f"bl_{i}_{j}"


def cell_internal_node(i: int, j: int) -> str:
    """Name of the node between device and selector/transistor of cell (i, j)."""
    return f"mid_{i}_{j}"


def driver_node(i: int) -> str:
    """Name of the ideal-source node of word-line driver i (before r_driver)."""
    return f"in_{i}"


def sense_node(j: int) -> str:
    """Name of the virtual-ground node of bit-line sense amplifier j."""
    return f"out_{j}"
