"""Measured pulse trains: reading them from CSV and replaying them through a model.

CSV format (one header line; ``#`` lines are comments)::

    train,amplitude_v,width_s,resistance_ohm
    a,0,0,11000          # first row of a train without r0_ohm: the initial read (no pulse)
    a,-1.2,1e-6,10412.5  # then one row per pulse: the pulse and the resistance read after it
    ...

Columns: ``amplitude_v`` (device voltage of the pulse, volt), ``width_s``
(second, >= 0), and either ``resistance_ohm`` or ``current_a`` with
``v_read_v`` (a read current; R = v_read / I).  Optional: ``train`` (any
label; rows keep their file order within a train; default: one train) and
``r0_ohm`` (the train's initial resistance; then every row is a pulse).
Every error names the file, the line and the column.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cosim.devices.base import DeviceError, DeviceModel

_NUMERIC = ("amplitude_v", "width_s", "resistance_ohm", "current_a", "v_read_v", "r0_ohm")


class PulseDataError(DeviceError):
    """A malformed pulse-data file or table; the message names line and column."""


@dataclass
class PulseData:
    """Pulse trains: per train the initial resistance and, per pulse, amplitude, width, R after it.

    Attributes
    ----------
    trains : list of str
        Train labels, in order of first appearance.
    r0_ohm : ndarray (n_trains,)
        Initial resistance of each train, ohm.
    amplitude_v, width_s, resistance_ohm : list of ndarray
        Per train, one entry per pulse (volt, second, ohm).
    source : str
        Where the data came from (file path or "table").
    """

    trains: list[str]
    r0_ohm: np.ndarray
    amplitude_v: list[np.ndarray]
    width_s: list[np.ndarray]
    resistance_ohm: list[np.ndarray]
    source: str = "table"
    lines: list[np.ndarray] = field(default_factory=list)

    @property
    def n_pulses(self) -> int:
        """Total number of pulses over all trains."""
        return int(sum(a.size for a in self.amplitude_v))

    def subset(self, trains: list[str]) -> PulseData:
        """The trains named in ``trains`` (``PulseDataError`` for an unknown label)."""
        idx = []
        for t in trains:
            if t not in self.trains:
                raise PulseDataError(f"{self.source}: no train {t!r}; trains: {', '.join(self.trains)}")
            idx.append(self.trains.index(t))
        return PulseData(
            [self.trains[i] for i in idx],
            self.r0_ohm[idx],
            [self.amplitude_v[i] for i in idx],
            [self.width_s[i] for i in idx],
            [self.resistance_ohm[i] for i in idx],
            self.source,
            [self.lines[i] for i in idx] if self.lines else [],
        )

    def mirrored(self) -> PulseData:
        """The same trains with every amplitude negated."""
        return PulseData(
            list(self.trains),
            self.r0_ohm.copy(),
            [-a for a in self.amplitude_v],
            [w.copy() for w in self.width_s],
            [r.copy() for r in self.resistance_ohm],
            self.source,
            list(self.lines),
        )

    def padded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(amplitude, width, mask)`` as (n_pulses_max, n_trains) arrays; padding has width 0."""
        n = max(a.size for a in self.amplitude_v)
        amp = np.zeros((n, len(self.trains)))
        wid = np.zeros_like(amp)
        mask = np.zeros(amp.shape, dtype=bool)
        for j, (a, w) in enumerate(zip(self.amplitude_v, self.width_s)):
            amp[: a.size, j], wid[: a.size, j], mask[: a.size, j] = a, w, True
        return amp, wid, mask


def _num(path: str, line: int, col: str, text: str) -> float:
    try:
        val = float(text)
    except ValueError:
        raise PulseDataError(f"{path} line {line}, column {col}: {text!r} is not a number") from None
    if not np.isfinite(val):
        raise PulseDataError(f"{path} line {line}, column {col}: {text!r} is not a finite number")
    return val


def read_pulse_csv(path: str | Path) -> PulseData:
    """Pulse trains from a CSV file (module docstring for the format).

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    PulseDataError
        Missing columns, a non-numeric or out-of-range value (line and
        column named), a train without pulses, an initial row that is a pulse.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"pulse data {str(path)!r} not found")
    name = str(path)
    with path.open(newline="") as fh:
        rows = [(k + 1, r) for k, r in enumerate(csv.reader(fh))]
    rows = [
        (k, [c.strip() for c in r])
        for k, r in rows
        if r and not r[0].strip().startswith("#") and any(c.strip() for c in r)
    ]
    if not rows:
        raise PulseDataError(f"{name}: empty file (expected a header line)")
    header_line, header = rows[0]
    unknown = [c for c in header if c not in _NUMERIC + ("train", "pulse")]
    if unknown:
        raise PulseDataError(
            f"{name} line {header_line}: unknown column(s) {', '.join(map(repr, unknown))}; "
            f"allowed: train, pulse, {', '.join(_NUMERIC)}"
        )
    for need in ("amplitude_v", "width_s"):
        if need not in header:
            raise PulseDataError(f"{name} line {header_line}: missing column {need!r}")
    if "resistance_ohm" not in header and not {"current_a", "v_read_v"} <= set(header):
        raise PulseDataError(
            f"{name} line {header_line}: needs a column 'resistance_ohm', or 'current_a' and 'v_read_v'"
        )
    col = {c: i for i, c in enumerate(header)}
    groups: dict[str, list[tuple[int, dict[str, float]]]] = {}
    for line, r in rows[1:]:
        if len(r) != len(header):
            raise PulseDataError(f"{name} line {line}: {len(r)} fields, the header has {len(header)}")
        vals = {c: _num(name, line, c, r[i]) for c, i in col.items() if c in _NUMERIC}
        if vals["width_s"] < 0:
            raise PulseDataError(f"{name} line {line}, column width_s: {r[col['width_s']]!r} must be >= 0")
        if "resistance_ohm" in vals:
            res = vals["resistance_ohm"]
            if res <= 0:
                raise PulseDataError(
                    f"{name} line {line}, column resistance_ohm: {r[col['resistance_ohm']]!r} must be > 0"
                )
        else:
            if vals["v_read_v"] == 0:
                raise PulseDataError(f"{name} line {line}, column v_read_v: the read voltage must not be 0")
            res = vals["v_read_v"] / vals["current_a"] if vals["current_a"] != 0 else -1.0
            if res <= 0:
                raise PulseDataError(
                    f"{name} line {line}, column current_a: {r[col['current_a']]!r} gives R = v_read_v / current_a <= 0"
                )
        vals["resistance_ohm"] = res
        if "r0_ohm" in vals and vals["r0_ohm"] <= 0:
            raise PulseDataError(f"{name} line {line}, column r0_ohm: {r[col['r0_ohm']]!r} must be > 0")
        train = r[col["train"]] if "train" in col else "0"
        groups.setdefault(train, []).append((line, vals))
    if not groups:
        raise PulseDataError(f"{name}: no data rows after the header")
    trains, r0, amps, wids, res_l, lines = [], [], [], [], [], []
    for train, items in groups.items():
        if "r0_ohm" in col:
            r0s = {v["r0_ohm"] for _, v in items}
            if len(r0s) != 1:
                raise PulseDataError(
                    f"{name} line {items[0][0]}, column r0_ohm: train {train!r} has {len(r0s)} different r0_ohm values"
                )
            start, pulses = r0s.pop(), items
        else:
            (l0, v0), pulses = items[0], items[1:]
            if v0["amplitude_v"] != 0 or v0["width_s"] != 0:
                raise PulseDataError(
                    f"{name} line {l0}, column amplitude_v: the first row of train {train!r} is its initial "
                    f"read and must have amplitude_v = 0 and width_s = 0 (or give an r0_ohm column)"
                )
            start = v0["resistance_ohm"]
        if not pulses:
            raise PulseDataError(f"{name} line {items[0][0]}: train {train!r} has no pulses")
        trains.append(train)
        r0.append(start)
        amps.append(np.array([v["amplitude_v"] for _, v in pulses]))
        wids.append(np.array([v["width_s"] for _, v in pulses]))
        res_l.append(np.array([v["resistance_ohm"] for _, v in pulses]))
        lines.append(np.array([ln for ln, _ in pulses]))
    return PulseData(trains, np.array(r0), amps, wids, res_l, name, lines)


def write_pulse_csv(path: str | Path, data: PulseData) -> None:
    """Write ``data`` in the CSV format above (train, r0_ohm column), via a temp file and rename."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["train", "amplitude_v", "width_s", "resistance_ohm", "r0_ohm"])
        for t, r0, a, wd, r in zip(data.trains, data.r0_ohm, data.amplitude_v, data.width_s, data.resistance_ohm):
            for k in range(a.size):
                w.writerow([t, repr(float(a[k])), repr(float(wd[k])), repr(float(r[k])), repr(float(r0))])
    tmp.replace(path)


def _resistance(model: DeviceModel, state: np.ndarray) -> np.ndarray:
    conv = getattr(model, "resistance_ohm", None)
    return conv(state) if conv is not None else 1.0 / model.conductance_s(state)


def simulate_trains(model: DeviceModel, data: PulseData, *, clip_r0: bool = False) -> list[np.ndarray]:
    """Resistance (ohm) after every pulse of every train, replayed through ``model``.

    All trains advance together (one ``advance`` call per pulse index over
    a state vector of the trains; shorter trains are padded with width 0).

    Parameters
    ----------
    model : DeviceModel with ``state_from_resistance``
    data : PulseData
    clip_r0 : bool
        Clip each train's initial resistance into the model's range first
        (used while fitting, when trial parameters may not reach it).

    Raises
    ------
    DeviceError
        The model cannot start from a resistance, or ``r0`` is outside its range.
    """
    if not hasattr(model, "state_from_resistance"):
        raise DeviceError(f"{model.name}: cannot start from a measured resistance (no state_from_resistance)")
    r0 = np.asarray(data.r0_ohm, dtype=float)
    if clip_r0:
        lo, hi = model.state_bounds()
        r_a, r_b = _resistance(model, np.asarray(lo, float)), _resistance(model, np.asarray(hi, float))
        r_lo, r_hi = np.minimum(r_a, r_b), np.maximum(r_a, r_b)
        r0 = np.clip(r0, r_lo * (1 + 1e-12), r_hi * (1 - 1e-12) if np.isfinite(r_hi) else np.inf)
    state = np.asarray(model.state_from_resistance(r0), dtype=float)
    amp, wid, mask = data.padded()
    out = np.empty(amp.shape)
    for k in range(amp.shape[0]):
        state = model.advance(state, amp[k], wid[k])
        out[k] = _resistance(model, state)
    return [out[mask[:, j], j] for j in range(len(data.trains))]


def pulse_data_from_model(
    model: DeviceModel,
    r0_ohm: Any,
    trains: list[tuple[np.ndarray, np.ndarray]],
    *,
    noise_rel: float = 0.0,
    rng: np.random.Generator | None = None,
    labels: list[str] | None = None,
) -> PulseData:
    """Synthetic pulse data: ``model`` replayed on ``trains`` (each ``(amplitude_v, width_s)`` arrays)
    from ``r0_ohm`` (one per train), with optional multiplicative log-normal read noise of
    relative size ``noise_rel`` drawn from ``rng`` (a seeded Generator, required when noise_rel > 0)."""
    r0 = np.broadcast_to(np.asarray(r0_ohm, dtype=float), (len(trains),)).copy()
    labels = labels or [f"t{k}" for k in range(len(trains))]
    data = PulseData(
        labels,
        r0,
        [np.asarray(a, float) for a, _ in trains],
        [np.broadcast_to(np.asarray(w, float), np.shape(a)).copy() for a, w in trains],
        [np.zeros(np.shape(a)) for a, _ in trains],
        "synthetic",
    )
    res = simulate_trains(model, data)
    if noise_rel > 0:
        if rng is None:
            raise DeviceError("pulse_data_from_model: noise_rel > 0 needs a seeded rng (numpy.random.Generator)")
        res = [r * np.exp(noise_rel * rng.standard_normal(r.shape)) for r in res]
    data.resistance_ohm = res
    return data


def sine_iv_loop(
    model: DeviceModel,
    state0: Any,
    amplitude_v: float,
    freq_hz: float,
    *,
    periods: int = 1,
    steps_per_period: int = 400,
) -> dict[str, np.ndarray]:
    """Current-voltage loop of one device under ``v(t) = amplitude_v sin(2 pi freq_hz t)``.

    The voltage is held at its midpoint value over each of the
    ``steps_per_period`` steps of a period (the state moves with
    ``model.advance``; error O(step^2) in the state), and the current is
    ``model.current_a`` at the step's end.

    Returns
    -------
    dict with ``t_s``, ``v_v``, ``i_a``, ``state`` : ndarray (periods * steps_per_period + 1,)

    Raises
    ------
    DeviceError
        Non-finite amplitude, non-positive frequency or step counts.
    """
    if not np.isfinite(amplitude_v):
        raise DeviceError(f"sine_iv_loop: amplitude {amplitude_v!r} V is not a finite number")
    if not (np.isfinite(freq_hz) and freq_hz > 0):
        raise DeviceError(f"sine_iv_loop: frequency {freq_hz!r} Hz must be finite and > 0")
    if int(periods) < 1 or int(steps_per_period) < 8:
        raise DeviceError(
            f"sine_iv_loop: periods >= 1 and steps_per_period >= 8, got {periods!r}, {steps_per_period!r}"
        )
    n = int(periods) * int(steps_per_period)
    dt = 1.0 / (freq_hz * steps_per_period)
    t = np.arange(n + 1) * dt
    v = amplitude_v * np.sin(2 * np.pi * freq_hz * t)
    v_mid = amplitude_v * np.sin(2 * np.pi * freq_hz * (t[:-1] + 0.5 * dt))
    s = np.empty(n + 1)
    s[0] = float(np.asarray(model.check_state(state0)))
    state = np.asarray(s[0])
    for k in range(n):
        state = model.advance(state, v_mid[k], dt)
        s[k + 1] = float(state)
    return {"t_s": t, "v_v": v, "i_a": np.asarray(model.current_a(s, v), dtype=float), "state": s}
