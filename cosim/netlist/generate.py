"""Crossbar netlist generator: a :class:`CrossbarSpec` + cell resistances + a
:class:`Bias` -> a :class:`Circuit`.

Naming contract (relied on by both solver backends; see ``API.md``)
--------------------------------------------------------------------
Nodes (``cosim.netlist.crossbar`` helpers):

* ``in_<i>``     word-line driver ``i``, the + node of source ``v_in_<i>``;
* ``drv_<i>``    after the driver resistor (only when ``r_driver_ohm[i] > 0``);
* ``wl_<i>_<j>`` word line ``i`` at column ``j``; ``bl_<i>_<j>`` bit line
  ``j`` at row ``i``; ``mid_<i>_<j>`` between device and selector/transistor
  (1S1R / 1T1R only);
* ``sns_<j>``    before the sense resistor (only when ``r_sense_ohm[j] > 0``);
* ``out_<j>``    sense node of bit line ``j``, the + node of ``v_out_<j>``.

Elements:

* ``v_in_<i>``  ``in_i -> 0``, value ``bias.wordline_v[i]`` (omitted when the
  line floats); ``v_out_<j>`` ``out_j -> 0``, value ``bias.bitline_v[j]``
  (0 V for reads; omitted when floating).  The SPICE branch current of
  ``v_out_j`` (current into ``out_j`` through the source to ground) is the
  bit line's output current.
* ``r_drv_<i>`` ``in_i -> drv_i``; ``r_sns_<j>`` ``sns_j -> out_j``.
* ``r_wl_<i>_<j>`` the word-line segment *ending* at ``wl_i_j`` (from
  ``drv_i``/``in_i`` for ``j = 0``, else from ``wl_i_{j-1}``);
  ``r_bl_<i>_<j>`` the bit-line segment *starting* at ``bl_i_j`` (to
  ``bl_{i+1}_j``, or for the last row to ``sns_j``/``out_j``).  A zero-ohm
  segment becomes a 0 V source ``vshort_wl_<i>_<j>`` / ``vshort_bl_<i>_<j>``
  with the same terminals (exact in both backends; ngspice would clamp a 0-ohm
  resistor).
* cells: 1R ``rcell_<i>_<j>`` ``wl_i_j -> bl_i_j``; 1S1R ``rcell_<i>_<j>``
  ``wl_i_j -> mid_i_j`` and selector ``xsel_<i>_<j>`` ``mid_i_j -> bl_i_j``;
  1T1R ``rcell_<i>_<j>`` ``wl_i_j -> mid_i_j`` and access resistor
  ``rtr_<i>_<j>`` ``mid_i_j -> bl_i_j`` (``spec.r_transistor_on_ohm`` when
  ``bias.gate_on[i]``, else ``spec.r_transistor_off_ohm``).  A cell with
  ``inf`` resistance is omitted entirely (with its ``mid`` node), and so is
  every cell outside ``bias.selected`` under an ideal-selector bias.

Nodes are created in the order ``in, drv, wl (row-major), bl (row-major),
mid, sns, out``.
"""

from __future__ import annotations

import numpy as np

from cosim.netlist.bias import Bias, BiasError
from cosim.netlist.circuit import Circuit
from cosim.netlist.crossbar import CrossbarSpec, CrossbarSpecError

__all__ = ["crossbar_circuit", "crossbar_meta"]


def _grid_suffixes(rows: int, cols: int) -> list[str]:
    """``["0_0", "0_1", ...]`` row-major: built once, prefixed per element kind."""
    return [f"{i}_{j}" for i in range(rows) for j in range(cols)]


def _names(prefix: str, suffixes: list[str], flat_idx: np.ndarray) -> list[str]:
    return [prefix + suffixes[k] for k in flat_idx.tolist()]


def _min_max(arr: np.ndarray) -> tuple[float, float]:
    return float(np.min(arr)), float(np.max(arr))


def crossbar_meta(spec: CrossbarSpec, present: np.ndarray | None = None) -> dict:
    """Flat summary of a crossbar's geometry, stored in ``circuit.meta["crossbar"]``.

    Every value is an int, a str or a float, so the SPICE writer can put it in
    the header and the reader can restore it.

    Parameters
    ----------
    spec : CrossbarSpec
    present : ndarray of bool, shape (rows, cols), optional
        Which cells are in the circuit (for the ``cells_present`` count).

    Returns
    -------
    dict
        ``rows``, ``cols``, ``cell``, ``r_wordline_ohm_min/_max``,
        ``r_bitline_ohm_min/_max``, ``r_driver_ohm_min/_max``,
        ``r_sense_ohm_min/_max``, ``cells_present``, and for 1S1R
        ``selector_i_s_a``, ``selector_v_0_v``, for 1T1R
        ``r_transistor_on_ohm``, ``r_transistor_off_ohm``.
    """
    meta: dict = {"rows": spec.rows, "cols": spec.cols, "cell": spec.cell}
    for key in ("r_wordline_ohm", "r_bitline_ohm", "r_driver_ohm", "r_sense_ohm"):
        lo, hi = _min_max(getattr(spec, key))
        meta[f"{key}_min"], meta[f"{key}_max"] = lo, hi
    meta["cells_present"] = int(spec.rows * spec.cols if present is None else np.count_nonzero(present))
    if spec.cell == "1S1R":
        meta["selector_i_s_a"] = float(spec.selector.i_s_a)
        meta["selector_v_0_v"] = float(spec.selector.v_0_v)
    elif spec.cell == "1T1R":
        meta["r_transistor_on_ohm"] = float(spec.r_transistor_on_ohm)
        meta["r_transistor_off_ohm"] = float(spec.r_transistor_off_ohm)
    return meta


def crossbar_circuit(
    spec: CrossbarSpec,
    r_cell_ohm: np.ndarray,
    bias: Bias,
    *,
    title: str | None = None,
) -> Circuit:
    """The full circuit of a crossbar under one bias (a read or a write pulse).

    Parameters
    ----------
    spec : CrossbarSpec
        Geometry, wire / driver / sense resistances, cell kind.
    r_cell_ohm : array_like, shape (rows, cols)
        Resistance of each memristive device in ohm, > 0; ``inf`` marks an
        open (stuck-off) cell, which is left out of the circuit.
    bias : Bias
        Line voltages (NaN = floating line: its source is omitted), 1T1R gate
        states and, for the ideal-selector scheme, the selected cells (all
        others are left out).  For a read use
        ``cosim.netlist.bias.read_bias(v_in_v, cols)``.
    title : str, optional
        Circuit title (the SPICE title line); default describes the array.

    Returns
    -------
    Circuit
        Named per the module docstring; ``circuit.meta["crossbar"]`` holds
        :func:`crossbar_meta` of the spec.

    Raises
    ------
    CrossbarSpecError
        ``r_cell_ohm`` of the wrong shape, or with a zero, negative or NaN
        entry (the index is named).
    BiasError
        ``bias`` of a shape other than ``(rows, cols)``.

    Examples
    --------
    >>> from cosim.netlist.bias import read_bias
    >>> spec = CrossbarSpec(2, 2, r_wordline_ohm=1.0, r_bitline_ohm=0.0)
    >>> c = crossbar_circuit(spec, [[1e3, 2e3], [3e3, 4e3]], read_bias([0.2, 0.1], 2))
    >>> c.elements["resistor"].names[:3]
    ['r_wl_0_0', 'r_wl_0_1', 'r_wl_1_0']
    >>> c.elements["vsource"].names
    ['v_in_0', 'v_in_1', 'v_out_0', 'v_out_1', 'vshort_bl_0_0', 'vshort_bl_0_1', 'vshort_bl_1_0', 'vshort_bl_1_1']
    """
    if not isinstance(spec, CrossbarSpec):
        raise CrossbarSpecError(f"spec must be a CrossbarSpec, got {type(spec).__name__}")
    if not isinstance(bias, Bias):
        raise BiasError(f"bias must be a Bias, got {type(bias).__name__}")
    rows, cols = spec.shape
    r_cell = spec.check_cells(r_cell_ohm)
    if bias.shape != spec.shape:
        raise BiasError(f"bias is for a {bias.shape} array; the crossbar is {spec.shape}")

    present = np.isfinite(r_cell)
    if bias.ideal_selector:
        present &= bias.selected
    has_drv = spec.r_driver_ohm > 0
    has_sns = spec.r_sense_ohm > 0
    two_part = spec.cell in ("1S1R", "1T1R")

    if title is None:
        title = f"cosim crossbar {rows}x{cols} {spec.cell}"
    c = Circuit(title)
    c.meta["crossbar"] = crossbar_meta(spec, present)

    suffixes = _grid_suffixes(rows, cols)
    row_ids = np.arange(rows)
    col_ids = np.arange(cols)
    cell_flat = np.flatnonzero(present.ravel())

    # -- nodes, created in bulk and in a documented order --------------------
    in_idx = c.add_nodes([f"in_{i}" for i in range(rows)])
    drv_only = c.add_nodes([f"drv_{i}" for i in row_ids[has_drv].tolist()])
    wl_idx = c.add_nodes(["wl_" + s for s in suffixes]).reshape(rows, cols)
    bl_idx = c.add_nodes(["bl_" + s for s in suffixes]).reshape(rows, cols)
    mid_idx = c.add_nodes(_names("mid_", suffixes, cell_flat)) if two_part else None
    sns_only = c.add_nodes([f"sns_{j}" for j in col_ids[has_sns].tolist()])
    out_idx = c.add_nodes([f"out_{j}" for j in range(cols)])

    head = in_idx.copy()  # where word-line segment 0 starts
    head[has_drv] = drv_only
    tail = out_idx.copy()  # where the last bit-line segment ends
    tail[has_sns] = sns_only

    # -- sources ----------------------------------------------------------------
    wl_driven = ~np.isnan(bias.wordline_v)
    bl_driven = ~np.isnan(bias.bitline_v)
    zeros_r = np.zeros(rows, dtype=np.int64)
    zeros_c = np.zeros(cols, dtype=np.int64)
    c.add(
        "vsource",
        [f"v_in_{i}" for i in row_ids[wl_driven].tolist()],
        in_idx[wl_driven],
        zeros_r[wl_driven],
        value=bias.wordline_v[wl_driven],
    )
    c.add(
        "vsource",
        [f"v_out_{j}" for j in col_ids[bl_driven].tolist()],
        out_idx[bl_driven],
        zeros_c[bl_driven],
        value=bias.bitline_v[bl_driven],
    )

    # -- driver and sense resistors -------------------------------------------------
    c.add(
        "resistor",
        [f"r_drv_{i}" for i in row_ids[has_drv].tolist()],
        in_idx[has_drv],
        drv_only,
        value=spec.r_driver_ohm[has_drv],
    )

    # -- wire segments: resistors, or exact 0 V shorts for 0-ohm segments ----------
    wl_from = np.concatenate([head[:, None], wl_idx[:, :-1]], axis=1).ravel()
    wl_to = wl_idx.ravel()
    bl_from = bl_idx.ravel()
    bl_to = np.concatenate([bl_idx[1:, :], tail[None, :]], axis=0).ravel()
    for line, r_seg, n_from, n_to in (
        ("wl", spec.r_wordline_ohm.ravel(), wl_from, wl_to),
        ("bl", spec.r_bitline_ohm.ravel(), bl_from, bl_to),
    ):
        res = np.flatnonzero(r_seg > 0)
        c.add("resistor", _names(f"r_{line}_", suffixes, res), n_from[res], n_to[res], value=r_seg[res])
        short = np.flatnonzero(r_seg == 0)
        c.add("vsource", _names(f"vshort_{line}_", suffixes, short), n_from[short], n_to[short], value=0.0)

    c.add(
        "resistor",
        [f"r_sns_{j}" for j in col_ids[has_sns].tolist()],
        sns_only,
        out_idx[has_sns],
        value=spec.r_sense_ohm[has_sns],
    )

    # -- cells ---------------------------------------------------------------------
    wl_cell = wl_idx.ravel()[cell_flat]
    bl_cell = bl_idx.ravel()[cell_flat]
    r_dev = r_cell.ravel()[cell_flat]
    if not two_part:
        c.add("resistor", _names("rcell_", suffixes, cell_flat), wl_cell, bl_cell, value=r_dev)
    else:
        c.add("resistor", _names("rcell_", suffixes, cell_flat), wl_cell, mid_idx, value=r_dev)
        if spec.cell == "1S1R":
            c.add(
                "selector",
                _names("xsel_", suffixes, cell_flat),
                mid_idx,
                bl_cell,
                i_s_a=spec.selector.i_s_a,
                v_0_v=spec.selector.v_0_v,
            )
        else:
            gate = np.broadcast_to(bias.gate_on[:, None], (rows, cols)).ravel()[cell_flat]
            r_tr = np.where(gate, spec.r_transistor_on_ohm, spec.r_transistor_off_ohm)
            c.add("resistor", _names("rtr_", suffixes, cell_flat), mid_idx, bl_cell, value=r_tr)
    return c
