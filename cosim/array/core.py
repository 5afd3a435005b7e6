"""The co-simulated crossbar: geometry + device model + per-cell state + a backend.

:class:`CrossbarArray` owns the per-cell device state. A read asks the
backend for the bit-line currents at the present conductances; a pulse asks
it for the voltage every device actually sees under a write bias and advances
every cell (selected, half-selected and unselected alike) with
``model.advance``.  Half-select disturb and IR-drop-weakened writes therefore
come out of the circuit, not out of special cases.

Quasi-static coupling
---------------------
A pulse of width ``T`` is integrated in sub-steps. At the start of a
sub-step the circuit is solved at the present state, every device is
advanced with the voltage it sees for the sub-step's duration ``dt``
(``model.advance`` is exact or error-bounded at constant voltage), and the
relative conductance change of every cell, ``|G_new - G| / max(G, G_new)``,
is measured.  If the largest change exceeds ``split_tolerance`` the sub-step
is halved and re-advanced from the same solution (no new solve is needed:
the voltages belong to the start state); after an accepted sub-step whose
change is below half the tolerance the next one doubles. Sub-steps are
powers-of-two fractions of ``T``, no shorter than ``T / 2**max_halvings``;
a sub-step of that minimum length is accepted even above the tolerance and
the report says ``tolerance_met=False``.  Each accepted sub-step costs one
circuit solve.  ``split_tolerance=inf`` gives one solve per pulse.

Energy
------
Every read and pulse reports the energy dissipated in the cells and in the
wires (word/bit-line segments, driver and sense resistors): power from the
solve at the start of each sub-step times its duration, summed over sub-steps
(a left Riemann sum in time; it converges as ``split_tolerance`` shrinks). A
read of one vector lasts ``read_width_s``; a batch of ``b`` vectors is ``b``
reads. The running totals are ``energy_cells_j``, ``energy_wires_j`` and
``energy_j``.
"""

from __future__ import annotations

import copy as _copy

import numpy as np

from cosim.array.advance import static_at_zero_v
from cosim.array.backends import BACKENDS, CircuitBackend, IdealBackend, ideal_cell_voltages_v
from cosim.array.reports import ArrayError, PulseReport, ReadReport, finite_positive, read_only
from cosim.array.substeps import integrate_pulse
from cosim.devices.base import DeviceModel
from cosim.netlist.bias import Bias, SCHEMES, write_bias
from cosim.netlist.crossbar import CrossbarSpec

__all__ = ["CrossbarArray"]  # the reports and ArrayError are documented in cosim.array.reports


class CrossbarArray:
    """A crossbar of memristive devices whose reads and pulses go through a circuit.

    Parameters
    ----------
    model : DeviceModel
        The device model (its parameters may be arrays broadcastable to
        ``(rows, cols)``: device-to-device spread lives in the model).
    state : array_like (rows, cols)
        Initial per-cell state, validated with ``model.check_state``; copied.
    spec : CrossbarSpec, optional
        Geometry and wiring. Required for ``"nodal"`` and ``"ngspice"``; for
        ``"ideal"`` it may be omitted (shape from ``state``); when given its
        wires are ignored by the ideal backend.
    backend : {"ideal", "nodal", "ngspice"}
        ``"ideal"``: no wires, ideal selectors (a read is ``v @ G``; a pulse
        delivers exactly the nominal voltage to the selected cells and nothing
        to the others, whatever the write scheme). ``"nodal"`` / ``"ngspice"``:
        :class:`cosim.solvers.crossbar.CrossbarSolver` on ``spec``.
    read_noise : callable or object with ``apply(values, rng)``, optional
        Applied to the bit-line currents of every read, drawing from ``rng``
        (e.g. the devices layer's read-noise helper). None: noiseless reads.
    rng : numpy.random.Generator or int, optional
        Source of every random draw the array makes (read noise,
        cycle-to-cycle noise inside ``model.advance``). An int seeds a new
        Generator. None: ``numpy.random.default_rng(0)`` (reproducible).
    split_tolerance : float, default 0.05
        Largest relative conductance change of any cell inside one sub-step
        of a pulse before the pulse is split (see the module docstring).
        ``inf`` disables splitting. Models with ``pulse_counted = True`` (one
        ``advance`` call is one pulse, e.g. ``MeasuredCurve``) are never split.
    max_halvings : int, default 12
        A sub-step is never shorter than ``width_s / 2**max_halvings``.
    stuck : array_like of bool (rows, cols), optional
        Stuck-at cells: their state never changes (set the stuck value with
        ``state`` or :meth:`set_state`).
    read_width_s : float, default 1e-6
        Duration of one read, second (energy and read disturb).
    read_disturb : bool, default False
        If True the read voltage, held for ``read_width_s``, advances the
        state of every cell (each vector of a batch in turn).
    solver_options : dict, optional
        Passed to ``CrossbarSolver`` (e.g. ``{"tol": 1e-12}``).
    reuse_tolerance : float, default 0
        Circuit backends, 1R cells, ohmic models: keep solving with the last
        factorised conductances while no cell has moved more than this
        (relative) since, with a first-order correction (see
        :class:`cosim.array.backends.CircuitBackend` for the error it allows).
        0: every solve exact. About 0.02 makes long single-cell pulse
        sequences (verified writes) several times faster.
    fast_paths : bool, default True
        Exact shortcuts (the same results to rounding, tested against the
        reference path to 1e-9 relative): an ideal-selector pulse whose
        conducting cells share one line is solved as the tree it is, in
        O(n) (:mod:`cosim.solvers.row_pulse`; nodal backend, 1R cells, ohmic
        models); only the cells that see a non-zero voltage are advanced
        when the model leaves a cell at 0 V exactly unchanged
        (:mod:`cosim.array.advance`). False: every solve goes through the
        general solver and every cell is advanced at every sub-step (the
        reference).

    Raises
    ------
    ArrayError
        Unknown backend, missing spec, wrong state or mask shape, bad
        tolerance, width or noise object; ``DeviceError`` (from the model)
        for a state outside the model's bounds.

    Examples
    --------
    See the array page of the docs, ``docs/layers/array.md``.
    """

    def __init__(
        self,
        model: DeviceModel,
        state,
        *,
        spec: CrossbarSpec | None = None,
        backend: str = "ideal",
        read_noise=None,
        rng: np.random.Generator | int | None = None,
        split_tolerance: float = 0.05,
        max_halvings: int = 12,
        stuck=None,
        read_width_s: float = 1e-6,
        read_disturb: bool = False,
        solver_options: dict | None = None,
        reuse_tolerance: float = 0.0,
        fast_paths: bool = True,
    ) -> None:
        if not isinstance(model, DeviceModel):
            raise ArrayError(f"model must be a cosim.devices.base.DeviceModel, got {type(model).__name__}")
        if backend not in BACKENDS:
            raise ArrayError(f"unknown backend {backend!r}; expected one of {BACKENDS}")
        if spec is not None and not isinstance(spec, CrossbarSpec):
            raise ArrayError(f"spec must be a CrossbarSpec or None, got {type(spec).__name__}")
        if spec is None and backend != "ideal":
            raise ArrayError(f"backend {backend!r} needs a CrossbarSpec (spec=...); only 'ideal' works without one")
        state_arr = np.asarray(state, dtype=float)
        if state_arr.ndim != 2:
            raise ArrayError(f"state must be a 2-D (rows, cols) array, got shape {state_arr.shape}")
        if spec is not None and state_arr.shape != spec.shape:
            raise ArrayError(f"state has shape {state_arr.shape}; the crossbar spec is {spec.shape}")
        self.model = model
        self.spec = spec
        self.backend = backend
        self._shape = state_arr.shape
        self.split_tolerance = finite_positive("split_tolerance", split_tolerance, allow_inf=True)
        if not isinstance(max_halvings, (int, np.integer)) or not 0 <= max_halvings <= 40:
            raise ArrayError(f"max_halvings must be an integer in 0..40, got {max_halvings!r}")
        self.max_halvings = int(max_halvings)
        self.read_width_s = finite_positive("read_width_s", read_width_s)
        self.read_disturb = bool(read_disturb)
        if read_noise is not None and not (callable(read_noise) or hasattr(read_noise, "apply")):
            raise ArrayError(
                f"read_noise must be None, a callable (values, rng) -> values or an object with "
                f"apply(values, rng); got {type(read_noise).__name__}"
            )
        self.read_noise = read_noise
        if rng is None:
            rng = np.random.default_rng(0)
        elif isinstance(rng, (int, np.integer)):
            rng = np.random.default_rng(int(rng))
        elif not isinstance(rng, np.random.Generator):
            raise ArrayError(f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")
        self.rng = rng
        self._stuck = self._check_mask("stuck", stuck) if stuck is not None else None
        self.solver_options = dict(solver_options or {})
        self.reuse_tolerance = finite_positive("reuse_tolerance", reuse_tolerance, allow_zero=True)
        self._fast_paths = True
        self._backend = self._make_backend()
        self.fast_paths = fast_paths
        self._state = np.empty(self._shape)
        self._g = np.empty(self._shape)
        self.set_state(state_arr)
        self.energy_cells_j = 0.0
        self.energy_wires_j = 0.0

    # -- construction helpers -------------------------------------------
    def _make_backend(self):
        if self.backend == "ideal":
            return IdealBackend()
        return CircuitBackend(
            self.spec, self.backend, self.solver_options, self.reuse_tolerance, line_pulses=self._fast_paths
        )

    @property
    def fast_paths(self) -> bool:
        """Whether the exact shortcuts are used (see the ``fast_paths`` parameter); settable."""
        return self._fast_paths

    @fast_paths.setter
    def fast_paths(self, flag: bool) -> None:
        if not isinstance(flag, (bool, np.bool_)):
            raise ArrayError(f"fast_paths must be True or False, got {flag!r}")
        self._fast_paths = bool(flag)
        self._sparse_advance = self._fast_paths and static_at_zero_v(self.model)
        if isinstance(self._backend, CircuitBackend):
            self._backend.set_line_pulses(self._fast_paths)

    def _check_mask(self, name: str, mask) -> np.ndarray:
        arr = np.asarray(mask)
        if arr.shape != self._shape:
            raise ArrayError(f"{name} mask has shape {arr.shape}; the array is {self._shape}")
        if arr.dtype != bool:
            raise ArrayError(f"{name} mask must be boolean, got dtype {arr.dtype}")
        return arr.copy()

    # -- state -----------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)``."""
        return self._shape

    @property
    def rows(self) -> int:
        return self._shape[0]

    @property
    def cols(self) -> int:
        return self._shape[1]

    @property
    def state(self) -> np.ndarray:
        """Per-cell device state (rows, cols), a read-only view; change it with :meth:`set_state`."""
        view = self._state.view()
        view.flags.writeable = False
        return view

    @property
    def conductance_s(self) -> np.ndarray:
        """Per-cell read conductance in siemens (rows, cols), read-only."""
        view = self._g.view()
        view.flags.writeable = False
        return view

    @property
    def stuck(self) -> np.ndarray | None:
        """Boolean mask of stuck cells, or None."""
        return None if self._stuck is None else self._stuck.copy()

    def set_stuck(self, mask) -> None:
        """Replace the stuck-cell mask (boolean (rows, cols), or None for none)."""
        self._stuck = None if mask is None else self._check_mask("stuck", mask)

    def set_state(self, state) -> None:
        """Replace the per-cell state (validated with ``model.check_state``; copied).

        Stuck cells take the new value too (that is how a stuck value is set).

        Raises
        ------
        ArrayError
            Wrong shape.
        DeviceError
            NaN or a value outside the model's bounds (named by the model).
        """
        arr = np.asarray(state, dtype=float)
        if arr.shape != self._shape:
            raise ArrayError(f"state has shape {arr.shape}; the array is {self._shape}")
        arr = np.array(self.model.check_state(arr), dtype=float, copy=True)
        self._state = arr
        self._g = np.asarray(self.model.conductance_s(arr), dtype=float)

    @property
    def energy_j(self) -> float:
        """Running total of dissipated energy (cells + wires), joule."""
        return self.energy_cells_j + self.energy_wires_j

    def reset_energy(self) -> None:
        """Zero the running energy totals."""
        self.energy_cells_j = 0.0
        self.energy_wires_j = 0.0

    def copy(self) -> CrossbarArray:
        """An independent array: same model, spec, backend and settings; copied
        state, stuck mask, energy totals and random-generator state (so the copy
        and the original draw the same numbers from here on)."""
        new = object.__new__(CrossbarArray)
        new.__dict__.update(self.__dict__)
        new._state = self._state.copy()
        new._g = self._g.copy()
        new._stuck = None if self._stuck is None else self._stuck.copy()
        new.rng = _copy.deepcopy(self.rng)
        new._backend = new._make_backend()
        return new

    def __repr__(self) -> str:
        return (
            f"CrossbarArray({self.model.name}, shape={self._shape}, backend={self.backend!r}, "
            f"split_tolerance={self.split_tolerance})"
        )

    # -- read --------------------------------------------------------------
    def _check_read_input(self, v_in_v) -> np.ndarray:
        v = np.asarray(v_in_v, dtype=float)
        if v.ndim not in (1, 2) or v.shape[-1] != self.rows:
            raise ArrayError(f"v_in_v has shape {v.shape}; expected ({self.rows},) or (batch, {self.rows})")
        if not np.isfinite(v).all():
            idx = tuple(int(k) for k in np.argwhere(~np.isfinite(v))[0])
            raise ArrayError(f"v_in_v must be finite volts, got {float(v[idx])!r} at index {idx}")
        return v

    def _apply_noise(self, currents: np.ndarray) -> np.ndarray:
        if self.read_noise is None:
            return currents
        if hasattr(self.read_noise, "apply"):
            return np.asarray(self.read_noise.apply(currents, self.rng), dtype=float)
        return np.asarray(self.read_noise(currents, self.rng), dtype=float)

    def read_report(self, v_in_v) -> ReadReport:
        """Read and return a :class:`ReadReport` (currents, energy, duration).

        See :meth:`read` for the arguments.
        """
        v = self._check_read_input(v_in_v)
        n_vec = 1 if v.ndim == 1 else v.shape[0]
        if self.read_disturb:
            currents, e_cells, e_wires = self._read_with_disturb(v)
        else:
            currents, p_cells, p_wires = self._backend.read(self.model, self._state, self._g, v)
            e_cells = float(np.sum(p_cells)) * self.read_width_s
            e_wires = float(np.sum(p_wires)) * self.read_width_s
        currents = self._apply_noise(np.asarray(currents, dtype=float))
        self.energy_cells_j += e_cells
        self.energy_wires_j += e_wires
        return ReadReport(currents, v, n_vec * self.read_width_s, e_cells, e_wires)

    def read(self, v_in_v) -> np.ndarray:
        """Bit-line currents for word-line inputs ``v_in_v``.

        Parameters
        ----------
        v_in_v : array_like, (rows,) or (batch, rows)
            Word-line read voltages, volt; bit lines at virtual ground.

        Returns
        -------
        ndarray, (cols,) or (batch, cols)
            Current out of each bit line, ampere (``v @ G`` on the ideal
            backend), read noise included when enabled.

        Raises
        ------
        ArrayError
            Wrong shape or a non-finite voltage (index named).
        """
        return self.read_report(v_in_v).currents_a

    # numpy must defer ``ndarray @ array`` to __rmatmul__ instead of coercing the array
    __array_ufunc__ = None

    def __rmatmul__(self, v_in_v) -> np.ndarray:
        """``v @ array`` is :meth:`read` (like ``v @ G``)."""
        return self.read(v_in_v)

    def _read_with_disturb(self, v: np.ndarray):
        vecs = v[None, :] if v.ndim == 1 else v
        out = np.empty((vecs.shape[0], self.cols))
        e_cells = e_wires = 0.0
        for k, vec in enumerate(vecs):
            if isinstance(self._backend, IdealBackend):
                i_out, p_c, p_w = self._backend.read(self.model, self._state, self._g, vec)
                v_dev = self._backend.read_cell_voltages(vec, self._shape)
            else:
                sol = self._backend.read_solution(self.model, self._state, self._g, vec)
                i_out, p_c, p_w = sol.output_currents_a, sol.power_cells_w, sol.power_wires_w
                v_dev = sol.device_voltages_v
            out[k] = i_out
            e_cells += float(p_c) * self.read_width_s
            e_wires += float(p_w) * self.read_width_s
            self._advance_all(v_dev, self.read_width_s)
        return (out[0] if v.ndim == 1 else out), e_cells, e_wires

    def _advance_all(self, v_dev: np.ndarray, dt: float) -> None:
        new = np.asarray(self.model.advance(self._state, v_dev, dt, self.rng), dtype=float)
        if self._stuck is not None:
            new = np.where(self._stuck, self._state, new)
        self._state = new
        self._g = np.asarray(self.model.conductance_s(new), dtype=float)

    # -- pulse -------------------------------------------------------------
    def pulse(self, bias: Bias, width_s: float) -> PulseReport:
        """Hold ``bias`` for ``width_s`` seconds; every cell advances with the voltage it sees.

        Parameters
        ----------
        bias : Bias
            Line voltages (see :mod:`cosim.netlist.bias`), shape (rows, cols).
        width_s : float
            Pulse width, second, >= 0 (0 changes nothing).

        Returns
        -------
        PulseReport

        Raises
        ------
        ArrayError
            Not a Bias, wrong bias shape, negative / NaN / infinite width.
        """
        if not isinstance(bias, Bias):
            raise ArrayError(f"bias must be a cosim.netlist.bias.Bias, got {type(bias).__name__}")
        if bias.shape != self._shape:
            raise ArrayError(f"bias has shape {bias.shape}; the array is {self._shape}")
        width = finite_positive("width_s", width_s, allow_zero=True)
        state0 = self._state
        v_nominal = ideal_cell_voltages_v(bias) if self.backend == "ideal" else bias.nominal_cell_voltages_v()
        if width == 0.0:
            z = np.zeros(self._shape)
            return PulseReport(bias, 0.0, v_nominal, z, state0.copy(), state0.copy(), 0.0, 0.0, 0, 0, 0.0, True)

        # a pulse-counted model (one advance call = one pulse, e.g. MeasuredCurve) must not be split
        tol = np.inf if getattr(self.model, "pulse_counted", False) else self.split_tolerance
        run = integrate_pulse(
            self._backend.apply,
            self.model,
            self.rng,
            self._state,
            self._g,
            self._stuck,
            bias,
            width,
            max_halvings=self.max_halvings,
            split_tolerance=tol,
            sparse_advance=self._sparse_advance,
        )
        self._state, self._g = run.state, run.g
        self.energy_cells_j += run.energy_cells_j
        self.energy_wires_j += run.energy_wires_j
        return PulseReport(
            bias=bias,
            width_s=width,
            v_applied_v=v_nominal,
            v_device_v=run.v_dt_sum / width,
            state_before=read_only(state0),
            state_after=read_only(run.state),
            energy_cells_j=run.energy_cells_j,
            energy_wires_j=run.energy_wires_j,
            n_substeps=run.n_substeps,
            n_advances=run.n_advances,
            max_rel_change=run.max_rel_change,
            tolerance_met=run.tolerance_met,
        )

    def cell_voltages_v(self, bias: Bias) -> np.ndarray:
        """Voltage every device would see under ``bias`` at the present state, without applying it.

        The same solve a pulse makes at its start (for predictors such as a
        circuit-aware verified write). Returns (rows, cols), volt: across the
        memristive device (for 1S1R / 1T1R cells its share of the cell voltage).
        Raises ``ArrayError`` for a bias that is not a Bias or of the wrong shape.
        """
        if not isinstance(bias, Bias):
            raise ArrayError(f"bias must be a cosim.netlist.bias.Bias, got {type(bias).__name__}")
        if bias.shape != self._shape:
            raise ArrayError(f"bias has shape {bias.shape}; the array is {self._shape}")
        v, _, _ = self._backend.apply(self.model, self._state, self._g, bias)
        return np.array(v, dtype=float)

    def write(self, rows_sel, cols_sel, amplitude_v: float, width_s: float, scheme: str = "v2") -> PulseReport:
        """Pulse the block ``rows_sel x cols_sel`` with ``amplitude_v`` under a write scheme.

        Builds the bias with :func:`cosim.netlist.bias.write_bias` (a whole row
        or column selected is one bias, hence one circuit solve per sub-step)
        and calls :meth:`pulse`.

        Parameters
        ----------
        rows_sel, cols_sel : int, sequence of int, or boolean mask
            Selected word lines and bit lines.
        amplitude_v : float
            Voltage across the selected cells (sign = polarity), volt.
        width_s : float
            Pulse width, second.
        scheme : {"v2", "v3", "ideal", "floating"}
            How unselected lines are biased (see ``write_bias``).

        Raises
        ------
        ArrayError
            Unknown scheme, bad width. ``BiasError`` (a ValueError) for a NaN
            amplitude or a bad selection, naming it.
        """
        if scheme not in SCHEMES:
            raise ArrayError(f"unknown write scheme {scheme!r}; expected one of {SCHEMES}")
        finite_positive("width_s", width_s, allow_zero=True)
        bias = write_bias(scheme, self._shape, rows_sel, cols_sel, amplitude_v)
        return self.pulse(bias, width_s)

    # -- idle --------------------------------------------------------------
    def idle(self, duration_s: float) -> None:
        """Let ``duration_s`` seconds pass with no bias: ``model.relax`` (volatile models).

        Stuck cells do not relax. Raises ``ArrayError`` for a negative or
        non-finite duration.
        """
        dur = finite_positive("duration_s", duration_s, allow_zero=True)
        if dur == 0.0:
            return
        new = np.asarray(self.model.relax(self._state, dur), dtype=float)
        if new is self._state or np.array_equal(new, self._state):
            return
        if self._stuck is not None:
            new = np.where(self._stuck, self._state, new)
        self._state = new
        self._g = np.asarray(self.model.conductance_s(new), dtype=float)
