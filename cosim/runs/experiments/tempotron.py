"""``tempotron_latency`` and ``tempotron_digits``: the Tempotron core on exact and memristive weights.

``tempotron_latency`` -- Gütig & Sompolinsky's task: ``n_afferents`` inputs,
each spiking once at a uniformly random time in ``window_ms``; ``P = load *
n_afferents`` patterns with random binary labels; one tempotron learns
(online, error trials only) for at most ``epochs`` passes. Reported per load
and weight kind: the fraction of the patterns classified correctly after
training (``fraction_learned``) and the epochs used. ``test_accuracy`` is
that fraction at ``report_load`` for the last kind in ``kinds`` (there is
no separate test set in this task: learning the patterns *is* the task).

``tempotron_digits`` -- scikit-learn's 8 x 8 digits latency coded (grey
level g in 0..16 spikes at ``window_ms (1 - g/16)``, g = 0 never), ten
tempotrons one-vs-rest; the answer is the tempotron with the largest peak
potential. ``test_accuracy`` (last kind), ``test_accuracy_by_kind``,
accuracy per epoch.

Weights: ``kinds`` lists ``"software"`` (exact numbers, clipped to the
devices' range) and/or ``"memristive"`` (signed weights on an ``n_in x
n_out`` array of Messaris/NeuroPack devices on the run's backend, the
``[synapses]`` section: verified writes by default). Every kind starts
from the same initial weights.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from cosim.algorithms.cores import Core, SynapseConfig, TempotronNeuron, TempotronRule, build_synapses
from cosim.algorithms.cores.tempotron import evaluate, kernel_traces, latency_code, train_epoch


def _tempotron_synapses() -> SynapseConfig:
    return SynapseConfig(w_max=0.5, tolerance=0.001)


@dataclass
class TempotronLatencyConfig:
    """Settings of ``tempotron_latency``.

    Attributes
    ----------
    n_afferents : int
        Inputs ``N``.
    loads : list of float
        ``P / N`` values to learn.
    window_ms : float
        Spike times are uniform in ``[0, window_ms)``; the trial lasts as long, ms.
    dt_ms : float
        Time grid of the potential, ms.
    tau_ms, tau_s_ms : float
        Kernel time constants, ms.
    threshold : float
        Firing threshold (kernel peak = 1).
    learning_rate : float
        ``lambda``.
    w_init_std : float
        Initial weights are normal with this standard deviation.
    epochs : int
        Most passes per load (training stops at a pass without error).
    kinds : list of {"software", "memristive"}
        Which weights to train: exact numbers ("software"), device conductances ("memristive"), or both.
    report_load : float
        Load whose fraction learned is ``test_accuracy``.
    backend : {"ideal", "nodal", "ngspice"}
        Array backend (``cosim run --backend``).
    figures : bool
        Save the figures.
    synapses : SynapseConfig
        How the weights are held (exact numbers or a memristive array).
    """

    n_afferents: int = 50
    loads: list[float] = field(default_factory=lambda: [0.5, 1.0, 2.0, 3.0])
    window_ms: float = 500.0
    dt_ms: float = 1.0
    tau_ms: float = 20.0
    tau_s_ms: float = 5.0
    threshold: float = 0.8
    learning_rate: float = 0.02
    w_init_std: float = 0.05
    epochs: int = 60
    kinds: list[Literal["software", "memristive"]] = field(default_factory=lambda: ["software", "memristive"])
    report_load: float = 1.0
    backend: Literal["ideal", "nodal", "ngspice"] = "ideal"
    figures: bool = True
    synapses: SynapseConfig = field(default_factory=_tempotron_synapses)


def _core(cfg, kind: str, w0: np.ndarray, backend: str, rng) -> Core:
    syn = build_synapses(replace(cfg.synapses, weights=kind), w0, backend=backend, rng=rng)
    return Core(syn, TempotronNeuron(cfg.threshold), TempotronRule(cfg.learning_rate))


def _check_kinds(kinds) -> None:
    if not kinds:
        raise ValueError("kinds is empty; give 'software' and/or 'memristive'")


def run_latency(config: TempotronLatencyConfig, ctx) -> dict:
    cfg = config
    _check_kinds(cfg.kinds)
    if cfg.report_load not in cfg.loads:
        raise ValueError(f"report_load {cfg.report_load!r} is not one of loads {cfg.loads!r}")
    backend = ctx.backend or cfg.backend
    n = cfg.n_afferents
    n_steps = int(round(cfg.window_ms / cfg.dt_ms))
    frac: dict[str, list[float]] = {k: [] for k in cfg.kinds}
    epochs_used: dict[str, list[int]] = {k: [] for k in cfg.kinds}
    pulses: dict[str, int] = {k: 0 for k in cfg.kinds}
    curves, probe = {}, {}
    t0 = time.perf_counter()
    for load in cfg.loads:
        p = max(1, int(round(load * n)))
        times = ctx.rng.uniform(0.0, cfg.window_ms, (p, n))
        labels = ctx.rng.integers(0, 2, p)
        traces = kernel_traces(times, n_steps, cfg.dt_ms, cfg.tau_ms, cfg.tau_s_ms, dtype=np.float32)
        w0 = ctx.rng.normal(0.0, cfg.w_init_std, (n, 1))
        for kind in cfg.kinds:
            core = _core(cfg, kind, w0, backend, np.random.default_rng(ctx.seed))
            order = np.random.default_rng(ctx.seed + 1)
            if load == cfg.report_load:
                v_before = np.stack([core.present(traces[k], phase="test").v[:, 0] for k in range(min(p, 6))])
            curve = []
            used = cfg.epochs
            for ep in ctx.progress(range(cfg.epochs), total=cfg.epochs, desc=f"P/N={load} {kind}"):
                st = train_epoch(core, traces, labels, order)
                pulses[kind] += st["pulses"]
                curve.append(1.0 - st["errors"] / p)
                if st["errors"] == 0:
                    used = ep + 1
                    break
            _, fired = evaluate(core, traces)
            frac[kind].append(float(np.mean(fired[:, 0] == labels.astype(bool))))
            epochs_used[kind].append(used)
            if load == cfg.report_load:
                curves[kind] = curve
                v_after = np.stack([core.present(traces[k], phase="test").v[:, 0] for k in range(min(p, 6))])
                probe[kind] = (v_before, v_after, labels[: len(v_after)], times[0])
            ctx.checkpoint({"fraction_learned": frac})
    elapsed = time.perf_counter() - t0
    last = cfg.kinds[-1]
    i_rep = cfg.loads.index(cfg.report_load)
    metrics = {
        "test_accuracy": frac[last][i_rep],
        "loads": list(cfg.loads),
        "fraction_learned": frac,
        "epochs_used": epochs_used,
        "pulses": pulses,
        "backend": backend,
    }
    ctx.timing("train_s", elapsed)  # a timing is not a result: run.json, not metrics.json
    ctx.save_trace("trace", loads=np.array(cfg.loads), **{f"fraction_{k}": np.array(v) for k, v in frac.items()})
    if cfg.figures and ctx.figures:
        from cosim.plots import cores as plots

        ctx.save_figure(
            plots.capacity_curve(cfg.loads, frac, f"tempotron, N = {n}, {cfg.epochs} epochs at most"), "capacity.png"
        )
        ctx.save_figure(
            plots.accuracy_per_epoch(curves, f"P/N = {cfg.report_load}", "patterns correct"), "accuracy_per_epoch.png"
        )
        vb, va, lab, t_in = probe[last]
        ctx.save_figure(
            plots.tempotron_potentials(vb, va, lab, cfg.threshold, cfg.dt_ms, f"{last} weights"), "potentials.png"
        )
        spikes_in = np.zeros((n_steps, n), bool)
        spikes_in[np.minimum((t_in / cfg.dt_ms).astype(int), n_steps - 1), np.arange(n)] = True
        ctx.save_figure(
            plots.raster(spikes_in, (va[:1].T >= cfg.threshold), cfg.dt_ms, "pattern 0: inputs, output"), "raster.png"
        )
    ctx.log(f"tempotron_latency: fraction learned {frac} in {elapsed:.1f} s")
    return metrics


@dataclass
class TempotronDigitsConfig:
    """Settings of ``tempotron_digits``.

    Attributes
    ----------
    n_train, n_test : int
        Class-balanced split of the 8 x 8 digits (as ``load_digits``).
    data_seed : int
        Seed of the train/test split.
    window_ms : float
        Latency window: the brightest pixel spikes at 0, the faintest near ``window_ms``.
    tail_ms : float
        Trial length after the window, ms.
    dt_ms, tau_ms, tau_s_ms, threshold, learning_rate, w_init_std : float
        As ``tempotron_latency``.
    epochs : int
        Passes over the training images.
    kinds : list of {"software", "memristive"}
        Which weights to train: exact numbers ("software"), device conductances ("memristive"), or both.
    backend : {"ideal", "nodal", "ngspice"}
        Array backend (``cosim run --backend``).
    figures : bool
        Save the figures.
    synapses : SynapseConfig
        How the weights are held (exact numbers or a memristive array).
    """

    n_train: int = 1300
    n_test: int = 400
    data_seed: int = 0
    window_ms: float = 50.0
    tail_ms: float = 60.0
    dt_ms: float = 1.0
    tau_ms: float = 20.0
    tau_s_ms: float = 5.0
    threshold: float = 0.8
    learning_rate: float = 0.005
    w_init_std: float = 0.02
    epochs: int = 3
    kinds: list[Literal["software", "memristive"]] = field(default_factory=lambda: ["software", "memristive"])
    backend: Literal["ideal", "nodal", "ngspice"] = "ideal"
    figures: bool = True
    synapses: SynapseConfig = field(default_factory=_tempotron_synapses)


def run_digits(config: TempotronDigitsConfig, ctx) -> dict:
    from cosim.runs.experiments._grey import grey_digits

    cfg = config
    _check_kinds(cfg.kinds)
    backend = ctx.backend or cfg.backend
    x_tr, y_tr, x_te, y_te = grey_digits(cfg.n_train, cfg.n_test, cfg.data_seed)
    n_steps = int(round((cfg.window_ms + cfg.tail_ms) / cfg.dt_ms))
    args = (n_steps, cfg.dt_ms, cfg.tau_ms, cfg.tau_s_ms)
    k_tr = kernel_traces(latency_code(x_tr, cfg.window_ms, 16), *args, dtype=np.float32)
    k_te = kernel_traces(latency_code(x_te, cfg.window_ms, 16), *args, dtype=np.float32)
    w0 = ctx.rng.normal(0.0, cfg.w_init_std, (x_tr.shape[1], 10))
    acc, train_curve, test_curve, weights, pulses, times = {}, {}, {}, {}, {}, {}
    v_probe = {}
    for kind in cfg.kinds:
        t0 = time.perf_counter()
        core = _core(cfg, kind, w0, backend, np.random.default_rng(ctx.seed))
        order = np.random.default_rng(ctx.seed + 1)
        sel = np.flatnonzero(y_te == 0)[:3].tolist() + np.flatnonzero(y_te != 0)[:3].tolist()
        v_before = np.stack([core.present(k_te[k], phase="test").v[:, 0] for k in sel])
        train_curve[kind], test_curve[kind], pulses[kind] = [], [], 0
        for _ in ctx.progress(range(cfg.epochs), total=cfg.epochs, desc=f"digits {kind}"):
            st = train_epoch(core, k_tr, y_tr, order)
            pulses[kind] += st["pulses"]
            v_max, _ = evaluate(core, k_te)
            train_curve[kind].append(1.0 - st["errors"] / len(k_tr))
            test_curve[kind].append(float(np.mean(v_max.argmax(axis=1) == y_te)))
            ctx.checkpoint({"test_accuracy_by_kind": {k: c[-1] for k, c in test_curve.items()}})
        acc[kind] = test_curve[kind][-1]
        weights[kind] = np.array(core.weights())
        v_probe[kind] = (
            v_before,
            np.stack([core.present(k_te[k], phase="test").v[:, 0] for k in sel]),
            (y_te[sel] == 0).astype(int),
        )
        times[kind] = time.perf_counter() - t0
    last = cfg.kinds[-1]
    metrics = {
        "test_accuracy": acc[last],
        "test_accuracy_by_kind": acc,
        "test_accuracy_per_epoch": test_curve,
        "error_free_trials_per_epoch": train_curve,
        "pulses": pulses,
        "backend": backend,
    }
    for name, seconds in times.items():  # a timing is not a result: run.json, not metrics.json
        ctx.timing(f"{name}.train_s", seconds)
    ctx.save_trace("trace", w_init=w0, test_labels=y_te, **{f"w_{k}": w for k, w in weights.items()})
    if cfg.figures and ctx.figures:
        from cosim.plots import cores as plots

        ctx.save_figure(
            plots.accuracy_per_epoch(test_curve, "tempotron digits: test accuracy"), "accuracy_per_epoch.png"
        )
        ctx.save_figure(plots.weight_images(weights[last], (8, 8), f"tempotron weights ({last})"), "weights.png")
        vb, va, lab = v_probe[last]
        ctx.save_figure(
            plots.tempotron_potentials(vb, va, lab, cfg.threshold, cfg.dt_ms, f"tempotron '0', {last} weights"),
            "potentials.png",
        )
        t_in = latency_code(x_te[sel[0]], cfg.window_ms, 16)
        spikes_in = np.zeros((n_steps, 64), bool)
        ok = np.isfinite(t_in)
        spikes_in[(t_in[ok] / cfg.dt_ms).astype(int), np.flatnonzero(ok)] = True
        seen = _core(cfg, "software", weights[last], "ideal", None).present(k_te[sel[0]])
        ctx.save_figure(
            plots.raster(spikes_in, seen.spikes, cfg.dt_ms, "a test '0': inputs and the ten tempotrons"), "raster.png"
        )
    ctx.log(f"tempotron_digits: test accuracy {acc} ({backend})")
    return metrics


EXPERIMENTS = {
    "tempotron_latency": (TempotronLatencyConfig, run_latency),
    "tempotron_digits": (TempotronDigitsConfig, run_digits),
}
