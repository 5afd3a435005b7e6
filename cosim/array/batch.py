"""The pulses of one programming step as one batch (exact, ideal selectors only).

Under the ideal-selector scheme a cell that is not selected is open, so a
pulse whose selected cells share one line sees a circuit made of those cells
and the wires only (:mod:`cosim.solvers.row_pulse`).  Pulses on *disjoint*
sets of cells are then independent: pulse B's circuit contains none of the
cells pulse A moved, and cells that are not selected see exactly 0 V (they do
not move when the model is static at 0 V, :mod:`cosim.array.advance`).
Applying them one after the other or all at once gives the same states, so
:func:`write_line_batch` integrates them together: every quasi-static
sub-step solves the trees of all pulses still running with one ``dptsv`` and
advances all their cells with one ``model.advance`` call, each pulse keeping
its own adaptive sub-step sequence (the rules of
:meth:`cosim.array.CrossbarArray.pulse`, applied per pulse).  The results
equal the sequential pulses to rounding (tested to 1e-9 relative against
``fast_paths=False``).

When anything is outside that case (another scheme or backend, cells shared
between pulses, an open cell, a non-static model, a zero-resistance segment)
:func:`write_line_batch` returns None and changes nothing; the caller then
applies the pulses one by one.
"""

from __future__ import annotations

import numpy as np

from cosim.solvers.result import SolverError

__all__ = ["write_line_batch"]


def _applies(array) -> bool:
    backend = array._backend
    return (
        array.backend == "nodal"
        and getattr(backend, "line_pulses", False)
        and array.model.ohmic
        and array._sparse_advance
    )


def write_line_batch(array, writes):
    """Apply ideal-selector pulses on disjoint single-line cell sets together.

    Parameters
    ----------
    array : CrossbarArray
        Nodal backend, 1R cells, ``fast_paths`` on, a model static at 0 V.
    writes : sequence of (rows_k, cols_k, amplitude_v, width_s)
        Each pulse's cells (int arrays of one length, all on one word line or
        all on one bit line), amplitude (word line minus bit line, volt) and
        width (second, > 0), as ``array.write(..., scheme="ideal")`` would apply.

    Returns
    -------
    list of (state_before, v_device_v) or None
        Per pulse, its cells' states before the pulse and the voltage each
        device saw averaged over the pulse (volt), in the order given; None
        when the batch does not apply (nothing was changed).
    """
    if not writes or not _applies(array):
        return None
    rows, cols = array.shape
    sizes = np.array([np.size(w[0]) for w in writes])
    if (sizes == 0).any():
        return None
    rows_k = np.concatenate([np.asarray(w[0], dtype=np.int64).ravel() for w in writes])
    cols_k = np.concatenate([np.asarray(w[1], dtype=np.int64).ravel() for w in writes])
    n_p = len(writes)
    cell_p = np.repeat(np.arange(n_p), sizes)
    flat = rows_k * cols + cols_k
    if np.unique(flat).size != flat.size:
        return None
    amps = np.array([float(w[2]) for w in writes])
    widths = np.array([float(w[3]) for w in writes])
    if not (widths > 0).all():
        return None
    # axis of each pulse: all cells on one word line ("row"), else on one bit line ("col")
    first = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    same_row = np.minimum.reduceat(rows_k, first) == np.maximum.reduceat(rows_k, first)
    same_col = np.minimum.reduceat(cols_k, first) == np.maximum.reduceat(cols_k, first)
    if not (same_row | same_col).all():
        return None
    is_row = same_row
    line_p = np.where(is_row, rows_k[first], cols_k[first])
    s = np.array(array._state.ravel()[flat], dtype=float)
    g = np.array(array._g.ravel()[flat], dtype=float)
    if not (g > 0).all():
        return None
    stuck_k = None if array._stuck is None else array._stuck.ravel()[flat]
    model, rng, spec = array.model, array.rng, array.spec
    units = 1 << array.max_halvings
    tol = np.inf if getattr(model, "pulse_counted", False) else array.split_tolerance
    s_before = s.copy()
    pos = np.zeros(n_p, dtype=np.int64)
    step = np.full(n_p, units, dtype=np.int64)
    v_sum = np.zeros(s.size)
    e_cells = np.zeros(n_p)
    e_wires = np.zeros(n_p)
    active = pos < units
    from cosim.solvers.row_pulse import solve_line_pulses

    while active.any():
        step = np.where(active, np.minimum(step, units - pos), step)
        # the circuit of every running pulse at the present states
        v_cell = np.zeros(s.size)
        p_cells = np.zeros(n_p)
        p_wires = np.zeros(n_p)
        for row_axis in (True, False):
            pm = active & (is_row == row_axis)
            if not pm.any():
                continue
            sel = np.flatnonzero(pm)
            remap = np.full(n_p, -1)
            remap[sel] = np.arange(sel.size)
            km = pm[cell_p]
            amp_k = amps[cell_p[km]]
            try:
                vc, _, pc, pw = solve_line_pulses(
                    spec,
                    g[km],
                    "row" if row_axis else "col",
                    line_p[sel],
                    amps[sel] if row_axis else np.zeros(sel.size),
                    remap[cell_p[km]],
                    cols_k[km] if row_axis else rows_k[km],
                    np.zeros(amp_k.size) if row_axis else amp_k,
                )
            except SolverError:
                if pos.any():  # cannot happen: the wires do not change between sub-steps
                    raise
                return None
            v_cell[km] = vc
            p_cells[sel] = pc
            p_wires[sel] = pw
        # advance every running pulse's cells; halve the sub-steps of those that moved too far
        pending = active.copy()
        new_s, new_g = s.copy(), g.copy()
        rel_p = np.zeros(n_p)
        while pending.any():
            km = pending[cell_p]
            pk = cell_p[km]
            dt_k = widths[pk] * step[pk] / units
            ns = np.asarray(model.advance(s[km], v_cell[km], dt_k, rng), dtype=float)
            if stuck_k is not None:
                ns = np.where(stuck_k[km], s[km], ns)
            ng = np.asarray(model.conductance_s(ns), dtype=float)
            r_try = np.zeros(n_p)
            if tol != np.inf:
                den = np.maximum(np.abs(g[km]), np.abs(ng))
                with np.errstate(invalid="ignore", divide="ignore"):
                    rel = np.where(den > 0, np.abs(ng - g[km]) / np.where(den > 0, den, 1.0), 0.0)
                np.maximum.at(r_try, pk, rel)
            new_s[km], new_g[km] = ns, ng
            rel_p[pending] = r_try[pending]
            accept = pending & ((r_try <= tol) | (step == 1))
            pending &= ~accept
            step[pending] //= 2
        dt_p = widths * step / units
        e_cells[active] += p_cells[active] * dt_p[active]
        e_wires[active] += p_wires[active] * dt_p[active]
        ka = active[cell_p]
        v_sum[ka] += v_cell[ka] * dt_p[cell_p[ka]]
        s, g = new_s, new_g
        pos[active] += step[active]
        grow = active & (rel_p < tol / 2) & (step < units)
        step[grow] *= 2
        active = pos < units
    state = array._state.copy()
    g_all = array._g.copy()
    np.put(state, flat, s)
    np.put(g_all, flat, g)
    array._state, array._g = state, g_all
    array.energy_cells_j += float(e_cells.sum())
    array.energy_wires_j += float(e_wires.sum())
    v_avg = v_sum / widths[cell_p]
    split = np.cumsum(sizes)[:-1]
    return list(zip(np.split(s_before, split), np.split(v_avg, split)))
