"""Speed of the co-simulated array (cosim.array) against a bare circuit solve.

1. One pulse on an n x n array with wires (every cell updated, V/2 scheme),
   against one bare ``CrossbarSolver.apply`` of the same array and bias from a
   cold cache (the factorisation included in both): the ratio should be about 1.
2. ``count`` verified-write-style single-cell pulses (V/2 pulse + one read of
   the cell's row each) on a 128 x 128 array with wires, in seconds, exact
   (``reuse_tolerance=0``: one refactorisation per pulse) and with
   factorisation reuse (``reuse_tolerance=0.02``) with the solver's default
   method (line-preconditioned CG), and with reuse on its sparse LU, with the largest
   relative difference of the final states against the exact run.

Usage: ``python benchmarks/bench_pulse.py [--n 256] [--n-verify 128] [--count 1000]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from cosim.array import CrossbarArray
from cosim.devices import NEUROPACK_2022, Messaris2017
from cosim.netlist.bias import write_bias
from cosim.netlist.crossbar import CrossbarSpec
from cosim.solvers.crossbar import CrossbarSolver


def bench_pulse_vs_solve(n: int, r_wire_ohm: float = 1.0, repeats: int = 3) -> dict:
    model = Messaris2017(**NEUROPACK_2022)
    spec = CrossbarSpec(n, n, r_wordline_ohm=r_wire_ohm, r_bitline_ohm=r_wire_ohm)
    r0 = np.random.default_rng(0).uniform(10.5e3, 11.5e3, (n, n))
    bias = write_bias("v2", (n, n), n // 2, n // 2, -1.2)
    t_solve, t_pulse, substeps = [], [], 0
    for _ in range(repeats):
        solver = CrossbarSolver(spec)
        g = 1.0 / r0
        t0 = time.perf_counter()
        solver.apply(g, bias)
        t_solve.append(time.perf_counter() - t0)
        arr = CrossbarArray(model, r0, spec=spec, backend="nodal")
        t0 = time.perf_counter()
        rep = arr.pulse(bias, 1e-6)
        t_pulse.append(time.perf_counter() - t0)
        substeps = rep.n_substeps
    ts, tp = min(t_solve), min(t_pulse)
    return {"n": n, "solve_s": ts, "pulse_s": tp, "ratio": tp / ts, "substeps": substeps}


def bench_verify_pulses(
    n: int, count: int, reuse_tolerance: float, r_wire_ohm: float = 1.0, method: str = "auto"
) -> tuple[dict, np.ndarray]:
    model = Messaris2017(**NEUROPACK_2022)
    spec = CrossbarSpec(n, n, r_wordline_ohm=r_wire_ohm, r_bitline_ohm=r_wire_ohm)
    r0 = np.random.default_rng(1).uniform(10.5e3, 11.5e3, (n, n))
    arr = CrossbarArray(
        model, r0, spec=spec, backend="nodal", reuse_tolerance=reuse_tolerance, solver_options={"method": method}
    )
    cells = np.random.default_rng(2).integers(0, n, size=(count, 2))
    amps = np.where(np.arange(count) % 2 == 0, -1.2, 1.2)
    t0 = time.perf_counter()
    for (i, j), amp in zip(cells, amps):
        arr.write(i, j, amp, 1e-6, scheme="v2")
        v = np.zeros(n)
        v[i] = 0.2
        arr.read(v)
    dt = time.perf_counter() - t0
    st = arr._backend.stats
    return {
        "n": n,
        "count": count,
        "reuse_tolerance": reuse_tolerance,
        "method": method,
        "seconds": dt,
        "factorisations": arr._backend.solver.stats["factorisations"],
        "stale_solves": st["stale_solves"],
    }, np.array(arr.state)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--n-verify", type=int, default=128)
    ap.add_argument("--count", type=int, default=1000)
    args = ap.parse_args(argv)
    res = bench_pulse_vs_solve(args.n)
    print(
        f"pulse on {res['n']}x{res['n']} (1 ohm wires, V/2, all cells updated): {res['pulse_s']:.3f} s, "
        f"bare solve {res['solve_s']:.3f} s, ratio {res['ratio']:.2f} ({res['substeps']} sub-step)"
    )
    states = {}
    # (exact with the sparse LU refactorises 1000 times: minutes, so it is left out)
    for tol, method in ((0.0, "auto"), (0.02, "auto"), (0.02, "sparse")):
        r, states[tol, method] = bench_verify_pulses(args.n_verify, args.count, tol, method=method)
        print(
            f"{r['count']} single-cell pulse+read on {r['n']}x{r['n']} with wires, reuse_tolerance={tol}, "
            f"solver method={method!r}: {r['seconds']:.1f} s ({r['factorisations']} factorisations, "
            f"{r['stale_solves']} reused solves)"
        )
    ref = states[0.0, "auto"]
    for key, st in states.items():
        print(
            f"largest relative state difference {key} vs exact after {args.count} pulses: "
            f"{np.max(np.abs(st - ref) / ref):.2e}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
