"""Manhattan-rule perceptron, 4x4 task: ``manhattan_4x4`` and ``manhattan_4x4_seeds``.

``manhattan_4x4``
    The 4x4 experiment on a :class:`cosim.array.CrossbarArray` (any backend):
    per-device shifts from the seed (the authors' legacy ``RandomState``
    draw), measured-curve devices, batch Manhattan updates delivered as
    write pulses through the circuit. Configs: ``algorithms/manhattan_4x4.toml``
    (a well-posed setting) and ``algorithms/manhattan_4x4_reference.toml``
    (the authors' settings).
``manhattan_4x4_seeds``
    Convergence statistics over many seeds at once with the batched
    ideal-array trainer (:func:`cosim.algorithms.manhattan_reference.train_reference`),
    including the analysis of the measured curve's outlier point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from cosim.algorithms.manhattan import (
    ManhattanConfigError,
    ManhattanRule,
    measured_4x4_array,
    reference_task,
    train_manhattan,
)
from cosim.algorithms.manhattan_reference import (
    TRAIN_SET,
    ReferenceSettings,
    load_curve_s,
    reference_shifts_s,
    train_reference,
)


@dataclass
class CircuitSettings:
    """The crossbar circuit the 4x4 perceptron is trained on.

    Attributes
    ----------
    r_wire_ohm : float
        Every word- and bit-line segment, ohm (>= 0). Ignored by the ideal backend.
    r_driver_ohm : float
        Word-line driver output resistance, ohm (>= 0).
    r_sense_ohm : float
        Bit-line sense-amplifier input resistance, ohm (>= 0).
    scheme : {"ideal", "v2", "v3", "floating"}
        Write scheme of the update pulses.
    amplitude_v : float
        Write-pulse amplitude across a selected cell, volt (> 0).
    width_s : float
        Write-pulse width, second (> 0).
    v_threshold_v : float
        Device programming threshold, volt (>= 0): a pulse advances a device
        one point of the measured curve only if the cell sees more than this.
    grouping : {"column", "row"}
        One write pulse per bit line (the cells of that column to pulse) or per word line.
    """

    r_wire_ohm: float = 0.0
    r_driver_ohm: float = 0.0
    r_sense_ohm: float = 0.0
    scheme: Literal["ideal", "v2", "v3", "floating"] = "ideal"
    amplitude_v: float = 1.0
    width_s: float = 1e-6
    v_threshold_v: float = 0.6
    grouping: Literal["column", "row"] = "column"


@dataclass
class Manhattan4x4Config:
    """Settings of ``manhattan_4x4`` (defaults: the well-posed configuration).

    Attributes
    ----------
    beta_per_a : float
        Activation gain, per ampere (the authors: 6e6).
    target : float
        Target magnitude in (0, 1) (0.8).
    k_scale : float
        Conductance multiplication factor K (the authors: 10).
    max_updates : int
        At most this many batch updates (50).
    v_in_v : float
        Input voltage magnitude, volt (0.1).
    delta_rule : {"reference", "hinge"}
        ``reference``: ``(t - f) f'`` for every output (the authors');
        ``hinge``: outputs already beyond their target contribute nothing.
    check_after_last : bool
        Also check convergence after the last allowed update (the authors do not).
    backend : {"ideal", "nodal", "ngspice"}
        Where reads and pulses are solved (``cosim run --backend``).
    circuit : CircuitSettings
        Wires, write scheme and device threshold.
    """

    beta_per_a: float = 4e7
    target: float = 0.8
    k_scale: float = 20.0
    max_updates: int = 50
    v_in_v: float = 0.1
    delta_rule: Literal["reference", "hinge"] = "hinge"
    check_after_last: bool = False
    backend: Literal["ideal", "nodal", "ngspice"] = "ideal"
    circuit: CircuitSettings = field(default_factory=CircuitSettings)


def _check_nonneg(cfg: CircuitSettings) -> None:
    for key in ("r_wire_ohm", "r_driver_ohm", "r_sense_ohm", "v_threshold_v"):
        val = getattr(cfg, key)
        if not (np.isfinite(val) and val >= 0):
            raise ManhattanConfigError(f"circuit.{key} must be >= 0 and finite, got {val!r}")


def _rule(config: Manhattan4x4Config) -> ManhattanRule:
    c = config.circuit
    try:
        return ManhattanRule(
            beta_per_a=config.beta_per_a,
            target=config.target,
            max_updates=config.max_updates,
            delta_rule=config.delta_rule,
            update_rule="forward",
            amplitude_v=c.amplitude_v,
            width_s=c.width_s,
            scheme=c.scheme,
            grouping=c.grouping,
            stop_rule="band",
            check_after_last=config.check_after_last,
        )
    except ManhattanConfigError as exc:
        msg = str(exc)
        for key in ("amplitude_v", "width_s", "scheme", "grouping"):
            if msg.startswith(key):
                raise ManhattanConfigError("circuit." + msg) from None
        raise


def save_training_figures(ctx, hist, task, rows, cols, target, names, tag: str) -> None:
    from cosim.plots import manhattan as mp

    if not ctx.figures:
        return
    ctx.save_figure(
        mp.plot_conductances(hist.g_s, rows, cols, title=f"Conductances per device ({tag})"), "conductances.png"
    )
    ctx.save_figure(mp.plot_weights(hist.weights_s, title=f"Weights G+ - G- ({tag})"), "weights.png")
    ctx.save_figure(
        mp.plot_activations(
            hist.activation, task.labels, target, pattern_names=names, title=f"Activations per pattern ({tag})"
        ),
        "activations.png",
    )
    ctx.save_figure(mp.plot_error(hist.error, title=f"Total error per epoch ({tag})"), "error.png")
    g_final = hist.g_s[-1][np.ix_(rows, cols)]
    ctx.save_figure(mp.plot_conductances_3d(g_final, title=f"Final conductances ({tag})"), "final_conductances_3d.png")


def history_metrics(hist) -> dict:
    finite = hist.v_selected_min_v[np.isfinite(hist.v_selected_min_v)]
    return {
        "converged": bool(hist.converged),
        "updates": int(hist.updates),
        "final_error": float(hist.final_error),
        "final_train_accuracy": float(hist.accuracy[-1]),
        "test_accuracy": None if hist.test_accuracy is None else float(hist.test_accuracy),
        "pulses": int(hist.pulses.sum()),
        "write_energy_j": float(hist.energy_j.sum()),
        "v_selected_min_v": float(finite.min()) if finite.size else None,
        "v_unselected_max_v": float(hist.v_unselected_max_v.max()) if hist.v_unselected_max_v.size else None,
    }


def run_manhattan_4x4(config: Manhattan4x4Config, ctx) -> dict:
    """Train the 4x4 perceptron on the configured array; metrics, trace and the five figures.

    Raises
    ------
    ManhattanConfigError
        A bad value, named by its config key.
    """
    backend = ctx.backend or config.backend
    c = config.circuit
    _check_nonneg(c)
    rule = _rule(config)
    for key in ("k_scale", "v_in_v"):
        val = getattr(config, key)
        if not (np.isfinite(val) and val > 0):
            raise ManhattanConfigError(f"{key} must be > 0, got {val!r}")
    shifts = reference_shifts_s(ctx.seed).reshape(4, 4)
    array = measured_4x4_array(
        shifts,
        k_scale=config.k_scale,
        backend=backend,
        r_wire_ohm=c.r_wire_ohm,
        r_driver_ohm=c.r_driver_ohm,
        r_sense_ohm=c.r_sense_ohm,
        v_threshold_v=c.v_threshold_v,
    )
    task = reference_task(config.v_in_v)
    bar = ctx.progress(total=config.max_updates + 1, desc="epochs")

    def on_epoch(u, info):
        bar.update(1)
        ctx.checkpoint({"updates_so_far": u, "error": info["error"]})

    hist = train_manhattan(array, task, rule, on_epoch=on_epoch)
    bar.close()
    ctx.save_trace("trace", shifts_s=shifts, **hist.arrays())
    names = [p for p, _ in TRAIN_SET]
    save_training_figures(ctx, hist, task, range(4), range(4), config.target, names, f"seed {ctx.seed}, {backend}")
    metrics = {"seed": ctx.seed, "backend": backend, **history_metrics(hist)}
    ctx.log(
        f"manhattan_4x4 seed {ctx.seed} on {backend}: converged={metrics['converged']} after "
        f"{metrics['updates']} updates, final error {metrics['final_error']:.4g}, "
        f"test accuracy {metrics['test_accuracy']:.3g}"
    )
    return metrics


@dataclass
class ManhattanSeedsConfig:
    """Settings of ``manhattan_4x4_seeds``: many seeds at once on the ideal array.

    Attributes
    ----------
    first_seed : int
        Seeds ``first_seed .. first_seed + n_seeds - 1`` (each draws its shifts
        as the authors do).
    n_seeds : int
        Number of runs (>= 1).
    beta_per_a, target, k_scale, max_updates, v_in_v, delta_rule
        As in ``manhattan_4x4``.
    update_rule : {"forward", "bidirectional"}
        ``bidirectional`` also steps the partner device back along the curve
        (not physical for the measured device, which has no depression
        branch; a what-if of the ideal trainer).
    """

    first_seed: int = 0
    n_seeds: int = 1000
    beta_per_a: float = 6e6
    target: float = 0.8
    k_scale: float = 10.0
    max_updates: int = 50
    v_in_v: float = 0.1
    delta_rule: Literal["reference", "hinge"] = "reference"
    update_rule: Literal["forward", "bidirectional"] = "forward"


def outlier_index(curve_s: np.ndarray) -> int:
    """The local extremum of the curve farthest from the mean of its two neighbours.

    Only points where the curve turns (rises then falls, or falls then rises)
    count, so the steep but monotone first step is not taken for an outlier.
    """
    d = np.diff(curve_s)
    dev = np.abs(curve_s[1:-1] - 0.5 * (curve_s[:-2] + curve_s[2:]))
    dev[d[:-1] * d[1:] >= 0] = 0.0
    return int(np.argmax(dev)) + 1


def run_manhattan_seeds(config: ManhattanSeedsConfig, ctx) -> dict:
    """Fraction converged, updates, and the role of the curve's outlier point, over many seeds."""
    if config.n_seeds < 1:
        raise ManhattanConfigError(f"n_seeds must be >= 1, got {config.n_seeds!r}")
    if config.first_seed < 0:
        raise ManhattanConfigError(f"first_seed must be >= 0, got {config.first_seed!r}")
    settings = ReferenceSettings(
        beta_per_a=config.beta_per_a,
        target=config.target,
        k_scale=config.k_scale,
        max_updates=config.max_updates,
        v_in_v=config.v_in_v,
        update_rule=config.update_rule,
        delta_rule=config.delta_rule,
    )
    curve = load_curve_s()
    seeds = np.arange(config.first_seed, config.first_seed + config.n_seeds)
    b = train_reference(seeds, settings, curve_s=curve)
    conv = np.flatnonzero(b.converged)
    k_out = outlier_index(curve)
    at_outlier = np.array([(b.index[s, b.updates[s]] == k_out).any() for s in conv], dtype=bool)
    smooth = curve.copy()
    smooth[k_out] = 0.5 * (curve[k_out - 1] + curve[k_out + 1])
    b_smooth = train_reference(seeds, settings, curve_s=smooth)
    upd = b.updates[conv]
    ctx.save_trace(
        "seeds",
        seeds=seeds,
        converged=b.converged,
        updates=b.updates,
        final_error=b.error[:, -1],
        test_accuracy=b.test_accuracy,
        converged_without_outlier=b_smooth.converged,
    )
    metrics = {
        "n_seeds": int(seeds.size),
        "fraction_converged": float(b.converged.mean()),
        "n_converged": int(conv.size),
        "median_updates": float(np.median(upd)) if upd.size else None,
        "max_updates_to_converge": int(upd.max()) if upd.size else None,
        "converged_seeds": seeds[conv][:50].tolist(),
        "outlier_curve_index": k_out,
        "fraction_converged_at_outlier": float(at_outlier.mean()) if conv.size else None,
        "fraction_converged_without_outlier": float(b_smooth.converged.mean()),
        "mean_test_accuracy": float(b.test_accuracy.mean()),
    }
    ctx.log(
        f"manhattan_4x4_seeds {seeds[0]}:{seeds[-1] + 1}: {metrics['n_converged']}/{seeds.size} converged "
        f"(fraction {metrics['fraction_converged']:.3f}), median updates {metrics['median_updates']}; "
        f"outlier point {k_out}: {metrics['fraction_converged_at_outlier']} of the converged runs sit on it; "
        f"with it smoothed {metrics['fraction_converged_without_outlier']:.3f} converge"
    )
    return metrics


EXPERIMENTS = {
    "manhattan_4x4": (Manhattan4x4Config, run_manhattan_4x4),
    "manhattan_4x4_seeds": (ManhattanSeedsConfig, run_manhattan_seeds),
}


# the names these helpers had before the module was split
_save_figures = save_training_figures
_history_metrics = history_metrics
