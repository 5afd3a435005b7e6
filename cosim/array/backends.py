"""Backends of :class:`cosim.array.CrossbarArray`: what the array asks a circuit.

A backend answers two questions about the array at its present state:

* ``read(model, state, g_s, v_in_v)``: bit-line currents for one read vector
  or a batch, and the power dissipated in the cells and the wires;
* ``apply(model, state, g_s, bias)``: the voltage across every device while
  a write bias is held, and the power dissipated.

``IdealBackend`` needs no circuit: no wires, ideal selectors (only the
selected cells of a pulse see a voltage, exactly the nominal one) and a read
is ``v @ G``.  ``CircuitBackend`` hands the same questions to
:class:`cosim.solvers.crossbar.CrossbarSolver` (``"nodal"`` or
``"ngspice"``), which solves the crossbar with its wires, drivers, sense
resistors and selectors.

Both return plain tuples so the array's hot loop stays light.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from cosim.devices.base import DeviceModel
from cosim.netlist.bias import Bias
from cosim.netlist.crossbar import CrossbarSpec

BACKENDS = ("ideal", "nodal", "ngspice")


def _device_iv(model: DeviceModel, state: np.ndarray) -> Callable | None:
    """Newton callback ``v -> (i_a, di_dv_s)`` for non-ohmic models, else None."""
    if model.ohmic:
        return None

    def iv(v_device_v):
        return model.current_a(state, v_device_v), model.dcurrent_dv_s(state, v_device_v)

    return iv


class IdealBackend:
    """No wires, ideal selectors (see the module docstring)."""

    name = "ideal"

    def read(self, model: DeviceModel, state: np.ndarray, g_s: np.ndarray, v_in_v: np.ndarray):
        """Currents ``(cols,)`` or ``(batch, cols)`` in ampere, power in cells and wires (watt, per vector).

        Ohmic models: ``I = v @ G`` and ``P = (v**2) @ G`` summed over columns.
        Non-ohmic models sum ``model.current_a`` at each row's voltage.
        """
        if model.ohmic:
            i_out = v_in_v @ g_s
            p_cells = (v_in_v * v_in_v) @ g_s
            p_cells = p_cells.sum(axis=-1)
        else:
            v_cell = np.broadcast_to(v_in_v[..., :, None], v_in_v.shape + (g_s.shape[1],))
            i_cell = model.current_a(state, v_cell)
            i_out = i_cell.sum(axis=-2)
            p_cells = (v_cell * i_cell).sum(axis=(-2, -1))
        return i_out, p_cells, np.zeros_like(p_cells)

    def read_cell_voltages(self, v_in_v: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        """Device voltages during a read of one vector (rows,): every cell sees its row's input."""
        return np.broadcast_to(v_in_v[:, None], shape)

    def apply(self, model: DeviceModel, state: np.ndarray, g_s: np.ndarray, bias: Bias):
        """Device voltages (rows, cols) in volt and power in cells and wires (watt).

        Ideal selectors: only ``bias.selected`` cells see a voltage, the
        nominal ``V_wl - V_bl``; every other cell sees 0 V, whatever the scheme.
        """
        v = ideal_cell_voltages_v(bias)
        if model.ohmic:
            p_cells = float(np.sum(v * v * g_s))
        else:
            p_cells = float(np.sum(v * model.current_a(state, v)))
        return v, p_cells, 0.0


def ideal_cell_voltages_v(bias: Bias) -> np.ndarray:
    """Nominal voltages with ideal-selector semantics: ``V_wl - V_bl`` on selected cells, 0 elsewhere."""
    v = bias.nominal_cell_voltages_v()
    if not bias.ideal_selector:
        v = np.where(bias.selected, v, 0.0)
    return v


class CircuitBackend:
    """The crossbar circuit, solved by :class:`cosim.solvers.crossbar.CrossbarSolver`.

    Parameters
    ----------
    spec : CrossbarSpec
        Geometry, wires, drivers, sense resistors, cell kind.
    backend : {"nodal", "ngspice"}
        Solver backend.
    solver_options : dict, optional
        Extra keyword arguments for ``CrossbarSolver`` (e.g. ``tol``).
    """

    def __init__(self, spec: CrossbarSpec, backend: str, solver_options: dict | None = None) -> None:
        # imported here so the ideal backend works without the solver layer's optional pieces
        from cosim.solvers.crossbar import CrossbarSolver

        self.name = backend
        self.spec = spec
        self.solver_options = dict(solver_options or {})
        self.solver = CrossbarSolver(spec, backend=backend, **self.solver_options)

    def read(self, model: DeviceModel, state: np.ndarray, g_s: np.ndarray, v_in_v: np.ndarray):
        sol = self.solver.read(g_s, v_in_v, device_iv=_device_iv(model, state))
        return sol.output_currents_a, np.asarray(sol.power_cells_w, float), np.asarray(sol.power_wires_w, float)

    def read_solution(self, model: DeviceModel, state: np.ndarray, g_s: np.ndarray, v_in_v: np.ndarray):
        """The full :class:`~cosim.solvers.result.CrossbarSolution` of a read."""
        return self.solver.read(g_s, v_in_v, device_iv=_device_iv(model, state))

    def apply(self, model: DeviceModel, state: np.ndarray, g_s: np.ndarray, bias: Bias):
        sol = self.solver.apply(g_s, bias, device_iv=_device_iv(model, state))
        return sol.device_voltages_v, float(sol.power_cells_w), float(sol.power_wires_w)
