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
* zero-resistance segments merge their two nodes into one (exact);
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
"""

from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from cosim.netlist.bias import Bias, read_bias
from cosim.netlist.crossbar import CrossbarSpec, CrossbarSpecError
from cosim.solvers._xbar_lines import LineSystem, LineSystemError
from cosim.solvers.result import CrossbarSolution, SolverError

__all__ = ["CrossbarSolver", "solve_crossbar", "series_split", "crossbar_solution_from_circuit", "BACKENDS", "METHODS"]

BACKENDS = ("nodal", "ngspice")
METHODS = ("auto", "lines", "sparse")


# ----------------------------------------------------------------------------
# input checks
# ----------------------------------------------------------------------------
def _first_index(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(k) for k in np.argwhere(mask)[0])


def _check_conductance(spec: CrossbarSpec, g_cell_s, name: str = "g_cell_s") -> np.ndarray:
    """Validate a (rows, cols) conductance array in siemens (0 = open cell)."""
    g = np.asarray(g_cell_s, dtype=float)
    if g.shape != spec.shape:
        raise CrossbarSpecError(f"{name} has shape {g.shape}; the crossbar is {spec.shape}")
    if np.isnan(g).any():
        raise CrossbarSpecError(f"{name} contains NaN at cell {_first_index(np.isnan(g))}")
    if (g < 0).any():
        idx = _first_index(g < 0)
        raise CrossbarSpecError(f"{name} must be >= 0 S (0 = open cell), got {g[idx]!r} at cell {idx}")
    if np.isinf(g).any():
        idx = _first_index(np.isinf(g))
        raise CrossbarSpecError(
            f"{name} is inf at cell {idx}: a zero-resistance cell would short its word line to its bit line"
        )
    return g


def _check_inputs(spec: CrossbarSpec, v_in_v, name: str = "v_in_v") -> np.ndarray:
    """Validate read voltages: shape (rows,) or (batch, rows), finite volts."""
    v = np.asarray(v_in_v, dtype=float)
    if v.ndim not in (1, 2) or v.shape[-1] != spec.rows:
        raise CrossbarSpecError(
            f"{name} has shape {v.shape}; expected ({spec.rows},) or (batch, {spec.rows}) for {spec.rows} word lines"
        )
    if v.ndim == 2 and v.shape[0] == 0:
        raise CrossbarSpecError(f"{name} has an empty batch (shape {v.shape})")
    if not np.isfinite(v).all():
        idx = _first_index(~np.isfinite(v))
        raise CrossbarSpecError(f"{name} must be finite volts, got {v[idx]!r} at index {idx}")
    return v


def _check_bias(spec: CrossbarSpec, bias: Bias) -> None:
    if not isinstance(bias, Bias):
        raise CrossbarSpecError(f"bias must be a cosim.netlist.bias.Bias, got {type(bias).__name__}")
    if bias.shape != spec.shape:
        raise CrossbarSpecError(f"bias has shape {bias.shape}; the crossbar is {spec.shape}")


# ----------------------------------------------------------------------------
# per-cell series split (1S1R, 1T1R with non-ohmic devices)
# ----------------------------------------------------------------------------
def series_split(v_cell_v, device_iv, second_iv, *, u0=None, max_iter: int = 200):
    """Split cell voltages across a device in series with a second element.

    Both elements must be passive and monotone (current increasing with
    voltage, zero at zero), as memristors, selectors and resistors are.  The
    voltage ``u`` across the second element solves
    ``second(u) = device(v_cell - u)``; it lies between 0 and ``v_cell``, and
    is found per cell by Newton's method safeguarded by bisection on that
    bracket (vectorised over all cells), to rounding: iteration stops when
    the bracket or the Newton step is below ``4 eps max(|v_cell|, 1e-30)``.

    Parameters
    ----------
    v_cell_v : ndarray
        Cell voltages, volt, any shape.
    device_iv, second_iv : callable
        ``v -> (i_a, di_dv_s)``, elementwise on arrays of ``v_cell_v``'s shape.
    u0 : ndarray, optional
        Starting guess of the second element's voltage (e.g. the split of
        a previous, nearby solve); clipped into the bracket.  Default
        ``v_cell / 2``.

    Returns
    -------
    i_a, g_s, v_device_v : ndarray
        Cell current (ampere), differential conductance of the series pair
        ``dI/dV_cell`` (siemens), and the device's own voltage (volt).

    Raises
    ------
    SolverError
        If the split does not converge in ``max_iter`` steps (non-monotone
        element I-V).
    """
    v = np.asarray(v_cell_v, dtype=float)
    lo = np.minimum(v, 0.0)
    hi = np.maximum(v, 0.0)
    # start from the second element taking half the voltage (harmless for any
    # pair), or from a nearby previous split
    u = 0.5 * v if u0 is None or np.shape(u0) != v.shape else np.clip(u0, lo, hi)
    tol = 4 * np.finfo(float).eps * np.maximum(np.abs(v), 1e-30)
    active = np.ones(v.shape, dtype=bool)
    for _ in range(max_iter):
        i2, g2 = second_iv(u)
        i1, g1 = device_iv(v - u)
        h = i2 - i1  # increasing in u
        dh = g2 + g1
        # keep the bracket [lo, hi] around the root
        pos = h > 0
        hi = np.where(pos, u, hi)
        lo = np.where(pos, lo, u)
        with np.errstate(divide="ignore", invalid="ignore"):
            u_new = u - h / dh
        # bisect only when Newton leaves the bracket (landing on an end is fine:
        # at the root one end *is* the iterate)
        bad = ~np.isfinite(u_new) | (u_new < lo) | (u_new > hi)
        u_new = np.where(bad, 0.5 * (lo + hi), u_new)
        step = np.abs(u_new - u)
        u = u_new
        active = (step > tol) & ((hi - lo) > tol) & (h != 0)
        if not active.any():
            break
    else:
        idx = _first_index(active)
        raise SolverError(
            f"series split of the cell voltage did not converge at cell {idx} "
            f"(v_cell = {v[idx]!r} V) in {max_iter} iterations: is an element's I-V non-monotone?"
        )
    i2, g2 = second_iv(u)
    i1, g1 = device_iv(v - u)
    with np.errstate(divide="ignore", invalid="ignore"):
        g_series = np.where((g1 + g2) > 0, g1 * g2 / (g1 + g2), 0.0)
    # i1 and i2 agree to rounding; the device's own current is the cell current
    return i1, g_series, v - u


def _linear_iv(g):
    def iv(v):
        return g * v, np.broadcast_to(g, np.shape(v))

    return iv


# ----------------------------------------------------------------------------
# the nodal network of one bias pattern (independent of the cell conductances)
# ----------------------------------------------------------------------------
class _Network:
    """Node numbering, wires and sources of a crossbar for one bias pattern.

    Nodes joined by zero-resistance segments share one *super node*; a super
    node tied to a source through zero resistance is *fixed* (Dirichlet).
    """

    def __init__(self, spec: CrossbarSpec, driven_w: np.ndarray, driven_b: np.ndarray) -> None:
        rows, cols = spec.shape
        self.spec = spec
        self.driven_w = driven_w
        self.driven_b = driven_b
        r_wl, r_bl = spec.r_wordline_ohm, spec.r_bitline_ohm

        self.merged = bool((r_wl[:, 1:] == 0).any() or (r_bl[:-1, :] == 0).any())
        # sources: series driver + first WL segment; last BL segment + sense
        r_in = spec.r_driver_ohm + r_wl[:, 0]
        r_out = spec.r_sense_ohm + r_bl[-1, :]
        self.r_in, self.r_out = r_in, r_out
        with np.errstate(divide="ignore"):
            self.g_in = np.where(driven_w & (r_in > 0), 1.0 / np.where(r_in > 0, r_in, 1.0), 0.0)
            self.g_out = np.where(driven_b & (r_out > 0), 1.0 / np.where(r_out > 0, r_out, 1.0), 0.0)
        self.fix_w = driven_w & (r_in == 0)
        self.fix_b = driven_b & (r_out == 0)
        self._l_wire = None
        self._abs_l_wire = None
        self._built = False

    _LAZY = frozenset(("wid", "bid", "n_wsuper", "n_super", "edges", "src_w", "src_b", "fixed", "free", "fixed_idx"))

    def __getattr__(self, name):
        # super-node numbering is only needed by the sparse path and Newton residuals
        if name in _Network._LAZY and not self.__dict__.get("_built", True):
            self._build()
            return getattr(self, name)
        raise AttributeError(name)

    def _build(self) -> None:
        spec = self.spec
        rows, cols = spec.shape
        r_wl, r_bl = spec.r_wordline_ohm, spec.r_bitline_ohm
        # super nodes of each word line: a new one after every segment with R > 0
        gid_w = np.zeros((rows, cols), dtype=np.int64)
        gid_w[:, 1:] = np.cumsum(r_wl[:, 1:] > 0, axis=1)
        n_w = gid_w[:, -1] + 1
        off_w = np.concatenate(([0], np.cumsum(n_w)[:-1]))
        self.wid = off_w[:, None] + gid_w
        self.n_wsuper = int(n_w.sum())
        gid_b = np.zeros((rows, cols), dtype=np.int64)
        gid_b[1:, :] = np.cumsum(r_bl[:-1, :] > 0, axis=0)
        n_b = gid_b[-1, :] + 1
        off_b = self.n_wsuper + np.concatenate(([0], np.cumsum(n_b)[:-1]))
        self.bid = off_b[None, :] + gid_b
        self.n_super = self.n_wsuper + int(n_b.sum())

        # wire edges between distinct super nodes
        mw = r_wl[:, 1:] > 0
        mb = r_bl[:-1, :] > 0
        ea = np.concatenate((self.wid[:, :-1][mw], self.bid[:-1, :][mb]))
        eb = np.concatenate((self.wid[:, 1:][mw], self.bid[1:, :][mb]))
        eg = np.concatenate((1.0 / r_wl[:, 1:][mw], 1.0 / r_bl[:-1, :][mb]))
        self.edges = (ea, eb, eg)

        self.src_w = self.wid[:, 0]
        self.src_b = self.bid[-1, :]
        fixed = np.zeros(self.n_super, dtype=bool)
        fixed[self.src_w[self.fix_w]] = True
        fixed[self.src_b[self.fix_b]] = True
        self.fixed = fixed
        self.free = np.flatnonzero(~fixed)
        self.fixed_idx = np.flatnonzero(fixed)

        self._built = True

    @property
    def l_wire(self) -> sp.csr_matrix:
        """Nodal matrix of wires and source conductances on super nodes (built on first use)."""
        if self._l_wire is None:
            n = self.n_super
            ea, eb, eg = self.edges
            diag = np.zeros(n)
            np.add.at(diag, self.src_w, self.g_in)
            np.add.at(diag, self.src_b, self.g_out)
            lw = sp.coo_matrix(
                (
                    np.concatenate((eg, eg, -eg, -eg)),
                    (np.concatenate((ea, eb, ea, eb)), np.concatenate((ea, eb, eb, ea))),
                ),
                shape=(n, n),
            ).tocsr()
            self._l_wire = (lw + sp.diags(diag)).tocsr()
        return self._l_wire

    @property
    def abs_l_wire(self) -> sp.csr_matrix:
        """``|l_wire|`` elementwise: the scale of each KCL sum's terms (Newton's rounding floor)."""
        if self._abs_l_wire is None:
            self._abs_l_wire = abs(self.l_wire)
        return self._abs_l_wire

    # -- assembly -----------------------------------------------------------
    def matrix(self, g_eff: np.ndarray) -> sp.csr_matrix:
        """Full nodal matrix on super nodes for cell conductances ``g_eff``."""
        on = g_eff > 0
        w, b, g = self.wid[on], self.bid[on], g_eff[on]
        n = self.n_super
        lc = sp.coo_matrix(
            (np.concatenate((g, g, -g, -g)), (np.concatenate((w, b, w, b)), np.concatenate((w, b, b, w)))), shape=(n, n)
        ).tocsr()
        return (self.l_wire + lc).tocsr()

    def check_islands(self, g_eff: np.ndarray) -> None:
        """Raise ``SolverError`` naming the lines of any group with no path to a source.

        Segments are finite, so a whole line is always one connected piece;
        connectivity is therefore a question about lines: starting from the
        driven ones, a line is reached when a conducting cell joins it to a
        reached line (a breadth-first search, vectorised per sweep).
        """
        reach_w = self.driven_w.copy()
        reach_b = self.driven_b.copy()
        if reach_w.all() and reach_b.all():
            return
        on = g_eff > 0
        while True:
            new_b = reach_b | on[reach_w].any(axis=0)
            new_w = reach_w | on[:, new_b].any(axis=1)
            if (new_b == reach_b).all() and (new_w == reach_w).all():
                break
            reach_w, reach_b = new_w, new_b
        if not (reach_w.all() and reach_b.all()):
            rows_bad = np.flatnonzero(~reach_w)
            cols_bad = np.flatnonzero(~reach_b)
            parts = []
            if rows_bad.size:
                parts.append(f"word line(s) {rows_bad.tolist()[:10]}")
            if cols_bad.size:
                parts.append(f"bit line(s) {cols_bad.tolist()[:10]}")
            raise SolverError(
                "floating island: " + " and ".join(parts) + " have no DC path to any driven line "
                "(they float and every cell connecting them to a driven line is open)"
            )

    def source_rhs(self, v_w: np.ndarray, v_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Right-hand side from sources and the fixed node values, batch-last.

        ``v_w`` (batch, rows), ``v_b`` (batch, cols) in volt (NaN where floating).
        Returns ``rhs`` (n_super, batch) and ``x_fixed`` (n_fixed, batch).
        """
        batch = v_w.shape[0]
        rhs = np.zeros((self.n_super, batch))
        vw = np.nan_to_num(v_w)
        vb = np.nan_to_num(v_b)
        np.add.at(rhs, self.src_w, (self.g_in[None, :] * vw).T)
        np.add.at(rhs, self.src_b, (self.g_out[None, :] * vb).T)
        x_fixed = np.zeros((self.n_super, batch))
        x_fixed[self.src_w[self.fix_w]] = vw[:, self.fix_w].T
        x_fixed[self.src_b[self.fix_b]] = vb[:, self.fix_b].T
        return rhs, x_fixed[self.fixed_idx]

    def injection_rhs(self, j0_a: np.ndarray) -> np.ndarray:
        """Right-hand side of constant cell currents ``j0_a`` (batch, rows, cols) flowing WL -> BL."""
        batch = j0_a.shape[0]
        rhs = np.zeros((self.n_super, batch))
        flat = j0_a.reshape(batch, -1).T
        np.add.at(rhs, self.wid.ravel(), -flat)
        np.add.at(rhs, self.bid.ravel(), flat)
        return rhs


class _LineFactor:
    """Line-preconditioned CG on the bit-line Schur complement (see :mod:`cosim.solvers._xbar_lines`)."""

    @staticmethod
    def applies(net: _Network) -> bool:
        rows, cols = net.spec.shape
        return not net.merged and rows >= 2 and cols >= 2

    #: below this ratio of the weakest segment conductance to a line's total
    #: cell conductance the lines stop dominating and CG slows down (measured
    #: at 128 x 128: ratio 0.16 -> ~60 iterations, 0.0016 -> no convergence)
    MIN_WIRE_TO_CELL_RATIO = 0.02

    @staticmethod
    def worthwhile(net: _Network, g_eff: np.ndarray) -> bool:
        """Whether the line preconditioner will converge fast: wires much better than a line of cells."""
        spec = net.spec
        inner = np.concatenate((spec.r_wordline_ohm[:, 1:].ravel(), spec.r_bitline_ohm[:-1, :].ravel()))
        if inner.size == 0 or (inner == 0).any():
            return False
        g_wire = 1.0 / inner.max()
        g_line = max(spec.rows, spec.cols) * float(g_eff.mean())
        return g_line == 0 or g_wire >= _LineFactor.MIN_WIRE_TO_CELL_RATIO * g_line

    def __init__(self, net: _Network, g_eff: np.ndarray) -> None:
        spec = net.spec
        self.net = net
        self.g = g_eff
        self.gw_seg = 1.0 / spec.r_wordline_ohm[:, 1:]
        self.gb_seg = 1.0 / spec.r_bitline_ohm[:-1, :]
        self.system = LineSystem(self.gw_seg, self.gb_seg, g_eff, net.g_in, net.g_out, net.fix_w, net.fix_b)
        self.iterations = 0

    def solve(self, v_wl, v_bl, j0=None):
        """Node voltages (batch, rows, cols) x2; ``v_wl`` (batch, rows), ``v_bl`` (batch, cols), volt."""
        net = self.net
        vw_src = np.nan_to_num(v_wl)
        vb_src = np.nan_to_num(v_bl)
        batch = vw_src.shape[0]
        rows, cols = net.spec.shape
        rw = np.zeros((batch, rows, cols))
        rb = np.zeros((batch, rows, cols))
        if j0 is not None:
            rw -= j0
            rb += j0
        rw[:, :, 0] += net.g_in * vw_src
        rb[:, -1, :] += net.g_out * vb_src
        # fixed nodes: their couplings moved to the neighbours' right-hand side,
        # then (last, so no neighbour term lands on them) their value on their unit row
        fw, fb = net.fix_w, net.fix_b
        if fw.any():
            v = vw_src[:, fw]
            rw[:, fw, 1] += self.gw_seg[fw, 0] * v
            rb[:, fw, 0] += self.g[fw, 0] * v
        if fb.any():
            v = vb_src[:, fb]
            rb[:, -2, fb] += self.gb_seg[-1, fb] * v
            rw[:, -1, fb] += self.g[-1, fb] * v
        rw[:, fw, 0] = vw_src[:, fw]
        rb[:, -1, fb] = vb_src[:, fb]
        vw, vb, it = self.system.solve(rw, rb)
        self.iterations = it
        return vw, vb


class _SparseFactor:
    """Sparse LU of the free-node block (SuperLU, symmetric mode)."""

    def __init__(self, net: _Network, g_eff: np.ndarray) -> None:
        a = net.matrix(g_eff)
        self.net = net
        self.a_fd = a[net.free][:, net.fixed_idx].tocsc() if net.fixed_idx.size else None
        a_ff = a[net.free][:, net.free].tocsc()
        if a_ff.shape[0] == 0:
            self.lu = None
            return
        try:
            self.lu = spla.splu(
                a_ff, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options=dict(SymmetricMode=True)
            )
        except RuntimeError as exc:  # singular: should have been caught by the island check
            raise SolverError(f"the crossbar's nodal matrix is singular ({exc})") from None

    def solve(self, rhs: np.ndarray, x_fixed: np.ndarray) -> np.ndarray:
        """All super-node voltages (n_super, batch) for ``rhs`` (n_super, batch)."""
        net = self.net
        x = np.zeros(rhs.shape)
        x[net.fixed_idx] = x_fixed
        if self.lu is not None:
            b = rhs[net.free]
            if self.a_fd is not None:
                b = b - self.a_fd @ x_fixed
            x[net.free] = self.lu.solve(np.ascontiguousarray(b))
        return x


# ----------------------------------------------------------------------------
# the solver
# ----------------------------------------------------------------------------
class CrossbarSolver:
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

    Notes
    -----
    The factorisation (line factors or LU) is cached and reused while
    ``g_cell_s`` and the bias pattern (floating lines, ideal-selector mask,
    1T1R gates) are unchanged; ``stats`` counts factorisations and solves.

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
        self._nets: dict[bytes, _Network] = {}
        self._factor_key = None
        self._factor = None
        self._basis = None
        self.stats = {"factorisations": 0, "solves": 0, "bases": 0}

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
        if self.backend == "ngspice":
            from cosim.solvers._crossbar_ngspice import solve_ngspice

            return solve_ngspice(self.spec, g, bias, v_wl, v_bl, device_iv, self._network(bias))
        return self._solve_nodal(g, bias, v_wl, v_bl, device_iv, is_read)

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
        self._basis = None  # belonged to the previous conductances
        return factor

    def _solve_linear(self, net, g_eff, v_wl, v_bl, j0=None):
        """Node voltages (batch, rows, cols) x2 for linear cells ``g_eff`` (+ constant currents ``j0``)."""
        factor = self._factor_for(net, g_eff)
        self.stats["solves"] += v_wl.shape[0]
        if isinstance(factor, _LineFactor):
            try:
                return factor.solve(v_wl, v_bl, j0)
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

    #: largest superposition basis kept (rows x 2 x rows x cols values)
    BASIS_MAX_VALUES = 2**24

    def _read_by_superposition(self, net, g_eff, v_wl):
        """Reads of linear cells are linear in the inputs: node voltages = v_in @ basis.

        The basis (the response to each unit input) costs ``rows`` solves, so
        it is built only for a batch of at least ``rows`` reads, kept while
        the factorisation is, and then makes any batch one matrix product.
        Returns None when it does not pay.
        """
        rows, cols = self.spec.shape
        batch = v_wl.shape[0]
        factor = self._factor_for(net, g_eff)
        have = self._basis is not None and self._basis[0] is factor
        if not have and (batch < rows or 2 * rows * rows * cols > self.BASIS_MAX_VALUES):
            return None
        if not have:
            vw1, vb1 = self._solve_linear(net, g_eff, np.eye(rows), np.zeros((rows, cols)))
            self._basis = (factor, vw1.reshape(rows, -1), vb1.reshape(rows, -1))
            self.stats["bases"] += 1
        _, phi_w, phi_b = self._basis
        vw = (v_wl @ phi_w).reshape(batch, rows, cols)
        vb = (v_wl @ phi_b).reshape(batch, rows, cols)
        return vw, vb

    def _solve_nodal(self, g, bias, v_wl, v_bl, device_iv, is_read=False) -> CrossbarSolution:
        net = self._network(bias)
        g_eff, g_open = self._cell_model(g, bias, device_iv)
        if g_eff is not None:
            fast = self._read_by_superposition(net, g_eff, v_wl) if is_read else None
            if fast is None:
                vw, vb = self._solve_linear(net, g_eff, v_wl, v_bl)
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

    # -- non-linear cells -------------------------------------------------------
    def _cell_iv(self, g_open, bias, device_iv):
        """Cell function ``v_cell -> (i, g_diff, v_device)`` for non-linear cells."""
        spec = self.spec
        open_ = g_open == 0
        dev = device_iv if device_iv is not None else _linear_iv(g_open)
        if device_iv is not None:
            user = device_iv

            def dev(v):  # noqa: F811 - wrap to silence open cells and check the callable
                out = user(v)
                try:
                    i, di = out
                except (TypeError, ValueError):
                    raise CrossbarSpecError(
                        f"device_iv must return a pair (i_a, di_dv_s), got {type(out).__name__}"
                    ) from None
                i = np.broadcast_to(np.asarray(i, dtype=float), np.shape(v))
                di = np.broadcast_to(np.asarray(di, dtype=float), np.shape(v))
                if not (np.isfinite(i).all() and np.isfinite(di).all()):
                    raise SolverError("device_iv returned a non-finite current or conductance")
                return np.where(open_, 0.0, i), np.where(open_, 0.0, di)

        if spec.cell == "1S1R":
            sel = spec.selector

            def second(u):
                return sel.current_a(u), sel.conductance_s(u)

        elif spec.cell == "1T1R":
            second = _linear_iv(np.broadcast_to(self._access_g(bias), g_open.shape))
        else:
            second = None

        last = {}

        def cell(v):
            if second is None:
                i, gd = dev(v)
                return i, gd, v
            # Newton's successive cell voltages are close: start each split from the last one
            i, gd, vd = series_split(v, dev, second, u0=last.get("u"))
            last["u"] = v - vd
            return i, gd, vd

        return cell

    def _solve_nonlinear(self, net, g_open, bias, v_wl, v_bl, device_iv):
        """Damped Newton's method on the node voltages, one batch item at a time.

        Convergence criterion: the largest KCL residual at a free node is at
        most ``1e-9`` of the largest cell current plus the rounding floor of
        the KCL sums (``64 eps`` times the largest sum of absolute terms at a
        node: wire conductance times node voltage, source and cell currents;
        about 1e-15 A for 0.5 ohm wires at 1 V) plus 1e-18 A, **and** the
        largest node-voltage update is at most ``tol * max(1 V, max |source
        voltage|)``, or, once the update is below ``sqrt(tol)`` of that scale,
        it has stopped shrinking (it is then at the linear solver's own noise
        floor and further iterations cannot improve it).  A step that does not
        reduce the residual is halved (up to 40 times).  Not converging in
        ``max_newton`` iterations raises :class:`SolverError`.
        """
        cell = self._cell_iv(g_open, bias, device_iv)
        batch = v_wl.shape[0]
        out = [self._newton_one(net, cell, g_open, v_wl[k : k + 1], v_bl[k : k + 1]) for k in range(batch)]
        vw = np.concatenate([o[0] for o in out])
        vb = np.concatenate([o[1] for o in out])
        i_cell = np.concatenate([o[2] for o in out])
        v_dev = np.concatenate([o[3] for o in out])
        info = {"method": "newton", "newton_iterations": [o[4] for o in out], "linear_solver": self._factor_name()}
        return vw, vb, i_cell, v_dev, info

    def _residual(self, net, cell, vw, vb, v_wl, v_bl):
        """KCL residual (currents leaving each free super node), and the cell currents."""
        x = np.zeros(net.n_super)
        x[net.wid.ravel()] = vw.ravel()
        x[net.bid.ravel()] = vb.ravel()
        i, gd, vdev = cell((vw - vb)[0])
        rhs, _ = net.source_rhs(v_wl, v_bl)
        f = net.l_wire @ x - rhs[:, 0]
        np.add.at(f, net.wid.ravel(), i.ravel())
        np.add.at(f, net.bid.ravel(), -i.ravel())
        # rounding floor of each KCL sum: eps times the sum of the absolute terms added there
        terms = net.abs_l_wire @ np.abs(x) + np.abs(rhs[:, 0])
        np.add.at(terms, net.wid.ravel(), np.abs(i).ravel())
        np.add.at(terms, net.bid.ravel(), np.abs(i).ravel())
        floor_a = 64 * np.finfo(float).eps * terms[net.free].max(initial=0.0)
        return f[net.free], i, gd, vdev, floor_a

    def _newton_one(self, net, cell, g_open, v_wl, v_bl):
        vmax = max(1.0, float(np.nanmax(np.abs(np.concatenate((v_wl.ravel(), v_bl.ravel()))))))
        # start: nodes at the voltages a linear solve with the small-signal conductance at 0 V gives
        _, g0, _ = cell(np.zeros(g_open.shape))
        g0 = np.where(g_open > 0, np.maximum(g0, 1e-30), 0.0)
        vw, vb = self._solve_linear(net, g0, v_wl, v_bl)
        f, i, gd, vdev, floor_a = self._residual(net, cell, vw, vb, v_wl, v_bl)
        fnorm = np.abs(f).max(initial=0.0)
        v_tol = self.tol * vmax
        prev_update = np.inf
        for it in range(1, self.max_newton + 1):
            v_cell = vw - vb
            g_lin = np.where(g_open > 0, np.maximum(gd, 1e-30), 0.0)[None]
            j0 = i[None] - g_lin * v_cell
            vw_n, vb_n = self._solve_linear(net, g_lin[0], v_wl, v_bl, j0)
            dw, db = vw_n - vw, vb_n - vb
            step = max(np.abs(dw).max(), np.abs(db).max())
            lam = 1.0
            for _ in range(40):
                vw_t, vb_t = vw + lam * dw, vb + lam * db
                f_t, i_t, gd_t, vdev_t, floor_t = self._residual(net, cell, vw_t, vb_t, v_wl, v_bl)
                fn_t = np.abs(f_t).max(initial=0.0)
                if fn_t <= max(fnorm, floor_t) or lam * step <= v_tol:
                    break
                lam *= 0.5
            vw, vb, f, i, gd, vdev, fnorm, floor_a = vw_t, vb_t, f_t, i_t, gd_t, vdev_t, fn_t, floor_t
            i_scale = np.abs(i).max(initial=0.0)
            update = lam * step
            kcl_ok = fnorm <= 1e-9 * i_scale + floor_a + 1e-18
            stalled = update <= np.sqrt(self.tol) * vmax and update >= 0.5 * prev_update
            if kcl_ok and (update <= v_tol or stalled):
                return vw, vb, i[None], vdev[None], it
            prev_update = update
        raise SolverError(
            f"Newton's method did not converge in {self.max_newton} iterations "
            f"(last node-voltage update {lam * step:.3g} V, KCL residual {fnorm:.3g} A)"
        )


# ----------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------
def _assemble(spec, net, vw, vb, v_cell, v_dev, i_cell, v_wl, v_bl, info, backend="nodal") -> CrossbarSolution:
    """Fill a batched CrossbarSolution from node voltages and cell currents."""
    # KCL over a whole line: a word line's only connections are its driver and
    # its cells, so the driver current is exactly the sum of its cell currents
    # (exactly 0 for a floating line: it has no source, whatever the rounding)
    driver = np.where(net.driven_w, i_cell.sum(axis=2), 0.0)
    sense = np.where(net.driven_b, i_cell.sum(axis=1), 0.0)
    p_cells = (i_cell * v_cell).sum(axis=(1, 2))
    r_wl, r_bl = spec.r_wordline_ohm, spec.r_bitline_ohm
    with np.errstate(divide="ignore", invalid="ignore"):
        gw = np.where(r_wl[:, 1:] > 0, 1.0 / r_wl[:, 1:], 0.0)
        gb = np.where(r_bl[:-1, :] > 0, 1.0 / r_bl[:-1, :], 0.0)
        g_in = np.where(net.r_in > 0, 1.0 / net.r_in, 0.0)
        g_out = np.where(net.r_out > 0, 1.0 / net.r_out, 0.0)
    p_w = (gw * np.diff(vw, axis=2) ** 2).sum(axis=(1, 2)) + (gb * np.diff(vb, axis=1) ** 2).sum(axis=(1, 2))
    d_in = np.where(net.driven_w, np.nan_to_num(v_wl) - vw[:, :, 0], 0.0)
    d_out = np.where(net.driven_b, vb[:, -1, :] - np.nan_to_num(v_bl), 0.0)
    p_w = p_w + (g_in * d_in**2).sum(axis=1) + (g_out * d_out**2).sum(axis=1)
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
    r_wordline_ohm, r_bitline_ohm : float or array (rows, cols)
        Per-segment word- and bit-line resistance, ohm, >= 0 (0 = ideal line,
        solved exactly).
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
        Bad shapes or values (named); ``SolverError`` if the circuit cannot
        be solved.

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


# ----------------------------------------------------------------------------
# a solved crossbar netlist -> grids
# ----------------------------------------------------------------------------
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
        raise CrossbarSpecError(
            f"circuit {circuit.title!r} is not a crossbar: it has no wl_<i>_<j> / bl_<i>_<j> nodes"
        )
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
