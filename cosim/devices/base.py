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
from typing import Any, ClassVar, Literal

import numpy as np


class DeviceError(ValueError):
    """Bad device input: unknown model, state outside bounds, NaN voltage,
    negative duration, mis-shaped array. The message names the value."""


def first_bad_cell(bad: np.ndarray) -> tuple[int, ...]:
    """Index of the first True entry of ``bad`` (``()`` for a 0-d array)."""
    return tuple(int(k) for k in np.argwhere(bad)[0]) if bad.ndim else ()


_SIGNS = {
    "positive": (lambda a: a > 0, "> 0"),
    "negative": (lambda a: a < 0, "< 0"),
    "nonnegative": (lambda a: a >= 0, ">= 0"),
    "nonpositive": (lambda a: a <= 0, "<= 0"),
}


def as_param(model_name: str, name: str, value: Any, *, sign: str | None = None) -> np.ndarray:
    """A model parameter as a read-only float array (0-d for scalars).

    Parameters
    ----------
    model_name, name : str
        Used in the error message.
    value : float or array_like
        The value; arrays give per-cell (device-to-device) spread.
    sign : {None, "positive", "negative", "nonnegative", "nonpositive"}
        Constraint every entry must meet.

    Raises
    ------
    DeviceError
        If the value is not numeric, not finite, or breaks ``sign``.
    """
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise DeviceError(
            f"{model_name}: parameter {name} must be a number or an array of numbers, got {value!r}"
        ) from None
    if not np.all(np.isfinite(arr)):
        raise DeviceError(f"{model_name}: parameter {name} must be finite, got {value!r}")
    if sign is not None:
        test, text = _SIGNS[sign]
        ok = test(arr)
        if not np.all(ok):
            bad = arr[first_bad_cell(~ok)] if arr.ndim else arr
            raise DeviceError(f"{model_name}: parameter {name} must be {text}, got {float(bad)!r}")
    arr.setflags(write=False)
    return arr


def on_off_resistances(model_name: str, r_on_ohm: Any, r_off_ohm: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(r_on, r_off)`` in ohm as parameters: both > 0 and ``r_on < r_off``
    in every cell, else ``DeviceError`` naming both values."""
    r_on = as_param(model_name, "r_on_ohm", r_on_ohm, sign="positive")
    r_off = as_param(model_name, "r_off_ohm", r_off_ohm, sign="positive")
    if np.any(r_on >= r_off):
        raise DeviceError(f"{model_name}: r_on_ohm {r_on_ohm!r} must be below r_off_ohm {r_off_ohm!r}")
    return r_on, r_off


def integrator_tolerances(model_name: str, rtol: Any, atol: Any) -> tuple[float, float]:
    """``(rtol, atol)`` of :func:`cosim.devices.integrate.integrate_adaptive`, both > 0."""
    return (
        float(as_param(model_name, "rtol", rtol, sign="positive")),
        float(as_param(model_name, "atol", atol, sign="positive")),
    )


class UnitIntervalState:
    """State ``x`` in [0, 1] starting at ``self.x0``, with ``R(x)`` between
    ``self.r_on_ohm`` and ``self.r_off_ohm`` (VTEAM, linear ion drift).

    Mixed into a :class:`DeviceModel` whose constructor calls
    :meth:`_set_x0`; gives ``initial_state``, ``state_bounds`` and the range
    check of ``state_from_resistance``.
    """

    name: str
    x0: np.ndarray
    r_on_ohm: np.ndarray
    r_off_ohm: np.ndarray

    def _set_x0(self, x0: Any) -> None:
        """Store ``x0``; ``DeviceError`` naming it when outside [0, 1]."""
        self.x0 = as_param(self.name, "x0", x0)
        if np.any((self.x0 < 0) | (self.x0 > 1)):
            raise DeviceError(f"{self.name}: x0 {x0!r} must be in [0, 1]")

    def initial_state(self, shape: tuple[int, ...], rng: np.random.Generator | None = None) -> np.ndarray:
        """``x0`` everywhere."""
        return np.broadcast_to(self.x0, shape).astype(float)

    def state_bounds(self) -> tuple[float, float]:
        """``(0, 1)``."""
        return 0.0, 1.0

    def _check_resistance(self, r_ohm: Any) -> np.ndarray:
        """``r_ohm`` as a float array; ``DeviceError`` naming it when any entry
        is not finite or lies outside [r_on_ohm, r_off_ohm]."""
        r = np.asarray(r_ohm, dtype=float)
        if np.any(~np.isfinite(r) | (r < self.r_on_ohm) | (r > self.r_off_ohm)):
            raise DeviceError(
                f"{self.name}: resistance {r_ohm!r} ohm is outside [r_on_ohm, r_off_ohm] = "
                f"[{float(np.min(self.r_on_ohm))!r}, {float(np.max(self.r_off_ohm))!r}]"
            )
        return r


class DeviceModel(ABC):
    """Behavioural memristor model, vectorised over cells.

    Attributes
    ----------
    name : str
        Registry name (``"messaris2017"``, ``"measured_curve"``, ...); like
        the three below, a class attribute that every model sets.
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

    def check_state(self, state: Any) -> np.ndarray:
        """Return ``state`` as a float array; ``DeviceError`` naming the first
        cell that is NaN or outside :meth:`state_bounds` (bounds may be per-cell
        arrays), or the value when it is not numeric."""
        try:
            arr = np.asarray(state, dtype=float)
        except (TypeError, ValueError):
            raise DeviceError(f"{self.name}: {self.state_name} must be numeric, got {state!r}") from None
        lo, hi = self.state_bounds()
        bad = np.isnan(arr) | (arr < lo) | (arr > hi)
        if bad.any():
            idx = first_bad_cell(bad)
            lo_i = np.broadcast_to(lo, arr.shape)[idx]
            hi_i = np.broadcast_to(hi, arr.shape)[idx]
            raise DeviceError(
                f"{self.name}: {self.state_name} {float(arr[idx])!r} at cell {idx} is outside "
                f"its bounds [{float(lo_i)!r}, {float(hi_i)!r}]"
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
