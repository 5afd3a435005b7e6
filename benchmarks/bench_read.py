"""Crossbar read speed: cosim's nodal solver against badcrossbar 1.1 and ngspice, in one run.

One read of an n x n crossbar: cells uniform in 1 kohm .. 100 kohm
(``numpy.random.default_rng(0)``), 1 ohm word- and bit-line segments, 0.2 V
on every word line, bit lines at virtual ground; badcrossbar's topology
(no driver/sense resistance beyond the first/last segment).  Every timing is
wall clock of the call that produces the full solution (node voltages,
cell currents and voltages, output currents), best of ``--repeat`` for the
fast ones, one run for the slow references (badcrossbar at 512, ngspice).

Rows:

* ``badcrossbar`` vs ``cosim`` at n = 128, 256, 512 (ratio = speed-up);
* ``cosim`` alone at n = 1024;
* ``ngspice -b`` (the ``.op`` run of the netlist cosim writes; writing it is
  not timed) vs ``cosim`` at n = 32 and 64, and for 1S1R cells (default
  sinh selector, 0.8 V inputs) at n = 32;
* a batch of 64 read vectors vs one read at n = 256 (ratio = batch / single,
  both on a fresh solver, so each pays its own set-up), and a batch of 1024
  at n = 128 (>= rows reads: answered by superposition of the 128 unit-input
  responses).

Usage: ``python benchmarks/bench_read.py [--quick] [--json FILE.json]``
(``--quick``: smaller sizes, for a smoke run).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import time
import warnings
from pathlib import Path

import numpy as np

from cosim.netlist.bias import read_bias
from cosim.netlist.crossbar import CrossbarSpec
from cosim.solvers.crossbar import CrossbarSolver, solve_crossbar

R_WIRE_OHM = 1.0
V_READ_V = 0.2


def _badcrossbar_compute():
    """``badcrossbar.compute``, or None when badcrossbar is not installed
    (it is installed ``--no-deps``; the test extra brings the ``pathvalidate``
    and ``sigfig`` its solver imports)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from badcrossbar.compute import compute
        except ImportError:
            return None
    logging.getLogger().setLevel(logging.WARNING)
    return compute


def _case(n: int):
    rng = np.random.default_rng(0)
    r = rng.uniform(1e3, 1e5, (n, n))
    v = np.full(n, V_READ_V)
    return r, v


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_badcrossbar(sizes, repeat, rows_out):
    compute = _badcrossbar_compute()
    for n in sizes:
        r, v = _case(n)
        t_cosim, sol = _best(lambda: solve_crossbar(v, r, R_WIRE_OHM, R_WIRE_OHM), repeat)
        if compute is None:
            rows_out.append(dict(case=f"read {n}x{n}", peer="badcrossbar", peer_s=None, cosim_s=t_cosim, ratio=None))
            continue
        t_ref, ref = _best(lambda: compute(v[:, None], r, r_i=R_WIRE_OHM), 1 if n > 256 else repeat)
        err = float(
            np.max(np.abs(sol.output_currents - ref.currents.output.ravel())) / np.max(np.abs(sol.output_currents))
        )
        rows_out.append(
            dict(
                case=f"read {n}x{n}",
                peer="badcrossbar 1.1",
                peer_s=t_ref,
                cosim_s=t_cosim,
                ratio=t_ref / t_cosim,
                max_rel_diff=err,
            )
        )


def bench_alone(sizes, repeat, rows_out):
    for n in sizes:
        r, v = _case(n)
        t_cosim, sol = _best(lambda: solve_crossbar(v, r, R_WIRE_OHM, R_WIRE_OHM), repeat)
        rows_out.append(
            dict(
                case=f"read {n}x{n}",
                peer="-",
                peer_s=None,
                cosim_s=t_cosim,
                ratio=None,
                cg_iterations=sol.info.get("cg_iterations"),
            )
        )


def bench_ngspice(sizes, repeat, rows_out, cell="1R"):
    from cosim.netlist.generate import crossbar_circuit
    from cosim.netlist.spice import write_spice
    from cosim.solvers.ngspice import batch_available, run_ngspice

    label = "" if cell == "1R" else f" {cell}"
    for n in sizes:
        r, v = _case(n)
        if cell != "1R":
            v = 4 * v  # 0.8 V: the selector conducts
        t_cosim, sol = _best(lambda: solve_crossbar(v, r, R_WIRE_OHM, R_WIRE_OHM, cell=cell), repeat)
        if not batch_available():
            rows_out.append(
                dict(case=f"read {n}x{n}{label}", peer="ngspice -b", peer_s=None, cosim_s=t_cosim, ratio=None)
            )
            continue
        spec = CrossbarSpec(n, n, r_wordline_ohm=R_WIRE_OHM, r_bitline_ohm=R_WIRE_OHM, cell=cell)
        text = write_spice(crossbar_circuit(spec, r, read_bias(v, n)))
        t_ref, ref = _best(lambda: run_ngspice(text, mode="batch"), 1)
        out = np.array([ref.source_currents_a[f"v_out_{j}"] for j in range(n)])
        err = float(np.max(np.abs(sol.output_currents - out)) / np.max(np.abs(out)))
        rows_out.append(
            dict(
                case=f"read {n}x{n}{label}",
                peer="ngspice-39 -b",
                peer_s=t_ref,
                cosim_s=t_cosim,
                ratio=t_ref / t_cosim,
                max_rel_diff=err,
            )
        )


def bench_batch(n, batch, repeat, rows_out):
    r, _ = _case(n)
    g = 1.0 / r
    spec = CrossbarSpec(n, n, r_wordline_ohm=R_WIRE_OHM, r_bitline_ohm=R_WIRE_OHM)
    v = np.random.default_rng(1).uniform(0.0, V_READ_V, (batch, n))
    t_single, _ = _best(lambda: CrossbarSolver(spec).read(g, v[0]), repeat)
    t_batch, _ = _best(lambda: CrossbarSolver(spec).read(g, v), repeat)
    rows_out.append(
        dict(
            case=f"batch of {batch} vs 1 read, {n}x{n}",
            peer="1 read",
            peer_s=t_single,
            cosim_s=t_batch,
            ratio=t_batch / t_single,
            ratio_is="batch / single",
        )
    )


def _fmt(x, spec=".3g"):
    return "-" if x is None else format(x, spec)


def table(rows) -> str:
    head = f"| {'case':<42} | {'peer':<16} | {'peer (s)':>9} | {'cosim (s)':>9} | {'ratio':>7} |"
    lines = [head, "|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|"]
    for row in rows:
        ratio = _fmt(row["ratio"], ".1f")
        if row.get("ratio_is"):
            ratio = _fmt(row["ratio"], ".2f")
        lines.append(
            f"| {row['case']:<42} | {row['peer']:<16} | {_fmt(row['peer_s']):>9} | {_fmt(row['cosim_s']):>9} | {ratio:>7} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (smoke run)")
    parser.add_argument("--repeat", type=int, default=3, help="repeats of the fast timings (best is kept)")
    parser.add_argument("--json", metavar="FILE.json", help="also write the results as JSON")
    args = parser.parse_args(argv)
    rows: list[dict] = []
    if args.quick:
        bench_badcrossbar([32, 64], args.repeat, rows)
        bench_alone([128], args.repeat, rows)
        bench_ngspice([8], args.repeat, rows)
        bench_batch(64, 8, args.repeat, rows)
        bench_batch(16, 64, args.repeat, rows)
    else:
        bench_badcrossbar([128, 256, 512], args.repeat, rows)
        bench_alone([1024], 1, rows)
        bench_ngspice([32, 64], args.repeat, rows)
        bench_ngspice([32], args.repeat, rows, cell="1S1R")
        bench_batch(256, 64, args.repeat, rows)
        bench_batch(128, 1024, args.repeat, rows)
    print(
        f"crossbar reads: cells U(1k, 100k) ohm, {R_WIRE_OHM:g} ohm segments, {V_READ_V:g} V inputs; "
        f"ratio = peer / cosim (speed-up) unless marked batch / single"
    )
    print(table(rows))
    for row in rows:
        if "max_rel_diff" in row:
            print(
                f"  {row['case']} vs {row['peer']}: largest relative output-current difference {row['max_rel_diff']:.1e}"
            )
    if args.json:
        info = dict(python=platform.python_version(), machine=platform.machine(), numpy=np.__version__)
        Path(args.json).write_text(json.dumps(dict(info=info, rows=rows), indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
