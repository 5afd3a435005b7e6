"""Speed of STDP training on the circuit: fast paths against the reference path and the ideal array.

The ``stdp_wta`` network (scikit-learn digits, 64 inputs x ``--neurons``
outputs, NeuroPack's Messaris card, selector array, i.e. the ideal-selector
scheme of :class:`cosim.algorithms.stdp.STDPParams`) on the nodal circuit with
``--r-wire`` ohm segments: CPU seconds per image with the exact fast paths
(``fast_paths=True``, default), with the reference path (``fast_paths=False``)
and on the ideal array, all in the same run, with the largest relative
difference of the final device states between the two circuit runs.

Usage: ``python benchmarks/bench_stdp.py [--images 100] [--neurons 30] [--r-wire 1.0]``
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from cosim.algorithms.stdp import STDPNetwork, STDPParams
from cosim.array import CrossbarArray
from cosim.devices import NEUROPACK_2022, Messaris2017
from cosim.netlist.crossbar import CrossbarSpec
from cosim.runs.datasets import DIGITS_THRESHOLD, load_dataset


def run(images: np.ndarray, n_neurons: int, backend: str, r_wire_ohm: float, fast_paths: bool = True):
    shape = (images.shape[1], n_neurons)
    rng = np.random.default_rng(0)
    r0 = 11000.0 + rng.uniform(-500.0, 500.0, shape)
    spec = CrossbarSpec(*shape, r_wordline_ohm=r_wire_ohm, r_bitline_ohm=r_wire_ohm)
    array = CrossbarArray(
        Messaris2017(**NEUROPACK_2022), r0, spec=spec, backend=backend, rng=rng, fast_paths=fast_paths
    )
    net = STDPNetwork(array, STDPParams(), rng)
    c0 = time.process_time()
    for x in images:
        net.present(x)
    return time.process_time() - c0, np.array(array.state), net.pulses


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=100)
    ap.add_argument("--neurons", type=int, default=30)
    ap.add_argument("--r-wire", type=float, default=1.0)
    args = ap.parse_args(argv)
    data = load_dataset(
        "digits", n_train=max(10, -(-args.images // 10) * 10), n_test=10, seed=0, threshold=DIGITS_THRESHOLD
    )
    x = data.x_train[: args.images]
    ideal = min(run(x, args.neurons, "ideal", args.r_wire)[0] for _ in range(3))
    fast, st_fast, pulses = run(x, args.neurons, "nodal", args.r_wire)
    ref, st_ref, _ = run(x, args.neurons, "nodal", args.r_wire, fast_paths=False)
    res = {
        "images": args.images,
        "pulses": pulses,
        "ideal_cpu_s": ideal,
        "circuit_cpu_s": fast,
        "reference_cpu_s": ref,
        "speedup_over_reference": ref / fast,
        "cpu_ratio_to_ideal": fast / ideal,
        "max_rel_state_diff": float(np.max(np.abs(st_fast - st_ref) / st_ref)),
    }
    print(
        f"STDP {args.images} images, {x.shape[1]} x {args.neurons}, {args.r_wire:g} ohm: circuit {fast:.2f} s CPU, "
        f"reference path {ref:.2f} s ({res['speedup_over_reference']:.1f}x), ideal array {ideal:.3f} s "
        f"(ratio {res['cpu_ratio_to_ideal']:.1f}); states differ by {res['max_rel_state_diff']:.1e}"
    )
    print(json.dumps(res, indent=1))
    return res


if __name__ == "__main__":
    main()
