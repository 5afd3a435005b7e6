"""ngspice backend of :class:`cosim.solvers.crossbar.CrossbarSolver` (private).

The circuit is built by :func:`cosim.netlist.generate.crossbar_circuit`,
written with :func:`cosim.netlist.spice.write_spice`, run through
:func:`cosim.solvers.ngspice.run_ngspice` (``.op``), and mapped back by node
name (``wl_i_j``, ``bl_i_j``, ``mid_i_j``) and source name (``v_in_i``,
``v_out_j``) to a :class:`CrossbarSolution`.  One ngspice run per read vector.
"""

from __future__ import annotations

import numpy as np

from cosim.netlist.bias import Bias
from cosim.netlist.crossbar import CrossbarSpec, CrossbarSpecError
from cosim.solvers.result import CrossbarSolution


def _grid(values: dict[str, float], prefix: str, rows: int, cols: int, default: float = np.nan) -> np.ndarray:
    names = [f"{prefix}_{i}_{j}" for i in range(rows) for j in range(cols)]
    return np.array([values.get(n, default) for n in names], dtype=float).reshape(rows, cols)


def solve_ngspice(spec: CrossbarSpec, g, bias: Bias, v_wl, v_bl, device_iv, network) -> CrossbarSolution:
    """Batched CrossbarSolution from one ngspice ``.op`` per row of ``v_wl``/``v_bl``."""
    from cosim.netlist.generate import crossbar_circuit
    from cosim.netlist.spice import write_spice
    from cosim.solvers._xbar_result import _assemble
    from cosim.solvers.ngspice import run_ngspice

    if device_iv is not None:
        raise CrossbarSpecError("device_iv (a non-ohmic device) is not supported by the ngspice backend; use 'nodal'")
    rows, cols = spec.shape
    with np.errstate(divide="ignore"):
        r_cell = 1.0 / g
    out = {k: [] for k in ("vw", "vb", "vc", "vd", "ic", "iin", "iout")}
    backend = "ngspice"
    for k in range(v_wl.shape[0]):
        b = Bias(
            wordline_v=v_wl[k],
            bitline_v=v_bl[k],
            gate_on=bias.gate_on,
            selected=bias.selected,
            ideal_selector=bias.ideal_selector,
        )
        sol = run_ngspice(write_spice(crossbar_circuit(spec, r_cell, b)))
        backend = sol.backend
        nv, sc = sol.node_voltages_v, sol.source_currents_a
        vw = _grid(nv, "wl", rows, cols)
        vb = _grid(nv, "bl", rows, cols)
        vc = vw - vb
        present = g > 0
        if bias.ideal_selector:
            present = present & bias.selected
        if spec.cell == "1R":
            vd = vc.copy()
            ic = np.where(present, g * vc, 0.0)
        else:
            vmid = _grid(nv, "mid", rows, cols)
            vd = np.where(present, vw - vmid, vc)
            ic = np.where(present, g * np.nan_to_num(vw - vmid), 0.0)
        if bias.ideal_selector:
            vd = np.where(bias.selected, vd, 0.0)
        # SPICE sign: a source's branch current flows into its + node; the
        # driver delivers the opposite, the sense source takes the output
        iin = np.array([-sc.get(f"v_in_{i}", 0.0) for i in range(rows)])
        iout = np.array([sc.get(f"v_out_{j}", 0.0) for j in range(cols)])
        for key, val in zip(out, (vw, vb, vc, vd, ic, iin, iout)):
            out[key].append(val)
    arr = {key: np.stack(val) for key, val in out.items()}
    result = _assemble(
        spec, network, arr["vw"], arr["vb"], arr["vc"], arr["vd"], arr["ic"], v_wl, v_bl, {"method": "ngspice"}, backend
    )
    result.driver_currents_a = arr["iin"]
    result.sense_currents_a = arr["iout"]
    result.output_currents_a = arr["iout"].copy()
    return result
