"""The sub-step integration of one pulse (the quasi-static coupling of :mod:`cosim.array.core`).

A pulse of width ``T`` is cut into power-of-two sub-steps. Each accepted
sub-step solves the circuit once at its start state, advances the devices for
its duration at the voltages of that solve, and is halved (re-advanced from
the same solution) while the largest relative conductance change exceeds the
split tolerance; after a sub-step whose change is below half the tolerance
the next one doubles. See the module docstring of :mod:`cosim.array.core`.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

import numpy as np

from cosim.array._substep_kernels import rel_change as _rel_change
from cosim.array.advance import moving_cells
from cosim.devices.base import DeviceModel
from cosim.netlist.bias import Bias

#: ``solve(model, state, g_s, bias) -> (v_device_v, power_cells_w, power_wires_w)``
Solve = Callable[[DeviceModel, np.ndarray, np.ndarray, Bias], tuple[np.ndarray, float, float]]


@dataclass
class PulseRun:
    """The outcome of :func:`integrate_pulse`.

    Attributes
    ----------
    state, g : ndarray (rows, cols)
        Device state and conductance (siemens) after the pulse.
    v_dt_sum : ndarray (rows, cols)
        Sum over accepted sub-steps of device voltage times duration, volt second.
    energy_cells_j, energy_wires_j : float
        Energy in the cells and in the wires, joule.
    n_substeps, n_advances : int
        Accepted sub-steps (circuit solves) and ``model.advance`` calls.
    max_rel_change : float
        Largest relative conductance change of one cell in one accepted sub-step.
    tolerance_met : bool
        False if a minimum-length sub-step still exceeded the tolerance.
    """

    state: np.ndarray
    g: np.ndarray
    v_dt_sum: np.ndarray
    energy_cells_j: float
    energy_wires_j: float
    n_substeps: int
    n_advances: int
    max_rel_change: float
    tolerance_met: bool


def integrate_pulse(
    solve: Solve,
    model: DeviceModel,
    rng: np.random.Generator,
    state: np.ndarray,
    g: np.ndarray,
    stuck: np.ndarray | None,
    bias: Bias,
    width: float,
    *,
    max_halvings: int,
    split_tolerance: float,
    sparse_advance: bool,
) -> PulseRun:
    """Hold ``bias`` for ``width`` seconds on the cells ``state`` (conductance ``g``, siemens).

    Parameters
    ----------
    solve : callable
        The backend's ``apply``: device voltages and powers at a state.
    model, rng
        Device model and the generator its stochastic advance draws from.
    state, g : ndarray (rows, cols)
        Start state and its conductance; not modified.
    stuck : ndarray of bool (rows, cols) or None
        Cells that keep their state.
    bias : Bias
        The held line voltages.
    width : float
        Pulse width, second, > 0 (checked by the caller).
    max_halvings : int
        The shortest sub-step is ``width / 2**max_halvings``.
    split_tolerance : float
        Largest accepted relative conductance change per sub-step (inf: one solve).
    sparse_advance : bool
        Advance only the cells at a non-zero voltage (exact for models that do
        not move at 0 V, see :mod:`cosim.array.advance`).
    """
    units = 1 << max_halvings  # the pulse is `units` minimum sub-steps long
    pos = 0
    step = units
    tol = split_tolerance
    v_sum = np.zeros(np.shape(state))
    e_cells = e_wires = 0.0
    n_sub = n_adv = 0
    max_rel = 0.0
    tol_met = True
    while pos < units:
        step = min(step, units - pos)
        v_dev, p_cells, p_wires = solve(model, state, g, bias)
        n_sub += 1
        # exact shortcut: only cells at a non-zero voltage can move (see cosim.array.advance)
        idx = moving_cells(v_dev) if sparse_advance else None
        if idx is not None:
            s_i, v_i, g_i = state.ravel()[idx], v_dev.ravel()[idx], g.ravel()[idx]
            stuck_i = None if stuck is None else stuck.ravel()[idx]
        while True:
            dt = width * step / units
            n_adv += 1
            if idx is None:
                new = np.asarray(model.advance(state, v_dev, dt, rng), dtype=float)
                if stuck is not None:
                    new = np.where(stuck, state, new)
                g_new = np.asarray(model.conductance_s(new), dtype=float)
                rel = _rel_change(g, g_new) if tol != np.inf else 0.0
            elif idx.size == 0:
                new, g_new, rel = state, g, 0.0
            else:
                new_i = np.asarray(model.advance(s_i, v_i, dt, rng), dtype=float)
                if stuck_i is not None:
                    new_i = np.where(stuck_i, s_i, new_i)
                g_new_i = np.asarray(model.conductance_s(new_i), dtype=float)
                rel = _rel_change(g_i, g_new_i) if tol != np.inf else 0.0
            if rel <= tol or step == 1:
                break
            step //= 2
        if idx is not None and idx.size:
            new, g_new = state.copy(), g.copy()
            np.put(new, idx, new_i)
            np.put(g_new, idx, g_new_i)
        if rel > tol:
            tol_met = False
        max_rel = max(max_rel, rel)
        e_cells += p_cells * dt
        e_wires += p_wires * dt
        v_sum += v_dev * dt
        state, g = new, g_new
        pos += step
        if rel < tol / 2 and step < units:
            step *= 2
    return PulseRun(state, g, v_sum, e_cells, e_wires, n_sub, n_adv, max_rel, tol_met)
