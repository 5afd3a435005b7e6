"""Built-in DC solver for any :class:`~cosim.netlist.circuit.Circuit`: modified
nodal analysis (MNA) assembled as one scipy sparse matrix, Newton's method for
the non-linear selectors.

Formulation
-----------
Unknowns are the node voltages (ground eliminated) and the branch current of
every voltage source. With ``D_k`` the signed incidence matrix of element
kind ``k`` (one row per element, ``+1`` at its ``n_plus`` node and ``-1`` at
its ``n_minus`` node) the system is::

    [ D_r^T diag(1/R) D_r + D_s^T diag(g_s) D_s    D_v^T ] [ v ]   [ -D_i^T I - D_s^T i_eq ]
    [ D_v                                            0    ] [ j ] = [ E                    ]

(resistors ``r``, voltage sources ``v``, current sources ``i``, selectors
``s`` with their Newton companion model: conductance ``g_s = dI/dV`` and
equivalent current ``i_eq = I(V) - g_s V``). Every block is built from the
element tables as a COO matrix from index arrays, with no Python loop over
elements, and the matrix is factorised once per linear system with
:func:`scipy.sparse.linalg.splu`.

* Resistors of 0 ohm are exact shorts: their nodes are merged before the
  assembly (never a tiny resistor). Resistors of ``inf`` ohm are open and
  skipped. Voltage sources of 0 V (e.g. the generator's ``vshort_...``) stay
  branches, so their current is reported like ngspice's ``v#branch``.
* A node without a DC path to ground (through resistors, voltage sources,
  shorts or selectors; current sources are not DC paths) makes the circuit
  floating: :class:`FloatingCircuitError` (a
  :class:`~cosim.netlist.graph.FloatingNodeError`) names the nodes. The check
  is one vectorised ``connected_components`` call, not a networkx traversal.
* A resistor far more conductive than what it is connected to cannot be
  solved as a conductance: float64 keeps about 16 digits, so next to a
  ``1e18`` S stamp a ``1`` S neighbour is lost (a ``1e-18`` ohm cell behind
  1-ohm wires came out with the wrong sign).  Such a resistor is merged as a
  short, like a 0-ohm one, when its conductance exceeds ``1 / sqrt(eps)``
  (about ``6.7e7``) times that of the other resistors at the node where they
  are weakest (the resistors in parallel with it not counted): the merge
  changes the answer by at most that ratio's inverse (< 1.5e-8 relative),
  less than a direct solve would lose (ratio x eps).  (Not when the merge
  would short a voltage source: the sources then set its current, which the
  direct solve gives exactly.)  :func:`check_circuit`
  (also run before the ngspice backends, which cannot merge) lists them.
* A loop of voltage sources (or a source shorted by 0-ohm resistors) makes the
  matrix singular: :class:`~cosim.solvers.result.SolverError` names a source
  in the loop. Any other singular factorisation is reported as such, never as
  a scipy traceback.

Newton's method for selectors
-----------------------------
A selector ``I = i_s sinh(V / v0)`` is linearised at a voltage ``V_k`` per
iteration. Iteration 1 linearises at ``V = 0`` (the selector replaced by its
small-signal conductance ``i_s / v0``), i.e. it is the linear solve the brief
calls the start. After each solve the new selector voltages are *limited*
before the next linearisation, in the spirit of SPICE's junction limiting
(``pnjlim``): when a selector's voltage grows in magnitude by more than
``2 v0``, the next linearisation point is the voltage at which the true
``sinh`` carries the current that the linearised model predicted,
``v0 * arcsinh((I(V_k) + g(V_k) (V_new - V_k)) / i_s)``, which turns an
exponential overshoot into a logarithmic step (and ``|V / v0|`` is capped at
700 so ``sinh`` can never overflow).

Convergence is declared at iteration ``k >= 2`` when all of

1. no selector voltage was limited in this iteration,
2. every node voltage moved by at most ``vntol_v + reltol * |V|`` since the
   previous iteration, and
3. the Kirchhoff current-law residual at every node, evaluated with the true
   ``sinh`` currents, is at most ``abstol_a + reltol * S`` where ``S`` is the
   sum of the magnitudes of the element currents at that node,

hold; when the matrix is so ill-conditioned that the voltage steps stop
shrinking at the rounding level (e.g. floating lines held only by picoampere
selector currents), criterion 2 is replaced by: criterion 3 held in this and
the previous iteration and the largest step is more than half the previous
one (the iteration has stalled at rounding noise). Defaults: ``vntol_v = 1e-9`` V, ``reltol = 1e-9``, ``abstol_a = 1e-12`` A,
``max_iter = 100``. Otherwise :class:`NewtonConvergenceError` reports the
iteration count, the worst residual and its node. A circuit without selectors
is one linear solve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu

from cosim.netlist.circuit import Circuit
from cosim.solvers._circuit_checks import (
    SHORT_RATIO,
    FloatingCircuitError,
    SingularCircuitError,
    _check_floating,
    _check_not_blank,
    _find_source_loop,
    _has_source_loop,
    _merge_shorts,
    _near_text,
    near_shorts,
)
from cosim.solvers.result import CircuitSolution, SolverError

__all__ = [
    "solve_nodal",
    "check_circuit",
    "near_shorts",
    "SHORT_RATIO",
    "FloatingCircuitError",
    "SingularCircuitError",
    "NewtonConvergenceError",
    "VNTOL_V",
    "RELTOL",
    "ABSTOL_A",
    "MAX_ITER",
]

#: default absolute node-voltage tolerance of Newton's method, volt
VNTOL_V = 1e-9
#: default relative tolerance (voltages and KCL residuals)
RELTOL = 1e-9
#: default absolute KCL residual tolerance, ampere
ABSTOL_A = 1e-12
#: default iteration limit of Newton's method
MAX_ITER = 100

# sinh(710) overflows a float64; stay clear of it whatever a step proposes
_MAX_ARG = 700.0
# how far (in units of v0) a selector voltage may grow before it is limited
_LIMIT_V0 = 2.0


class NewtonConvergenceError(SolverError):
    """Newton's method did not converge within ``max_iter`` iterations."""


@dataclass
class _Kind:
    """One element kind after node merging: merged terminal indices and names."""

    a: np.ndarray
    b: np.ndarray
    names: list[str]


def _incidence(a: np.ndarray, b: np.ndarray, n_cols: int) -> sp.csr_matrix:
    """Signed incidence (elements x reduced unknowns); ground column dropped.

    ``a``/``b`` are merged node indices with 0 = ground; column ``k`` of the
    result is node ``k + 1``.
    """
    m = a.size
    rows = np.concatenate([np.arange(m), np.arange(m)])
    cols = np.concatenate([a, b]) - 1
    vals = np.concatenate([np.ones(m), -np.ones(m)])
    keep = cols >= 0
    return sp.csr_matrix((vals[keep], (rows[keep], cols[keep])), shape=(m, n_cols))


class _MNA:
    """The assembled linear part of a circuit's MNA system."""

    def __init__(self, circuit: Circuit) -> None:
        self.circuit = circuit
        self.near, self.near_excess = near_shorts(circuit)
        node_map, n_merged = _merge_shorts(circuit, self.near)
        if self.near.size and _has_source_loop(circuit, node_map, n_merged):
            # merging would short a voltage source: the near-short's current is then set by
            # the sources, which the direct solve resolves exactly; keep it a conductance
            self.near, self.near_excess = np.zeros(0, dtype=np.int64), np.zeros(0)
            node_map, n_merged = _merge_shorts(circuit)
        self.node_map = node_map
        self.n_nodes = n_merged - 1  # unknown voltages (ground eliminated)
        el = circuit.elements

        r = el["resistor"]
        r_val = r.params.get("value", np.zeros(0))
        keep = np.isfinite(r_val) & (r_val > 0)
        keep[self.near] = False  # merged as shorts
        self.res = _Kind(node_map[r.n_plus[keep]], node_map[r.n_minus[keep]], [])
        self.g_res = 1.0 / r_val[keep]

        v = el["vsource"]
        self.vs = _Kind(node_map[v.n_plus], node_map[v.n_minus], list(v.names))
        self.e_vs = np.asarray(v.params.get("value", np.zeros(0)), dtype=float)

        i = el["isource"]
        self.cs = _Kind(node_map[i.n_plus], node_map[i.n_minus], list(i.names))
        self.i_cs = np.asarray(i.params.get("value", np.zeros(0)), dtype=float)

        s = el["selector"]
        self.sel = _Kind(node_map[s.n_plus], node_map[s.n_minus], list(s.names))
        self.i_s = np.asarray(s.params.get("i_s_a", np.zeros(0)), dtype=float)
        self.v_0 = np.asarray(s.params.get("v_0_v", np.zeros(0)), dtype=float)

        self._check_source_loops()

        n, m = self.n_nodes, len(self.vs.names)
        self.n_unknowns = n + m
        self.D_r = _incidence(self.res.a, self.res.b, n)
        self.D_v = _incidence(self.vs.a, self.vs.b, n)
        self.D_i = _incidence(self.cs.a, self.cs.b, n)
        self.D_s = _incidence(self.sel.a, self.sel.b, n)
        g_block = (self.D_r.T @ sp.diags(self.g_res) @ self.D_r).tocsr()
        self.A_lin = sp.bmat([[g_block, self.D_v.T], [self.D_v, None]], format="csc") if m else g_block.tocsc()
        self.b_lin = np.concatenate([-(self.D_i.T @ self.i_cs), self.e_vs])

    def _check_source_loops(self) -> None:
        a, b = self.vs.a, self.vs.b
        if not a.size:
            return
        n = self.n_nodes + 1
        graph = sp.coo_matrix((np.ones(a.size), (a, b)), shape=(n, n))
        n_comp, _ = connected_components(graph, directed=False)
        # a forest over n nodes has at most n - n_comp edges; one more closes a loop
        if a.size > n - n_comp or np.any(a == b):
            name = _find_source_loop(a, b, self.vs.names)
            raise SingularCircuitError(
                f"circuit {self.circuit.title!r}: singular matrix: voltage source {name!r} closes a loop of "
                "voltage sources (and/or 0-ohm resistors); its current is undetermined"
            )

    # -- solving ------------------------------------------------------------
    def factor_solve(self, A: sp.csc_matrix, rhs: np.ndarray) -> np.ndarray:
        if self.n_unknowns == 0:
            return np.zeros(0)
        try:
            with np.errstate(all="ignore"):
                x = splu(A.tocsc()).solve(rhs)
        except RuntimeError as exc:  # SuperLU: "Factor is exactly singular"
            raise SingularCircuitError(
                f"circuit {self.circuit.title!r}: singular MNA matrix ({exc}); check for loops of voltage "
                "sources or nodes held only by current sources"
            ) from None
        if not np.all(np.isfinite(x)):
            raise SingularCircuitError(
                f"circuit {self.circuit.title!r}: the MNA solve gave non-finite values (numerically singular matrix)"
            )
        return x

    def full_voltages(self, x: np.ndarray) -> np.ndarray:
        """Voltages of the merged nodes including ground (index 0)."""
        return np.concatenate([[0.0], x[: self.n_nodes]])

    def selector_iv(self, vd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        arg = np.clip(vd / self.v_0, -_MAX_ARG, _MAX_ARG)
        return self.i_s * np.sinh(arg), (self.i_s / self.v_0) * np.cosh(arg)

    def kcl_residual(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-node KCL residual and current scale (true selector currents)."""
        n = self.n_nodes
        v, j = x[:n], x[n:]
        i_res = self.g_res * (self.D_r @ v)
        i_sel, _ = self.selector_iv(self.D_s @ v)
        resid = self.D_r.T @ i_res + self.D_v.T @ j + self.D_i.T @ self.i_cs + self.D_s.T @ i_sel
        absd = lambda D: abs(D).T  # noqa: E731 - |incidence| sums magnitudes per node
        scale = (
            absd(self.D_r) @ np.abs(i_res)
            + absd(self.D_v) @ np.abs(j)
            + absd(self.D_i) @ np.abs(self.i_cs)
            + absd(self.D_s) @ np.abs(i_sel)
        )
        return resid, scale

    def node_name_of_unknown(self, k: int) -> str:
        """A circuit node name for merged unknown ``k`` (first original node)."""
        orig = np.flatnonzero(self.node_map == k + 1)
        return self.circuit.node_names[int(orig[0])] if orig.size else f"#{k + 1}"


def check_circuit(circuit: Circuit, *, merge_near_shorts: bool = True) -> None:
    """The graph checks every backend runs before solving.

    Parameters
    ----------
    circuit : Circuit
    merge_near_shorts : bool
        True for the nodal backend (it merges near-shorts, see the module
        docstring); False for a backend that cannot (ngspice solves the deck
        as written): a near-short is then refused.

    Raises
    ------
    SolverError
        The circuit has no elements (a blank netlist), or (``merge_near_shorts``
        False) a resistor is too conductive for its surroundings (named, with
        the ratio).
    FloatingCircuitError
        A node has no DC path to ground (named).
    SingularCircuitError
        A loop of voltage sources (a source named).

    Examples
    --------
    >>> from cosim.netlist.circuit import Circuit
    >>> c = Circuit("leaky")
    >>> c.add("isource", ["i1"], ["0"], ["a"], value=[1e-3])
    >>> c.add("resistor", ["r1"], ["b"], ["0"], value=[1e3])
    >>> check_circuit(c)
    Traceback (most recent call last):
    ...
    cosim.solvers.nodal.FloatingCircuitError: circuit 'leaky': 1 node(s) without a DC path to ground (through resistors, voltage sources or selectors): 'a'
    """
    _check_not_blank(circuit)
    _check_floating(circuit)
    if not merge_near_shorts:
        idx, excess = near_shorts(circuit)
        if idx.size:
            raise SingularCircuitError(
                f"circuit {circuit.title!r}: {_near_text(circuit, idx, excess)}; the ngspice backends solve the "
                "deck as written and cannot merge it as a short: use the nodal backend, or write it as 0 ohm"
            )
    _MNA(circuit)  # source loops (after merging shorts)


def _limit(
    vd_new: np.ndarray, vd_old: np.ndarray, i_old: np.ndarray, g_old: np.ndarray, i_s: np.ndarray, v_0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """SPICE-style limiting of the next selector linearisation voltages.

    Returns ``(v_next, limited_mask)``; see the module docstring.
    """
    grows = np.abs(vd_new) > np.abs(vd_old) + _LIMIT_V0 * v_0
    with np.errstate(over="ignore", invalid="ignore"):
        i_lin = i_old + g_old * (vd_new - vd_old)
        v_cons = v_0 * np.arcsinh(i_lin / i_s)
    use = grows & np.isfinite(v_cons) & (np.abs(v_cons) < np.abs(vd_new))
    v_next = np.where(use, v_cons, vd_new)
    cap = _MAX_ARG * v_0
    capped = np.abs(v_next) > cap
    v_next = np.clip(v_next, -cap, cap)
    return v_next, use | capped


def solve_nodal(
    circuit: Circuit,
    *,
    vntol_v: float = VNTOL_V,
    reltol: float = RELTOL,
    abstol_a: float = ABSTOL_A,
    max_iter: int = MAX_ITER,
) -> CircuitSolution:
    """DC operating point of ``circuit`` by modified nodal analysis.

    Parameters
    ----------
    circuit : Circuit
        Any circuit of resistors, voltage and current sources and sinh
        selectors (see :mod:`cosim.netlist.circuit`).
    vntol_v : float
        Absolute node-voltage tolerance of Newton's method, volt.
    reltol : float
        Relative tolerance on node voltages and on the KCL residual.
    abstol_a : float
        Absolute KCL residual tolerance, ampere.
    max_iter : int
        Newton iteration limit (>= 1); one iteration is one factorisation.

    Returns
    -------
    CircuitSolution
        ``node_voltages_v`` for every node (ground ``"0"`` included) and
        ``source_currents_a`` for every voltage source, SPICE sign (current
        entering the source at its + node), ``backend="nodal"``.

    Raises
    ------
    FloatingCircuitError
        A node has no DC path to ground (the nodes are named).
    SingularCircuitError
        Loop of voltage sources, or an otherwise singular matrix.
    SolverError
        The circuit has no elements (a blank netlist).
    NewtonConvergenceError
        Newton's method did not converge within ``max_iter`` iterations.
    ValueError
        A tolerance is not positive or ``max_iter`` is not an integer >= 1.

    Examples
    --------
    >>> from cosim.netlist.circuit import Circuit
    >>> c = Circuit("divider")
    >>> c.add("vsource", ["vin"], ["in"], ["0"], value=[1.0])
    >>> c.add("resistor", ["r1", "r2"], ["in", "mid"], ["mid", "0"], value=[1e3, 3e3])
    >>> sol = solve_nodal(c)
    >>> round(sol.node_voltages_v["mid"], 12), sol.source_currents_a["vin"]
    (0.75, -0.00025)
    """
    for name, val in (("vntol_v", vntol_v), ("reltol", reltol), ("abstol_a", abstol_a)):
        if not (np.isfinite(val) and val > 0):
            raise ValueError(f"{name} must be finite and > 0, got {val!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")

    _check_not_blank(circuit)
    _check_floating(circuit)
    mna = _MNA(circuit)

    if not len(mna.sel.names):
        x = mna.factor_solve(mna.A_lin, mna.b_lin)
        return _solution(mna, x)

    x = _newton(mna, vntol_v=vntol_v, reltol=reltol, abstol_a=abstol_a, max_iter=int(max_iter))
    return _solution(mna, x)


def _newton(mna: _MNA, *, vntol_v: float, reltol: float, abstol_a: float, max_iter: int) -> np.ndarray:
    """Newton's method on the selectors (module docstring); returns the MNA unknowns."""
    n = mna.n_nodes
    # selector incidence padded with zero columns for the source-current unknowns
    D_s = sp.hstack([mna.D_s, sp.csr_matrix((mna.D_s.shape[0], mna.n_unknowns - n))]).tocsr()
    vd_lin = np.zeros(len(mna.sel.names))  # iteration 1 linearises every selector at 0 V
    x_prev = vd_raw_prev = None
    prev_kcl_ok, prev_dv_max = False, np.inf
    report = "no iteration ran"
    for _iteration in range(1, max_iter + 1):
        i_lin, g_lin = mna.selector_iv(vd_lin)
        # companion model: conductance g_lin in parallel with i_eq, stamped for all selectors at once
        A = mna.A_lin + D_s.T @ sp.diags(g_lin) @ D_s
        rhs = mna.b_lin - D_s.T @ (i_lin - g_lin * vd_lin)
        x = mna.factor_solve(A, rhs)
        vd_raw = mna.D_s @ x[:n]
        vd_lin_next, limited = _limit(vd_raw, vd_lin, i_lin, g_lin, mna.i_s, mna.v_0)
        if vd_raw_prev is not None:
            # a selector whose Newton target did not move although its linearisation
            # did (e.g. held by voltage sources) gains nothing from limiting: jump there
            settled = np.abs(vd_raw - vd_raw_prev) <= vntol_v + reltol * np.abs(vd_raw)
            cap = _MAX_ARG * mna.v_0
            vd_lin_next = np.where(settled & limited, np.clip(vd_raw, -cap, cap), vd_lin_next)
        vd_raw_prev = vd_raw

        resid, scale = mna.kcl_residual(x)
        excess_r = np.abs(resid) - (abstol_a + reltol * scale)
        dv = np.abs(x[:n] - x_prev[:n]) if x_prev is not None else np.full(n, np.inf)
        excess_v = dv - (vntol_v + reltol * np.abs(x[:n]))
        kcl_ok = n == 0 or excess_r.max() <= 0
        dv_max = float(dv.max()) if n else 0.0
        # at the rounding floor of an ill-conditioned matrix (e.g. floating lines held only by
        # pA selector currents) the steps stop shrinking while KCL already holds: accept then
        stalled = kcl_ok and prev_kcl_ok and dv_max > 0.5 * prev_dv_max
        if not limited.any() and kcl_ok and (excess_v.max() <= 0 or stalled):
            return x
        prev_kcl_ok, prev_dv_max = kcl_ok, dv_max
        k_r, k_v = int(np.argmax(excess_r)), int(np.argmax(excess_v))
        step = (
            f"largest voltage step {dv[k_v]:.3g} V at node {mna.node_name_of_unknown(k_v)!r}"
            if x_prev is not None
            else "no voltage step yet (first iteration)"
        )
        report = (
            f"worst KCL residual {abs(resid[k_r]):.3g} A at node {mna.node_name_of_unknown(k_r)!r} "
            f"(tolerance {abstol_a + reltol * scale[k_r]:.3g} A), {step}, "
            f"{int(limited.sum())} selector voltage(s) limited"
        )
        x_prev, vd_lin = x, vd_lin_next
    raise NewtonConvergenceError(
        f"circuit {mna.circuit.title!r}: Newton's method did not converge in {max_iter} iteration(s): "
        f"{report} (vntol_v={vntol_v:g} V, reltol={reltol:g}, abstol_a={abstol_a:g} A)"
    )


def _solution(mna: _MNA, x: np.ndarray) -> CircuitSolution:
    v_full = mna.full_voltages(x)[mna.node_map]
    currents = x[mna.n_nodes :]
    return CircuitSolution(
        node_voltages_v=dict(zip(mna.circuit.node_names, v_full.tolist())),
        source_currents_a=dict(zip(mna.vs.names, currents.tolist())),
        backend="nodal",
    )
