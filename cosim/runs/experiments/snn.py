"""``snn_wta``: NeuroPack's LIF / BP / WTA network on MNIST or digits, on any backend.

One run trains the network on ``n_train`` images (one pass, one image per time
step, updating after every wrong answer), then tests it on ``n_test`` images.
The weights are software numbers (``weights = "software"``: the ideal
baseline) or device conductances on a crossbar (``"memristive"``), written
by predict-write-verify (:mod:`cosim.algorithms.verified_write`).

Metrics (``metrics.json``): ``test_accuracy``, ``train_accuracy``
(whole pass), ``train_accuracy_per_100`` (fraction correct in each block of
100 training samples, before the update), ``samples_trained``, write totals
(``pulses``, ``write_steps``, ``cells_written``, ``write_converged_fraction``,
``write_energy_j``). The training time is in ``run.json`` (``timing.train_s``), not in the metrics.
Trace (``trace.npz``): labels, predictions and output membranes per sample,
pulses and energy per sample, the probe synapses' resistance per sample,
weights before/after and, for memristive runs, the whole array before/after.
Figures: ``weights.png`` (each output's weights as an image, before/after),
``array.png`` (memristive), ``synapse_r.png``, ``train_accuracy.png``,
``membranes.png``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np

from cosim.algorithms.snn import (
    LIF,
    MemristiveSynapses,
    SoftwareSynapses,
    SpikingNetwork,
    dense_layout,
    direct_layout,
)
from cosim.algorithms.verified_write import options_from_lists
from cosim.runs.datasets import DIGITS_THRESHOLD, MNIST_THRESHOLD, load_dataset

_NP_AMPS = [0.9, 1.1, 1.2, 1.2, 1.2, 1.2, -0.9, -1.1, -1.2, -1.2, -1.2, -1.2]
_NP_WIDTHS = [1e-6, 1e-6, 1e-6, 5e-6, 1e-5, 5e-5] * 2


@dataclass
class CircuitConfig:
    """The crossbar circuit (used by the ``nodal`` and ``ngspice`` backends).

    Attributes
    ----------
    r_wire_ohm : float
        Resistance of every word- and bit-line segment between adjacent cells, ohm.
    r_driver_ohm, r_sense_ohm : float
        Word-line driver and bit-line sense resistance, ohm.
    cell : {"1R", "1S1R", "1T1R"}
        Cell kind ("1S1R": device + sinh selector).
    reuse_tolerance : float
        Factorisation reuse of the circuit backend (see ``CrossbarArray``), relative.
    split_tolerance : float
        Largest relative conductance change inside one quasi-static sub-step of a pulse.
    """

    r_wire_ohm: float = 0.0
    r_driver_ohm: float = 0.0
    r_sense_ohm: float = 0.0
    cell: Literal["1R", "1S1R", "1T1R"] = "1R"
    reuse_tolerance: float = 0.02
    split_tolerance: float = 0.05


@dataclass
class WriteConfig:
    """Verified writes (see :func:`cosim.algorithms.verified_write.verified_write`).

    Attributes
    ----------
    tolerance : float
        R-tolerance, relative (NeuroPack's ``RTOLERANCE``; 0.001 = 0.1 %).
    max_steps : int
        Most pulses per cell and update (``MAXUPDATESTEPS``).
    predictor : {"nominal", "circuit"}
        Device model at the nominal or at the circuit-delivered voltage.
    scheme : {"ideal", "v2", "v3", "floating"}
        Write scheme: "ideal" = selector array (only selected cells see a
        voltage), "v2" = selectorless half-bias.
    amplitudes_v, widths_s : list of float
        Pulse options (NeuroPack's by default), volt and second.
    v_read_v : float
        Read voltage, volt.
    read_noise : float
        Uniform multiplicative read noise on every read current, +-fraction (0.01 = +-1 %).
    """

    tolerance: float = 0.001
    max_steps: int = 5
    predictor: Literal["nominal", "circuit"] = "nominal"
    scheme: Literal["ideal", "v2", "v3", "floating"] = "ideal"
    amplitudes_v: list[float] = field(default_factory=lambda: list(_NP_AMPS))
    widths_s: list[float] = field(default_factory=lambda: list(_NP_WIDTHS))
    v_read_v: float = 0.2
    read_noise: float = 0.01


@dataclass
class SNNConfig:
    """Settings of ``snn_wta``.

    Attributes
    ----------
    dataset : {"mnist5k", "digits"}
        MNIST 5k (22 x 22 crop, 484 inputs) or scikit-learn's 8 x 8 digits.
    n_train, n_test : int
        Class-balanced split sizes (multiples of 10).
    data_seed : int
        Seed of the split (kept apart from the run seed so seeds vary only the devices).
    pixel_threshold : float
        Grey level at and above which a pixel spikes; 0 = the data set's default (128 / 8).
    weights : {"memristive", "software"}
        Device conductances written by verified writes, or exact software numbers.
    mapping : {"dense", "direct"}
        Dense packing (synapse k = o * n_in + i at word line k // cols, bit
        line k % cols on an ``array_rows x array_cols`` array) or direct
        (n_inputs x n_outputs array, input i on word line i).
    array_rows, array_cols : int
        Array size for the dense mapping.
    forward : {"conductance", "read"}
        Forward pass from the devices' conductances, or a crossbar read (direct mapping only).
    fire_threshold_v : float
        LIF threshold ``theta`` (``FIRETH``).
    leakage : float
        ``lambda`` (``LEAKAGE``); the carried membrane is multiplied by ``1 - lambda``.
    leak_mode : {"proper", "neuropack", "additive"}
        "proper": 0 <= leakage <= 1; "neuropack": any value (NeuroPack's -0.3);
        "additive": carried membrane ``max(V + leakage, 0)`` (see ``cosim.algorithms.snn.LIF``).
    learning_rate : float
        ``eta`` (``LEARNINGRATE``), siemens per unit error.
    r_init_ohm, r_init_halfwidth_ohm : float
        Initial device resistance uniform in ``r_init_ohm +- r_init_halfwidth_ohm`` (also the software baseline's initial weights).
    r_min_ohm, r_max_ohm : float
        Conductance window of the targets (NeuroPack's PFLOOR / PCEIL).
    backend : {"ideal", "nodal", "ngspice"}
        Array backend (``cosim run --backend``).
    figures : bool
        Draw the figures.
    n_probe_samples : int
        Samples whose membranes and spikes are kept for ``membranes.png``.
    software_clip : bool
        Software weights: clip them to the devices' window ``[1/r_max_ohm,
        1/r_min_ohm]`` after each update (False: unbounded, the paper's ideal).
    circuit : CircuitConfig
    write : WriteConfig
    """

    dataset: Literal["mnist5k", "digits"] = "mnist5k"
    n_train: int = 4000
    n_test: int = 1000
    data_seed: int = 0
    pixel_threshold: float = 0.0
    weights: Literal["memristive", "software"] = "memristive"
    mapping: Literal["dense", "direct"] = "dense"
    array_rows: int = 100
    array_cols: int = 100
    forward: Literal["conductance", "read"] = "conductance"
    fire_threshold_v: float = 1e-3
    leakage: float = 1.0
    leak_mode: Literal["proper", "neuropack", "additive"] = "proper"
    learning_rate: float = 3.5e-6
    r_init_ohm: float = 11000.0
    r_init_halfwidth_ohm: float = 500.0
    r_min_ohm: float = 2231.0
    r_max_ohm: float = 12854.0
    backend: Literal["ideal", "nodal", "ngspice"] = "ideal"
    figures: bool = True
    n_probe_samples: int = 30
    software_clip: bool = False
    circuit: CircuitConfig = field(default_factory=CircuitConfig)
    write: WriteConfig = field(default_factory=WriteConfig)


class SNNConfigError(ValueError):
    """Inconsistent ``snn_wta`` settings; the message names them."""


def _dataset(cfg: SNNConfig):
    thr = cfg.pixel_threshold or (MNIST_THRESHOLD if cfg.dataset == "mnist5k" else DIGITS_THRESHOLD)
    return load_dataset(cfg.dataset, n_train=cfg.n_train, n_test=cfg.n_test, seed=cfg.data_seed, threshold=thr)


def build_network(cfg: SNNConfig, n_inputs: int, n_outputs: int, rng: np.random.Generator, backend: str):
    """The network of ``cfg`` (and its array, or None for software weights)."""
    lif = LIF(cfg.fire_threshold_v, cfg.leakage, cfg.leak_mode)
    half = cfg.r_init_halfwidth_ohm
    if cfg.weights == "software":
        r0 = cfg.r_init_ohm + rng.uniform(-half, half, (n_inputs, n_outputs))
        window = (1.0 / cfg.r_max_ohm, 1.0 / cfg.r_min_ohm) if cfg.software_clip else (None, None)
        layer = SoftwareSynapses(1.0 / r0, *window)
        return SpikingNetwork([layer], lif, cfg.learning_rate), None
    from cosim.array import CrossbarArray
    from cosim.devices import NEUROPACK_2022, Messaris2017
    from cosim.devices.variability import ReadNoise
    from cosim.netlist.crossbar import CrossbarSpec

    if cfg.mapping == "dense":
        shape = (cfg.array_rows, cfg.array_cols)
        rows, cols = dense_layout(n_inputs, n_outputs, shape)
    else:
        shape = (n_inputs, n_outputs)
        rows, cols = direct_layout(n_inputs, n_outputs)
    c = cfg.circuit
    spec = CrossbarSpec(
        *shape,
        r_wordline_ohm=c.r_wire_ohm,
        r_bitline_ohm=c.r_wire_ohm,
        r_driver_ohm=c.r_driver_ohm,
        r_sense_ohm=c.r_sense_ohm,
        cell=c.cell,
    )
    r0 = cfg.r_init_ohm + rng.uniform(-half, half, shape)
    if not (np.isfinite(cfg.write.read_noise) and cfg.write.read_noise >= 0):
        # a negative amplitude used to be dropped silently (as if 0): refuse it by name
        raise SNNConfigError(
            f"write.read_noise must be a finite fraction >= 0 (0 = no noise), got {cfg.write.read_noise!r}"
        )
    noise = ReadNoise("uniform", cfg.write.read_noise) if cfg.write.read_noise > 0 else None
    kw = dict(spec=spec, backend=backend, read_noise=noise, rng=rng, split_tolerance=c.split_tolerance)
    if backend != "ideal":
        kw["reuse_tolerance"] = c.reuse_tolerance
    array = CrossbarArray(Messaris2017(**NEUROPACK_2022), r0, **kw)
    w = cfg.write
    write = dict(
        options=options_from_lists(w.amplitudes_v, w.widths_s),
        tolerance=w.tolerance,
        max_steps=w.max_steps,
        predictor=w.predictor,
        scheme=w.scheme,
        v_read_v=w.v_read_v,
    )
    layer = MemristiveSynapses(
        array,
        rows,
        cols,
        r_min_ohm=cfg.r_min_ohm,
        r_max_ohm=cfg.r_max_ohm,
        forward=cfg.forward,
        v_read_v=w.v_read_v,
        write=write,
    )
    return SpikingNetwork([layer], lif, cfg.learning_rate), array


def run_snn(config: SNNConfig, ctx) -> dict:
    """Train one pass, test, save trace and figures; return the metrics (module docstring)."""
    cfg = config
    backend = ctx.backend or cfg.backend
    if cfg.weights == "software" and backend != "ideal":
        ctx.log(f"snn_wta: software weights ignore the backend {backend!r}")
    if cfg.forward == "read" and cfg.mapping != "direct":
        raise SNNConfigError(
            "forward = 'read' needs mapping = 'direct' (the read is the layer's matrix-vector product)"
        )
    data = _dataset(cfg)
    n_in, n_out = data.n_inputs, 10
    net, array = build_network(cfg, n_in, n_out, ctx.rng, backend)
    layer = net.layers[0]
    w_before = np.array(layer.weights_s())
    g_before = None if array is None else np.array(array.conductance_s)
    # probe synapses of output 0: the most often active pixel, and a pixel never active
    freq = data.x_train.mean(axis=0)
    stim_in, quiet_in = int(np.argmax(freq)), int(np.argmin(freq))
    n = len(data.x_train)
    labels = data.y_train
    preds = np.empty(n, dtype=np.int64)
    v_hist = np.empty((n, n_out))
    y_hist = np.zeros((n, n_out), dtype=bool)
    stats = np.zeros((n, 5))  # cells, pulses, steps, energy, converged
    r_probe = np.empty((n, 2))
    acc100: list[float] = []
    t0 = time.perf_counter()
    done = 0

    def metrics_so_far() -> dict:
        ok = preds[:done] == labels[:done]
        return {
            "samples_trained": done,
            "train_accuracy": float(ok.mean()) if done else 0.0,
            "train_accuracy_per_100": list(acc100),
            "pulses": int(stats[:done, 1].sum()),
        }

    for t in ctx.progress(range(n), total=n, desc=f"train {cfg.weights}"):
        res = net.step(data.x_train[t], int(labels[t]))
        preds[t], v_hist[t], y_hist[t] = res.prediction, res.v_out, res.y
        tot = res.write_totals
        stats[t] = (tot["cells"], tot["pulses"], tot["steps"], tot["energy_j"], tot["converged"])
        w_now = layer.weights_s()
        r_probe[t] = 1.0 / w_now[stim_in, 0], 1.0 / w_now[quiet_in, 0]
        done = t + 1
        if done % 100 == 0:
            acc100.append(float(np.mean(preds[done - 100 : done] == labels[done - 100 : done])))
            ctx.checkpoint(metrics_so_far())
    train_time = time.perf_counter() - t0
    if hasattr(ctx, "timing"):  # a timing is not a result: run.json, not metrics.json
        ctx.timing("train_s", train_time)
    test_pred, test_v = net.predict(data.x_test)
    test_acc = float(np.mean(test_pred == data.y_test))
    w_after = np.array(layer.weights_s())
    cells = stats[:, 0].sum()
    metrics = {
        "test_accuracy": test_acc,
        "train_accuracy": float(np.mean(preds == labels)),
        "train_accuracy_per_100": acc100,
        "samples_trained": n,
        "samples_tested": len(data.x_test),
        "test_no_answer_fraction": float(np.mean(test_pred < 0)),
        "weights": cfg.weights,
        "backend": backend if cfg.weights == "memristive" else "software",
        "cells_written": int(cells),
        "pulses": int(stats[:, 1].sum()),
        "write_steps": int(stats[:, 2].sum()),
        "write_converged_fraction": float(stats[:, 4].sum() / cells) if cells else None,
        "write_energy_j": float(stats[:, 3].sum()),
    }
    if array is not None:
        metrics["array_energy_j"] = float(array.energy_j)
    arrays = dict(
        train_labels=labels,
        train_pred=preds,
        train_v_out=v_hist,
        train_spikes=y_hist,
        write_stats=stats,
        r_probe_ohm=r_probe,
        probe_inputs=np.array([stim_in, quiet_in]),
        test_labels=data.y_test,
        test_pred=test_pred,
        test_v_out=test_v,
        w_before_s=w_before,
        w_after_s=w_after,
    )
    if array is not None:
        arrays.update(g_before_s=g_before, g_after_s=np.array(array.conductance_s))
    ctx.save_trace("trace", **arrays)
    if cfg.figures and ctx.figures:
        from cosim.plots import snn as plots

        title = f"{cfg.dataset}, {cfg.weights}, test {test_acc * 100:.1f} %"
        ctx.save_figure(plots.weight_maps(w_before, w_after, data.image_shape, title), "weights.png")
        if array is not None:
            ctx.save_figure(plots.array_maps(g_before, np.array(array.conductance_s), title), "array.png")
        ctx.save_figure(
            plots.synapse_resistance(
                r_probe[:, 0],
                r_probe[:, 1],
                (f"input {stim_in} -> output 0 (stimulated)", f"input {quiet_in} -> output 0 (never stimulated)"),
            ),
            "synapse_r.png",
        )
        ctx.save_figure(plots.training_accuracy(acc100), "train_accuracy.png")
        k = min(cfg.n_probe_samples, n)
        ctx.save_figure(
            plots.membranes_and_spikes(v_hist[:k], y_hist[:k], labels[:k], cfg.fire_threshold_v), "membranes.png"
        )
    ctx.log(
        f"snn_wta: {cfg.dataset} {cfg.weights} ({backend}): test accuracy {test_acc * 100:.2f} % "
        f"after {n} samples in {train_time:.1f} s, {metrics['pulses']} pulses"
    )
    return metrics


@dataclass
class SNNCompareConfig:
    """Settings of ``snn_compare``: several ``snn_wta`` variants of one base, test accuracy as bars.

    Attributes
    ----------
    base : SNNConfig
        The common settings (TOML section ``[base]``, same keys as ``snn_wta``).
    variants : dict of str -> str
        Name -> comma-separated ``key=value`` overrides of ``base``
        (e.g. ``"R-tol 1 %" = "write.tolerance=0.01"``; "" = the base itself).
    """

    base: SNNConfig = field(default_factory=SNNConfig)
    variants: dict[str, str] = field(default_factory=lambda: {"software": "weights=software", "memristive": ""})


class _SubContext:
    """A RunContext view for one variant: figures off, trace under the variant's name."""

    def __init__(self, ctx, name: str) -> None:
        self._ctx, self._name = ctx, name
        self.seed, self.rng, self.backend, self.out_dir = (
            ctx.seed,
            np.random.default_rng(ctx.seed),
            ctx.backend,
            ctx.out_dir,
        )
        self.figures = False

    def progress(self, *a, **k):
        k["desc"] = self._name
        return self._ctx.progress(*a, **k)

    def save_trace(self, name="trace", **arrays):
        return self._ctx.save_trace(f"trace_{''.join(c if c.isalnum() else '_' for c in self._name)}", **arrays)

    def save_figure(self, fig, name, **k):
        import matplotlib.pyplot as plt

        plt.close(fig)

    def log(self, msg):
        self._ctx.log(msg)

    def checkpoint(self, metrics):
        pass

    def timing(self, name, seconds):
        self._ctx.timing(f"{self._name}.{name}", seconds)


def run_compare(config: SNNCompareConfig, ctx) -> dict:
    """Run every variant with the run's seed; metrics: test accuracy per variant, bars in ``accuracy.png``."""
    from cosim.runs.config import apply_overrides, from_dict

    if not config.variants:
        raise SNNConfigError("snn_compare: no variants given")
    base = asdict(config.base)
    results: dict = {}
    details: dict = {}
    for name, text in config.variants.items():
        sets = [t.strip() for t in text.split(",") if t.strip()]
        cfg = from_dict(SNNConfig, apply_overrides(base, sets, SNNConfig))
        t0 = time.perf_counter()
        m = run_snn(cfg, _SubContext(ctx, name))
        results[name] = m["test_accuracy"]
        details[name] = {
            "test_accuracy": m["test_accuracy"],
            "train_accuracy": m["train_accuracy"],
            "pulses": m["pulses"],
        }
        ctx.timing(f"{name}.s", time.perf_counter() - t0)
        ctx.checkpoint({"test_accuracy_by_variant": dict(results)})
    if ctx.figures:
        from cosim.plots import snn as plots

        ctx.save_figure(plots.accuracy_bars(results, f"{config.base.dataset}: test accuracy"), "accuracy.png")
    return {"test_accuracy_by_variant": results, "variants": details}


EXPERIMENTS = {"snn_wta": (SNNConfig, run_snn), "snn_compare": (SNNCompareConfig, run_compare)}
