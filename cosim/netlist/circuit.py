"""A DC circuit as vectorised element tables.

A :class:`Circuit` holds named nodes and, per element kind, a table of
elements stored as NumPy arrays (never one Python object per element), so
that a 512 x 512 crossbar with its wires is a handful of arrays.

Element kinds (SPICE letters in brackets):

* resistors ``R``: ``value`` in ohm; ``0`` is an ideal short (solved exactly,
  by the solvers, as a 0 V source), ``inf`` an open element.
* voltage sources ``V``: ``value`` in volt, ``V(n_plus) - V(n_minus) = value``.
  Their current follows SPICE: positive when it flows *into* ``n_plus``
  through the source to ``n_minus`` (``v#branch`` as ngspice prints it).
* current sources ``I``: ``value`` in ampere, flowing from ``n_plus``
  through the source to ``n_minus`` (SPICE convention).
* selectors ``X... cosim_selector``: a symmetric non-linear two-terminal
  element ``I = i_s_a * sinh(V / v_0_v)`` (see
  :class:`cosim.devices.selector.SinhSelector`).

Node ``"0"`` (aliases ``"gnd"``) is ground, index 0. Node names are kept
lower case, as ngspice prints them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from cosim.values import real_values

GROUND = "0"
_GROUND_ALIASES = {"0", "gnd", "gnd!"}

ELEMENT_KINDS = ("resistor", "vsource", "isource", "selector")


class CircuitError(ValueError):
    """A circuit is malformed: unknown node, bad value, duplicate name, ..."""


@dataclass
class ElementTable:
    """One kind of two-terminal element, vectorised.

    Attributes
    ----------
    names : list of str
        Element names, lower case (``"r_wl_3_4"``), unique within the circuit.
    n_plus, n_minus : ndarray of int, shape (n,)
        Node indices of the two terminals.
    params : dict of str -> ndarray, each shape (n,)
        Element values: ``value`` for R (ohm), V (volt), I (ampere);
        ``i_s_a`` and ``v_0_v`` for selectors.
    """

    names: list[str] = field(default_factory=list)
    n_plus: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    n_minus: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    params: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.names)


_PARAMS = {
    "resistor": ("value",),
    "vsource": ("value",),
    "isource": ("value",),
    "selector": ("i_s_a", "v_0_v"),
}


class Circuit:
    """A DC circuit: nodes plus vectorised element tables.

    Build one with :meth:`add` (many elements of one kind in one call), or
    read one from SPICE text with :func:`cosim.netlist.spice.read_spice`.

    Examples
    --------
    >>> c = Circuit("divider")
    >>> c.add("vsource", ["vin"], ["in"], ["0"], value=[1.0])
    >>> c.add("resistor", ["r1", "r2"], ["in", "mid"], ["mid", "0"], value=[1e3, 1e3])
    >>> c.num_nodes, len(c.elements["resistor"])
    (3, 2)
    """

    def __init__(self, title: str = "cosim circuit") -> None:
        self.title = title
        self.node_names: list[str] = [GROUND]
        self._node_index: dict[str, int] = {GROUND: 0}
        self.elements: dict[str, ElementTable] = {k: ElementTable() for k in ELEMENT_KINDS}
        self._element_names: set[str] = set()
        #: free-form metadata (the crossbar generator stores its geometry here)
        self.meta: dict = {}

    # -- nodes -----------------------------------------------------------
    @property
    def num_nodes(self) -> int:
        """Number of nodes including ground."""
        return len(self.node_names)

    def node(self, name: str) -> int:
        """Index of node ``name``, creating it if new (ground aliases map to 0)."""
        key = str(name).strip().lower()
        if key in _GROUND_ALIASES:
            return 0
        if not key:
            raise CircuitError("empty node name")
        idx = self._node_index.get(key)
        if idx is None:
            idx = len(self.node_names)
            self._node_index[key] = idx
            self.node_names.append(key)
        return idx

    def nodes(self, names: Iterable[str]) -> np.ndarray:
        """Indices of many nodes (created if new), as an int array."""
        return np.fromiter((self.node(n) for n in names), dtype=np.int64)

    def add_nodes(self, names: Sequence[str]) -> np.ndarray:
        """Indices of many nodes, creating new ones in bulk (fast path).

        Same result as :meth:`nodes`, but when every name is new, distinct and
        not a ground alias the nodes are appended in one step (a generator
        creating ~10^6 crossbar nodes relies on this).

        Parameters
        ----------
        names : sequence of str

        Returns
        -------
        ndarray of int64, shape (len(names),)
        """
        keys = [str(n).strip().lower() for n in names]
        start = len(self.node_names)
        if (
            self._node_index.keys().isdisjoint(keys)
            and len(set(keys)) == len(keys)
            and _GROUND_ALIASES.isdisjoint(keys)
            and "" not in keys
        ):
            self._node_index.update(zip(keys, range(start, start + len(keys))))
            self.node_names.extend(keys)
            return np.arange(start, start + len(keys), dtype=np.int64)
        return self.nodes(keys)

    def index_of(self, name: str) -> int:
        """Index of an existing node; ``CircuitError`` naming it if absent."""
        key = str(name).strip().lower()
        if key in _GROUND_ALIASES:
            return 0
        try:
            return self._node_index[key]
        except KeyError:
            raise CircuitError(f"no node named {name!r} in circuit {self.title!r}") from None

    # -- elements --------------------------------------------------------
    def add(
        self,
        kind: str,
        names: Sequence[str],
        n_plus: Sequence[str] | np.ndarray,
        n_minus: Sequence[str] | np.ndarray,
        **params: Sequence[float] | np.ndarray | float,
    ) -> None:
        """Append elements of one kind.

        Parameters
        ----------
        kind : {"resistor", "vsource", "isource", "selector"}
        names : sequence of str, length n
            Unique element names (stored lower case).
        n_plus, n_minus : sequence of node names, or int arrays of node indices
        **params : arrays or scalars broadcast to length n
            ``value`` (R: ohm, V: volt, I: ampere); selectors take ``i_s_a``
            (ampere) and ``v_0_v`` (volt).

        Raises
        ------
        CircuitError
            Unknown kind, missing/extra parameter, NaN, negative resistance,
            non-positive selector parameters, duplicate names, length mismatch.
        """
        if kind not in _PARAMS:
            raise CircuitError(f"unknown element kind {kind!r}; expected one of {ELEMENT_KINDS}")
        names = [str(n).lower() for n in names]
        n = len(names)
        np_idx = self._as_node_indices(n_plus, n, "n_plus")
        nm_idx = self._as_node_indices(n_minus, n, "n_minus")
        expected = set(_PARAMS[kind])
        if set(params) != expected:
            raise CircuitError(f"{kind} takes parameters {sorted(expected)}, got {sorted(params)}")
        arrays = {}
        for key, val in params.items():
            try:
                # cosim.values' rule: bool, complex and masked values are refused, not coerced
                arr = np.broadcast_to(real_values(f"{kind} {key}", val), (n,)).copy()
            except TypeError as exc:
                if np.asarray(val).dtype.kind in "USO":  # text, not a number at all
                    raise CircuitError(f"{kind} {key} must be a number or {n} numbers, got {val!r}") from None
                raise CircuitError(str(exc)) from None
            except ValueError:
                raise CircuitError(f"{kind} {key} must be a number or {n} numbers, got {val!r}") from None
            bad = np.flatnonzero(np.isnan(arr))
            if bad.size:
                raise CircuitError(f"{kind} {names[bad[0]]!r}: {key} is NaN")
            arrays[key] = arr
        if kind == "resistor":
            bad = np.flatnonzero(arrays["value"] < 0)
            if bad.size:
                raise CircuitError(
                    f"resistor {names[bad[0]]!r}: negative resistance {float(arrays['value'][bad[0]])!r} ohm"
                )
        elif kind == "selector":
            for key in ("i_s_a", "v_0_v"):
                bad = np.flatnonzero(~(arrays[key] > 0) | ~np.isfinite(arrays[key]))
                if bad.size:
                    raise CircuitError(
                        f"selector {names[bad[0]]!r}: {key} must be finite and > 0, got {float(arrays[key][bad[0]])!r}"
                    )
        else:
            bad = np.flatnonzero(~np.isfinite(arrays["value"]))
            if bad.size:
                raise CircuitError(
                    f"{kind} {names[bad[0]]!r}: value must be finite, got {float(arrays['value'][bad[0]])!r}"
                )
        dup = self._element_names.intersection(names)
        if dup or len(set(names)) != n:
            first = sorted(dup)[0] if dup else next(x for x in names if names.count(x) > 1)
            raise CircuitError(f"duplicate element name {first!r}")
        self._element_names.update(names)
        t = self.elements[kind]
        t.names.extend(names)
        t.n_plus = np.concatenate([t.n_plus, np_idx])
        t.n_minus = np.concatenate([t.n_minus, nm_idx])
        for key, arr in arrays.items():
            t.params[key] = np.concatenate([t.params.get(key, np.zeros(0)), arr])

    def _as_node_indices(self, nodes, n: int, what: str) -> np.ndarray:
        if isinstance(nodes, np.ndarray) and np.issubdtype(nodes.dtype, np.integer):
            idx = nodes.astype(np.int64).ravel()
            bad = idx[(idx < 0) | (idx >= self.num_nodes)]
            if bad.size:
                raise CircuitError(f"{what}: node index {int(bad[0])} out of range 0..{self.num_nodes - 1}")
        else:
            idx = self.nodes(nodes)
        if idx.size != n:
            raise CircuitError(f"{what} has {idx.size} entries for {n} element names")
        return idx

    def __repr__(self) -> str:
        counts = ", ".join(f"{len(t)} {k}" for k, t in self.elements.items() if len(t))
        return f"<Circuit {self.title!r}: {self.num_nodes} nodes, {counts or 'no elements'}>"
