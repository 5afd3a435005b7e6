"""Input checks and parameter handling shared by the concrete device models.

Every public method of a model funnels its arguments through these helpers,
so a NaN voltage, a negative duration, a state outside its bounds or a
mis-shaped array fails the same way everywhere: a :class:`DeviceError`
whose message names the model, the offending value and the cell.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cosim.devices.base import DeviceError, DeviceModel, as_param, first_bad_cell  # noqa: F401 (re-exported)


def check_option(model_name: str, name: str, value: Any, allowed: tuple[str, ...]) -> str:
    """``value`` if it is one of ``allowed``, else ``DeviceError`` naming both."""
    if value not in allowed:
        raise DeviceError(f"{model_name}: {name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")
    return value


def _broadcast_to_state(model: DeviceModel, what: str, arr: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    try:
        out_shape = np.broadcast_shapes(shape, arr.shape)
    except ValueError:
        out_shape = None
    if out_shape != shape:
        raise DeviceError(f"{model.name}: {what} of shape {arr.shape} does not broadcast to the state shape {shape}")
    return np.broadcast_to(arr, shape)


def check_params_shape(model: DeviceModel, params: dict[str, np.ndarray], shape: tuple[int, ...]) -> None:
    """``DeviceError`` if a per-cell parameter array does not fit the state shape."""
    for name, arr in params.items():
        if isinstance(arr, np.ndarray) and arr.ndim:
            _broadcast_to_state(model, f"parameter {name}", arr, shape)


def check_voltage(model: DeviceModel, v_v: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Voltage as a float array of the state's shape; ``DeviceError`` for
    NaN/inf entries or a shape that does not broadcast to the state."""
    try:
        v = np.asarray(v_v, dtype=float)
    except (TypeError, ValueError):
        raise DeviceError(f"{model.name}: voltage must be numeric, got {v_v!r}") from None
    bad = ~np.isfinite(v)
    if bad.any():
        idx = first_bad_cell(bad)
        raise DeviceError(f"{model.name}: voltage {float(v[idx])!r} at cell {idx} is not a finite number")
    return _broadcast_to_state(model, "voltage", v, shape)


def check_duration(model: DeviceModel, duration_s: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Duration as a float array of the state's shape; ``DeviceError`` for
    negative, NaN or infinite entries or a mis-shaped array."""
    try:
        d = np.asarray(duration_s, dtype=float)
    except (TypeError, ValueError):
        raise DeviceError(f"{model.name}: duration must be numeric, got {duration_s!r}") from None
    bad = ~np.isfinite(d) | (d < 0)
    if bad.any():
        idx = first_bad_cell(bad)
        raise DeviceError(f"{model.name}: duration {float(d[idx])!r} s at cell {idx} must be finite and >= 0")
    return _broadcast_to_state(model, "duration", d, shape)


def prepare_advance(
    model: DeviceModel, state: Any, v_v: Any, duration_s: Any, params: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checked ``(state, v, duration)`` arrays, all of the state's shape."""
    s = model.check_state(state)
    check_params_shape(model, params, s.shape)
    return s, check_voltage(model, v_v, s.shape), check_duration(model, duration_s, s.shape)


def params_repr(name: str, params: dict[str, Any]) -> str:
    """``Name(a=1.0, b=array(shape))`` for ``__repr__``."""
    parts = []
    for key, val in params.items():
        if isinstance(val, np.ndarray) and val.ndim:
            parts.append(f"{key}=<array {val.shape}>")
        elif isinstance(val, np.ndarray):
            parts.append(f"{key}={float(val)!r}")
        else:
            parts.append(f"{key}={val!r}")
    return f"{name}({', '.join(parts)})"


class ParamsMixin:
    """``params`` / ``with_params`` / ``repr`` for models whose constructor
    keywords are stored in ``self._params`` (numbers as float arrays)."""

    _params: dict[str, Any]
    name: str

    @property
    def params(self) -> dict[str, Any]:
        """The constructor keywords (numbers as read-only float arrays)."""
        return dict(self._params)

    def with_params(self, **changes: Any):
        """A new model of the same kind with some parameters replaced
        (e.g. by per-cell arrays for device-to-device spread)."""
        unknown = sorted(set(changes) - set(self._params))
        if unknown:
            raise DeviceError(f"{self.name}: unknown parameter(s) {unknown}; known: {sorted(self._params)}")
        return type(self)(**{**self._params, **changes})

    def numeric_params(self) -> dict[str, np.ndarray]:
        """Only the numeric parameters (the ones that may carry per-cell spread)."""
        return {k: v for k, v in self._params.items() if isinstance(v, np.ndarray)}

    def __repr__(self) -> str:
        return params_repr(type(self).__name__, self._params)
