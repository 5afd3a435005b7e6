"""Circuit checks before a nodal solve: floating nodes, near-shorts, voltage-source loops.

Part of :mod:`cosim.solvers.nodal` (import from there; the errors carry that
module's name so that tracebacks and ``except`` clauses read the same).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from cosim.netlist.circuit import Circuit
from cosim.netlist.graph import FloatingNodeError
from cosim.solvers.result import SolverError

_MAX_NAMED = 10


#: a resistor this many times more conductive than its surroundings is merged as a short
#: (1 / sqrt(eps): above it a short is closer to the truth than a float64 solve)
SHORT_RATIO = 1.0 / np.sqrt(np.finfo(float).eps)


class FloatingCircuitError(FloatingNodeError, SolverError):
    """Nodes without a DC path to ground; ``nodes`` lists their names.

    Both the netlist layer's :class:`~cosim.netlist.graph.FloatingNodeError`
    (a ``ValueError``) and a :class:`~cosim.solvers.result.SolverError`, so
    either ``except`` catches it.
    """

    __module__ = "cosim.solvers.nodal"

    def __init__(self, message: str, nodes: list[str] | None = None) -> None:
        Exception.__init__(self, message)
        self.nodes = list(nodes or [])

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class SingularCircuitError(SolverError):
    """The MNA matrix is singular (e.g. a loop of voltage sources)."""

    __module__ = "cosim.solvers.nodal"


def _name_list(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:_MAX_NAMED])
    more = f" and {len(names) - _MAX_NAMED} more" if len(names) > _MAX_NAMED else ""
    return shown + more


def _check_floating(circuit: Circuit) -> None:
    """Raise :class:`FloatingCircuitError` when a node has no DC path to ground."""
    n = circuit.num_nodes
    ends_a, ends_b = [], []
    for kind in ("resistor", "vsource", "selector"):
        t = circuit.elements[kind]
        if not len(t):
            continue
        keep = np.ones(len(t), dtype=bool)
        if kind == "resistor":
            keep = np.isfinite(t.params["value"])
        ends_a.append(t.n_plus[keep])
        ends_b.append(t.n_minus[keep])
    a = np.concatenate(ends_a) if ends_a else np.zeros(0, dtype=np.int64)
    b = np.concatenate(ends_b) if ends_b else np.zeros(0, dtype=np.int64)
    graph = sp.coo_matrix((np.ones(a.size), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    floating = np.flatnonzero(labels != labels[0])
    if floating.size:
        names = [circuit.node_names[k] for k in floating]
        raise FloatingCircuitError(
            f"circuit {circuit.title!r}: {len(names)} node(s) without a DC path to ground "
            f"(through resistors, voltage sources or selectors): {_name_list(names)}",
            names,
        )


def near_shorts(circuit: Circuit, ratio: float = SHORT_RATIO) -> tuple[np.ndarray, np.ndarray]:
    """Resistors too conductive for their surroundings to be solved as conductances.

    For every finite resistor ``k > 0`` ohm between nodes ``a`` and ``b``, ``S``
    is the total conductance of the *other* resistors at ``a`` and at ``b``
    (resistors between the same two nodes, in parallel with ``k``, not
    counted); with ``S_min`` the smaller of the two that is non-zero,
    ``k`` is a near-short when ``g_k > ratio * S_min``.  No subtraction of
    large sums is involved (the dominant pair of each node is excluded by
    weight), so the test itself is exact in floating point.

    Returns
    -------
    (index, excess) : ndarray of int, ndarray of float
        Row indices into ``circuit.elements["resistor"]`` and ``g_k / S_min``.
    """
    r = circuit.elements["resistor"]
    if not len(r):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    val = np.asarray(r.params["value"], dtype=float)
    ok = np.isfinite(val) & (val > 0)
    idx = np.flatnonzero(ok)
    if idx.size < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    a, b = r.n_plus[idx], r.n_minus[idx]
    g = 1.0 / val[idx]
    n = circuit.num_nodes
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pair = lo * n + hi
    _, pair_id = np.unique(pair, return_inverse=True)
    pair_g = np.bincount(pair_id, weights=g)
    # per node: the pair with the largest conductance (the candidate); sum the others
    ends = np.concatenate([a, b])
    ends_pair = np.concatenate([pair_id, pair_id])
    order = np.lexsort((-pair_g[ends_pair], ends))
    first = np.ones(order.size, dtype=bool)
    first[1:] = ends[order][1:] != ends[order][:-1]
    dom = np.full(n, -1, dtype=np.int64)
    dom[ends[order][first]] = ends_pair[order][first]
    w = np.concatenate([g, g])
    in_dom = dom[ends] == ends_pair
    s_other = np.bincount(ends, weights=np.where(in_dom, 0.0, w), minlength=n)
    big = np.full(n, np.inf)
    # a node where k's pair is not dominant has S >= g_k: never a reason to merge
    s_a = np.where(dom[a] == pair_id, s_other[a], big[a])
    s_b = np.where(dom[b] == pair_id, s_other[b], big[b])
    s_a = np.where(s_a > 0, s_a, np.inf)
    s_b = np.where(s_b > 0, s_b, np.inf)
    s_min = np.minimum(s_a, s_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = np.where(np.isfinite(s_min), g / s_min, 0.0)
    hit = excess > ratio
    return idx[hit], excess[hit]


def _merge_shorts(circuit: Circuit, extra: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Map every node to a merged index so that 0-ohm resistors (and the
    near-shorts ``extra``, resistor row indices) vanish.

    Returns ``(node_map, n_merged)`` with ``node_map[ground] == 0``.
    """
    n = circuit.num_nodes
    r = circuit.elements["resistor"]
    short = r.params["value"] == 0 if len(r) else np.zeros(0, dtype=bool)
    if extra is not None and extra.size:
        short = short.copy()
        short[extra] = True
    if not short.any():
        return np.arange(n), n
    graph = sp.coo_matrix((np.ones(int(short.sum())), (r.n_plus[short], r.n_minus[short])), shape=(n, n))
    n_comp, labels = connected_components(graph, directed=False)
    # relabel so that ground's group is 0, the other groups keep their order
    perm = np.arange(n_comp)
    g = labels[0]
    perm[g], perm[0] = 0, g
    return perm[labels], n_comp


def _find_source_loop(a: np.ndarray, b: np.ndarray, names: list[str]) -> str | None:
    """Name of a voltage source closing a loop of sources, or None.

    Only called when counting has shown a loop exists (error path), so a
    plain union-find over the sources is fine here.
    """
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for k in range(a.size):
        ra, rb = root(int(a[k])), root(int(b[k]))
        if ra == rb:
            return names[k]
        parent[ra] = rb
    return None


def _has_source_loop(circuit: Circuit, node_map: np.ndarray, n_merged: int) -> bool:
    v = circuit.elements["vsource"]
    if not len(v):
        return False
    a, b = node_map[v.n_plus], node_map[v.n_minus]
    graph = sp.coo_matrix((np.ones(a.size), (a, b)), shape=(n_merged, n_merged))
    n_comp, _ = connected_components(graph, directed=False)
    return bool(a.size > n_merged - n_comp or np.any(a == b))


def _near_text(circuit: Circuit, idx: np.ndarray, excess: np.ndarray) -> str:
    r = circuit.elements["resistor"]
    k = int(np.argmax(excess))
    name, val = r.names[int(idx[k])], float(r.params["value"][int(idx[k])])
    more = f" (and {idx.size - 1} more)" if idx.size > 1 else ""
    return (
        f"resistor {name!r} ({val:.3g} ohm){more} is {excess[k]:.3g} times more conductive than the "
        f"resistors around it, beyond the {SHORT_RATIO:.3g} that float64 can resolve"
    )


def _check_not_blank(circuit: Circuit) -> None:
    n_elem = sum(len(t) for t in circuit.elements.values())
    if n_elem == 0:
        raise SolverError(f"circuit {circuit.title!r} has no elements (a blank netlist?); nothing to solve")
