"""Result assembly of the crossbar solver (private): grids -> CrossbarSolution.

:func:`_assemble` fills a batched :class:`~cosim.solvers.result.CrossbarSolution`
from node voltages and cell currents (any backend), :func:`_unbatch` drops the
batch axis, and :func:`crossbar_solution_from_circuit` maps a solved crossbar
netlist back to (rows, cols) grids.
"""

from __future__ import annotations

import re

import numpy as np

from cosim._kernel_choice import default_kernel
from cosim.netlist.crossbar import CrossbarSpecError
from cosim.solvers._xbar_checks import _first_index
from cosim.solvers._xbar_lines import _lean_kernels
from cosim.solvers.result import CrossbarSolution

__all__ = ["crossbar_solution_from_circuit"]


def _assemble(spec, net, vw, vb, v_cell, v_dev, i_cell, v_wl, v_bl, info, backend="nodal") -> CrossbarSolution:
    """Fill a batched CrossbarSolution from node voltages and cell currents."""
    # KCL over a whole line: a word line's only connections are its driver and
    # its cells, so the driver current is exactly the sum of its cell currents
    # (exactly 0 for a floating line: it has no source, whatever the rounding)
    driver = np.where(net.driven_w, i_cell.sum(axis=2), 0.0)
    sense = np.where(net.driven_b, i_cell.sum(axis=1), 0.0)
    p_cells = (i_cell * v_cell).sum(axis=(1, 2))
    p_w = _wire_power(spec, net, vw, vb, v_wl, v_bl)
    return CrossbarSolution(
        output_currents_a=sense,
        cell_voltages_v=v_cell,
        device_voltages_v=v_dev,
        cell_currents_a=i_cell,
        wordline_voltages_v=vw,
        bitline_voltages_v=vb,
        driver_currents_a=driver,
        sense_currents_a=sense.copy(),
        power_cells_w=p_cells,
        power_wires_w=p_w,
        backend=backend,
        info=info,
    )


def _wire_conductances(spec, net):
    """(segment WL, segment BL, driver side, sense side) conductances of ``net``, S; 0 for a 0-ohm piece (cached on ``net``)."""
    got = net.__dict__.get("_wire_g")
    if got is None:
        r_wl, r_bl = spec.r_wordline_ohm, spec.r_bitline_ohm
        with np.errstate(divide="ignore", invalid="ignore"):
            gw = np.where(r_wl[:, 1:] > 0, 1.0 / r_wl[:, 1:], 0.0)
            gb = np.where(r_bl[:-1, :] > 0, 1.0 / r_bl[:-1, :], 0.0)
            g_in = np.where(net.r_in > 0, 1.0 / net.r_in, 0.0)
            g_out = np.where(net.r_out > 0, 1.0 / net.r_out, 0.0)
        got = net.__dict__["_wire_g"] = (gw, gb, g_in, g_out)
    return got


def _wire_power(spec, net, vw, vb, v_wl, v_bl) -> np.ndarray:
    """Power in the wires (segments, driver and sense resistors) per vector, watt, (batch,).

    ``vw``, ``vb`` (batch, rows, cols) node voltages; ``v_wl`` (batch, rows),
    ``v_bl`` (batch, cols) source voltages (NaN = floating). One vector at a
    time, so its grids stay in cache.
    """
    wires = _wire_conductances(spec, net)
    if default_kernel() == "numba":  # one compiled pass (the same sums, in order instead of pairwise)
        f64 = np.ascontiguousarray
        return _lean_kernels.wire_power(
            f64(vw, float), f64(vb, float), net.driven_w, net.driven_b, f64(v_wl, float), f64(v_bl, float), wires
        )
    return wire_power_numpy(vw, vb, net.driven_w, net.driven_b, v_wl, v_bl, wires)


def wire_power_numpy(vw, vb, driven_w, driven_b, v_wl, v_bl, wires) -> np.ndarray:
    """:func:`cosim.solvers._xbar_lean_kernels.wire_power` in NumPy (same arguments; pairwise sums)."""
    gw, gb, g_in, g_out = wires
    batch = vw.shape[0]
    p_w = np.empty(batch)
    for k in range(batch):
        dw = vw[k, :, 1:] - vw[k, :, :-1]
        db = vb[k, 1:, :] - vb[k, :-1, :]
        dw *= dw
        db *= db
        p_w[k] = np.vdot(gw, dw) + np.vdot(gb, db)
    d_in = np.where(driven_w, np.nan_to_num(v_wl) - vw[:, :, 0], 0.0)
    d_out = np.where(driven_b, vb[:, -1, :] - np.nan_to_num(v_bl), 0.0)
    return p_w + (g_in * d_in**2).sum(axis=1) + (g_out * d_out**2).sum(axis=1)


def _unbatch(sol: CrossbarSolution) -> CrossbarSolution:
    for name in (
        "output_currents_a",
        "cell_voltages_v",
        "device_voltages_v",
        "cell_currents_a",
        "wordline_voltages_v",
        "bitline_voltages_v",
        "driver_currents_a",
        "sense_currents_a",
    ):
        setattr(sol, name, getattr(sol, name)[0])
    sol.power_cells_w = float(np.asarray(sol.power_cells_w)[0])
    sol.power_wires_w = float(np.asarray(sol.power_wires_w)[0])
    return sol


_GRID_NODE = re.compile(r"^(wl|bl|mid)_(\d+)_(\d+)$")


def crossbar_solution_from_circuit(circuit, solution) -> CrossbarSolution:
    """Map a solved crossbar netlist (any backend) back to (rows, cols) grids.

    The node and element names are those of
    :func:`cosim.netlist.generate.crossbar_circuit` (``wl_i_j``, ``bl_i_j``,
    ``mid_i_j``, devices ``rcell_i_j``, sources ``v_in_i`` / ``v_out_j``), so
    this works for netlists written by ``cosim netlist`` and read back with
    :func:`cosim.netlist.spice.load_spice`.

    Parameters
    ----------
    circuit : Circuit
        The crossbar circuit (its ``meta["crossbar"]`` gives the size when
        present, else the largest ``wl_i_j`` / ``bl_i_j`` indices do).
    solution : CircuitSolution
        Its solved operating point.

    Returns
    -------
    CrossbarSolution
        No batch axis.  Cells absent from the netlist (open) carry 0 A;
        their device voltage is the cell voltage.

    Raises
    ------
    CrossbarSpecError
        The circuit has no ``wl_i_j`` / ``bl_i_j`` node grid.
    """
    nv = solution.node_voltages_v
    idx = {"wl": [], "bl": [], "mid": []}
    for name in circuit.node_names:
        m = _GRID_NODE.match(name)
        if m:
            idx[m.group(1)].append((int(m.group(2)), int(m.group(3)), name))
    if not idx["wl"] or not idx["bl"]:
        raise CrossbarSpecError(f"circuit {circuit.title!r} is not a crossbar: it has no wl_<i>_<j> / bl_<i>_<j> nodes")
    meta = circuit.meta.get("crossbar", {})
    rows = int(meta.get("rows", 1 + max(i for i, _, _ in idx["wl"] + idx["bl"])))
    cols = int(meta.get("cols", 1 + max(j for _, j, _ in idx["wl"] + idx["bl"])))
    grids = {}
    for kind in idx:
        arr = np.full((rows, cols), np.nan)
        for i, j, name in idx[kind]:
            arr[i, j] = nv[name]
        grids[kind] = arr
    for kind in ("wl", "bl"):
        if np.isnan(grids[kind]).any():
            i, j = _first_index(np.isnan(grids[kind]))
            raise CrossbarSpecError(f"circuit {circuit.title!r} has no node {kind}_{i}_{j}")
    vw, vb = grids["wl"], grids["bl"]
    v_cell = vw - vb
    i_cell = np.zeros((rows, cols))
    v_dev = v_cell.copy()
    res = circuit.elements["resistor"]
    names = circuit.node_names
    for k, name in enumerate(res.names):
        m = re.match(r"^rcell_(\d+)_(\d+)$", name)
        if m:
            i, j = int(m.group(1)), int(m.group(2))
            v_d = nv[names[res.n_plus[k]]] - nv[names[res.n_minus[k]]]
            v_dev[i, j] = v_d
            i_cell[i, j] = v_d / res.params["value"][k]
    src = solution.source_currents_a
    v_src = dict(zip(circuit.elements["vsource"].names, circuit.elements["vsource"].params.get("value", [])))
    driver = np.array([-src.get(f"v_in_{i}", 0.0) for i in range(rows)])
    sense = np.array([src.get(f"v_out_{j}", 0.0) for j in range(cols)])
    p_src = sum(v_src.get(f"v_in_{i}", 0.0) * driver[i] for i in range(rows)) - sum(
        v_src.get(f"v_out_{j}", 0.0) * sense[j] for j in range(cols)
    )
    p_cells = float((i_cell * v_cell).sum())
    return CrossbarSolution(
        output_currents_a=sense.copy(),
        cell_voltages_v=v_cell,
        device_voltages_v=v_dev,
        cell_currents_a=i_cell,
        wordline_voltages_v=vw,
        bitline_voltages_v=vb,
        driver_currents_a=driver,
        sense_currents_a=sense,
        power_cells_w=p_cells,
        power_wires_w=float(p_src) - p_cells,
        backend=solution.backend,
        info={"method": "netlist", "title": circuit.title},
    )
