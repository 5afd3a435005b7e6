"""``cosim netlist``: write the SPICE netlist of a crossbar read.

Cell conductances come from ``--cells FILE.npy`` (a (rows, cols) array of
device conductances in siemens, 0 = open cell) or are drawn uniformly from
``--g-uniform LO HI`` siemens with ``numpy.random.default_rng(--seed)``
(default 1e-5 .. 1e-3 S, i.e. 100 kohm .. 1 kohm, seed 0).  Word lines are
driven with ``--inputs`` volts (one value for every row, or one per row;
default 0.2 V) and bit lines held at a 0 V virtual ground.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from cosim.cli import UsageError
from cosim.devices.selector import SinhSelector
from cosim.netlist.bias import read_bias
from cosim.netlist.crossbar import CELL_KINDS, CrossbarSpec
from cosim.netlist.generate import crossbar_circuit
from cosim.netlist.graph import check_floating, find_shorts
from cosim.cli._files import save_netlist
from cosim.memory import check_fits, netlist_bytes

DEFAULT_G_UNIFORM_S = (1e-5, 1e-3)
DEFAULT_INPUT_V = 0.2


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "netlist",
        help="write the SPICE netlist (.cir) of a crossbar read",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--rows", type=int, help="word lines (inferred from --cells when omitted)")
    p.add_argument("--cols", type=int, help="bit lines (inferred from --cells when omitted)")
    p.add_argument("--r-wordline", type=float, required=True, metavar="OHM", help="word-line segment resistance, ohm")
    p.add_argument("--r-bitline", type=float, required=True, metavar="OHM", help="bit-line segment resistance, ohm")
    p.add_argument("--r-driver", type=float, default=0.0, metavar="OHM", help="driver resistance, ohm (default 0)")
    p.add_argument("--r-sense", type=float, default=0.0, metavar="OHM", help="sense resistance, ohm (default 0)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--cells", metavar="FILE.npy", help="(rows, cols) device conductances in siemens, 0 = open cell")
    src.add_argument(
        "--g-uniform",
        type=float,
        nargs=2,
        metavar=("LO", "HI"),
        help="draw conductances uniformly in [LO, HI] siemens (default 1e-5 1e-3)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of --g-uniform (default 0)")
    p.add_argument("--cell", choices=CELL_KINDS, default="1R", help="cell kind (default 1R)")
    p.add_argument(
        "--selector-is",
        type=float,
        default=SinhSelector().i_s_a,
        metavar="A",
        help="1S1R selector current scale is, ampere (I = is*sinh(V/v0))",
    )
    p.add_argument(
        "--selector-v0",
        type=float,
        default=SinhSelector().v_0_v,
        metavar="V",
        help="1S1R selector voltage scale v0, volt",
    )
    p.add_argument(
        "--r-transistor-on",
        type=float,
        default=1e3,
        metavar="OHM",
        help="1T1R access transistor on-resistance, ohm (default 1e3; every gate is on for a read)",
    )
    p.add_argument(
        "--inputs",
        type=float,
        nargs="+",
        metavar="VOLTS",
        help=f"read voltages: one for all rows or one per row (default {DEFAULT_INPUT_V} V)",
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE.cir", help="netlist to write")
    p.add_argument("--force", action="store_true", help="overwrite FILE.cir if it exists")
    p.set_defaults(func=run)


def _load_conductances(path: str) -> np.ndarray:
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"--cells file {path} not found")
    try:
        g = np.load(file, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise UsageError(f"--cells file {path} is not a NumPy .npy array: {exc}") from None
    if not isinstance(g, np.ndarray) or g.ndim != 2:
        raise UsageError(f"--cells file {path} holds shape {getattr(g, 'shape', '?')}; expected (rows, cols)")
    if not np.issubdtype(g.dtype, np.number) or np.iscomplexobj(g):
        raise UsageError(f"--cells file {path} holds {g.dtype} values; expected real conductances in siemens")
    return g.astype(float)


def conductances_s(args) -> np.ndarray:
    """The (rows, cols) conductance array in siemens the arguments describe."""
    if args.cells is not None:
        g = _load_conductances(args.cells)
        for name in ("rows", "cols"):
            want = getattr(args, name)
            got = g.shape[0 if name == "rows" else 1]
            if want is not None and want != got:
                raise UsageError(f"--cells file {args.cells} has shape {g.shape}, but --{name} is {want}")
        what = f"--cells file {args.cells}"
    else:
        if args.rows is None or args.cols is None:
            raise UsageError("--rows and --cols are required unless --cells gives the array")
        for name in ("rows", "cols"):
            if getattr(args, name) < 1:
                raise UsageError(f"--{name} must be >= 1, got {getattr(args, name)}")
        check_fits(f"a {args.rows} x {args.cols} netlist", netlist_bytes(args.rows, args.cols))
        lo, hi = args.g_uniform if args.g_uniform is not None else DEFAULT_G_UNIFORM_S
        if not (np.isfinite(lo) and np.isfinite(hi) and 0 <= lo <= hi):
            raise UsageError(f"--g-uniform needs 0 <= LO <= HI (siemens), got {lo!r} {hi!r}")
        g = np.random.default_rng(args.seed).uniform(lo, hi, (args.rows, args.cols))
        what = "--g-uniform"
    bad = ~np.isfinite(g) | (g < 0)
    if bad.any():
        idx = tuple(int(k) for k in np.argwhere(bad)[0])
        raise UsageError(f"{what}: conductance {float(g[idx])!r} S at cell {idx} (must be finite and >= 0; 0 = open)")
    return g


def run(args) -> int:
    g = conductances_s(args)
    rows, cols = g.shape
    v = np.asarray(args.inputs if args.inputs is not None else [DEFAULT_INPUT_V], dtype=float)
    if v.size not in (1, rows):
        raise UsageError(f"--inputs has {v.size} values; give one for all rows or {rows} (one per row)")
    if not np.isfinite(v).all():
        raise UsageError(f"--inputs must be finite volts, got {float(v[~np.isfinite(v)][0])!r}")
    v = np.broadcast_to(v, (rows,))
    spec = CrossbarSpec(
        rows,
        cols,
        r_wordline_ohm=args.r_wordline,
        r_bitline_ohm=args.r_bitline,
        r_driver_ohm=args.r_driver,
        r_sense_ohm=args.r_sense,
        cell=args.cell,
        selector=SinhSelector(args.selector_is, args.selector_v0),
        r_transistor_on_ohm=args.r_transistor_on,
    )
    with np.errstate(divide="ignore"):
        r_cell = np.where(g > 0, 1.0 / g, np.inf)
    circuit = crossbar_circuit(spec, r_cell, read_bias(v, cols))
    check_floating(circuit)
    shorts = find_shorts(circuit)
    if shorts:  # the generator never makes one; refuse rather than write a singular circuit
        raise UsageError(f"generated circuit has shorts: {'; '.join(map(str, shorts[:3]))}")
    out = save_netlist(circuit, args.output, overwrite=args.force)
    n_elem = sum(len(t) for t in circuit.elements.values())
    n_open = int(np.count_nonzero(g == 0))
    print(
        f"wrote {out}: {rows}x{cols} {args.cell} crossbar, {rows * cols - n_open} cells"
        f"{f' ({n_open} open)' if n_open else ''}, {circuit.num_nodes - 1} nodes, {n_elem} elements"
    )
    print("checks: every node has a DC path to ground; no shorts")
    return 0
