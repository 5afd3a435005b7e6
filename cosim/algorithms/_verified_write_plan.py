"""The predict-write-verify plan of :mod:`cosim.algorithms.verified_write` (private).

:func:`_make_plan` checks the inputs and fixes the plan; :func:`_plan` is the
generator that yields reads, pulses and line batches and returns the
:class:`WriteReport`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cosim.algorithms._verified_write_basics import (
    PulseOption,
    VerifiedWriteError,
    WriteReport,
    _check_cells,
    _r_from_currents,
    _row_read_vectors,
    options_from_lists,
)
from cosim.engine.events import Pulse, Read, Write


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
