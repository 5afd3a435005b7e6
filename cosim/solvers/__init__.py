"""cosim.solvers layer (see DESIGN.md): backends that solve a circuit.

One interface, two backends:

* ``"nodal"``: the built-in modified nodal analysis
  (:func:`cosim.solvers.nodal.solve_nodal`; sparse LU, Newton for selectors);
* ``"ngspice"``: the circuit written as SPICE text and run through ngspice
  (:mod:`cosim.solvers.ngspice`), ``"ngspice-shared"`` / ``"ngspice-batch"``
  force the shared library or ``ngspice -b``; plain ``"ngspice"`` takes the
  library when it loads.

Both return a :class:`~cosim.solvers.result.CircuitSolution` with the same
keys: every node of the circuit (lower case, ground ``"0"``) and every
voltage source of the circuit.

Examples
--------
>>> from cosim.netlist.circuit import Circuit
>>> from cosim.solvers import solve_circuit
>>> c = Circuit("divider")
>>> c.add("vsource", ["vin"], ["in"], ["0"], value=[2.0])
>>> c.add("resistor", ["r1", "r2"], ["in", "mid"], ["mid", "0"], value=[1e3, 1e3])
>>> solve_circuit(c).node_voltages_v["mid"]
1.0
"""

from __future__ import annotations

import numpy as np

from cosim.solvers.result import (
    BackendUnavailableError,
    CircuitSolution,
    CrossbarSolution,
    SolverError,
)

__all__ = [
    "solve_circuit",
    "circuit_to_spice",
    "BACKENDS",
    "BackendUnavailableError",
    "CircuitSolution",
    "CrossbarSolution",
    "SolverError",
]

BACKENDS = ("nodal", "ngspice", "ngspice-shared", "ngspice-batch")
_NGSPICE_MODE = {"ngspice": "auto", "ngspice-shared": "shared", "ngspice-batch": "batch"}


def _fmt(x: float) -> str:
    return repr(float(x))


def _fallback_spice(circuit) -> tuple[str, dict[str, str]]:
    """Minimal SPICE writer used only while ``cosim.netlist.spice`` is absent.

    Returns the deck and ``{written source name: circuit source name}``.
    """
    lines = [f"* {circuit.title}".replace("\n", " ") if not circuit.title.startswith("*") else circuit.title]
    nn = circuit.node_names
    rename: dict[str, str] = {}

    def spice_name(letter: str, name: str) -> str:
        return name if name.startswith(letter) else f"{letter}_{name}"

    r = circuit.elements["resistor"]
    for name, a, b, val in zip(r.names, r.n_plus, r.n_minus, r.params.get("value", [])):
        if np.isinf(val):
            continue
        if val == 0:  # ngspice clamps 0-ohm resistors: write an exact 0 V source instead
            lines.append(f"vshort_{name} {nn[a]} {nn[b]} 0")
        else:
            lines.append(f"{spice_name('r', name)} {nn[a]} {nn[b]} {_fmt(val)}")
    v = circuit.elements["vsource"]
    for name, a, b, val in zip(v.names, v.n_plus, v.n_minus, v.params.get("value", [])):
        written = spice_name("v", name)
        rename[written] = name
        lines.append(f"{written} {nn[a]} {nn[b]} dc {_fmt(val)}")
    i = circuit.elements["isource"]
    for name, a, b, val in zip(i.names, i.n_plus, i.n_minus, i.params.get("value", [])):
        lines.append(f"{spice_name('i', name)} {nn[a]} {nn[b]} dc {_fmt(val)}")
    s = circuit.elements["selector"]
    if len(s):
        lines += [
            ".subckt cosim_selector a b is=1e-07 v0=0.1",
            "b1 a b i={is}*sinh(v(a,b)/{v0})",
            ".ends cosim_selector",
        ]
        for name, a, b, i_s, v0 in zip(s.names, s.n_plus, s.n_minus, s.params["i_s_a"], s.params["v_0_v"]):
            lines.append(f"{spice_name('x', name)} {nn[a]} {nn[b]} cosim_selector is={_fmt(i_s)} v0={_fmt(v0)}")
    lines += [".op", ".end", ""]
    return "\n".join(lines), rename


def circuit_to_spice(circuit) -> tuple[str, dict[str, str]]:
    """SPICE text of ``circuit`` for the ngspice backend.

    Uses the netlist layer's ``write_spice`` when it exists, else a minimal
    writer of R, V, I and selector elements.

    Returns
    -------
    text : str
    rename : dict of str -> str
        Written voltage-source name -> the circuit's name, where they differ.
    """
    try:
        from cosim.netlist.spice import write_spice
    except ImportError:
        return _fallback_spice(circuit)
    return write_spice(circuit), {}


def solve_circuit(circuit, backend: str = "nodal", *, spice_text: str | None = None, **opts) -> CircuitSolution:
    """DC operating point of a :class:`~cosim.netlist.circuit.Circuit`.

    Parameters
    ----------
    circuit : Circuit
    backend : {"nodal", "ngspice", "ngspice-shared", "ngspice-batch"}
        ``"nodal"``: built-in MNA solver; the others run ngspice (plain
        ``"ngspice"`` prefers the shared library, falls back to ``ngspice -b``).
    spice_text : str, optional
        ngspice backends only: the SPICE deck to run (e.g. the file the
        circuit was read from) instead of writing ``circuit`` out; the result
        is still restricted to the circuit's nodes and sources.
    **opts
        Passed to :func:`cosim.solvers.nodal.solve_nodal` (``vntol_v``,
        ``reltol``, ``abstol_a``, ``max_iter``) or to
        :func:`cosim.solvers.ngspice.run_ngspice` (``options``, ``timeout_s``).

    Returns
    -------
    CircuitSolution
        Node voltages of every circuit node and currents of every voltage
        source of the circuit (the same keys for every backend).

    Raises
    ------
    ValueError
        Unknown backend (the name is quoted) or unknown option.
    SolverError
        The circuit could not be solved (floating node, singular matrix,
        Newton non-convergence, ngspice error); ``BackendUnavailableError``
        when ngspice is missing.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")
    if backend == "nodal":
        from cosim.solvers.nodal import solve_nodal

        unknown = set(opts) - {"vntol_v", "reltol", "abstol_a", "max_iter"}
        if unknown:
            raise ValueError(f"unknown option(s) {sorted(unknown)} for backend 'nodal'")
        return solve_nodal(circuit, **opts)
    from cosim.solvers.ngspice import run_ngspice

    unknown = set(opts) - {"options", "timeout_s"}
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)} for backend {backend!r}")
    if spice_text is None:
        text, rename = circuit_to_spice(circuit)
    else:
        text, rename = spice_text, {}
    sol = run_ngspice(text, mode=_NGSPICE_MODE[backend], **opts)
    # report exactly the circuit's nodes and sources (the writer may add helpers)
    currents = {rename.get(k, k): val for k, val in sol.source_currents_a.items()}
    sources = circuit.elements["vsource"].names
    missing = [n for n in circuit.node_names if n not in sol.node_voltages_v]
    missing += [n for n in sources if n not in currents]
    if missing:
        raise SolverError(f"ngspice returned no value for {missing[:10]} of circuit {circuit.title!r}")
    return CircuitSolution(
        node_voltages_v={n: sol.node_voltages_v[n] for n in circuit.node_names},
        source_currents_a={n: currents[n] for n in sources},
        backend=sol.backend,
    )
