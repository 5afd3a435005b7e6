"""A device defined by a measured conductance-versus-pulse table.

The 4x4 Manhattan-rule experiment (issue "Manhattan-rule perceptron") uses
the measured curve ``models/data/conductance_vs_pulse_4x4.csv`` (51 points,
siemens, not monotonic) with a per-cell gain ``K`` and offset ``shift_ij``:
``G = K * ((Gexp[m] - Gexp[0]) + shift_ij)``.  :class:`MeasuredCurve`
implements exactly that law, ``G = scale_k * ((Gexp[m] - Gexp[0]) + offset_s)``,
and its defaults (``scale_k = 1``, ``offset_s = Gexp[0]``) give the raw curve
``G = Gexp[m]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from cosim.devices._common import (
    ParamsMixin,
    as_param,
    check_option,
    first_bad_cell,
    prepare_advance,
)
from cosim.devices.base import DeviceError, DeviceModel


def read_curve_csv(path: str | Path) -> np.ndarray:
    """Conductances (siemens) from a CSV with one header line and the values
    in the first column, one per line.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist (named in the message).
    DeviceError
        A value that is not a positive finite number (line number named), or
        fewer than two points.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"conductance curve file {str(path)!r} not found")
    values = []
    lines = path.read_text().splitlines()
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        field = line.split(",")[0].strip()
        try:
            g = float(field)
        except ValueError:
            raise DeviceError(f"{path}: line {lineno}: {field!r} is not a number") from None
        if not (np.isfinite(g) and g > 0):
            raise DeviceError(f"{path}: line {lineno}: conductance {g!r} S must be finite and > 0")
        values.append(g)
    if len(values) < 2:
        raise DeviceError(f"{path}: needs at least 2 conductance values after the header line, found {len(values)}")
    return np.array(values)


class MeasuredCurve(ParamsMixin, DeviceModel):
    """Table model: the state is the pulse index ``m`` (0, 1, ..., N-1).

    ``G(m) = scale_k * ((g_table_s[m] - g_table_s[0]) + offset_s)`` siemens;
    the read is ohmic.

    Pulses: :meth:`advance` moves ``m`` to ``m + 1`` in every cell whose
    voltage exceeds ``v_threshold_v`` (strictly) in the programming polarity
    (``v > v_threshold_v`` for ``polarity="positive"``,
    ``v < -v_threshold_v`` for ``"negative"``) and whose duration is > 0.
    This is a table of *identical* pulses, so one call is one pulse whatever
    ``duration_s`` is (any duration > 0 counts as one pulse; hence the class
    flag ``pulse_counted = True``: callers must not split a pulse into
    sub-steps for this model); the opposite
    polarity and sub-threshold voltages change nothing (the measured curve
    has no depression branch).  Past the last point, ``on_overflow="clamp"``
    (default) keeps ``m = N-1``; ``"error"`` raises :class:`DeviceError`
    naming the cell.

    Parameters
    ----------
    g_table_s : array (N,), siemens, optional
        The measured curve; give this or ``curve_csv``.
    curve_csv : str or Path, optional
        CSV file read by :func:`read_curve_csv`.
    scale_k : float or array, dimensionless, > 0
        Gain ``K`` (per cell allowed).  Default 1.
    offset_s : float or array, siemens, optional
        Per-cell conductance at ``m = 0`` before scaling (``shift_ij``).
        Default ``g_table_s[0]`` (then ``G = scale_k * g_table_s[m]``).
    v_threshold_v : float or array, volt, >= 0
        Programming threshold (magnitude).  The measured data carry no
        threshold; the default 0.6 V is a cosim choice that lets a 1 V write
        pass and keeps its V/2 and V/3 half-selects (0.5 V, 0.33 V) below it.
    polarity : {"positive", "negative"}
        Voltage sign that advances ``m``.
    on_overflow : {"clamp", "error"}
        What a pulse at ``m = N-1`` does.

    Raises
    ------
    DeviceError
        Neither or both of ``g_table_s`` and ``curve_csv``; a non-positive or
        non-finite table entry; a bad option; resulting conductances <= 0.

    Examples
    --------
    >>> dev = MeasuredCurve(g_table_s=[1e-6, 2e-6, 1.5e-6], v_threshold_v=0.5)
    >>> m = dev.advance(np.zeros(3), [1.0, 0.4, -1.0], 1e-6)
    >>> m, dev.conductance_s(m)
    (array([1., 0., 0.]), array([2.e-06, 1.e-06, 1.e-06]))
    """

    name: ClassVar[str] = "measured_curve"
    state_name: ClassVar[str] = "pulse_index"
    raises_conductance: str = "positive"
    ohmic: ClassVar[bool] = True
    #: One ``advance`` call is one pulse, whatever its duration: a caller must
    #: not split a pulse into sub-steps (each sub-step would count as a pulse).
    pulse_counted: ClassVar[bool] = True

    def __init__(
        self,
        *,
        g_table_s: Any = None,
        curve_csv: str | Path | None = None,
        scale_k: Any = 1.0,
        offset_s: Any = None,
        v_threshold_v: Any = 0.6,
        polarity: str = "positive",
        on_overflow: str = "clamp",
    ) -> None:
        n = self.name
        if (g_table_s is None) == (curve_csv is None):
            raise DeviceError(f"{n}: give exactly one of g_table_s and curve_csv")
        table = (
            read_curve_csv(curve_csv) if curve_csv is not None else as_param(n, "g_table_s", g_table_s, sign="positive")
        )
        if table.ndim != 1 or table.size < 2:
            raise DeviceError(f"{n}: g_table_s must be a 1-D table of at least 2 conductances, got shape {table.shape}")
        self.g_table_s = np.array(table, dtype=float)
        self.g_table_s.setflags(write=False)
        self.scale_k = as_param(n, "scale_k", scale_k, sign="positive")
        # raw curve: G = scale_k * g_table_s[m] exactly, with no rounding from
        # subtracting and re-adding g_table_s[0]
        self._raw = offset_s is None
        self.offset_s = as_param(n, "offset_s", self.g_table_s[0] if offset_s is None else offset_s)
        self.v_threshold_v = as_param(n, "v_threshold_v", v_threshold_v, sign="nonnegative")
        self.polarity = check_option(n, "polarity", polarity, ("positive", "negative"))
        self.on_overflow = check_option(n, "on_overflow", on_overflow, ("clamp", "error"))
        rises = self.g_table_s[-1] >= self.g_table_s[0]
        other = "negative" if polarity == "positive" else "positive"
        self.raises_conductance = polarity if rises else other
        g_min = self.scale_k * ((self.g_table_s.min() - self.g_table_s[0]) + self.offset_s)
        if np.any(g_min <= 0):
            raise DeviceError(
                f"{n}: offset_s {offset_s!r} makes some conductance <= 0 (minimum {float(np.min(g_min))!r} S)"
            )
        self._params = dict(
            g_table_s=self.g_table_s,
            curve_csv=None,
            scale_k=self.scale_k,
            offset_s=None if self._raw else self.offset_s,
            v_threshold_v=self.v_threshold_v,
            polarity=self.polarity,
            on_overflow=self.on_overflow,
        )
        self.curve_csv = None if curve_csv is None else str(curve_csv)

    def numeric_params(self) -> dict[str, np.ndarray]:
        """The per-cell parameters (the table itself is shared by all cells)."""
        return {"scale_k": self.scale_k, "offset_s": self.offset_s, "v_threshold_v": self.v_threshold_v}

    @property
    def n_points(self) -> int:
        """Number of table points N (the last index is N-1)."""
        return int(self.g_table_s.size)

    # -- state ---------------------------------------------------------
    def initial_state(self, shape: tuple[int, ...], rng: np.random.Generator | None = None) -> np.ndarray:
        """``m = 0`` everywhere."""
        return np.zeros(shape)

    def state_bounds(self) -> tuple[float, float]:
        """``(0, N-1)``."""
        return 0.0, float(self.n_points - 1)

    def check_state(self, state: Any) -> np.ndarray:
        """Bounds check plus: every index must be a whole number."""
        arr = super().check_state(state)
        frac = arr != np.round(arr)
        if frac.any():
            idx = first_bad_cell(frac)
            raise DeviceError(f"{self.name}: pulse_index {float(arr[idx])!r} at cell {idx} is not a whole number")
        return arr

    def state_from_resistance(self, r_ohm: Any) -> np.ndarray:
        """Not available: the table is not monotonic, so R does not fix m.
        Always raises :class:`DeviceError` (give the pulse index instead)."""
        raise DeviceError(
            f"{self.name}: the state is a pulse index and cannot be set from a resistance; give the index (e.g. --state0 0)"
        )

    def resistance_ohm(self, state: Any) -> np.ndarray:
        """``1 / conductance_s(state)`` in ohm."""
        return 1.0 / self.conductance_s(state)

    # -- electrical ----------------------------------------------------
    def conductance_s(self, state: Any) -> np.ndarray:
        """``scale_k * ((g_table_s[m] - g_table_s[0]) + offset_s)`` in siemens."""
        m = self.check_state(state).astype(np.intp)
        if self._raw:
            return self.scale_k * self.g_table_s[m]
        return self.scale_k * ((self.g_table_s[m] - self.g_table_s[0]) + self.offset_s)

    # -- dynamics ------------------------------------------------------
    def advance(
        self,
        state: Any,
        v_v: Any,
        duration_s: Any,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """Pulse index after one pulse of ``v_v`` (see the class docstring).

        Parameters
        ----------
        state : array of whole numbers in [0, N-1]
        v_v : float or array, volt, broadcast to the state
        duration_s : float or array, second, >= 0; only ``> 0`` matters
        rng : ignored (deterministic table)

        Raises
        ------
        DeviceError
            Bad state/voltage/duration (see :mod:`cosim.devices._common`), or a
            pulse past the last point with ``on_overflow="error"``.
        """
        m, v, t = prepare_advance(self, state, v_v, duration_s, self.numeric_params())
        drive = v if self.polarity == "positive" else -v
        fires = (drive > self.v_threshold_v) & (t > 0)
        over = fires & (m >= self.n_points - 1)
        if over.any() and self.on_overflow == "error":
            idx = first_bad_cell(over)
            raise DeviceError(
                f"{self.name}: cell {idx} is already at the last point (pulse index {self.n_points - 1}) "
                f"of the {self.n_points}-point curve; on_overflow='error'"
            )
        return np.where(fires & ~over, m + 1.0, m)
