"""Exact O(n) solve of an ideal-selector pulse on one line of a crossbar.

Under the ideal-selector write scheme every cell that is not selected is open
(an ideal threshold selector blocks it).  When the conducting cells of a bias
all lie on **one word line** (or all on one bit line), the circuit left is a
tree: that word line, and hanging off it through each conducting cell the
part of that cell's bit line between the cell and its sense end.  Every other
line carries no current and sits at its source voltage; the part of a bit line
*above* the selected row is a dead end at the voltage of the cell's bit-line
node.  Each hanging branch is a series chain, cell conductance ``g`` in series
with ``R_down`` (the bit-line segments from the cell to the sense end plus the
sense resistance), i.e. one conductance ``g / (1 + g R_down)`` to the bit
line's source.  The selected line is then a tridiagonal, symmetric positive
definite system of ``cols`` unknowns (``rows`` for a bit line), solved by
LAPACK ``dptsv``.  This is Kirchhoff's laws without approximation; it differs
from the general nodal solve (:mod:`cosim.solvers.crossbar`) by rounding only
(tested to 1e-9 relative on every output).

What it covers: 1R cells with linear (ohmic) devices, every line driven (no
floating line), every inner segment of the selected line > 0 ohm (a zero
segment would merge nodes; the general solver handles that).  Anything else:
:func:`solve_line_pulse` returns None and the caller uses the general solver.

Layering: a solver module; it knows nothing of arrays or device models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import lapack

from cosim.netlist.bias import Bias
from cosim.netlist.crossbar import CrossbarSpec
from cosim.solvers.result import CrossbarSolution, SolverError

__all__ = ["LinePulseSolution", "solve_line_pulse", "solve_line_pulses", "line_of_pulse"]


@dataclass
class LinePulseSolution:
    """What :func:`solve_line_pulse` found (only the conducting cells are stored).

    Attributes
    ----------
    axis : {"row", "col"}
        Whether the conducting cells share a word line ("row") or a bit line.
    line : int
        That line's index.
    rows, cols : ndarray of int, (k,)
        The conducting cells (selected, conductance > 0).
    v_cell_v : ndarray, (k,)
        Voltage across each conducting cell (word-line node minus bit-line node), volt.
    i_cell_a : ndarray, (k,)
        Current through each conducting cell, word line to bit line, ampere.
    v_line_v : ndarray, (cols,) or (rows,)
        Node voltages along the selected line, volt.
    r_branch_ohm : ndarray, (k,)
        Series resistance from each cell's far node to its source (the other line), ohm.
    power_cells_w, power_wires_w : float
        Power in the cells and in wires + driver/sense resistors, watt.
    """

    spec: CrossbarSpec
    bias: Bias
    axis: str
    line: int
    rows: np.ndarray
    cols: np.ndarray
    v_cell_v: np.ndarray
    i_cell_a: np.ndarray
    v_line_v: np.ndarray
    r_branch_ohm: np.ndarray
    power_cells_w: float
    power_wires_w: float
    open_selected: bool = False

    @property
    def device_voltages_v(self) -> np.ndarray:
        """Voltage across every device, (rows, cols), volt (0 on blocked cells).

        A selected cell that is open (0 S) still has its node voltages across
        it, as in the general solver; only then are all nodes assembled.
        """
        if self.open_selected:
            return self.full().device_voltages_v
        out = np.zeros(self.spec.shape)
        out[self.rows, self.cols] = self.v_cell_v
        return out

    def full(self) -> CrossbarSolution:
        """The same :class:`CrossbarSolution` the general solver returns (every node and cell)."""
        spec, bias = self.spec, self.bias
        rows, cols = spec.shape
        v_wl, v_bl = bias.wordline_v, bias.bitline_v
        vw = np.broadcast_to(v_wl[:, None], (rows, cols)).copy()
        vb = np.broadcast_to(v_bl[None, :], (rows, cols)).copy()
        i_cell = np.zeros((rows, cols))
        i_cell[self.rows, self.cols] = self.i_cell_a
        if self.axis == "row":
            i = self.line
            vw[i] = self.v_line_v
            # bit line j below the cell: source voltage plus I times the resistance to the sense end
            tail = np.cumsum(spec.r_bitline_ohm[::-1, self.cols], axis=0)[::-1] + spec.r_sense_ohm[self.cols]
            col_v = v_bl[self.cols] + self.i_cell_a * tail  # (rows, k); rows above i: a dead end
            col_v[:i] = col_v[i]
            vb[:, self.cols] = col_v
        else:
            j = self.line
            vb[:, j] = self.v_line_v
            # word line i left of the cell: source voltage minus I times the resistance to the driver
            head = np.cumsum(spec.r_wordline_ohm[self.rows, :], axis=1) + spec.r_driver_ohm[self.rows, None]
            row_v = v_wl[self.rows, None] - self.i_cell_a[:, None] * head  # (k, cols); right of j: dead end
            row_v[:, j + 1 :] = row_v[:, j : j + 1]
            vw[self.rows] = row_v
        v_cell = vw - vb
        v_dev = np.where(bias.selected, v_cell, 0.0)
        return CrossbarSolution(
            output_currents_a=i_cell.sum(axis=0),
            cell_voltages_v=v_cell,
            device_voltages_v=v_dev,
            cell_currents_a=i_cell,
            wordline_voltages_v=vw,
            bitline_voltages_v=vb,
            driver_currents_a=i_cell.sum(axis=1),
            sense_currents_a=i_cell.sum(axis=0),
            power_cells_w=self.power_cells_w,
            power_wires_w=self.power_wires_w,
            backend="nodal",
            info={"method": "line-pulse", "axis": self.axis, "line": self.line},
        )


def line_of_pulse(g_cell_s: np.ndarray, bias: Bias) -> tuple[str, int, np.ndarray] | None:
    """``(axis, line, conducting mask)`` if the bias's conducting cells share one line, else None.

    Conducting = selected by an ideal-selector bias and of conductance > 0.
    Returns None for a bias without ideal selectors.
    """
    if not bias.ideal_selector:
        return None
    on = bias.selected & (g_cell_s > 0)
    rows_on = np.flatnonzero(on.any(axis=1))
    if rows_on.size == 0:
        return None
    if rows_on.size == 1:
        return "row", int(rows_on[0]), on
    cols_on = np.flatnonzero(on.any(axis=0))
    if cols_on.size == 1:
        return "col", int(cols_on[0]), on
    return None


def _chain(g_seg: np.ndarray, r_end: float, v_end: float, g_shunt: np.ndarray, v_shunt: np.ndarray) -> np.ndarray:
    """Node voltages of a chain: node 0 behind ``r_end`` (0: held) at ``v_end``, segments
    ``g_seg`` (n - 1,) between neighbours, shunt conductances ``g_shunt`` (n,) to ``v_shunt``."""
    d = np.array(g_shunt, dtype=float)
    d[1:] += g_seg
    d[:-1] += g_seg
    b = g_shunt * v_shunt
    e = -np.asarray(g_seg, dtype=float)
    if r_end > 0:
        d[0] += 1.0 / r_end
        b[0] += v_end / r_end
    else:  # node 0 held at the source: its row becomes the identity, its coupling moves to the right side
        d[0], b[0] = 1.0, v_end
        if e.size:
            b[1] += g_seg[0] * v_end
            e = e.copy()
            e[0] = 0.0
    if d.size == 1:  # a single node (dptsv wants a non-empty off-diagonal)
        return b / d
    _, _, x, info = lapack.dptsv(d, e, b)
    if info != 0:  # cannot happen for a driven chain with positive segments
        raise SolverError(f"line-pulse chain is not positive definite (dptsv info {info})")
    return x


def solve_line_pulse(spec: CrossbarSpec, g_cell_s: np.ndarray, bias: Bias) -> LinePulseSolution | None:
    """Solve an ideal-selector bias whose conducting cells share one line, exactly, in O(n).

    Parameters
    ----------
    spec : CrossbarSpec
        Geometry and wiring; must be a 1R array.
    g_cell_s : ndarray (rows, cols)
        Cell conductances, siemens (validated by the caller), linear cells.
    bias : Bias
        The pulse; must use ideal selectors and drive every line.

    Returns
    -------
    LinePulseSolution or None
        None when the circuit is not such a tree (see the module docstring);
        the caller then uses the general solver.
    """
    if spec.cell != "1R":
        return None
    found = line_of_pulse(g_cell_s, bias)
    if found is None:
        return None
    v_wl, v_bl = bias.wordline_v, bias.bitline_v
    if np.isnan(v_wl).any() or np.isnan(v_bl).any():
        return None
    axis, line, on = found
    r_wl, r_bl = spec.r_wordline_ohm, spec.r_bitline_ohm
    if axis == "row":
        i = line
        seg = r_wl[i, 1:]
        if (seg <= 0).any():
            return None
        cols_k = np.flatnonzero(on[i])
        rows_k = np.full(cols_k.size, i)
        g = g_cell_s[i, cols_k]
        r_branch = r_bl[i:, cols_k].sum(axis=0) + spec.r_sense_ohm[cols_k]
        gb = g / (1.0 + g * r_branch)
        n = spec.cols
        g_sh = np.zeros(n)
        v_sh = np.zeros(n)
        g_sh[cols_k] = gb
        v_sh[cols_k] = v_bl[cols_k]
        r_end = float(spec.r_driver_ohm[i] + r_wl[i, 0])
        x = _chain(1.0 / seg, r_end, float(v_wl[i]), g_sh, v_sh)
        i_cell = gb * (x[cols_k] - v_bl[cols_k])
        v_cell = x[cols_k] - (v_bl[cols_k] + i_cell * r_branch)
        v_src = float(v_wl[i])
        line_seg = seg
    else:
        j = line
        seg = r_bl[:-1, j]
        if (seg <= 0).any():
            return None
        rows_k = np.flatnonzero(on[:, j])
        cols_k = np.full(rows_k.size, j)
        g = g_cell_s[rows_k, j]
        r_branch = r_wl[rows_k, : j + 1].sum(axis=1) + spec.r_driver_ohm[rows_k]
        gb = g / (1.0 + g * r_branch)
        n = spec.rows
        g_sh = np.zeros(n)
        v_sh = np.zeros(n)
        g_sh[rows_k] = gb
        v_sh[rows_k] = v_wl[rows_k]
        # the chain's source end is the sense end (last row): reverse so it is node 0
        r_end = float(spec.r_sense_ohm[j] + r_bl[-1, j])
        x = _chain(1.0 / seg[::-1], r_end, float(v_bl[j]), g_sh[::-1], v_sh[::-1])[::-1]
        i_cell = gb * (v_wl[rows_k] - x[rows_k])
        v_cell = (v_wl[rows_k] - i_cell * r_branch) - x[rows_k]
        v_src = float(v_bl[j])
        line_seg = seg
    # wire power: the selected line's segments and source resistance, and each branch's series wires
    p_wires = float(np.sum(np.diff(x) ** 2 / line_seg)) + float(np.sum(i_cell * i_cell * r_branch))
    if r_end > 0:
        end_v = x[0] if axis == "row" else x[-1]
        p_wires += (v_src - end_v) ** 2 / r_end
    return LinePulseSolution(
        spec=spec,
        bias=bias,
        axis=axis,
        line=line,
        rows=rows_k,
        cols=cols_k,
        v_cell_v=v_cell,
        i_cell_a=i_cell,
        v_line_v=x,
        r_branch_ohm=r_branch,
        power_cells_w=float(np.sum(i_cell * v_cell)),
        power_wires_w=p_wires,
        open_selected=bool((bias.selected & (g_cell_s == 0)).any()),
    )


def solve_line_pulses(
    spec: CrossbarSpec,
    g_k: np.ndarray,
    axis: str,
    line_p: np.ndarray,
    v_line_p: np.ndarray,
    cell_pulse: np.ndarray,
    cell_other: np.ndarray,
    v_other: np.ndarray,
):
    """Many independent one-line ideal-selector pulses at once (the trees of :func:`solve_line_pulse`).

    Each pulse ``p`` drives line ``line_p[p]`` (a word line for ``axis="row"``,
    a bit line for ``"col"``) at ``v_line_p[p]`` and conducts through its
    cells only: cell ``k`` belongs to pulse ``cell_pulse[k]`` and sits on the
    crossing line ``cell_other[k]`` (its bit line for row pulses, its word line
    for column pulses), whose source is at ``v_other[k]``.  The pulses are
    solved as separate circuits (as if applied one after the other at the
    present conductances): their chains are stacked into one tridiagonal
    system with no coupling between chains and solved by one ``dptsv``.

    Parameters
    ----------
    spec : CrossbarSpec (1R; inner segments of the pulsed lines > 0 ohm)
    g_k : ndarray (K,)
        Conductance of each listed cell, siemens, > 0.
    axis : {"row", "col"}
    line_p, v_line_p : ndarray (P,)
    cell_pulse, cell_other, v_other : ndarray (K,)
        A cell appears at most once per pulse.

    Returns
    -------
    v_cell_v, i_cell_a : ndarray (K,)
        Cell voltage (word-line node minus bit-line node) and current, volt and ampere.
    power_cells_w, power_wires_w : ndarray (P,)
        Per pulse, watt.

    Raises
    ------
    SolverError
        A zero-resistance inner segment on a pulsed line (not a chain; the
        caller must use the general solver).
    """
    r_wl, r_bl = spec.r_wordline_ohm, spec.r_bitline_ohm
    n_p = line_p.size
    if axis == "row":
        n = spec.cols
        seg = r_wl[line_p, 1:]  # (P, n - 1), node 0 at the driver
        r_end = spec.r_driver_ohm[line_p] + r_wl[line_p, 0]
        rows_k, cols_k = line_p[cell_pulse], cell_other
        r_branch = np.cumsum(r_bl[::-1], axis=0)[::-1][rows_k, cols_k] + spec.r_sense_ohm[cols_k]
        pos_k = cols_k
    else:
        n = spec.rows
        seg = r_bl[:-1, line_p].T[:, ::-1]  # reversed: node 0 at the sense end
        r_end = spec.r_sense_ohm[line_p] + r_bl[-1, line_p]
        rows_k, cols_k = cell_other, line_p[cell_pulse]
        r_branch = np.cumsum(r_wl, axis=1)[rows_k, cols_k] + spec.r_driver_ohm[rows_k]
        pos_k = n - 1 - rows_k
    if (seg <= 0).any():
        raise SolverError("a pulsed line has a zero-resistance segment: not a chain, use the general solver")
    gb = g_k / (1.0 + g_k * r_branch)
    g_seg = 1.0 / seg
    d = np.zeros((n_p, n))
    d[cell_pulse, pos_k] = gb
    b = np.zeros((n_p, n))
    b[cell_pulse, pos_k] = gb * v_other
    d[:, 1:] += g_seg
    d[:, :-1] += g_seg
    e = np.zeros((n_p, n))  # e[:, m] couples node m and m + 1; the last one of a chain stays 0
    e[:, :-1] = -g_seg
    held = r_end == 0
    with np.errstate(divide="ignore"):
        g_end = np.where(held, 0.0, 1.0 / np.where(held, 1.0, r_end))
    d[:, 0] += g_end
    b[:, 0] += g_end * v_line_p
    if held.any():  # node 0 held at the source: identity row, its coupling moved to the right side
        d[held, 0] = 1.0
        b[held, 0] = v_line_p[held]
        if n > 1:
            b[held, 1] += g_seg[held, 0] * v_line_p[held]
            e[held, 0] = 0.0
    if n_p * n == 1:
        x = b / d
    else:
        _, _, x, info = lapack.dptsv(d.ravel(), e.ravel()[:-1], b.ravel())
        if info != 0:
            raise SolverError(f"line-pulse chains are not positive definite (dptsv info {info})")
        x = x.reshape(n_p, n)
    x_k = x[cell_pulse, pos_k]
    if axis == "row":
        i_cell = gb * (x_k - v_other)
        v_cell = x_k - (v_other + i_cell * r_branch)
    else:
        i_cell = gb * (v_other - x_k)
        v_cell = (v_other - i_cell * r_branch) - x_k
    p_cells = np.bincount(cell_pulse, weights=i_cell * v_cell, minlength=n_p)
    p_wires = (np.diff(x, axis=1) ** 2 * g_seg).sum(axis=1) + g_end * (v_line_p - x[:, 0]) ** 2
    p_wires += np.bincount(cell_pulse, weights=i_cell * i_cell * r_branch, minlength=n_p)
    return v_cell, i_cell, p_cells, p_wires
