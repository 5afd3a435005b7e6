"""``cosim demo``: generate a crossbar netlist, solve it with every backend and
print how well they agree (the README's main job).

Steps: draw cell resistances uniform in ``[--r-min, --r-max]`` ohm from
``numpy.random.default_rng(--seed)``; build the read circuit (all word lines at
``--v-in`` volt, bit lines at virtual ground) with
:func:`cosim.netlist.generate.crossbar_circuit`; write it as
``demo_crossbar.cir`` into the output folder; solve it with

* the crossbar solver (:class:`cosim.solvers.crossbar.CrossbarSolver`,
  structure-exploiting nodal analysis),
* the general nodal solver (:func:`cosim.solvers.solve_circuit`) on the
  circuit read back from the written file,
* ngspice on the written file (shared library, else ``ngspice -b``),

and compare the bit-line output currents (the branch currents of the sense
sources ``v_out_<j>``). The run fails (exit code 1) when the largest relative
difference exceeds ``--tolerance``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from cosim.atomic import output_error
from cosim.memory import check_fits, crossbar_solve_bytes, format_bytes
from cosim.cli._files import make_folder, save_netlist, write_text_atomic

NETLIST_NAME = "demo_crossbar.cir"
# ngspice 39 (no KLU) takes minutes above this many cells (docs/design.md, pitfalls)
NGSPICE_MAX_CELLS = 64 * 64


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "demo",
        help="generate a crossbar netlist, solve it with the nodal solvers and ngspice, print the agreement",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--rows", type=int, default=16, help="word lines (default 16)")
    p.add_argument("--cols", type=int, default=16, help="bit lines (default 16)")
    p.add_argument(
        "--r-wire",
        type=float,
        default=2.0,
        metavar="OHM",
        help="word- and bit-line segment resistance, ohm (default 2)",
    )
    p.add_argument("--r-min", type=float, default=1e3, metavar="OHM", help="smallest cell resistance (default 1e3)")
    p.add_argument("--r-max", type=float, default=1e5, metavar="OHM", help="largest cell resistance (default 1e5)")
    p.add_argument("--v-in", type=float, default=0.2, metavar="VOLT", help="word-line input voltage (default 0.2)")
    p.add_argument("--cell", choices=("1R", "1S1R"), default="1R", help="cell kind (1S1R: default sinh selector)")
    p.add_argument("--seed", type=int, default=0, help="seed of the cell resistances (default 0)")
    p.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="output folder (default: a new folder out/demo-<time> that never overwrites)",
    )
    p.add_argument("--force", action="store_true", help="overwrite demo_crossbar.cir in an existing --out folder")
    p.add_argument("--skip-ngspice", action="store_true", help="solve with the nodal solvers only")
    p.add_argument(
        "--tolerance",
        type=float,
        default=1e-6,
        help="largest accepted relative difference of the output currents (default 1e-6)",
    )
    p.set_defaults(func=main)


def _fresh_folder(base: Path) -> Path:
    """A new folder ``base/demo-<UTC time>[-k]``; never an existing one."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    make_folder(base)
    for k in range(1000):
        cand = base / (f"demo-{stamp}" + (f"-{k}" if k else ""))
        try:
            cand.mkdir()
            return cand
        except FileExistsError:
            continue
        except OSError as exc:
            raise output_error(cand, exc) from None
    raise FileExistsError(f"could not create a fresh demo folder under {base}")


def _output_folder(args) -> Path:
    if args.out is None:
        return _fresh_folder(Path("out"))
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"--out {out} exists and is not a folder")
    if (out / NETLIST_NAME).exists() and not args.force:
        raise FileExistsError(f"{out / NETLIST_NAME} exists; refusing to overwrite it (pass --force)")
    return make_folder(out)


def _check_args(args) -> None:
    for name in ("rows", "cols"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name} must be >= 1, got {getattr(args, name)}")
    if not (np.isfinite(args.r_wire) and args.r_wire >= 0):
        raise ValueError(f"--r-wire must be a finite resistance >= 0 ohm, got {args.r_wire!r}")
    if not (0 < args.r_min <= args.r_max < np.inf):
        raise ValueError(f"need 0 < --r-min <= --r-max < inf ohm, got {args.r_min!r} and {args.r_max!r}")
    if not np.isfinite(args.v_in):
        raise ValueError(f"--v-in must be a finite voltage, got {args.v_in!r}")
    if not (args.tolerance > 0):
        raise ValueError(f"--tolerance must be > 0, got {args.tolerance!r}")


#: from this many cells on, the demo announces its cost and each solve on stderr
LOUD_CELLS = 128 * 128


def _step(loud: bool, name: str) -> None:
    if loud:
        print(f"cosim demo: solving with {name} ...", file=sys.stderr, flush=True)


def _timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def _sense_currents(solution, cols: int) -> np.ndarray:
    """Bit-line output currents from a CircuitSolution (branch currents of ``v_out_j``)."""
    return np.array([solution.source_currents_a[f"v_out_{j}"] for j in range(cols)])


def _compare(a: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    diff = np.abs(a - ref)
    denom = np.maximum(np.abs(ref), np.finfo(float).tiny)
    return float(diff.max()), float((diff / denom).max())


def main(args: argparse.Namespace) -> int:
    from cosim.netlist.bias import read_bias
    from cosim.netlist.crossbar import CrossbarSpec
    from cosim.netlist.generate import crossbar_circuit
    from cosim.netlist.spice import load_spice
    from cosim.solvers import solve_circuit
    from cosim.solvers.ngspice import INSTALL_HINT, batch_available, run_ngspice, shared_available

    _check_args(args)
    rows, cols = args.rows, args.cols
    estimate = crossbar_solve_bytes(rows, cols)
    check_fits(f"cosim demo on a {rows} x {cols} crossbar", estimate)
    loud = rows * cols >= LOUD_CELLS
    if loud:  # a large demo takes minutes: say what it costs and show each step, not silence
        print(
            f"cosim demo: {rows} x {cols} = {rows * cols} cells: about {format_bytes(estimate)} of memory; "
            "the solves take minutes (256 x 256 took 15 s here, growing faster than the cell count)",
            file=sys.stderr,
            flush=True,
        )
    spec = CrossbarSpec(rows, cols, r_wordline_ohm=args.r_wire, r_bitline_ohm=args.r_wire, cell=args.cell)
    rng = np.random.default_rng(args.seed)
    r_cell_ohm = rng.uniform(args.r_min, args.r_max, size=(rows, cols))
    v_in_v = np.full(rows, float(args.v_in))
    circuit = crossbar_circuit(spec, r_cell_ohm, read_bias(v_in_v, cols))

    out = _output_folder(args)
    netlist = save_netlist(circuit, out / NETLIST_NAME, overwrite=args.force)
    print(
        f"cosim demo: {rows} x {cols} crossbar ({args.cell}), cells uniform in {args.r_min:g}..{args.r_max:g} ohm "
        f"(seed {args.seed}), {args.r_wire:g} ohm wire segments, {args.v_in:g} V inputs"
    )
    print(f"netlist: {netlist} ({circuit.num_nodes} nodes)")

    currents: dict[str, np.ndarray] = {}
    times: dict[str, float] = {}
    try:
        from cosim.solvers.crossbar import CrossbarSolver
    except ImportError:  # the crossbar solver is optional for the demo
        CrossbarSolver = None
    if CrossbarSolver is not None:
        _step(loud, "crossbar nodal")
        sol, times["crossbar nodal"] = _timed(lambda: CrossbarSolver(spec).read(1.0 / r_cell_ohm, v_in_v))
        currents["crossbar nodal"] = np.asarray(sol.output_currents_a, dtype=float)

    read_back = load_spice(netlist)  # the general solver sees exactly the written file
    _step(loud, "general nodal")
    sol, times["general nodal"] = _timed(lambda: solve_circuit(read_back, backend="nodal"))
    currents["general nodal"] = _sense_currents(sol, cols)

    reference = None
    if args.skip_ngspice:
        print("ngspice: skipped (--skip-ngspice)")
    elif rows * cols > NGSPICE_MAX_CELLS:
        print(f"ngspice: skipped: {rows} x {cols} is above 64 x 64 cells (ngspice 39 takes minutes there)")
    else:
        modes = [m for m, ok in (("shared", shared_available), ("batch", batch_available)) if ok()]
        if not modes:
            print(f"ngspice: not available; install it with `{INSTALL_HINT}` (nodal backends only)")
        text = netlist.read_text()
        for mode in modes:
            name = f"ngspice {mode}"
            sol, times[name] = _timed(lambda mode=mode: run_ngspice(text, mode=mode))
            currents[name] = _sense_currents(sol, cols)
            reference = reference or name
    if reference is None:
        reference = "general nodal"
    print()
    print(f"{'backend':<16} {'time (s)':>10} {'sum of output currents (A)':>28}")
    for name, cur in currents.items():
        print(f"{name:<16} {times[name]:>10.4f} {cur.sum():>28.12e}")
    print()
    print(f"output currents of {cols} bit lines compared with {reference}:")
    print(f"{'backend':<16} {'max abs diff (A)':>18} {'max rel diff':>14}")
    worst = 0.0
    report = {"reference": reference, "times_s": times, "output_currents_a": {}, "max_rel_diff": {}}
    for name, cur in currents.items():
        report["output_currents_a"][name] = cur.tolist()
        if name == reference:
            continue
        abs_d, rel_d = _compare(cur, currents[reference])
        worst = max(worst, rel_d)
        report["max_rel_diff"][name] = rel_d
        print(f"{name:<16} {abs_d:>18.3e} {rel_d:>14.3e}")
    ok = worst <= args.tolerance
    write_text_atomic(out / "demo_report.json", json.dumps(report, indent=2) + "\n")
    print()
    print(f"agreement: max relative difference {worst:.3g} (tolerance {args.tolerance:g}): {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1
