"""The interface every behavioural memristor model implements.

A model object holds parameters (scalars, or arrays broadcastable to the
array shape for device-to-device spread); per-cell *state* lives in a plain
NumPy array owned by the caller (the crossbar array), so a 512 x 512 array is
one model and a few arrays, never 262,144 objects.  Every method is
vectorised over the state array and pure: it returns new arrays and never
modifies its inputs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Literal

import numpy as np


class DeviceError(ValueError):
    """Bad device input: unknown model, state outside bounds, NaN voltage,
    negative duration, mis-shaped array. The message names the value."""


class DeviceModel(ABC):
    """Behavioural memristor model, vectorised over cells.

    Class attributes
    ----------------
    name : str
        Registry name (``"messaris2017"``, ``"measured_curve"``, ...).
    state_name : str
        What the state variable is, with its unit (``"resistance_ohm"``,
        ``"pulse_index"``, ``"w_normalised"``, ...).
    raises_conductance : {"positive", "negative"}
        Which polarity of cell voltage (WL minus BL) raises the conductance.
    ohmic : bool
        True if the read current is ``conductance_s(state) * v``; False if the
        model has a non-linear I-V (then the solver uses ``current_a`` and
        ``dcurrent_dv_s`` in Newton's method).
    """

    name: ClassVar[str] = "base"
    state_name: ClassVar[str] = "state"
    raises_conductance: ClassVar[Literal["positive", "negative"]] = "positive"
    ohmic: ClassVar[bool] = True

    # -- state ---------------------------------------------------------
    @abstractmethod
    def initial_state(self, shape: tuple[int, ...], rng: np.random.Generator | None = None) -> np.ndarray:
        """A fresh state array of ``shape`` (with the model's initial spread, drawn from ``rng``)."""

    @abstractmethod
    def state_bounds(self) -> tuple[np.ndarray | float, np.ndarray | float]:
        """Physical lower and upper bound of the state variable."""

    def check_state(self, state: np.ndarray) -> np.ndarray:
        """Return ``state`` as float array; ``DeviceError`` naming the first
        cell that is NaN or outside :meth:`state_bounds`."""
        arr = np.asarray(state, dtype=float)
        lo, hi = self.state_bounds()
        bad = np.isnan(arr) | (arr < lo) | (arr > hi)
        if bad.any():
            idx = tuple(int(k) for k in np.argwhere(bad)[0]) if arr.ndim else ()
            val = arr[idx] if arr.ndim else float(arr)
            raise DeviceError(
                f"{self.name}: {self.state_name} {val!r} at cell {idx} is outside its bounds "
                f"[{np.min(lo)!r}, {np.max(hi)!r}]"
            )
        return arr

    # -- electrical ----------------------------------------------------
    @abstractmethod
    def conductance_s(self, state: np.ndarray) -> np.ndarray:
        """Read (small-signal / chord) conductance in siemens, same shape as ``state``."""

    def current_a(self, state: np.ndarray, v_v: np.ndarray) -> np.ndarray:
        """Current in ampere at device voltage ``v_v`` (volt); ohmic by default."""
        return self.conductance_s(state) * np.asarray(v_v, dtype=float)

    def dcurrent_dv_s(self, state: np.ndarray, v_v: np.ndarray) -> np.ndarray:
        """dI/dV in siemens at ``v_v`` (for Newton); ohmic by default."""
        return np.broadcast_to(self.conductance_s(state), np.shape(v_v)).astype(float)

    # -- dynamics ------------------------------------------------------
    @abstractmethod
    def advance(
        self,
        state: np.ndarray,
        v_v: np.ndarray,
        duration_s: np.ndarray | float,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """State after holding device voltage ``v_v`` (volt, broadcast to the
        state) for ``duration_s`` (second, >= 0). Exact closed form where one
        exists, else an adaptive integrator with a stated error bound.
        ``rng`` feeds cycle-to-cycle noise when the model has any.

        Raises ``DeviceError`` for NaN voltages or negative durations."""

    def relax(self, state: np.ndarray, idle_s: float) -> np.ndarray:
        """State after ``idle_s`` seconds with no bias (volatility); identity by default."""
        return np.asarray(state, dtype=float)
