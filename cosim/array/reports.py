"""What a read or a pulse of a :class:`~cosim.array.core.CrossbarArray` reports, and its input checks.

:class:`ReadReport` and :class:`PulseReport` are plain records (energies in
joule, voltages in volt, times in second); :class:`ArrayError` is the one
error type of the array layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cosim.netlist.bias import Bias


class ArrayError(ValueError):
    """Bad input to a :class:`CrossbarArray`; the message names the offending value."""


@dataclass
class ReadReport:
    """What one read (a vector or a batch) did.

    Attributes
    ----------
    currents_a : ndarray, (cols,) or (batch, cols)
        Bit-line currents in ampere (read noise included when enabled).
    v_in_v : ndarray, (rows,) or (batch, rows)
        The applied word-line voltages, volt.
    duration_s : float
        ``read_width_s`` times the number of vectors.
    energy_cells_j, energy_wires_j : float
        Energy dissipated in the cells and in the wires, joule.
    """

    currents_a: np.ndarray
    v_in_v: np.ndarray
    duration_s: float
    energy_cells_j: float
    energy_wires_j: float

    @property
    def energy_j(self) -> float:
        """Total energy of the read, joule."""
        return self.energy_cells_j + self.energy_wires_j


@dataclass
class PulseReport:
    """What one pulse did to the array.

    Attributes
    ----------
    bias : Bias
        The line voltages that were held.
    width_s : float
        Pulse width, second.
    v_applied_v : ndarray (rows, cols)
        Nominal cell voltages (``V_wl - V_bl`` with ideal wires; on the ideal
        backend only the selected cells, as an ideal selector delivers), volt.
    v_device_v : ndarray (rows, cols)
        Voltage each device actually saw, averaged over the pulse (weighted by
        sub-step duration), volt.
    state_before, state_after : ndarray (rows, cols)
        Device state before and after the pulse.
    energy_cells_j, energy_wires_j : float
        Energy dissipated in the cells and wires during the pulse, joule.
    n_substeps : int
        Accepted sub-steps (= circuit solves of the pulse).
    n_advances : int
        Calls of ``model.advance`` (accepted and rejected sub-steps).
    max_rel_change : float
        Largest relative conductance change of one cell in one accepted sub-step.
    tolerance_met : bool
        False if a minimum-length sub-step still exceeded ``split_tolerance``.
    """

    bias: Bias
    width_s: float
    v_applied_v: np.ndarray
    v_device_v: np.ndarray
    state_before: np.ndarray
    state_after: np.ndarray
    energy_cells_j: float
    energy_wires_j: float
    n_substeps: int
    n_advances: int
    max_rel_change: float
    tolerance_met: bool

    @property
    def energy_j(self) -> float:
        """Total energy of the pulse, joule."""
        return self.energy_cells_j + self.energy_wires_j

    @property
    def selected(self) -> np.ndarray:
        """Boolean (rows, cols) mask of the cells the bias selects."""
        return self.bias.selected


def read_only(arr: np.ndarray) -> np.ndarray:
    """A read-only view (the array's own state arrays must not be changed from outside)."""
    view = arr.view()
    view.flags.writeable = False
    return view


def finite_positive(name: str, value, *, allow_zero: bool = False, allow_inf: bool = False) -> float:
    """``value`` as a float that is > 0 (or >= 0 with ``allow_zero``; inf only with ``allow_inf``); else ArrayError naming it."""
    try:
        val = float(value)
    except (TypeError, ValueError):
        raise ArrayError(f"{name} must be a number, got {value!r}") from None
    if np.isnan(val) or (np.isinf(val) and not allow_inf) or val < 0 or (val == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ArrayError(f"{name} must be {bound}{'' if allow_inf else ' and finite'}, got {value!r}")
    return val
