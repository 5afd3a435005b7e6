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

from collections.abc import Callable

import numpy as np

from cosim.array._substep_kernels import REUSE_SAME, REUSE_STALE, reuse_verdict
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
    reuse_tolerance : float, default 0
        Factorisation reuse (1R cells with an ohmic model only; exact
        otherwise). The solver refactorises whenever the conductances it is
        given change. With ``reuse_tolerance > 0`` the backend keeps handing it
        the *reference* conductances ``G_ref`` of the last factorisation while
        every cell's present conductance ``G`` is within
        ``|G - G_ref| / max(G, G_ref) <= reuse_tolerance``, and corrects the
        result to first order: cell currents are ``G * V_cell`` with the
        node voltages solved at ``G_ref`` (so a read sees every conductance
        change; the bit-line current is the sum of its cell currents by
        Kirchhoff), cell power ``sum G V_cell^2``. What is neglected is how
        the changed cell currents shift the node voltages through the wires:
        ``|dV_cell| ~ |G - G_ref| |V_cell| R_path``, with ``R_path`` the wire,
        driver and sense resistance on the cell's path: a relative error of
        about ``|G - G_ref| / G * G * R_path`` per changed cell (5e-6 on a
        bit-line current for one cell moved 0.4 % in a 16 x 16 array of 11
        kohm cells with 2 ohm segments, against 2.3e-4 without the
        correction), adding up over the changed cells. Measured on that array
        with ``reuse_tolerance=0.02`` over 30 single-cell V/2 pulses (each
        moving ~31 cells): bit-line currents within 2.8e-4 of exact (tested
        at 5e-4).
        Wire power
        is that of the ``G_ref`` solve. 0 (default): always exact.
    line_pulses : bool, default True
        Solve an ideal-selector pulse whose conducting cells share one line
        exactly in O(n) as the tree it is (:func:`cosim.solvers.row_pulse.solve_line_pulse`;
        nodal backend, 1R cells, ohmic model), at the present conductances
        even when ``reuse_tolerance > 0`` (it is cheaper than the stale solve
        and exact). False: the general solver (the reference).
        The same flag turns on the read memo: while the array's state is
        the same object (no pulse, idle or ``set_state`` since), a read
        vector already solved at that state is answered from memory (the
        same numbers, the circuit being deterministic; read noise is added
        by the array afterwards). Exact reads only (not the stale
        ``reuse_tolerance`` path). And exact pulses and reads ask the
        solver only for what the array uses (``apply_summary`` /
        ``read_summary``: device voltages or bit-line currents, and the
        powers), not for the full solution.
    """

    def __init__(
        self,
        spec: CrossbarSpec,
        backend: str,
        solver_options: dict | None = None,
        reuse_tolerance: float = 0.0,
        line_pulses: bool = True,
    ) -> None:
        # imported here so the ideal backend works without the solver layer's optional pieces
        from cosim.solvers.crossbar import CrossbarSolver

        self.name = backend
        self.spec = spec
        self.solver_options = dict(solver_options or {})
        self.solver = CrossbarSolver(spec, backend=backend, **self.solver_options)
        self.reuse_tolerance = float(reuse_tolerance)
        self._g_ref: np.ndarray | None = None
        self.set_line_pulses(line_pulses)
        self.stats = {"stale_solves": 0, "exact_solves": 0, "line_pulses": 0, "memo_reads": 0}
        self._memo_state = self._memo_g = None
        self._memo: dict[bytes, tuple] = {}

    #: most read vectors remembered for one state
    MEMO_MAX = 4096

    def set_line_pulses(self, flag: bool) -> None:
        """Turn the O(n) line-pulse solve (nodal backend, 1R cells), the read memo and the lean solves on or off."""
        self.line_pulses = bool(flag) and self.name == "nodal" and self.spec.cell == "1R"
        self.memo_reads = bool(flag)
        self.lean = bool(flag)

    def _reference(self, model: DeviceModel, g_s: np.ndarray) -> np.ndarray | None:
        """``G_ref`` to solve at instead of ``g_s``, or None for an exact solve."""
        if self.reuse_tolerance <= 0 or not model.ohmic or self.spec.cell != "1R":
            return None
        ref = self._g_ref
        if ref is not None:
            # open cells must stay open: the network topology may not change
            verdict = REUSE_SAME if ref is g_s else reuse_verdict(ref, g_s, self.reuse_tolerance)
            if verdict == REUSE_SAME:
                return None
            if verdict == REUSE_STALE:
                self.stats["stale_solves"] += 1
                return ref
        self._g_ref = np.array(g_s, copy=True)
        return None

    def _exact_read(self, model, state, g_s, v_in_v):
        self.stats["exact_solves"] += 1
        if self.lean:
            return self.solver.read_summary(g_s, v_in_v, device_iv=_device_iv(model, state))
        sol = self.solver.read(g_s, v_in_v, device_iv=_device_iv(model, state))
        return sol.output_currents_a, np.asarray(sol.power_cells_w, float), np.asarray(sol.power_wires_w, float)

    def _memo_read(self, model, state, g_s, v_in_v):
        """Exact read, each vector solved at most once per state object (see ``line_pulses``)."""
        # the arrays are replaced, never changed in place, when the state moves: identity is exact
        if state is not self._memo_state or g_s is not self._memo_g:
            self._memo_state, self._memo_g, self._memo = state, g_s, {}
        vecs = np.atleast_2d(v_in_v)
        keys = [vec.tobytes() for vec in vecs]
        miss = [k for k, key in enumerate(keys) if key not in self._memo]
        if miss:
            # the misses once each (a batch may repeat a vector)
            first = {}
            for k in miss:
                first.setdefault(keys[k], k)
            todo = list(first.values())
            i_out, p_c, p_w = self._exact_read(model, state, g_s, vecs[todo])
            if len(self._memo) + len(todo) > self.MEMO_MAX:
                self._memo = {}
            for n, k in enumerate(todo):
                self._memo[keys[k]] = (i_out[n], p_c[n], p_w[n])
        self.stats["memo_reads"] += len(keys) - len(miss)
        got = [self._memo[key] for key in keys]
        i_out = np.array([g[0] for g in got])
        p_c = np.array([g[1] for g in got])
        p_w = np.array([g[2] for g in got])
        if np.ndim(v_in_v) == 1:
            return i_out[0], p_c[0], p_w[0]
        return i_out, p_c, p_w

    def read(self, model: DeviceModel, state: np.ndarray, g_s: np.ndarray, v_in_v: np.ndarray):
        ref = self._reference(model, g_s)
        if ref is None:
            if self.memo_reads:
                return self._memo_read(model, state, g_s, v_in_v)
            return self._exact_read(model, state, g_s, v_in_v)
        sol = self.solver.read(ref, v_in_v)
        v_cell = sol.cell_voltages_v
        i_cell = g_s * v_cell
        return (i_cell.sum(axis=-2), (i_cell * v_cell).sum(axis=(-2, -1)), np.asarray(sol.power_wires_w, float))

    def read_solution(self, model: DeviceModel, state: np.ndarray, g_s: np.ndarray, v_in_v: np.ndarray):
        """The full (exact) :class:`~cosim.solvers.result.CrossbarSolution` of a read."""
        return self.solver.read(g_s, v_in_v, device_iv=_device_iv(model, state))

    def apply(self, model: DeviceModel, state: np.ndarray, g_s: np.ndarray, bias: Bias):
        if self.line_pulses and bias.ideal_selector and model.ohmic:
            from cosim.solvers.row_pulse import solve_line_pulse

            tree = solve_line_pulse(self.spec, g_s, bias)
            if tree is not None:
                self.stats["line_pulses"] += 1
                return tree.device_voltages_v, tree.power_cells_w, tree.power_wires_w
        ref = self._reference(model, g_s)
        if ref is None:
            self.stats["exact_solves"] += 1
            if self.lean:
                return self.solver.apply_summary(g_s, bias, device_iv=_device_iv(model, state))
            sol = self.solver.apply(g_s, bias, device_iv=_device_iv(model, state))
            return sol.device_voltages_v, float(sol.power_cells_w), float(sol.power_wires_w)
        if self.lean:
            v_dev, _, p_w = self.solver.apply_summary(ref, bias)
        else:
            sol = self.solver.apply(ref, bias)
            v_dev, p_w = sol.device_voltages_v, float(sol.power_wires_w)
        return v_dev, float(np.sum(g_s * v_dev * v_dev)), p_w
