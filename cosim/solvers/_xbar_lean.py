"""What an array's hot loop asks the solver, without the full solution (private).

:class:`~cosim.array.CrossbarArray` needs three things from a solve: the
voltage every device sees (a pulse sub-step) or the bit-line currents (a
read), and the power dissipated in the cells and in the wires.  Assembling a
whole :class:`~cosim.solvers.result.CrossbarSolution` (driver currents, cell
currents and voltages for every read vector, copies, the batch axis dropped)
costs as much as a small solve.  :class:`_SummaryMixin` answers those three
things from the same node voltages, one read vector at a time (the grids of
one vector stay in cache), with the same formulas as
:func:`cosim.solvers._xbar_result._assemble` (tested against the full solution
to 1e-12 relative, ``tests/test_crossbar_fastpaths.py``).  Non-linear cells
and ngspice take the full solve and pick the three things out of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from cosim.netlist.bias import Bias, read_bias
from cosim.netlist.crossbar import CrossbarSpec
from cosim.solvers._xbar_checks import _check_bias, _check_conductance, _check_inputs
from cosim._kernel_choice import default_kernel
from cosim.solvers._xbar_lines import _lean_kernels
from cosim.solvers._xbar_result import _wire_conductances, wire_power_numpy

_NO_GRID = np.zeros((0, 0))  # placeholders of the compiled summary's unused inputs
_NO_MASK = np.zeros((0, 0), bool)


class _SummaryMixin:
    """Needs ``spec``, ``backend``, ``_check_conditioning``, ``_network``, ``_cell_model``,
    ``_access_g``, ``_blocked``, ``_read_by_superposition``, ``_solve_linear_warm``,
    ``read`` and ``apply`` of the host solver."""

    spec: CrossbarSpec
    backend: str
    read: Callable[..., Any]
    apply: Callable[..., Any]
    _check_conditioning: Callable[..., Any]
    _network: Callable[..., Any]
    _cell_model: Callable[..., Any]
    _access_g: Callable[..., Any]
    _blocked: Callable[..., Any]
    _read_by_superposition: Callable[..., Any]
    _solve_linear_warm: Callable[..., Any]

    def apply_summary(self, g_cell_s, bias: Bias, *, device_iv=None) -> tuple[np.ndarray, float, float]:
        """Device voltages and powers of :meth:`apply`, without the full solution.

        Parameters
        ----------
        g_cell_s : array (rows, cols)
            Device conductance in siemens, >= 0.
        bias : Bias
            Line voltages, gates and ideal-selector mask.
        device_iv : callable, optional
            As in :meth:`apply` (then the full solve is made).

        Returns
        -------
        v_device_v : ndarray (rows, cols)
            Voltage across every device, volt (``apply(...).device_voltages_v``).
        power_cells_w, power_wires_w : float
            Power in the cells and in the wires (segments, driver and sense
            resistors), watt.
        """
        g = _check_conductance(self.spec, g_cell_s)
        _check_bias(self.spec, bias)
        lean = self._summary(g, bias, bias.wordline_v[None, :], bias.bitline_v[None, :], device_iv, False)
        if lean is None:
            sol = self.apply(g, bias, device_iv=device_iv)
            return sol.device_voltages_v, float(sol.power_cells_w), float(sol.power_wires_w)
        v_dev, _, p_c, p_w = lean
        return v_dev[0], float(p_c[0]), float(p_w[0])

    def read_summary(self, g_cell_s, v_in_v, *, device_iv=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Bit-line currents and powers of :meth:`read`, without the full solution.

        Parameters
        ----------
        g_cell_s : array (rows, cols)
            Device conductance in siemens, >= 0.
        v_in_v : array (rows,) or (batch, rows)
            Word-line input voltages, volt; bit lines at virtual ground.
        device_iv : callable, optional
            As in :meth:`read` (then the full solve is made).

        Returns
        -------
        output_currents_a : ndarray (cols,) or (batch, cols)
            Current into each sense node, ampere.
        power_cells_w, power_wires_w : ndarray () or (batch,)
            Power in the cells and in the wires per read vector, watt.
        """
        g = _check_conductance(self.spec, g_cell_s)
        v = _check_inputs(self.spec, v_in_v)
        vb = np.atleast_2d(v)
        bias = read_bias(vb[0], self.spec.cols)
        lean = self._summary(g, bias, vb, np.zeros((vb.shape[0], self.spec.cols)), device_iv, True)
        if lean is None:
            sol = self.read(g, vb, device_iv=device_iv)
            out = (sol.output_currents_a, np.asarray(sol.power_cells_w, float), np.asarray(sol.power_wires_w, float))
        else:
            out = lean[1:]
        return out if v.ndim == 2 else (out[0][0], out[1][0], out[2][0])

    def _summary(self, g, bias, v_wl, v_bl, device_iv, is_read):
        """(device voltages, sense currents, cell power, wire power) per vector, or None (full solve needed)."""
        if self.backend != "nodal":
            return None
        net = self._network(bias)
        g_eff, g_open = self._cell_model(g, bias, device_iv)
        if g_eff is None:
            return None
        self._check_conditioning(g)
        fast = self._read_by_superposition(net, g_eff, v_wl) if is_read else None
        vw, vb = self._solve_linear_warm(net, g_eff, v_wl, v_bl) if fast is None else fast
        g_acc = self._access_g(bias)
        frac = None
        if g_acc is not None:
            with np.errstate(invalid="ignore", divide="ignore"):
                frac = np.where(g_open > 0, g_acc / (g_open + g_acc), 1.0)
        blocked = self._blocked(bias)
        f64 = np.ascontiguousarray
        args = (
            f64(vw, float),
            f64(vb, float),
            f64(g_eff, float),
            _NO_GRID if frac is None else f64(np.broadcast_to(frac, g_eff.shape), float),
            frac is not None,
            _NO_MASK if blocked is None else f64(blocked, bool),
            blocked is not None,
            not is_read,
            net.driven_w,
            net.driven_b,
            f64(v_wl, float),
            f64(v_bl, float),
            _wire_conductances(self.spec, net),
        )
        # one compiled pass over each vector's grids, or the NumPy loop
        v_dev, sense, p_c, p_w = (_lean_kernels.summary if default_kernel() == "numba" else summary_numpy)(*args)
        return (None if is_read else v_dev), sense, p_c, p_w


def summary_numpy(
    vw, vb, g_eff, frac, use_frac, blocked, use_blocked, want_v_dev, driven_w, driven_b, v_wl, v_bl, wires
):
    """:func:`cosim.solvers._xbar_lean_kernels.summary` in NumPy (same arguments and results).

    The compiled form equals this one bit for bit in the device voltages and
    sense currents and to rounding (~1e-16 relative) in the powers.
    """
    batch, rows, cols = vw.shape
    v_dev = np.empty((batch if want_v_dev else 0, rows, cols))
    sense = np.empty((batch, cols))
    p_c = np.empty(batch)
    for k in range(batch):  # one vector's grids at a time: they stay in cache
        v_cell = vw[k] - vb[k]
        i_cell = g_eff * v_cell
        sense[k] = i_cell.sum(axis=0)
        p_c[k] = (i_cell * v_cell).sum()
        if want_v_dev:
            vd = v_cell * frac if use_frac else v_cell
            v_dev[k] = np.where(blocked, 0.0, vd) if use_blocked else vd
    sense = np.where(driven_b, sense, 0.0)
    return v_dev, sense, p_c, wire_power_numpy(vw, vb, driven_w, driven_b, v_wl, v_bl, wires)
