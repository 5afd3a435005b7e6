"""Structure-exploiting nodal solver for crossbars, and :func:`solve_crossbar`.

The circuit is the one :mod:`cosim.netlist.crossbar` describes (see its module
docstring for which segment is which): word-line (WL) nodes ``wl_i_j`` and
bit-line (BL) nodes ``bl_i_j`` at every crossing, a driver on the left end of
each word line and a sense amplifier (virtual ground) at the bottom end of each
bit line.

How the equations are set up
----------------------------
The unknowns are the WL and BL node voltages only, and the system is a pure
nodal one, symmetric positive definite:

* driver and sense sources are Dirichlet conditions.  The driver resistance
  and the first word-line segment are in series with nothing between them, so
  they combine into one conductance to the source; likewise the last bit-line
  segment and the sense resistance.  When that series resistance is 0 the
  node is *fixed* at the source voltage and eliminated into the right-hand
  side (exact; no tiny resistor);
* zero-resistance segments merge their two nodes into one (exact); a cell
  so much better conducting than the weakest wire that rounding would swamp
  its current is refused, naming the cell (issue 13; see
  :func:`cosim.solvers._xbar_checks._check_conditioning`);
* ``g = 0`` cells are simply absent (open, exact); a floating line (NaN in a
  :class:`~cosim.netlist.bias.Bias`) has no source; a group of nodes with no
  path to any source is an error naming its lines;
* 1T1R: the access resistance (``r_transistor_on_ohm`` when the word line's
  gate is on, ``r_transistor_off_ohm`` otherwise; reads turn every gate on)
  combines exactly in series with the device conductance;
* 1S1R and non-ohmic devices (``device_iv``): the cell is non-linear.  Its
  internal node is eliminated per cell exactly (a vectorised safeguarded
  scalar Newton on the series split, :func:`series_split`), which gives every
  cell's current and differential conductance as functions of its voltage;
  the outer system is then solved by damped Newton's method (see
  :meth:`CrossbarSolver._solve_nonlinear` for the convergence criterion).

Linear solves
-------------
:class:`CrossbarSolver` factorises the nodal matrix once per conductance state
(and bias pattern: which lines float, the ideal-selector mask, the 1T1R gates)
and reuses the factors for every right-hand side, so a batch of read vectors
costs one factorisation.

Modules: checks ``_xbar_checks``, series split ``_xbar_series``, network and
factors ``_xbar_network`` / ``_xbar_lines``, Newton ``_xbar_newton``, many reads
and warm starts ``_xbar_batch``, results ``_xbar_result``, the array's
summaries ``_xbar_lean``; every public name
stays importable from here.
"""

from __future__ import annotations

import numpy as np

from cosim.netlist.bias import Bias, read_bias
from cosim.netlist.crossbar import CrossbarSpec, CrossbarSpecError
from cosim.solvers._xbar_batch import _ReadsMixin
from cosim.solvers._xbar_lean import _SummaryMixin
from cosim.solvers._xbar_checks import (
    _check_bias,
    _check_conditioning,
    _check_conductance,
    _check_inputs,
    _per_line_wire,
    _weakest_wire_s,
)
from cosim.solvers._xbar_lines import LineSystemError
from cosim.solvers._xbar_network import _LineFactor, _Network, _SparseFactor
from cosim.solvers._xbar_newton import _NewtonMixin
from cosim.solvers._xbar_result import (
    _assemble,
    _unbatch,
    crossbar_solution_from_circuit,
)
from cosim.solvers._xbar_series import series_split
from cosim.solvers.result import CrossbarSolution, SolverError

__all__ = ["CrossbarSolver", "solve_crossbar", "series_split", "crossbar_solution_from_circuit", "BACKENDS", "METHODS"]

BACKENDS = ("nodal", "ngspice")
METHODS = ("auto", "lines", "sparse")


# ----------------------------------------------------------------------------
# the solver
# ----------------------------------------------------------------------------
class CrossbarSolver(_ReadsMixin, _NewtonMixin, _SummaryMixin):
    """Solve one crossbar geometry for many conductance states, reads and biases.

    Parameters
    ----------
    spec : CrossbarSpec
        Geometry, wires, cell kind (1R / 1S1R / 1T1R) and selector.
    backend : {"nodal", "ngspice"}
        ``"nodal"``: the built-in solver (this module). ``"ngspice"``: the
        circuit is written by :func:`cosim.netlist.generate.crossbar_circuit`
        and solved by ngspice (small arrays: ngspice-39 without KLU grows
        like unknowns^2.3).
    tol : float
        Relative tolerance of the Newton iteration for non-linear cells
        (node-voltage updates below ``tol * max(1 V, max |source V|)``).
    max_newton : int
        Newton iteration limit; exceeding it raises :class:`SolverError`.
    method : {"auto", "lines", "sparse"}
        Linear solver of the nodal backend.  ``"lines"``: conjugate
        gradients on the bit-line Schur complement preconditioned by exact
        tridiagonal solves along every line
        (:mod:`cosim.solvers._xbar_lines`; relative residual 1e-13, i.e. the
        rounding floor of the problem); needs every inner word- and bit-line
        segment > 0 ohm and at least 2 rows and 2 columns.  ``"sparse"``:
        SuperLU on the super-node system (zero-ohm segments merged).
        ``"auto"`` (default) takes ``"lines"`` when it applies and the wires
        dominate (weakest segment conductance >= 0.02 x max(rows, cols) x
        mean cell conductance; the usual case, e.g. 1 ohm segments with
        kohm cells) and ``"sparse"`` otherwise, and falls back to
        ``"sparse"`` should CG ever fail to converge.  A batch of reads is solved as one block
        (vectorised CG over the batch, or one LU with many right-hand sides);
        a batch of at least ``rows`` reads of linear cells is answered by
        superposition instead: the responses to the ``rows`` unit inputs are
        solved once, kept with the factors, and every read (of this and
        later batches at the same conductances) is one matrix product.
    warm_start : bool
        Start each line-CG solve from the last solution of the same bias
        pattern and line voltages (default False).  For a training loop that
        re-solves after a few conductances changed: the line factors of the
        new state are rebuilt (O(cells), cheap) but CG starts next to the
        answer and needs fewer iterations.  The stopping rule (relative
        residual 1e-13 of the reduced system) is unchanged, so results agree
        with a cold solve to that rounding floor (tested to 1e-9 relative).
        Newton's inner linear solves always start from the current iterate.

    Notes
    -----
    The factorisation (line factors or LU) is cached and reused while
    ``g_cell_s`` and the bias pattern (floating lines, ideal-selector mask,
    1T1R gates) are unchanged; ``stats`` counts factorisations, solves
    (right-hand sides), superposition bases, transfer matrices and the total
    CG iterations (``"cg_iterations"``, summed over every line-CG block).
    For outputs only (bit-line currents; inference, test-set evaluation)
    use :meth:`read_outputs`: no full solution is assembled, and a batch of
    at least ``min(rows, cols)`` reads builds the (rows, cols) transfer
    matrix once per conductance state, after which every read is a
    matrix-vector product.  For what a pulse or read of an array needs
    (device voltages or bit-line currents, and the powers) use
    :meth:`apply_summary` / :meth:`read_summary`.

    Examples
    --------
    >>> import numpy as np
    >>> from cosim.netlist.bias import write_bias
    >>> spec = CrossbarSpec(3, 3, r_wordline_ohm=2.0, r_bitline_ohm=2.0)
    >>> solver = CrossbarSolver(spec)
    >>> sol = solver.apply(np.full((3, 3), 1e-4), write_bias("v2", (3, 3), [1], [1], 1.0))
    >>> np.round(sol.device_voltages_v, 3) + 0.0  # half-selected cells: V/2 minus IR drop
    array([[0.   , 0.499, 0.   ],
           [0.499, 0.999, 0.499],
           [0.   , 0.499, 0.   ]])
    """

    def __init__(
        self,
        spec: CrossbarSpec,
        *,
        backend: str = "nodal",
        tol: float = 1e-12,
        max_newton: int = 100,
        method: str = "auto",
        warm_start: bool = False,
    ) -> None:
        if not isinstance(spec, CrossbarSpec):
            raise CrossbarSpecError(f"spec must be a CrossbarSpec, got {type(spec).__name__}")
        if backend not in BACKENDS:
            raise CrossbarSpecError(f"unknown crossbar backend {backend!r}; expected one of {BACKENDS}")
        if not (isinstance(tol, (int, float, np.integer, np.floating)) and np.isfinite(tol) and tol > 0):
            raise CrossbarSpecError(f"tol must be a positive number, got {tol!r}")
        if method not in METHODS:
            raise CrossbarSpecError(f"unknown linear method {method!r}; expected one of {METHODS}")
        self.spec = spec
        self.method = method
        self.backend = backend
        self.tol = float(tol)
        self.max_newton = int(max_newton)
        if not isinstance(warm_start, (bool, np.bool_)):
            raise CrossbarSpecError(f"warm_start must be True or False, got {warm_start!r}")
        self.warm_start = bool(warm_start)
        self._warm: dict[tuple, np.ndarray] = {}
        self._nets: dict[bytes, _Network] = {}
        self._factor_key = None
        self._factor = None
        self._basis = None
        self._transfer = None
        self._g_wire_min_s = _weakest_wire_s(spec)
        self.stats = {"factorisations": 0, "solves": 0, "bases": 0, "transfers": 0, "cg_iterations": 0}

    # -- public ---------------------------------------------------------------
    def read(self, g_cell_s, v_in_v, *, device_iv=None) -> CrossbarSolution:
        """Read: word lines driven at ``v_in_v``, bit lines at virtual ground, gates on.

        Parameters
        ----------
        g_cell_s : array (rows, cols)
            Device conductance in siemens, >= 0 (0 = open cell).
        v_in_v : array (rows,) or (batch, rows)
            Input voltages in volt.
        device_iv : callable, optional
            Non-ohmic device: ``v_device_v -> (i_a, di_dv_s)``, elementwise
            on arrays of shape (rows, cols); ``g_cell_s`` then only marks open
            cells (0) and seeds Newton's method.

        Returns
        -------
        CrossbarSolution
            With a leading batch axis when ``v_in_v`` is 2-D.
        """
        g = _check_conductance(self.spec, g_cell_s)
        v = _check_inputs(self.spec, v_in_v)
        batched = v.ndim == 2
        vb = np.atleast_2d(v)
        bias = read_bias(vb[0], self.spec.cols)
        v_bl = np.zeros((vb.shape[0], self.spec.cols))
        sol = self._dispatch(g, bias, vb, v_bl, device_iv, is_read=True)
        return sol if batched else _unbatch(sol)

    def read_outputs(self, g_cell_s, v_in_v, *, device_iv=None) -> np.ndarray:
        """Outputs-only read: the bit-line (sense) currents, without the full solution.

        Same circuit and arguments as :meth:`read`, nothing else assembled.
        Linear cells on the nodal backend: a batch of >= ``min(rows, cols)``
        reads builds the transfer matrix ``M`` (rows, cols) from that many
        solves (unit inputs, or by reciprocity unit sense voltages; exact),
        kept with the factors: every call at those conductances is then
        ``v_in_v @ M``.
        Non-linear cells and ngspice solve each read.

        Parameters
        ----------
        g_cell_s : array (rows, cols)
            Device conductance in siemens, >= 0 (0 = open cell).
        v_in_v : array (rows,) or (batch, rows)
            Input voltages in volt.
        device_iv : callable, optional
            As in :meth:`read`.

        Returns
        -------
        ndarray (cols,) or (batch, cols)
            Current out of each bit line into its sense node, ampere; equal
            to ``read(...).output_currents_a`` (tested to 1e-9 relative).

        Examples
        --------
        >>> import numpy as np
        >>> spec = CrossbarSpec(2, 2, r_wordline_ohm=0.0, r_bitline_ohm=0.0)
        >>> CrossbarSolver(spec).read_outputs([[1e-3, 2e-3], [3e-3, 4e-3]], [1.0, 0.5])
        array([0.0025, 0.004 ])
        """
        g = _check_conductance(self.spec, g_cell_s)
        v = _check_inputs(self.spec, v_in_v)
        vb = np.atleast_2d(v)
        bias = read_bias(vb[0], self.spec.cols)
        g_eff = None
        if self.backend == "nodal":
            g_eff, _ = self._cell_model(g, bias, device_iv)
        if g_eff is None:
            v_bl = np.zeros((vb.shape[0], self.spec.cols))
            out = self._dispatch(g, bias, vb, v_bl, device_iv, is_read=True).output_currents_a
        else:
            self._check_conditioning(g)
            out = self._outputs_linear(self._network(bias), g_eff, vb)
        return out if v.ndim == 2 else out[0]

    def apply(self, g_cell_s, bias: Bias, *, device_iv=None) -> CrossbarSolution:
        """Solve the array under a write (or any) bias: what every cell actually sees.

        Parameters
        ----------
        g_cell_s : array (rows, cols)
            Device conductance in siemens, >= 0.
        bias : Bias
            Line voltages (NaN = floating), gates and ideal-selector mask,
            e.g. from :func:`cosim.netlist.bias.write_bias`.
        device_iv : callable, optional
            As in :meth:`read`.

        Returns
        -------
        CrossbarSolution
            No batch axis; ``device_voltages_v`` is what each device sees
            (0 for cells blocked by an ideal selector).
        """
        g = _check_conductance(self.spec, g_cell_s)
        _check_bias(self.spec, bias)
        sol = self._dispatch(g, bias, bias.wordline_v[None, :], bias.bitline_v[None, :], device_iv)
        return _unbatch(sol)

    # -- internals ------------------------------------------------------------
    def _dispatch(self, g, bias, v_wl, v_bl, device_iv, is_read=False) -> CrossbarSolution:
        self._check_conditioning(g)
        if self.backend == "ngspice":
            from cosim.solvers._crossbar_ngspice import solve_ngspice

            return solve_ngspice(self.spec, g, bias, v_wl, v_bl, device_iv, self._network(bias))
        return self._solve_nodal(g, bias, v_wl, v_bl, device_iv, is_read)

    def _check_conditioning(self, g) -> None:
        g_on = 1.0 / self.spec.r_transistor_on_ohm if self.spec.cell == "1T1R" else None
        _check_conditioning(self.spec, g, self._g_wire_min_s, g_on)

    def _network(self, bias: Bias) -> _Network:
        driven_w = ~np.isnan(bias.wordline_v)
        driven_b = ~np.isnan(bias.bitline_v)
        key = driven_w.tobytes() + driven_b.tobytes()
        net = self._nets.get(key)
        if net is None:
            if len(self._nets) > 8:
                self._nets.clear()
            net = self._nets[key] = _Network(self.spec, driven_w, driven_b)
        return net

    def _blocked(self, bias: Bias) -> np.ndarray | None:
        """Cells an ideal selector blocks (open), or None."""
        return ~bias.selected if bias.ideal_selector else None

    def _access_g(self, bias: Bias) -> np.ndarray | None:
        """1T1R access conductance per word line (rows, 1), or None."""
        if self.spec.cell != "1T1R":
            return None
        r = np.where(bias.gate_on, self.spec.r_transistor_on_ohm, self.spec.r_transistor_off_ohm)
        return (1.0 / r)[:, None]

    def _factor_for(self, net: _Network, g_eff: np.ndarray):
        # the network object itself (not its id, which a new one may reuse) and the conductances
        key = net
        if self._factor is not None and self._factor_key[0] is key and np.array_equal(self._factor_key[1], g_eff):
            return self._factor
        net.check_islands(g_eff)
        factor = None
        use_lines = self.method == "lines" or (self.method == "auto" and _LineFactor.worthwhile(net, g_eff))
        if use_lines and _LineFactor.applies(net):
            try:
                factor = _LineFactor(net, g_eff)
            except LineSystemError:
                if self.method == "lines":
                    raise SolverError("the crossbar's nodal matrix is not positive definite") from None
        if factor is None:
            factor = _SparseFactor(net, g_eff)
        self.stats["factorisations"] += 1
        self._factor, self._factor_key = factor, (key, g_eff.copy())
        self._basis = self._transfer = None  # belonged to the previous conductances
        return factor

    def _solve_linear(self, net, g_eff, v_wl, v_bl, j0=None, x0_b=None):
        """Node voltages (batch, rows, cols) x2 for linear cells ``g_eff`` (+ constant currents ``j0``).

        ``x0_b``: bit-line voltages to start line CG from (ignored by the LU path).
        """
        factor = self._factor_for(net, g_eff)
        self.stats["solves"] += v_wl.shape[0]
        if isinstance(factor, _LineFactor):
            try:
                out = factor.solve(v_wl, v_bl, j0, x0_b)
                self.stats["cg_iterations"] += factor.iterations
                return out
            except LineSystemError:
                if self.method == "lines":
                    raise SolverError("line-preconditioned CG did not converge") from None
                factor = _SparseFactor(net, g_eff)
                self._factor = factor
        rhs, x_fixed = net.source_rhs(v_wl, v_bl)
        if j0 is not None:
            rhs = rhs + net.injection_rhs(j0)
        x = factor.solve(rhs, x_fixed)
        vw = np.moveaxis(x[net.wid], -1, 0)
        vb = np.moveaxis(x[net.bid], -1, 0)
        return vw, vb

    def _factor_name(self) -> str:
        return "lines-cg" if isinstance(self._factor, _LineFactor) else "sparse-lu"

    def _cell_model(self, g, bias, device_iv):
        """(linear effective conductance or None when the cells are non-linear, device conductance with blocked cells open)."""
        blocked = self._blocked(bias)
        g_open = g if blocked is None else np.where(blocked, 0.0, g)
        g_acc = self._access_g(bias)
        if device_iv is None and self.spec.cell != "1S1R":
            if g_acc is None:
                return g_open, g_open
            with np.errstate(invalid="ignore", divide="ignore"):
                g_eff = np.where(g_open > 0, g_open * g_acc / (g_open + g_acc), 0.0)
            return g_eff, g_open
        return None, g_open

    def _solve_nodal(self, g, bias, v_wl, v_bl, device_iv, is_read=False) -> CrossbarSolution:
        net = self._network(bias)
        g_eff, g_open = self._cell_model(g, bias, device_iv)
        if g_eff is not None:
            fast = self._read_by_superposition(net, g_eff, v_wl) if is_read else None
            if fast is None:
                vw, vb = self._solve_linear_warm(net, g_eff, v_wl, v_bl)
            else:
                vw, vb = fast
            v_cell = vw - vb
            i_cell = g_eff * v_cell
            g_acc = self._access_g(bias)
            if g_acc is not None:
                with np.errstate(invalid="ignore", divide="ignore"):
                    frac = np.where(g_open > 0, g_acc / (g_open + g_acc), 1.0)
                v_dev = v_cell * frac
            else:
                v_dev = v_cell.copy()
            info = {"method": "linear", "linear_solver": self._factor_name()}
            if fast is not None:
                info["linear_solver"] += "+superposition"
            elif isinstance(self._factor, _LineFactor):
                info["cg_iterations"] = self._factor.iterations
        else:
            vw, vb, i_cell, v_dev, info = self._solve_nonlinear(net, g_open, bias, v_wl, v_bl, device_iv)
            v_cell = vw - vb
        blocked = self._blocked(bias)
        if blocked is not None:
            v_dev = np.where(blocked, 0.0, v_dev)
        return _assemble(self.spec, net, vw, vb, v_cell, v_dev, i_cell, v_wl, v_bl, info)


# ----------------------------------------------------------------------------
# one call
# ----------------------------------------------------------------------------
def solve_crossbar(
    v_in_v,
    r_cell_ohm,
    r_wordline_ohm,
    r_bitline_ohm,
    *,
    r_driver_ohm=None,
    r_sense_ohm=None,
    backend: str = "nodal",
    cell: str = "1R",
    selector=None,
) -> CrossbarSolution:
    """Solve one read of a crossbar: the counterpart of ``badcrossbar.compute``.

    Parameters
    ----------
    v_in_v : array (rows,) or (batch, rows)
        Word-line input voltages, volt.
    r_cell_ohm : array (rows, cols)
        Cell (device) resistances in ohm, > 0; ``inf`` = open cell.
    r_wordline_ohm, r_bitline_ohm : float, array (rows, cols), or 1-D per line
        Per-segment word- and bit-line resistance, ohm, >= 0 (0 = ideal line,
        solved exactly).  A 1-D array means one value per line, on every
        shape: ``r_wordline_ohm`` of length ``rows`` (word line ``i`` has all
        its segments at ``r_wordline_ohm[i]``), ``r_bitline_ohm`` of length
        ``cols``; any other 1-D length is refused.
    r_driver_ohm, r_sense_ohm : float or array, optional
        Driver (rows,) and sense (cols,) resistance, ohm.  None (default)
        means none: then the first word-line segment (driver to first cell)
        and the last bit-line segment (last cell to sense) have the segment
        resistance, badcrossbar's topology, so results compare one to one.
    backend : {"nodal", "ngspice"}
    cell : {"1R", "1S1R", "1T1R"}
    selector : SinhSelector, optional
        For 1S1R cells (default ``SinhSelector()``).

    Returns
    -------
    CrossbarSolution
        ``output_currents`` (cols,) or (batch, cols), per-cell currents and
        voltages, word- and bit-line node voltages, powers.

    Raises
    ------
    CrossbarSpecError
        Bad shapes or values (named), including a 1-D wire array of the
        wrong length and cells so much better conducting than the wires that
        rounding would swamp their current (the cell, the ratio and the
        smallest allowed resistance are named); ``SolverError`` if the
        circuit cannot be solved.

    Examples
    --------
    >>> import numpy as np
    >>> sol = solve_crossbar([1.0], [[1e3]], 0.0, 0.0)
    >>> float(sol.output_currents[0])
    0.001
    """
    r = np.asarray(r_cell_ohm, dtype=float)
    if r.ndim != 2:
        raise CrossbarSpecError(f"r_cell_ohm must be a 2-D (rows, cols) array, got shape {r.shape}")
    shape = r.shape
    r_wordline_ohm = _per_line_wire(r_wordline_ohm, shape[0], shape, "r_wordline_ohm", axis=0)
    r_bitline_ohm = _per_line_wire(r_bitline_ohm, shape[1], shape, "r_bitline_ohm", axis=1)
    kwargs = {}
    if selector is not None:
        kwargs["selector"] = selector
    spec = CrossbarSpec(
        rows=r.shape[0],
        cols=r.shape[1],
        r_wordline_ohm=r_wordline_ohm,
        r_bitline_ohm=r_bitline_ohm,
        r_driver_ohm=0.0 if r_driver_ohm is None else r_driver_ohm,
        r_sense_ohm=0.0 if r_sense_ohm is None else r_sense_ohm,
        cell=cell,
        **kwargs,
    )
    r = spec.check_cells(r)
    with np.errstate(divide="ignore"):
        g = 1.0 / r
    return CrossbarSolver(spec, backend=backend).read(g, v_in_v)
