"""cosim.solvers layer (see docs/design.md): backends that solve a circuit.

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

from cosim.solvers.result import (
    BackendUnavailableError,
    CircuitSolution,
    CrossbarSolution,
    SolverError,
)

__all__ = [
    "solve_circuit",
    "BACKENDS",
    "BackendUnavailableError",
    "CircuitSolution",
    "CrossbarSolution",
    "SolverError",
    # the crossbar solver (cosim.solvers.crossbar), imported on first use
    "CrossbarSolver",
    "solve_crossbar",
    "series_split",
    "crossbar_solution_from_circuit",
]

_CROSSBAR_NAMES = frozenset(("CrossbarSolver", "solve_crossbar", "series_split", "crossbar_solution_from_circuit"))


def __getattr__(name):
    # lazy, so that ``import cosim.solvers`` stays light (scipy.sparse, LAPACK)
    if name in _CROSSBAR_NAMES:
        from cosim.solvers import crossbar

        return getattr(crossbar, name)
    raise AttributeError(f"module 'cosim.solvers' has no attribute {name!r}")


BACKENDS = ("nodal", "ngspice", "ngspice-shared", "ngspice-batch")
_NGSPICE_MODE = {"ngspice": "auto", "ngspice-shared": "shared", "ngspice-batch": "batch"}


def solve_circuit(circuit, backend: str = "nodal", *, spice_text: str | None = None, **opts) -> CircuitSolution:
    """DC operating point of a :class:`~cosim.netlist.circuit.Circuit`.

    Parameters
    ----------
    circuit : Circuit
    backend : {"nodal", "ngspice", "ngspice-shared", "ngspice-batch"}
        ``"nodal"``: built-in MNA solver; the others run ngspice (plain
        ``"ngspice"`` prefers the shared library, falls back to ``ngspice -b``);
        the circuit is written with :func:`cosim.netlist.spice.write_spice`.
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
    from cosim.solvers.nodal import check_circuit

    unknown = set(opts) - {"options", "timeout_s"}
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)} for backend {backend!r}")
    # the nodal backend's graph checks, so that ngspice never "solves" a floating or blank
    # circuit with its gmin, nor a near-short it cannot resolve (it cannot merge one)
    check_circuit(circuit, merge_near_shorts=False)
    if spice_text is None:
        from cosim.netlist.spice import write_spice

        spice_text = write_spice(circuit)
    sol = run_ngspice(spice_text, mode=_NGSPICE_MODE[backend], **opts)
    # report exactly the circuit's nodes and sources (the writer may add helpers)
    currents = sol.source_currents_a
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
