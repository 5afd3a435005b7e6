"""Predict-write-verify programming of many crossbar cells at once.

For each cell to program to a target resistance ``R_t``: read it, choose from
a list of pulse options (amplitude, width) the one whose *predicted* result
lands nearest ``R_t``, apply it, read again; stop when
``|R - R_t| / R_t < tolerance`` or after ``max_steps`` pulses. This is
NeuroPack's weight-update loop (``core_LIF_supervisedlearning_wta.plast`` with
``memristorPulses.BestPulseChoice``), here vectorised over all cells of an
update: the only Python loops are over steps and over pulse groups (lines x
options), never over cells.

Steps (per call, for the cells still outside tolerance)
-------------------------------------------------------
1. **Read** every row holding an active cell: one batch read, row ``i``
   driven at ``v_read_v`` and every other word line at 0 V, bit lines at
   virtual ground; ``G_ij = I_j / v_read_v``, ``R = 1 / G``. Read noise is
   the array's (``CrossbarArray(read_noise=...)``); on a circuit backend the
   read includes the wires' IR drop, as a real row read would.
2. **Polarity**: cells with ``R > R_t`` take the options whose polarity
   raises the conductance (``model.raises_conductance``; negative for the
   Messaris card), the others the opposite polarity. As in NeuroPack there is
   no "do nothing" option: a cell outside tolerance always gets a pulse.
3. **Predict** ``R`` after each option of that polarity with the device
   model's exact ``advance`` started from the *read* resistance (the
   controller knows only what it reads):

   * ``predictor="nominal"`` (NeuroPack's): the device sees the option's
     nominal amplitude;
   * ``predictor="circuit"`` (new): the device sees what the circuit will
     deliver. The array is asked for the device voltages of a *candidate*
     bias -- per line group (see 4) and polarity, every active cell of that
     group selected -- without applying it. For linear 1R arrays with ohmic
     devices every voltage in the circuit is proportional to the bias
     amplitude, so one solve at 1 V gives each cell's ratio
     ``v_device / v_nominal`` and the prediction for every amplitude uses
     ``ratio * amplitude`` (``circuit_solves="linear"``, one solve per group
     per step). Non-linear cells (1S1R selectors, non-ohmic models) take one
     solve per distinct amplitude (``"per_amplitude"``). The pulses actually
     applied select only the cells that chose a given option, a subset of the
     candidate selection, so the prediction is approximate where the
     selection pattern changes the IR drop; disturbance by the *other*
     pulses of the step (half-selected under V/2) and the read's own IR drop
     (the prediction starts from the read) are not predicted either. Tested:
     on a 16 x 16 array with 20-ohm segments its prediction error is about a
     third of the nominal predictor's.
4. **Apply**. A single bias can only fully select a block of cells (every
   selected word line crosses every selected bit line), so cells are grouped
   per option and per line: ``grouping="row"`` gives one pulse per (word line,
   option) selecting the cells of that row that chose the option;
   ``"col"`` one per (bit line, option); ``"auto"`` (default) takes, per
   option, whichever axis needs fewer pulses. Polarity is part of the option
   (its amplitude's sign). Under a passive scheme (``"v2"``, ``"v3"``,
   ``"floating"``) on a circuit backend every half-selected cell on the
   selected lines is disturbed by what the circuit gives it; on the ideal
   backend only the selected cells move (ideal selectors). On the ideal
   backend groups of equal width on different lines are merged into one
   ideal-selector bias (each line at its own amplitude, ``merge="auto"``):
   the devices see exactly what separate pulses would give them, in fewer
   array calls.
5. **Verify**: read again (step 1 of the next round); cells now within
   tolerance stop.

The loop runs at most ``max_steps`` rounds, so a cell gets at most
``max_steps`` pulses; a cell within tolerance at the first read gets none.

The same plan runs standalone (:func:`verified_write`) or on the engine's
time line as a composite event (:class:`VerifiedWrite`), whose reads and
writes are then recorded in the trace.

Examples
--------
>>> import numpy as np
>>> from cosim.array import CrossbarArray
>>> from cosim.devices import Messaris2017, NEUROPACK_2022
>>> arr = CrossbarArray(Messaris2017(**NEUROPACK_2022), np.full((2, 3), 11000.0))
>>> rep = verified_write(arr, [0, 1], [2, 0], [10000.0, 11050.0], tolerance=0.01)
>>> rep.converged.tolist(), rep.steps.tolist()     # 11050 is already within 1 %
([True, True], [2, 0])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cosim.engine.events import Composite, Pulse, Read, Write

__all__ = [
    "PulseOption",
    "NEUROPACK_OPTIONS",
    "WriteReport",
    "VerifiedWriteError",
    "verified_write",
    "read_cells",
    "VerifiedWrite",
    "options_from_lists",
]


class VerifiedWriteError(ValueError):
    """Bad input to a verified write; the message names the offending value."""


@dataclass(frozen=True)
class PulseOption:
    """One pulse the controller may apply: ``amplitude_v`` (sign = polarity) for ``width_s``."""

    amplitude_v: float
    width_s: float


def options_from_lists(amplitudes_v: Sequence[float], widths_s: Sequence[float]) -> tuple[PulseOption, ...]:
    """Pulse options from parallel lists (NeuroPack's ``*VOLTOFPULSELIST`` / ``*PULSEWIDTHOFPULSELIST``).

    Raises ``VerifiedWriteError`` for lists of different lengths, a zero or
    non-finite amplitude, or a non-positive width.
    """
    amps = [float(a) for a in amplitudes_v]
    widths = [float(w) for w in widths_s]
    if len(amps) != len(widths):
        raise VerifiedWriteError(f"{len(amps)} pulse amplitudes but {len(widths)} widths")
    if not amps:
        raise VerifiedWriteError("no pulse options given")
    for a, w in zip(amps, widths):
        if not np.isfinite(a) or a == 0:
            raise VerifiedWriteError(f"pulse amplitude must be a finite, non-zero voltage, got {a!r}")
        if not np.isfinite(w) or w <= 0:
            raise VerifiedWriteError(f"pulse width must be a finite duration > 0 s, got {w!r}")
    return tuple(PulseOption(a, w) for a, w in zip(amps, widths))


#: NeuroPack's options (MNIST_LIF.json): +-0.9, +-1.1, +-1.2 (x4) V for 1, 1, 1, 5, 10, 50 us.
NEUROPACK_OPTIONS: tuple[PulseOption, ...] = options_from_lists(
    [0.9, 1.1, 1.2, 1.2, 1.2, 1.2, -0.9, -1.1, -1.2, -1.2, -1.2, -1.2],
    [1e-6, 1e-6, 1e-6, 5e-6, 1e-5, 5e-5] * 2,
)


@dataclass
class WriteReport:
    """Outcome of one verified write of ``n`` cells.

    Attributes
    ----------
    rows, cols : ndarray of int, (n,)
        The cells.
    r_target_ohm : ndarray, (n,)
        Target resistances.
    r_initial_ohm, r_final_ohm : ndarray, (n,)
        First and last read resistance of each cell (what the controller saw).
    steps : ndarray of int, (n,)
        Pulses applied to each cell (= steps it used, <= ``max_steps``).
    rel_error : ndarray, (n,)
        Final ``|R_read - R_t| / R_t`` (from the last read).
    converged : ndarray of bool, (n,)
        ``rel_error < tolerance``.
    n_pulses : int
        Biases applied (each pulses one group of cells).
    n_read_vectors : int
        Read vectors applied (one per row read).
    n_solves : int
        Extra circuit solves the circuit-aware predictor asked for.
    energy_j : float
        Energy the array dissipated during the call (pulses and reads, cells and wires), joule.
    energy_cell_j : ndarray, (n,)
        Energy dissipated in each programmed cell by its own pulses,
        ``sum v_device**2 * G * width`` over its pulses, joule.
    r_history_ohm : ndarray, (max_steps + 1, n)
        Read resistance after each step (row 0: the first read); NaN once a
        cell has stopped.
    option_history : ndarray of int, (max_steps, n)
        Index into ``options`` of the pulse applied at each step; -1 for none.
    predicted_ohm : ndarray, (max_steps, n)
        The predicted resistance of the chosen option at each step; NaN for none.
    """

    rows: np.ndarray
    cols: np.ndarray
    r_target_ohm: np.ndarray
    r_initial_ohm: np.ndarray
    r_final_ohm: np.ndarray
    steps: np.ndarray
    rel_error: np.ndarray
    converged: np.ndarray
    n_pulses: int
    n_read_vectors: int
    n_solves: int
    energy_j: float
    energy_cell_j: np.ndarray
    r_history_ohm: np.ndarray
    option_history: np.ndarray
    predicted_ohm: np.ndarray
    options: tuple = field(default=(), repr=False)

    @property
    def n_cells(self) -> int:
        return int(self.rows.size)

    def summary(self) -> dict:
        """JSON-ready totals: cells, converged fraction, mean steps, pulses, reads, energy."""
        n = max(self.n_cells, 1)
        return {
            "cells": self.n_cells,
            "converged_fraction": float(self.converged.sum() / n),
            "mean_steps": float(self.steps.sum() / n),
            "mean_rel_error": float(self.rel_error.mean()) if self.n_cells else 0.0,
            "pulses": int(self.n_pulses),
            "read_vectors": int(self.n_read_vectors),
            "predictor_solves": int(self.n_solves),
            "energy_j": float(self.energy_j),
        }


def _check_cells(array, rows, cols, r_target_ohm):
    rows = np.atleast_1d(np.asarray(rows))
    cols = np.atleast_1d(np.asarray(cols))
    target = np.atleast_1d(np.asarray(r_target_ohm, dtype=float))
    if rows.ndim != 1 or rows.shape != cols.shape or rows.shape != target.shape:
        raise VerifiedWriteError(
            f"rows, cols and r_target_ohm must be 1-D of one length, got shapes {rows.shape}, {cols.shape}, {target.shape}"
        )
    for name, idx, n in (("row", rows, array.rows), ("col", cols, array.cols)):
        if idx.size and (not np.issubdtype(idx.dtype, np.integer)):
            raise VerifiedWriteError(f"{name} indices must be integers, got dtype {idx.dtype}")
        bad = idx[(idx < 0) | (idx >= n)]
        if bad.size:
            raise VerifiedWriteError(f"{name} index {int(bad[0])} out of range 0..{n - 1}")
    bad = ~np.isfinite(target) | (target <= 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise VerifiedWriteError(f"r_target_ohm must be finite and > 0 ohm, got {float(target[k])!r} for cell {k}")
    flat = rows.astype(np.int64) * array.cols + cols.astype(np.int64)
    if np.unique(flat).size != flat.size:
        k = int(np.flatnonzero(np.bincount(np.unique(flat, return_inverse=True)[1]) > 1)[0])
        dup = np.unique(flat)[k]
        raise VerifiedWriteError(f"cell ({dup // array.cols}, {dup % array.cols}) is listed twice")
    return rows.astype(np.int64), cols.astype(np.int64), target


def _r_from_currents(currents_a: np.ndarray, v_read_v: float) -> np.ndarray:
    """Resistance from a row read's currents; inf where no (or negative) current flows."""
    g = currents_a / v_read_v
    with np.errstate(divide="ignore"):
        return np.where(g > 0, 1.0 / np.where(g > 0, g, 1.0), np.inf)


def _row_read_vectors(rows_unique: np.ndarray, n_rows: int, v_read_v: float) -> np.ndarray:
    v = np.zeros((rows_unique.size, n_rows))
    v[np.arange(rows_unique.size), rows_unique] = v_read_v
    return v


def read_cells(array, rows, cols, *, v_read_v: float = 0.2) -> np.ndarray:
    """Read the resistance of cells ``(rows[k], cols[k])`` with one batch of row reads.

    Each distinct row is read by driving it at ``v_read_v`` with every other
    word line at 0 V (bit lines at virtual ground); ``R = v_read_v / I``.
    Read noise and, on circuit backends, wire IR drop are included.

    Returns
    -------
    ndarray, (n,), ohm (inf where no current flows).
    """
    rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
    cols = np.atleast_1d(np.asarray(cols, dtype=np.int64))
    uniq, inv = np.unique(rows, return_inverse=True)
    currents = np.atleast_2d(array.read(_row_read_vectors(uniq, array.rows, v_read_v)))
    return _r_from_currents(currents[inv, cols], v_read_v)


def _device_voltages(array, bias) -> np.ndarray:
    """Device voltages (rows, cols) the array would see under ``bias``, without applying it."""
    return np.asarray(array.cell_voltages_v(bias), dtype=float)


def _split_by(key: np.ndarray, idx: np.ndarray):
    """Yield (value, idx[key == value]) for every distinct value of ``key`` (sorted)."""
    order = np.argsort(key, kind="stable")
    ks = key[order]
    for grp in np.split(order, np.flatnonzero(np.diff(ks)) + 1):
        yield int(key[grp[0]]), idx[grp]


def _line_packs(lines: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Pack index of each cell so that, within a pack, a line carries one level.

    Cells on one line with the same level share a pack; the ``r``-th distinct
    level of a line goes to pack ``r``. Vectorised (no loop over cells).
    """
    key = np.stack([lines, levels])
    uniq, inv = np.unique(key, axis=1, return_inverse=True)
    # rank of each distinct (line, level) pair among the pairs of its line (uniq is sorted by line)
    first = np.searchsorted(uniq[0], uniq[0], side="left")
    rank = np.arange(uniq.shape[1]) - first
    return rank[np.ravel(inv)]


@dataclass
class _Plan:
    array: Any  # a cosim.array.CrossbarArray
    rows: np.ndarray
    cols: np.ndarray
    target: np.ndarray
    options: tuple
    tolerance: float
    max_steps: int
    predictor: str
    scheme: str
    grouping: str
    v_read_v: float
    circuit_solves: str
    r_initial: np.ndarray | None = None
    merge: bool = False
    batch: bool = False  # run standalone: the pulses of a step may go to the array as one batch


@dataclass
class _LineBatch:
    """The ideal-selector pulses of one step, for the array to apply together when it can.

    ``writes`` holds one ``(Write event, rows, cols)`` per pulse; the answer
    is one array of per-cell energies per pulse (see :func:`_cell_energy`).
    """

    writes: list


def _cell_energy(model, state_before, v_device_v, width_s) -> np.ndarray:
    """Energy each programmed cell dissipated in its own pulse: ``v_device**2 * G_before * width``, joule."""
    return v_device_v**2 * model.conductance_s(state_before) * width_s


def _state_from_r(model, r: np.ndarray) -> np.ndarray:
    lo, hi = model.state_bounds()
    r = np.clip(r, np.min(lo), np.max(hi))
    conv = getattr(model, "state_from_resistance", None)
    return conv(r) if conv is not None else r


def _r_from_state(model, s: np.ndarray) -> np.ndarray:
    conv = getattr(model, "resistance_ohm", None)
    return conv(s) if conv is not None else 1.0 / model.conductance_s(s)


def _plan(p: _Plan):
    """Generator of the verified write: yields Read / Write events, returns a WriteReport."""
    array, model = p.array, p.array.model
    n = p.rows.size
    amps = np.array([o.amplitude_v for o in p.options])
    widths = np.array([o.width_s for o in p.options])
    raise_sign = -1.0 if model.raises_conductance == "negative" else 1.0
    e0 = array.energy_j
    hist = np.full((p.max_steps + 1, n), np.nan)
    opt_hist = np.full((p.max_steps, n), -1, dtype=np.int64)
    pred_hist = np.full((p.max_steps, n), np.nan)
    steps = np.zeros(n, dtype=np.int64)
    e_cell = np.zeros(n)
    n_pulses = n_reads = n_solves = 0

    def read(idx):
        nonlocal n_reads
        uniq, inv = np.unique(p.rows[idx], return_inverse=True)
        cur = yield Read(_row_read_vectors(uniq, array.rows, p.v_read_v), label="verify")
        n_reads += uniq.size
        return _r_from_currents(np.atleast_2d(cur)[inv, p.cols[idx]], p.v_read_v)

    r_read = np.full(n, np.nan)
    if p.r_initial is not None:
        r_read[:] = p.r_initial
    elif n:
        r_read[:] = yield from read(np.arange(n))
    hist[0] = r_read
    r_initial = r_read.copy()
    for step in range(p.max_steps):
        rel = np.abs(r_read - p.target) / p.target
        active = np.flatnonzero(~(rel < p.tolerance))
        if active.size == 0:
            break
        want_raise_g = r_read[active] > p.target[active]
        pol = np.where(want_raise_g, raise_sign, -raise_sign)  # sign of the pulse each cell takes
        ratio = np.ones(active.size)
        ratio_by_amp: dict[float, np.ndarray] = {}
        if p.predictor == "circuit":
            ratio, ratio_by_amp, solves = _circuit_ratios(p, active, pol, amps)
            n_solves += solves
        # predicted resistance for every option (k, cells); options of the wrong polarity excluded
        s0 = _state_from_r(model, r_read[active])
        v_eff = amps[:, None] * ratio[None, :]
        if ratio_by_amp:
            for a, rat in ratio_by_amp.items():
                v_eff[amps == a] = a * rat[None, :]
        s_pred = model.advance(np.broadcast_to(s0, v_eff.shape), v_eff, widths[:, None])
        r_pred = _r_from_state(model, s_pred)
        dist = np.abs(r_pred - p.target[active][None, :])
        dist[np.sign(amps)[:, None] != pol[None, :]] = np.inf
        choice = np.argmin(dist, axis=0)
        opt_hist[step, active] = choice
        pred_hist[step, active] = r_pred[choice, np.arange(active.size)]
        pulses = list(_pulse_events(p, active, choice, amps, widths))
        if p.batch and not p.merge and p.scheme == "ideal":
            energies = yield _LineBatch([(ev, p.rows[cells], p.cols[cells]) for ev, cells in pulses])
            for (_, cells), e in zip(pulses, energies):
                e_cell[cells] += e
            n_pulses += len(pulses)
        else:
            for event, cells in pulses:
                report = yield event
                n_pulses += 1
                rc = (p.rows[cells], p.cols[cells])
                e_cell[cells] += _cell_energy(model, report.state_before[rc], report.v_device_v[rc], report.width_s)
        steps[active] += 1
        r_read[active] = yield from read(active)
        hist[step + 1, active] = r_read[active]
    rel = np.abs(r_read - p.target) / p.target
    return WriteReport(
        rows=p.rows,
        cols=p.cols,
        r_target_ohm=p.target,
        r_initial_ohm=r_initial,
        r_final_ohm=r_read,
        steps=steps,
        rel_error=rel,
        converged=rel < p.tolerance,
        n_pulses=n_pulses,
        n_read_vectors=n_reads,
        n_solves=n_solves,
        energy_j=array.energy_j - e0,
        energy_cell_j=e_cell,
        r_history_ohm=hist,
        option_history=opt_hist,
        predicted_ohm=pred_hist,
        options=p.options,
    )


def _pulse_events(p: _Plan, active: np.ndarray, choice: np.ndarray, amps: np.ndarray, widths: np.ndarray):
    """The pulses of one step: yields (event, indices of the cells it programs).

    A bias fully selects a block (every selected word line crosses every
    selected bit line), so without merging a pulse programs the cells of one
    option on one line: one :class:`Write` per (option, line), the line axis
    chosen by ``p.grouping`` (``"auto"``: per option, the axis with fewer
    distinct lines).

    With merging (the ideal backend: ideal selectors, no wires, so pulses on
    disjoint cells cannot interact), all cells of one pulse width are packed
    into as few ideal-selector biases as possible: along word lines (each
    selected word line at its cells' amplitude, bit lines at 0 V) or along bit
    lines (each selected bit line at minus the amplitude, word lines at 0 V),
    whichever needs fewer biases; a line carries one amplitude per bias. The
    selected mask is exactly the cells, so each device sees its own option's
    voltage for its width, as separate pulses would give it.
    """
    from cosim.netlist.bias import Bias

    rows, cols = p.rows[active], p.cols[active]
    if not p.merge:
        for k in np.unique(choice):
            m = np.flatnonzero(choice == k)
            axis = p.grouping
            if axis == "auto":
                axis = "row" if np.unique(rows[m]).size <= np.unique(cols[m]).size else "col"
            key = rows[m] if axis == "row" else cols[m]
            for line, grp in _split_by(key, m):
                rows_sel = line if axis == "row" else rows[grp]
                cols_sel = cols[grp] if axis == "row" else line
                yield (
                    Write(rows_sel, cols_sel, float(amps[k]), float(widths[k]), p.scheme, label="program"),
                    active[grp],
                )
        return
    shape = p.array.shape
    for w in np.unique(widths[choice]):
        m = np.flatnonzero(widths[choice] == w)
        level = choice[m]  # option index stands for its amplitude (equal width)
        packs_r = _line_packs(rows[m], level)
        packs_c = _line_packs(cols[m], level)
        by_row = packs_r.max() <= packs_c.max() if p.grouping == "auto" else p.grouping == "row"
        packs = packs_r if by_row else packs_c
        for r in range(int(packs.max()) + 1):
            sel_idx = m[packs == r]
            wl = np.zeros(shape[0])
            bl = np.zeros(shape[1])
            a = amps[choice[sel_idx]]
            if by_row:
                wl[rows[sel_idx]] = a
            else:
                bl[cols[sel_idx]] = -a
            sel = np.zeros(shape, dtype=bool)
            sel[rows[sel_idx], cols[sel_idx]] = True
            gate = np.zeros(shape[0], dtype=bool)
            gate[rows[sel_idx]] = True
            bias = Bias(wordline_v=wl, bitline_v=bl, gate_on=gate, selected=sel, ideal_selector=True)
            yield Pulse(bias, float(w), label="program"), active[sel_idx]


def _circuit_ratios(p: _Plan, active: np.ndarray, pol: np.ndarray, amps: np.ndarray):
    """v_device / v_nominal per active cell from candidate-bias solves (see module doc)."""
    from cosim.netlist.bias import write_bias

    array = p.array
    ratio = np.ones(active.size)
    by_amp: dict[float, np.ndarray] = {}
    linear = p.circuit_solves == "linear"
    cand_amps = [1.0] if linear else sorted({float(a) for a in amps})
    solves = 0
    for sign in (-1.0, 1.0):
        sel = np.flatnonzero(pol == sign)
        if sel.size == 0:
            continue
        cells = active[sel]
        axis = p.grouping
        if axis == "auto":
            axis = "row" if np.unique(p.rows[cells]).size <= np.unique(p.cols[cells]).size else "col"
        for line, idx in _split_by(p.rows[cells] if axis == "row" else p.cols[cells], sel):
            c = active[idx]
            rows_sel = line if axis == "row" else p.rows[c]
            cols_sel = p.cols[c] if axis == "row" else line
            for a in cand_amps:
                if not linear and np.sign(a) != sign:
                    continue
                bias = write_bias(p.scheme, array.shape, rows_sel, cols_sel, a)
                v = _device_voltages(array, bias)[p.rows[c], p.cols[c]]
                solves += 1
                if linear:
                    ratio[idx] = v / a
                else:
                    by_amp.setdefault(a, np.ones(active.size))[idx] = v / a
    return ratio, by_amp, solves


def _make_plan(
    array,
    rows,
    cols,
    r_target_ohm,
    *,
    options,
    tolerance,
    max_steps,
    predictor,
    scheme,
    grouping,
    v_read_v,
    circuit_solves,
    r_initial_ohm=None,
    merge="auto",
) -> _Plan:
    rows, cols, target = _check_cells(array, rows, cols, r_target_ohm)
    if r_initial_ohm is not None:
        r_initial_ohm = np.atleast_1d(np.asarray(r_initial_ohm, dtype=float))
        if r_initial_ohm.shape != target.shape:
            raise VerifiedWriteError(f"r_initial_ohm has shape {r_initial_ohm.shape}; expected {target.shape}")
        if np.isnan(r_initial_ohm).any() or (r_initial_ohm <= 0).any():
            raise VerifiedWriteError("r_initial_ohm must hold resistances > 0 ohm (inf for an open cell)")
    opts = tuple(options)
    if not opts or not all(isinstance(o, PulseOption) for o in opts):
        raise VerifiedWriteError("options must be a non-empty sequence of PulseOption")
    opts = options_from_lists([o.amplitude_v for o in opts], [o.width_s for o in opts])
    if not (np.isfinite(tolerance) and tolerance > 0):
        raise VerifiedWriteError(f"tolerance must be a finite relative error > 0, got {tolerance!r}")
    if not isinstance(max_steps, (int, np.integer)) or max_steps < 0:
        raise VerifiedWriteError(f"max_steps must be an integer >= 0, got {max_steps!r}")
    if predictor not in ("nominal", "circuit"):
        raise VerifiedWriteError(f"unknown predictor {predictor!r}; expected 'nominal' or 'circuit'")
    if grouping not in ("auto", "row", "col"):
        raise VerifiedWriteError(f"unknown grouping {grouping!r}; expected 'auto', 'row' or 'col'")
    if not (np.isfinite(v_read_v) and v_read_v > 0):
        raise VerifiedWriteError(f"v_read_v must be a finite voltage > 0, got {v_read_v!r}")
    if circuit_solves == "auto":
        nonlinear = (not array.model.ohmic) or (array.spec is not None and array.spec.cell != "1R")
        circuit_solves = "per_amplitude" if nonlinear else "linear"
    if circuit_solves not in ("linear", "per_amplitude"):
        raise VerifiedWriteError(
            f"unknown circuit_solves {circuit_solves!r}; expected 'auto', 'linear' or 'per_amplitude'"
        )
    signs = {np.sign(o.amplitude_v) for o in opts}
    if signs != {-1.0, 1.0}:
        raise VerifiedWriteError("options must include both polarities (positive and negative amplitudes)")
    if merge == "auto":
        merge = array.backend == "ideal"
    if merge not in (True, False):
        raise VerifiedWriteError(f"merge must be 'auto', True or False, got {merge!r}")
    if merge and array.backend != "ideal":
        raise VerifiedWriteError(
            f"merge=True is exact only on the ideal backend (no wires, ideal selectors); this array's backend is {array.backend!r}"
        )
    return _Plan(
        array,
        rows,
        cols,
        target,
        opts,
        float(tolerance),
        int(max_steps),
        predictor,
        scheme,
        grouping,
        float(v_read_v),
        circuit_solves,
        r_initial_ohm,
        bool(merge),
    )


def _apply_batch(array, batch: _LineBatch) -> list:
    """Apply a step's pulses: together when the array can (exact, :mod:`cosim.array.batch`), else one by one."""
    from cosim.array.batch import write_line_batch

    model = array.model
    done = write_line_batch(array, [(r, c, ev.amplitude_v, ev.width_s) for ev, r, c in batch.writes])
    if done is not None:
        return [_cell_energy(model, s0, v, ev.width_s) for (ev, _, _), (s0, v) in zip(batch.writes, done)]
    out = []
    for ev, r, c in batch.writes:
        rep = array.write(ev.rows_sel, ev.cols_sel, ev.amplitude_v, ev.width_s, ev.scheme)
        out.append(_cell_energy(model, rep.state_before[r, c], rep.v_device_v[r, c], rep.width_s))
    return out


def _run_direct(gen, array):
    """Drive a plan generator straight against the array (no time line)."""
    result = None
    try:
        event = gen.send(None)
        while True:
            if isinstance(event, _LineBatch):
                result = _apply_batch(array, event)
            elif isinstance(event, Read):
                result = array.read(event.v_in_v)
            elif isinstance(event, Pulse):
                result = array.pulse(event.bias, event.width_s)
            else:
                result = array.write(event.rows_sel, event.cols_sel, event.amplitude_v, event.width_s, event.scheme)
            event = gen.send(result)
    except StopIteration as stop:
        return stop.value


def verified_write(
    array,
    rows: Iterable[int],
    cols: Iterable[int],
    r_target_ohm,
    *,
    options: Sequence[PulseOption] = NEUROPACK_OPTIONS,
    tolerance: float = 0.01,
    max_steps: int = 5,
    predictor: str = "nominal",
    scheme: str = "ideal",
    grouping: str = "auto",
    v_read_v: float = 0.2,
    circuit_solves: str = "auto",
    r_initial_ohm=None,
    merge="auto",
) -> WriteReport:
    """Program cells ``(rows[k], cols[k])`` of ``array`` to ``r_target_ohm[k]`` by predict-write-verify.

    Parameters
    ----------
    array : cosim.array.CrossbarArray
        The array (any backend); its device model must expose ``advance``
        (and, for non-resistance states, ``state_from_resistance`` /
        ``resistance_ohm``).
    rows, cols : sequence of int, shape (n,)
        Cell coordinates; each cell at most once.
    r_target_ohm : array_like, (n,)
        Target resistances, ohm, > 0.
    options : sequence of PulseOption
        The pulses the controller may choose from; both polarities needed.
        Default: NeuroPack's twelve.
    tolerance : float
        Relative resistance tolerance: a cell stops when
        ``|R - R_t| / R_t < tolerance`` (NeuroPack's ``RTOLERANCE``).
    max_steps : int
        Most pulses per cell (NeuroPack's ``MAXUPDATESTEPS``).
    predictor : {"nominal", "circuit"}
        Device model at the nominal pulse voltage (NeuroPack) or at the
        voltage the circuit will deliver (module docstring, step 3).
    scheme : {"ideal", "v2", "v3", "floating"}
        Write scheme of every pulse (see :func:`cosim.netlist.bias.write_bias`).
    grouping : {"auto", "row", "col"}
        How cells are grouped into biases (module docstring, step 4).
    v_read_v : float
        Read voltage, volt.
    circuit_solves : {"auto", "linear", "per_amplitude"}
        How the circuit predictor solves candidate biases (module docstring).
    r_initial_ohm : array_like (n,), optional
        The controller's latest reading of the cells (e.g. the read it
        computed the targets from, as NeuroPack does); given, the first read
        is skipped.
    merge : {"auto", True, False}
        Let pulses of equal width on different lines share one bias (exact
        on the ideal backend only, where it is the default; see
        ``_pulse_events``). ``True`` on another backend is refused.

    Returns
    -------
    WriteReport

    Raises
    ------
    VerifiedWriteError
        Mismatched shapes, out-of-range or repeated cells, a non-positive or
        non-finite target, bad tolerance / steps / predictor / grouping /
        options (the value is named).
    """
    plan = _make_plan(
        array,
        rows,
        cols,
        r_target_ohm,
        options=options,
        tolerance=tolerance,
        max_steps=max_steps,
        predictor=predictor,
        scheme=scheme,
        grouping=grouping,
        v_read_v=v_read_v,
        circuit_solves=circuit_solves,
        r_initial_ohm=r_initial_ohm,
        merge=merge,
    )
    plan.batch = True
    return _run_direct(_plan(plan), array)


class VerifiedWrite(Composite):
    """The verified write as a composite event of :class:`cosim.engine.Timeline`.

    Same arguments as :func:`verified_write` (without the array, given at
    run time); the time line records every read and pulse, and the event's
    result is the :class:`WriteReport`.
    """

    def __init__(self, rows, cols, r_target_ohm, *, label: str = "verified_write", **kwargs) -> None:
        self.label = label
        self._args = (rows, cols, r_target_ohm)
        self._kwargs = kwargs

    def expand(self, array, now_s: float):
        kw = dict(
            options=NEUROPACK_OPTIONS,
            tolerance=0.01,
            max_steps=5,
            predictor="nominal",
            scheme="ideal",
            grouping="auto",
            v_read_v=0.2,
            circuit_solves="auto",
            merge="auto",
        )
        kw.update(self._kwargs)
        plan = _make_plan(array, *self._args, **kw)
        return _plan(plan)
