"""``cosim plot FILE.cir -o maps.png``: colour maps of a solved crossbar netlist."""

from __future__ import annotations

import argparse
from pathlib import Path

from cosim.cli.cmd_solve import BACKEND_CHOICES


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "plot",
        help="solve a crossbar netlist and save maps of cell voltages/currents and line voltages (PNG)",
        description=(
            "Solve a crossbar netlist written by `cosim netlist` (nodes wl_i_j, bl_i_j) with the nodal solver or "
            "ngspice and save one PNG with four colour maps: cell voltages (V), cell currents (A), word-line "
            "node voltages (V) and bit-line node voltages (V)."
        ),
    )
    p.add_argument("netlist", metavar="FILE.cir", help="crossbar SPICE netlist (from `cosim netlist`)")
    p.add_argument("--backend", default="nodal", choices=BACKEND_CHOICES, help="solver backend (default nodal)")
    p.add_argument("-o", "--output", required=True, metavar="MAPS.png", help="PNG file to write")
    p.add_argument("--force", action="store_true", help="overwrite MAPS.png if it exists")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from cosim.atomic import atomic_path
    from cosim.cli.cmd_solve import ngspice_text
    from cosim.netlist.crossbar import CrossbarSpecError
    from cosim.netlist.spice import load_spice
    from cosim.plots.crossbar import save_crossbar_maps
    from cosim.solvers import solve_circuit
    from cosim.solvers.crossbar import crossbar_solution_from_circuit

    path = Path(args.netlist)
    out = Path(args.output)
    if out.suffix.lower() != ".png":
        raise ValueError(f"output {str(out)!r} must be a .png file")
    if out.exists() and not args.force:
        raise FileExistsError(f"{out} exists; pass --force to overwrite it")
    circuit = load_spice(path)
    solution = solve_circuit(
        circuit, backend=args.backend, spice_text=ngspice_text(circuit, path, args.backend, "plot")
    )
    try:
        xsol = crossbar_solution_from_circuit(circuit, solution)
    except CrossbarSpecError as exc:
        raise CrossbarSpecError(f"{path}: {exc}") from None
    rows, cols = xsol.cell_voltages_v.shape
    with atomic_path(out) as tmp:  # a failed or cut-short write leaves no truncated PNG under its name
        save_crossbar_maps(xsol, tmp, overwrite=True, title=f"{circuit.title} ({solution.backend})")
    currents = " ".join(f"{x:.6g}" for x in xsol.output_currents_a)
    print(f"crossbar {rows}x{cols} solved by {solution.backend}")
    print(f"output currents (A): {currents}")
    print(f"wrote {out}")
    return 0
