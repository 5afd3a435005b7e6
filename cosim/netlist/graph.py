"""A networkx graph view of a circuit, for the checks a solver needs first.

* :func:`circuit_graph` - the circuit as a :class:`networkx.MultiGraph`
  (one edge per element).
* :func:`floating_nodes` / :func:`check_floating` - nodes without a DC path to
  ground (they make the nodal matrix singular).  Resistors of finite value
  (``0`` included), voltage sources and selectors conduct at DC; current
  sources and ``inf`` (open) resistors do not.
* :func:`find_shorts` - voltage sources shorted on themselves and loops of
  voltage sources / 0-ohm resistors (an ideal short in parallel with a source
  fixes one voltage twice: the nodal matrix is singular).
* :func:`sneak_paths` - the sneak paths of a crossbar read: paths from the
  selected word line to the selected bit line through unselected cells.

The connectivity checks run on ``scipy.sparse.csgraph`` (vectorised, fast
for a million elements); networkx is used where individual paths or loops
are listed.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from cosim.netlist.circuit import Circuit, CircuitError
from cosim.netlist.crossbar import CrossbarSpec, CrossbarSpecError

__all__ = [
    "FloatingNodeError",
    "Short",
    "SneakPath",
    "circuit_graph",
    "floating_nodes",
    "check_floating",
    "find_shorts",
    "sneak_paths",
]

_MAX_LISTED = 10


class FloatingNodeError(CircuitError):
    """Nodes without a DC path to ground; ``.nodes`` lists all of them."""

    def __init__(self, message: str, nodes: list[str]) -> None:
        super().__init__(message)
        self.nodes = nodes


def _listing(names: list[str], limit: int = _MAX_LISTED) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def circuit_graph(circuit: Circuit) -> nx.MultiGraph:
    """The circuit as an undirected multigraph, one edge per element.

    Nodes are the node names (ground is ``"0"``) with attribute ``index``.
    Edges are keyed by element name and carry ``kind`` (``"resistor"``,
    ``"vsource"``, ``"isource"``, ``"selector"``), the element's parameters
    (``value``, or ``i_s_a`` / ``v_0_v``), ``n_plus`` / ``n_minus`` (node
    names, for the orientation) and ``dc`` (True when it conducts at DC).

    Examples
    --------
    >>> c = Circuit("divider")
    >>> c.add("vsource", ["vin"], ["in"], ["0"], value=[1.0])
    >>> c.add("resistor", ["r1", "r2"], ["in", "mid"], ["mid", "0"], value=[1e3, 2e3])
    >>> g = circuit_graph(c)
    >>> sorted(g.nodes), g.edges["mid", "0", "r2"]["value"]
    (['0', 'in', 'mid'], 2000.0)
    """
    g = nx.MultiGraph()
    g.add_nodes_from((name, {"index": k}) for k, name in enumerate(circuit.node_names))
    nodes = circuit.node_names
    for kind, t in circuit.elements.items():
        dc = _dc_mask(kind, t)
        params = {key: arr.tolist() for key, arr in t.params.items()}
        for k, name in enumerate(t.names):
            a, b = nodes[t.n_plus[k]], nodes[t.n_minus[k]]
            attrs = {key: vals[k] for key, vals in params.items()}
            g.add_edge(a, b, key=name, kind=kind, n_plus=a, n_minus=b, dc=bool(dc[k]), **attrs)
    return g


def _dc_mask(kind: str, table) -> np.ndarray:
    """Which elements of one table conduct at DC."""
    n = len(table)
    if kind == "isource":
        return np.zeros(n, dtype=bool)
    if kind == "resistor":
        return np.isfinite(table.params.get("value", np.zeros(n)))
    return np.ones(n, dtype=bool)


def _components(num_nodes: int, pairs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[int, np.ndarray]:
    a = np.concatenate([p for p, _ in pairs]) if pairs else np.zeros(0, dtype=np.int64)
    b = np.concatenate([q for _, q in pairs]) if pairs else np.zeros(0, dtype=np.int64)
    adj = coo_matrix((np.ones(a.size), (a, b)), shape=(num_nodes, num_nodes))
    return connected_components(adj, directed=False)


def floating_nodes(circuit: Circuit) -> list[str]:
    """Nodes with no DC path to ground, in node order.

    A DC path runs through resistors of finite value (0 included), voltage
    sources and selectors; current sources and open (``inf``) resistors do
    not count.  A node no element touches is floating too.

    Examples
    --------
    >>> c = Circuit("t")
    >>> c.add("isource", ["i1"], ["0"], ["a"], value=1e-3)
    >>> c.add("resistor", ["r1", "r2"], ["a", "b"], ["b", "c"], value=[1e3, float("inf")])
    >>> floating_nodes(c)
    ['a', 'b', 'c']
    """
    pairs = []
    for kind, t in circuit.elements.items():
        dc = _dc_mask(kind, t)
        pairs.append((t.n_plus[dc], t.n_minus[dc]))
    _, labels = _components(circuit.num_nodes, pairs)
    idx = np.flatnonzero(labels != labels[0])
    return [circuit.node_names[k] for k in idx.tolist()]


def check_floating(circuit: Circuit) -> None:
    """Refuse a circuit with floating nodes.

    Raises
    ------
    FloatingNodeError
        Naming the floating nodes (the first ten, then ``and N more``);
        its ``.nodes`` attribute lists them all.
    """
    nodes = floating_nodes(circuit)
    if nodes:
        raise FloatingNodeError(
            f"circuit {circuit.title!r}: {len(nodes)} node{'s' if len(nodes) > 1 else ''} without a DC path to "
            f"ground: {_listing(nodes)}",
            nodes,
        )


@dataclass(frozen=True)
class Short:
    """A short found by :func:`find_shorts`.

    Attributes
    ----------
    kind : {"source_self_loop", "source_loop", "element_self_loop"}
        A voltage source (or 0-ohm resistor) with both terminals on one node;
        a loop made only of voltage sources and 0-ohm resistors; a resistor,
        selector or current source with both terminals on one node (harmless
        but almost always a mistake).
    elements : tuple of str
        The elements involved, in loop order.
    nodes : tuple of str
        The nodes involved.
    """

    kind: str
    elements: tuple[str, ...]
    nodes: tuple[str, ...]

    def __str__(self) -> str:
        if self.kind == "source_loop":
            return f"loop of voltage sources / 0-ohm resistors: {' -> '.join(self.elements)} (nodes {', '.join(self.nodes)})"
        what = "voltage source / 0-ohm resistor" if self.kind == "source_self_loop" else "element"
        return f"{what} {self.elements[0]} has both terminals on node {self.nodes[0]!r}"


def find_shorts(circuit: Circuit) -> list[Short]:
    """Voltage sources shorted on themselves and loops of voltage sources.

    0-ohm resistors count as 0 V sources (that is how they are solved), so a
    0-ohm resistor across a voltage source is reported as a loop.  Both make
    the modified nodal equations singular.

    Returns
    -------
    list of Short
        Empty for a sound circuit (e.g. every generated crossbar).

    Examples
    --------
    >>> c = Circuit("t")
    >>> c.add("vsource", ["v1", "v2"], ["a", "a"], ["0", "0"], value=[1.0, 2.0])
    >>> c.add("resistor", ["r1"], ["a"], ["0"], value=[1e3])
    >>> [str(s) for s in find_shorts(c)]
    ['loop of voltage sources / 0-ohm resistors: v2 -> v1 (nodes a, 0)']
    """
    nodes = circuit.node_names
    shorts: list[Short] = []
    # edges that fix a voltage difference: every voltage source, every 0-ohm resistor
    names: list[str] = []
    a_parts, b_parts = [], []
    for kind in ("vsource", "resistor"):
        t = circuit.elements[kind]
        sel = np.ones(len(t), dtype=bool) if kind == "vsource" else t.params.get("value", np.zeros(0)) == 0
        idx = np.flatnonzero(sel)
        names += [t.names[k] for k in idx.tolist()]
        a_parts.append(t.n_plus[idx])
        b_parts.append(t.n_minus[idx])
    a = np.concatenate(a_parts)
    b = np.concatenate(b_parts)
    self_loop = a == b
    for k in np.flatnonzero(self_loop).tolist():
        shorts.append(Short("source_self_loop", (names[k],), (nodes[a[k]],)))
    for kind in ("resistor", "selector", "isource"):
        t = circuit.elements[kind]
        same = t.n_plus == t.n_minus
        if kind == "resistor":
            same &= t.params.get("value", np.zeros(len(t))) != 0
        for k in np.flatnonzero(same).tolist():
            shorts.append(Short("element_self_loop", (t.names[k],), (nodes[t.n_plus[k]],)))

    keep = np.flatnonzero(~self_loop)
    a, b = a[keep], b[keep]
    names = [names[k] for k in keep.tolist()]
    # a forest has edges = touched nodes - components; any surplus edge closes a loop
    if a.size:
        touched = np.unique(np.concatenate([a, b]))
        n_comp, _ = _components(circuit.num_nodes, [(a, b)])
        n_comp_touched = n_comp - (circuit.num_nodes - touched.size)
        if a.size > touched.size - n_comp_touched:
            forest = nx.Graph()
            for k, (p, q) in enumerate(zip(a.tolist(), b.tolist())):
                if p in forest and q in forest and nx.has_path(forest, p, q):
                    path = nx.shortest_path(forest, p, q)
                    loop = [forest.edges[u, v]["name"] for u, v in zip(path[:-1], path[1:])]
                    shorts.append(Short("source_loop", (names[k], *loop), tuple(nodes[x] for x in path)))
                else:
                    forest.add_edge(p, q, name=names[k])
    return shorts


@dataclass(frozen=True)
class SneakPath:
    """One sneak path of a crossbar read.

    Attributes
    ----------
    cells : tuple of (int, int)
        The cells in order from the selected word line to the selected bit
        line; an odd number (3 for the classic path).
    r_series_ohm : float
        Sum of the cells' resistances in ohm (wire resistance not included).
    """

    cells: tuple[tuple[int, int], ...]
    r_series_ohm: float


def sneak_paths(
    spec: CrossbarSpec,
    r_cell_ohm,
    row: int,
    col: int,
    max_cells: int = 3,
    *,
    max_len: int | None = None,
) -> list[SneakPath]:
    """Sneak paths of reading cell ``(row, col)``: word line ``row`` to bit line ``col``
    through other cells.

    The array is the bipartite graph word lines x bit lines with one edge per
    cell; a path alternates word line -> cell -> bit line -> cell -> word line
    ... and always crosses an odd number of cells.  The classic 3-cell path is
    ``wl_row -> (row, k) -> bl_k -> (m, k) -> wl_m -> (m, col) -> bl_col``
    (``(rows-1) * (cols-1)`` of them in a full array).

    Parameters
    ----------
    spec : CrossbarSpec
        Only the shape is used.
    r_cell_ohm : array_like, shape (rows, cols)
        Cell resistances in ohm; ``inf`` cells are open and carry no path.
    row, col : int
        The selected cell.
    max_cells : int, default 3
        Longest path, in cells (>= 3).  Paths of 5 and more cells grow
        combinatorially; keep it at 3 beyond small arrays.
    max_len : int, optional
        Alias of ``max_cells`` (the name used in API.md); wins when given.

    Returns
    -------
    list of SneakPath
        Sorted by series resistance, lowest (most harmful) first; ties by cells.

    Raises
    ------
    CrossbarSpecError
        Bad ``r_cell_ohm`` (shape, NaN, zero or negative), ``row``/``col`` out
        of range, ``max_cells`` < 3.

    Examples
    --------
    >>> paths = sneak_paths(CrossbarSpec(2, 2), [[1e3, 2e3], [3e3, 4e3]], 0, 0)
    >>> [(p.cells, p.r_series_ohm) for p in paths]
    [(((0, 1), (1, 1), (1, 0)), 9000.0)]
    """
    r = spec.check_cells(r_cell_ohm)
    rows, cols = spec.shape
    limit = max_cells if max_len is None else max_len
    for name, val, n in (("row", row, rows), ("col", col, cols)):
        if not isinstance(val, (int, np.integer)) or not 0 <= val < n:
            raise CrossbarSpecError(f"{name} must be an integer in 0..{n - 1}, got {val!r}")
    if not isinstance(limit, (int, np.integer)) or limit < 3:
        raise CrossbarSpecError(f"max_cells must be an integer >= 3, got {limit!r}")
    if limit == 3:
        return _three_cell_paths(r, row, col)
    g = nx.Graph()
    ii, jj = np.nonzero(np.isfinite(r))
    g.add_nodes_from([("wl", i) for i in range(rows)] + [("bl", j) for j in range(cols)])
    g.add_edges_from(
        (("wl", i), ("bl", j), {"r": r[i, j]}) for i, j in zip(ii.tolist(), jj.tolist()) if (i, j) != (row, col)
    )
    found = []
    for path in nx.all_simple_paths(g, ("wl", row), ("bl", col), cutoff=int(limit)):
        cells = []
        for u, v in zip(path[:-1], path[1:]):
            i = u[1] if u[0] == "wl" else v[1]
            j = v[1] if v[0] == "bl" else u[1]
            cells.append((int(i), int(j)))
        found.append(SneakPath(tuple(cells), float(sum(r[c] for c in cells))))
    found.sort(key=lambda p: (p.r_series_ohm, p.cells))
    return found


def _three_cell_paths(r: np.ndarray, row: int, col: int) -> list[SneakPath]:
    """The 3-cell paths (row, k) -> (m, k) -> (m, col), vectorised over (m, k).

    Same answer as the networkx enumeration with ``cutoff=3`` (a test holds
    them equal), but a 256 x 256 array takes milliseconds instead of seconds.
    """
    m = np.delete(np.arange(r.shape[0]), row)
    k = np.delete(np.arange(r.shape[1]), col)
    total = r[row, k][None, :] + r[np.ix_(m, k)] + r[m, col][:, None]  # (rows-1, cols-1); inf = open
    mm, kk = np.nonzero(np.isfinite(total))
    mi, ki, tot = m[mm], k[kk], total[mm, kk]
    # lowest resistance first; ties in cell order (first cell (row, k), then (m, k))
    order = np.lexsort((mi, ki, tot))
    return [
        SneakPath(((row, kx), (mx, kx), (mx, col)), t)
        for mx, kx, t in zip(mi[order].tolist(), ki[order].tolist(), tot[order].tolist())
    ]
