"""The crossbar's nodal network and its linear factorisations (private).

:class:`_Network` numbers the nodes of one bias pattern (which lines are
driven; zero-ohm segments merged into super nodes, zero-ohm sources fixed) and
builds right-hand sides; :class:`_LineFactor` (line-preconditioned CG, see
:mod:`cosim.solvers._xbar_lines`) and :class:`_SparseFactor` (SuperLU) solve it
for one set of effective cell conductances.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from cosim.netlist.crossbar import CrossbarSpec
from cosim.solvers._xbar_lines import LineSystem, _lean_kernels
from cosim.solvers._xbar_result import _wire_conductances
from cosim.solvers.result import SolverError


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


_NO_J0 = np.zeros((0, 0, 0))  # the compiled right-hand side's placeholder when there is no j0


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
    def _wires(net: _Network) -> tuple[np.ndarray, np.ndarray, float]:
        """(WL segment, BL segment conductances, S; weakest inner segment's conductance, S, or 0
        when a segment is 0 ohm), cached on ``net``: they depend on the spec only."""
        got = net.__dict__.get("_line_wires")
        if got is None:
            spec = net.spec
            inner = np.concatenate((spec.r_wordline_ohm[:, 1:].ravel(), spec.r_bitline_ohm[:-1, :].ravel()))
            g_wire = 0.0 if inner.size == 0 or (inner == 0).any() else 1.0 / inner.max()
            # the wires' own conductances (0 for a 0-ohm segment; the line solver never sees one)
            gw_seg, gb_seg, _, _ = _wire_conductances(spec, net)
            got = net.__dict__["_line_wires"] = (gw_seg, gb_seg, g_wire)
        return got

    @staticmethod
    def worthwhile(net: _Network, g_eff: np.ndarray) -> bool:
        """Whether the line preconditioner will converge fast: wires much better than a line of cells."""
        spec = net.spec
        g_wire = _LineFactor._wires(net)[2]
        if g_wire == 0.0:
            return False
        g_line = max(spec.rows, spec.cols) * float(g_eff.mean())
        return g_line == 0 or g_wire >= _LineFactor.MIN_WIRE_TO_CELL_RATIO * g_line

    def __init__(self, net: _Network, g_eff: np.ndarray) -> None:
        self.net = net
        self.g = g_eff
        self.gw_seg, self.gb_seg, _ = self._wires(net)
        self.system = LineSystem(self.gw_seg, self.gb_seg, g_eff, net.g_in, net.g_out, net.fix_w, net.fix_b)
        self.iterations = 0

    def solve(self, v_wl, v_bl, j0=None, x0_b=None):
        """Node voltages (batch, rows, cols) x2; ``v_wl`` (batch, rows), ``v_bl`` (batch, cols), volt.

        ``x0_b`` (batch, rows, cols), optional: bit-line voltages to start CG from.
        """
        if self.system.kernel == "numba":
            rw, rb = self._rhs_compiled(v_wl, v_bl, j0)
        else:
            rw, rb = self._rhs_numpy(v_wl, v_bl, j0)
        vw, vb, it = self.system.solve(rw, rb, x0_b=x0_b)
        self.iterations = it
        return vw, vb

    def _rhs_compiled(self, v_wl, v_bl, j0=None):
        """:meth:`_rhs_numpy` in one compiled pass (the same operations: bit-identical)."""
        net = self.net
        f64 = np.ascontiguousarray
        return _lean_kernels.line_rhs(
            f64(v_wl, float),
            f64(v_bl, float),
            _NO_J0 if j0 is None else f64(np.broadcast_to(j0, (np.shape(v_wl)[0], *net.spec.shape)), float),
            j0 is not None,
            net.g_in,
            net.g_out,
            self.gw_seg,
            self.gb_seg,
            f64(self.g, float),
            net.fix_w,
            net.fix_b,
        )

    def _rhs_numpy(self, v_wl, v_bl, j0=None):
        """Right-hand sides ``(rw, rb)`` (batch, rows, cols) of the line system; sources in volt
        (``v_wl`` (batch, rows), ``v_bl`` (batch, cols), NaN = floating), ``j0`` cell currents, A."""
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
        return rw, rb


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
