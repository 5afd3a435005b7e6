"""Per-size reachability: which cells can reach their target under the plan's whole-line pulses (cosim exact solves)."""

import sys
import time

import numpy as np

from cosim.array import CrossbarArray
from cosim.devices import NEUROPACK_2022, Messaris2017
from cosim.netlist.crossbar import CrossbarSpec
from cosim.netlist.bias import write_bias
from cosim.algorithms.verified_write import read_cells, verified_write


def main(sizes: str, max_steps: str) -> None:
    """Print, per array size, the cells' pulse voltages, read inflation and convergence."""
    model = Messaris2017(**NEUROPACK_2022)
    for n in [int(x) for x in sizes.split(",")]:
        rng = np.random.default_rng(0)
        r0 = rng.uniform(10.5e3, 11.5e3, (n, n))
        target = rng.uniform(6e3, 10e3, n * n).reshape(n, n)
        spec = CrossbarSpec(n, n, r_wordline_ohm=1.0, r_bitline_ohm=1.0)
        arr = CrossbarArray(model, r0, spec=spec, backend="nodal")
        v = np.array([arr.cell_voltages_v(write_bias("ideal", arr.shape, i, np.arange(n), -1.2))[i] for i in range(n)])
        rows, cols = np.divmod(np.arange(n * n), n)
        rr = read_cells(arr, rows, cols).reshape(n, n)
        infl = rr / r0
        fp = model.r_n_ohm(v)
        need = target / infl  # true R at which the read shows the target (inflation at the initial state)
        out = dict(
            n=n,
            v_min=float(-v.max()),
            v_med=float(np.median(-v)),
            infl_med=float(np.median(infl)),
            infl_max=float(infl.max()),
            fp_above_target=float(np.mean(fp > target)),
            fp_above_need=float(np.mean(fp > need)),
        )
        for ms in map(int, max_steps.split(",")):
            a = CrossbarArray(model, r0, spec=spec, backend="nodal")
            t0 = time.process_time()
            rep = verified_write(
                a, rows, cols, target.ravel(), tolerance=0.01, predictor="circuit", scheme="ideal", max_steps=ms
            )
            out[f"conv_{ms}"] = float(rep.converged.mean())
            out[f"cpu_{ms}"] = round(time.process_time() - t0, 1)
        print(out, flush=True)


if __name__ == "__main__":
    # usage: python benchmarks/check_vw_reachability.py 16,32,64,128 5,30
    main(sys.argv[1], sys.argv[2])
