"""``cosim solve FILE.cir``: DC operating point of a SPICE netlist with either backend."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

BACKEND_CHOICES = ("nodal", "ngspice", "ngspice-shared", "ngspice-batch")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "solve",
        help="solve a SPICE netlist (DC operating point) with the nodal solver or ngspice",
        description=(
            "Read FILE.cir (the SPICE subset of cosim.netlist.spice: R, V, I, the cosim_selector subcircuit) "
            "and print every node voltage (volt) and every voltage-source current (ampere, SPICE sign: "
            "current entering the + node). Both backends print the same keys."
        ),
    )
    p.add_argument("netlist", metavar="FILE.cir", help="SPICE netlist")
    p.add_argument(
        "--backend",
        default="nodal",
        choices=BACKEND_CHOICES,
        help="nodal (built-in MNA) or ngspice (shared library, else ngspice -b); default nodal",
    )
    p.add_argument("--json", action="store_true", help='print one JSON object {"node_voltages", "source_currents"}')
    p.set_defaults(func=main)


def format_table(solution, circuit, elapsed_s: float) -> str:
    """Readable two-part table: node voltages, then source currents."""
    nodes = list(circuit.node_names)
    sources = list(circuit.elements["vsource"].names)
    width = max([len(n) for n in nodes + sources] + [6])
    lines = [
        f"circuit {circuit.title!r}: {len(nodes)} nodes (ground included), {len(sources)} voltage sources; "
        f"backend {solution.backend}, {elapsed_s:.3g} s",
        "",
        f"{'node':<{width}}  voltage (V)",
    ]
    lines += [f"{n:<{width}}  {solution.node_voltages_v[n]: .10g}" for n in nodes]
    if sources:
        lines += ["", f"{'source':<{width}}  current (A)"]
        lines += [f"{n:<{width}}  {solution.source_currents_a[n]: .10g}" for n in sources]
    return "\n".join(lines)


def ngspice_text(circuit, path: Path, backend: str, command: str = "solve") -> str | None:
    """The SPICE text ngspice should run for ``circuit`` read from ``path``.

    ngspice runs the user's own file, except when it has 0-ohm resistors:
    ngspice clamps those to 1 mohm, so the circuit is written back by cosim
    (as exact 0 V sources) instead (None: let ``solve_circuit`` write it), with
    a note on stderr. None for the nodal backend.
    """
    if backend == "nodal":
        return None
    r_ohm = circuit.elements["resistor"].params.get("value")
    if r_ohm is not None and (r_ohm == 0).any():
        print(
            f"cosim {command}: note: 0-ohm resistors are given to ngspice as 0 V sources "
            "(ngspice would clamp them to 1 mohm)",
            file=sys.stderr,
        )
        return None
    return path.read_text()


def main(args: argparse.Namespace) -> int:
    from cosim.netlist.spice import load_spice
    from cosim.solvers import solve_circuit

    path = Path(args.netlist)
    circuit = load_spice(path)  # FileNotFoundError / SpiceParseError name the file and line
    t0 = time.perf_counter()
    solution = solve_circuit(circuit, backend=args.backend, spice_text=ngspice_text(circuit, path, args.backend))
    elapsed = time.perf_counter() - t0
    if args.json:
        print(json.dumps(solution.to_json_dict(), indent=2))
    else:
        print(format_table(solution, circuit, elapsed))
    return 0
