"""Manhattan-rule perceptron experiments for ``cosim run``.

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
``prezioso_letters``, ``manhattan_study``
    See :mod:`cosim.runs.experiments.manhattan` below (letters task of Prezioso
    et al. 2015, and the wire-resistance / array-size / write-scheme study).
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
            beta_per_a=config.beta_per_a, target=config.target, max_updates=config.max_updates,
            delta_rule=config.delta_rule, update_rule="forward", amplitude_v=c.amplitude_v, width_s=c.width_s,
            scheme=c.scheme, grouping=c.grouping, stop_rule="band", check_after_last=config.check_after_last,
        )
    except ManhattanConfigError as exc:
        msg = str(exc)
        for key in ("amplitude_v", "width_s", "scheme", "grouping"):
            if msg.startswith(key):
                raise ManhattanConfigError("circuit." + msg) from None
        raise


def _save_figures(ctx, hist, task, rows, cols, target, names, tag: str) -> None:
    from cosim.plots import manhattan as mp

    if not ctx.figures:
        return
    ctx.save_figure(mp.plot_conductances(hist.g_s, rows, cols, title=f"Conductances per device ({tag})"),
                    "conductances.png")
    ctx.save_figure(mp.plot_weights(hist.weights_s, title=f"Weights G+ - G- ({tag})"), "weights.png")
    ctx.save_figure(mp.plot_activations(hist.activation, task.labels, target, pattern_names=names,
                                        title=f"Activations per pattern ({tag})"), "activations.png")
    ctx.save_figure(mp.plot_error(hist.error, title=f"Total error per epoch ({tag})"), "error.png")
    g_final = hist.g_s[-1][np.ix_(rows, cols)]
    ctx.save_figure(mp.plot_conductances_3d(g_final, title=f"Final conductances ({tag})"), "final_conductances_3d.png")


def _history_metrics(hist) -> dict:
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
        shifts, k_scale=config.k_scale, backend=backend, r_wire_ohm=c.r_wire_ohm, r_driver_ohm=c.r_driver_ohm,
        r_sense_ohm=c.r_sense_ohm, v_threshold_v=c.v_threshold_v,
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
    _save_figures(ctx, hist, task, range(4), range(4), config.target, names, f"seed {ctx.seed}, {backend}")
    metrics = {"seed": ctx.seed, "backend": backend, **_history_metrics(hist)}
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
        beta_per_a=config.beta_per_a, target=config.target, k_scale=config.k_scale,
        max_updates=config.max_updates, v_in_v=config.v_in_v, update_rule=config.update_rule,
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
    ctx.save_trace("seeds", seeds=seeds, converged=b.converged, updates=b.updates, final_error=b.error[:, -1],
                   test_accuracy=b.test_accuracy, converged_without_outlier=b_smooth.converged)
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


# -- Prezioso et al. 2015: 3x3 letters on a 12 x 12 crossbar ----------------------------------
@dataclass
class LettersConfig:
    """Settings of ``prezioso_letters`` (Prezioso et al., Nature 521, 61, 2015).

    A 10 x 6 sub-array (9 pixel inputs + bias on word lines 0..9; neurons on
    bit-line pairs (0,1), (2,3), (4,5)) of an ``array_size`` x ``array_size``
    crossbar of devices from ``device_card``; batch Manhattan updates as
    row-wise pulses (one pulse per word line selecting the cells of that row
    to potentiate) under the write scheme.

    Attributes
    ----------
    device_card : str
        Model card (TOML): a path, or a file name looked up in ``./models/`` and
        then in the repository's ``models/``. Its model must be able to start
        from a resistance (``state_from_resistance``: Messaris, VTEAM, linear
        ion drift; not the measured curve), else the card is refused by name.
    r0_min_ohm, r0_max_ohm : float
        Initial device resistance drawn uniformly per cell from ``ctx.rng``, ohm.
    array_size : int
        Rows = columns of the crossbar (>= 10).
    beta_per_a : float
        Activation gain, per ampere.
    target : float
        Target magnitude in (0, 1) of the deltas (hinge: only outputs not yet
        beyond it pull).
    max_updates : int
        At most this many epochs with updates.
    v_in_v, bias_v : float
        Read voltage of a pixel (+- v_in_v) and of the bias input, volt.
    delta_rule, update_rule
        See ``manhattan_4x4`` / ``manhattan_4x4_seeds``.
    amplitude_v, width_s : float
        Write pulse across a selected cell, volt and second.
    scheme : {"ideal", "v2", "v3", "floating"}
        Write scheme (the paper: V/2).
    grouping : {"row", "column"}
        The paper's updates are row-wise.
    r_wire_ohm, r_driver_ohm, r_sense_ohm : float
        Wire segment, driver and sense resistances, ohm.
    backend : {"ideal", "nodal", "ngspice"}
        Where reads and pulses are solved (``cosim run --backend``).
    """

    device_card: str = "messaris2017_neuropack.toml"
    r0_min_ohm: float = 10e3
    r0_max_ohm: float = 12e3
    array_size: int = 12
    beta_per_a: float = 1e5
    target: float = 0.5
    max_updates: int = 100
    v_in_v: float = 0.1
    bias_v: float = 0.1
    delta_rule: Literal["reference", "hinge"] = "hinge"
    update_rule: Literal["forward", "bidirectional"] = "forward"
    amplitude_v: float = 1.2
    width_s: float = 1e-6
    scheme: Literal["ideal", "v2", "v3", "floating"] = "v2"
    grouping: Literal["row", "column"] = "row"
    r_wire_ohm: float = 0.0
    r_driver_ohm: float = 0.0
    r_sense_ohm: float = 0.0
    backend: Literal["ideal", "nodal", "ngspice"] = "ideal"


def _card_path(name: str):
    from pathlib import Path

    p = Path(name)
    if p.is_absolute() or p.is_file():
        return p
    here = Path.cwd() / "models" / name
    if here.is_file():
        return here
    return Path(__file__).resolve().parents[3] / "models" / name


def letters_array(config: LettersConfig, rng: np.random.Generator, backend: str):
    """The crossbar of ``prezioso_letters`` with its initial states drawn from ``rng``."""
    from cosim.array import CrossbarArray
    from cosim.devices import load_model_card
    from cosim.netlist.crossbar import CrossbarSpec

    n = config.array_size
    if isinstance(n, bool) or n < 10:
        raise ManhattanConfigError(f"array_size must be an integer >= 10 (10 inputs, 6 columns), got {n!r}")
    for key in ("r_wire_ohm", "r_driver_ohm", "r_sense_ohm"):
        val = getattr(config, key)
        if not (np.isfinite(val) and val >= 0):
            raise ManhattanConfigError(f"{key} must be >= 0 and finite, got {val!r}")
    if not (0 < config.r0_min_ohm <= config.r0_max_ohm):
        raise ManhattanConfigError(
            f"r0_min_ohm, r0_max_ohm must satisfy 0 < r0_min_ohm <= r0_max_ohm, got {config.r0_min_ohm!r}, "
            f"{config.r0_max_ohm!r}"
        )
    path = _card_path(config.device_card)
    if not path.is_file():
        raise FileNotFoundError(f"device_card {config.device_card!r} not found (looked for {str(path)!r})")
    from cosim.devices import DeviceError

    model = load_model_card(path)
    r0 = rng.uniform(config.r0_min_ohm, config.r0_max_ohm, size=(n, n))
    try:
        state0 = model.state_from_resistance(r0)
    except (AttributeError, DeviceError) as exc:
        raise ManhattanConfigError(
            f"device_card {config.device_card!r}: cannot start its devices at r0_min_ohm..r0_max_ohm = "
            f"{config.r0_min_ohm!r}..{config.r0_max_ohm!r} ohm ({exc})"
        ) from None
    spec = CrossbarSpec(n, n, r_wordline_ohm=config.r_wire_ohm, r_bitline_ohm=config.r_wire_ohm,
                        r_driver_ohm=config.r_driver_ohm, r_sense_ohm=config.r_sense_ohm)
    return CrossbarArray(model, state0, spec=spec, backend=backend, rng=rng)


def letters_rule(config: LettersConfig) -> ManhattanRule:
    return ManhattanRule(
        beta_per_a=config.beta_per_a, target=config.target, max_updates=config.max_updates,
        delta_rule=config.delta_rule, update_rule=config.update_rule, amplitude_v=config.amplitude_v,
        width_s=config.width_s, scheme=config.scheme, grouping=config.grouping, stop_rule="argmax",
    )


def train_letters(config: LettersConfig, rng: np.random.Generator, backend: str, on_epoch=None):
    """Build the array and train; returns ``(history, task)``."""
    from cosim.algorithms.manhattan import letters_task

    rule = letters_rule(config)
    array = letters_array(config, rng, backend)
    task = letters_task(config.v_in_v, config.bias_v)
    return train_manhattan(array, task, rule, on_epoch=on_epoch), task


def run_letters(config: LettersConfig, ctx) -> dict:
    """Train the letters perceptron; metrics (epochs to 100 %), trace and figures."""
    backend = ctx.backend or config.backend
    bar = ctx.progress(total=config.max_updates + 1, desc="epochs")

    def on_epoch(u, info):
        bar.update(1)
        ctx.checkpoint({"updates_so_far": u, "accuracy": info["accuracy"]})

    hist, task = train_letters(config, ctx.rng, backend, on_epoch)
    bar.close()
    ctx.save_trace("trace", **hist.arrays())
    _save_figures(ctx, hist, task, range(10), range(6), config.target, None, f"letters, {backend}")
    metrics = {"seed": ctx.seed, "backend": backend, **_history_metrics(hist),
               "epochs_to_100_percent": int(hist.updates) if hist.converged else None}
    ctx.log(
        f"prezioso_letters seed {ctx.seed} on {backend} (r_wire {config.r_wire_ohm} ohm, {config.scheme}): "
        f"100 % after {metrics['epochs_to_100_percent']} epochs; final accuracy {metrics['final_train_accuracy']:.3f}"
    )
    return metrics


EXPERIMENTS["prezioso_letters"] = (LettersConfig, run_letters)


# -- study: wire resistance x array size x write scheme -----------------------------------------
@dataclass
class StudyConfig:
    """Settings of ``manhattan_study``: the letters perceptron trained in situ over a grid.

    For every array size, wire resistance and write scheme (and every seed
    ``seed .. seed + n_seeds - 1``) the ``prezioso_letters`` training runs on
    the circuit backend; the table holds epochs to 100 % (None when not
    reached in ``letters.max_updates``), the final error and accuracy, and
    the smallest voltage a selected device saw.

    Attributes
    ----------
    array_sizes : list of int
        Crossbar sizes (rows = columns, >= 10); the task sits on word lines
        0..9 and bit lines 0..5 (far from the bit lines' sense end).
    r_wire_ohm : list of float
        Wire segment resistances, ohm (>= 0).
    schemes : list of str
        Write schemes among "ideal", "v2", "v3", "floating".
    n_seeds : int
        Seeds per grid point (initial states drawn per seed).
    backend : {"nodal", "ngspice", "ideal"}
        Where the letters trainings are solved (``cosim run --backend``).
    letters : LettersConfig
        Everything else (device, pulses, beta, ...); its ``array_size``,
        ``r_wire_ohm``, ``scheme`` and ``backend`` are overridden by the grid.
    """

    array_sizes: list[int] = field(default_factory=lambda: [12, 24, 32])
    r_wire_ohm: list[float] = field(default_factory=lambda: [0.0, 1.0, 3.0, 10.0, 30.0])
    schemes: list[str] = field(default_factory=lambda: ["ideal", "v2", "v3"])
    n_seeds: int = 1
    backend: Literal["ideal", "nodal", "ngspice"] = "nodal"
    letters: LettersConfig = field(default_factory=lambda: LettersConfig(max_updates=60))


def run_study(config: StudyConfig, ctx) -> dict:
    """Loop over the grid; write ``study.csv``, ``study.npz`` and two figures; metrics hold the table."""
    import dataclasses

    from cosim.plots import manhattan as mp

    backend = ctx.backend or config.backend
    from cosim.algorithms.manhattan import WRITE_SCHEMES

    for s in config.schemes:
        if s not in WRITE_SCHEMES:
            raise ManhattanConfigError(f"schemes: {s!r} is not one of {WRITE_SCHEMES}")
    for r in config.r_wire_ohm:
        if not (np.isfinite(r) and r >= 0):
            raise ManhattanConfigError(f"r_wire_ohm: {r!r} must be >= 0 and finite")
    for n in config.array_sizes:
        if n < 10:
            raise ManhattanConfigError(f"array_sizes: {n!r} must be >= 10")
    if config.n_seeds < 1:
        raise ManhattanConfigError(f"n_seeds must be >= 1, got {config.n_seeds!r}")
    grid = [(n, r, s, k) for n in config.array_sizes for r in config.r_wire_ohm for s in config.schemes
            for k in range(config.n_seeds)]
    rows = []
    for n, r, s, k in ctx.progress(grid, desc="grid"):
        cfg = dataclasses.replace(config.letters, array_size=int(n), r_wire_ohm=float(r), scheme=s)
        seed = ctx.seed + k
        hist, _ = train_letters(cfg, np.random.default_rng(seed), backend)
        vmin = hist.v_selected_min_v[np.isfinite(hist.v_selected_min_v)]
        rows.append({
            "array_size": int(n), "r_wire_ohm": float(r), "scheme": s, "seed": seed,
            "converged": bool(hist.converged),
            "epochs": int(hist.updates) if hist.converged else None,
            "final_error": float(hist.final_error), "final_accuracy": float(hist.accuracy[-1]),
            "v_selected_min_v": float(vmin.min()) if vmin.size else None,
            "write_energy_j": float(hist.energy_j.sum()),
        })
        ctx.checkpoint({"done": len(rows), "of": len(grid)})
    keys = list(rows[0])
    with (ctx.out_dir / "study.csv").open("w") as fh:
        fh.write(",".join(keys) + "\n")
        for row in rows:
            fh.write(",".join("" if row[k] is None else str(row[k]) for k in keys) + "\n")
    ctx.save_trace("study", **{k: np.array([np.nan if row[k] is None else row[k] for row in rows])
                               for k in keys if k != "scheme"}, scheme=np.array([row["scheme"] for row in rows]))
    if ctx.figures:
        cap = config.letters.max_updates
        for key, name, label in (("epochs", "study_epochs.png", f"epochs to 100 % (not reached: {cap + 5})"),
                                 ("final_error", "study_final_error.png", "final total error")):
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            sizes = sorted(set(config.array_sizes))
            fig, axes = plt.subplots(1, len(sizes), figsize=(4.2 * len(sizes), 3.6), sharey=True, squeeze=False)
            for a, n in enumerate(sizes):
                ax = axes[0, a]
                for c, s in enumerate(config.schemes):
                    pts = {}
                    for row in rows:
                        if row["array_size"] == n and row["scheme"] == s:
                            val = row[key]
                            val = cap + 5 if val is None else val
                            pts.setdefault(row["r_wire_ohm"], []).append(val)
                    xs = sorted(pts)
                    ax.plot(xs, [float(np.median(pts[x])) for x in xs], "o-", color=f"C{c}", label=s)
                ax.set_xscale("symlog", linthresh=1.0)
                ax.set_title(f"{n} x {n} array")
                ax.set_xlabel("wire segment resistance (ohm)")
                ax.legend(fontsize=7, title="scheme", title_fontsize=7)
            axes[0, 0].set_ylabel(label)
            fig.suptitle(f"Letters perceptron trained in situ ({backend})")
            fig.tight_layout()
            ctx.save_figure(fig, name)
    table = "\n".join(
        f"{row['array_size']:>4} {row['r_wire_ohm']:>7g} {row['scheme']:>6} {row['seed']:>4} "
        f"{'-' if row['epochs'] is None else row['epochs']:>6} {row['final_error']:>9.3f} {row['final_accuracy']:>6.3f}"
        for row in rows
    )
    ctx.log("size  r_wire scheme seed epochs final_err    acc\n" + table)
    n_conv = sum(r["converged"] for r in rows)
    return {"n_points": len(rows), "n_converged": n_conv, "table": rows}


EXPERIMENTS["manhattan_study"] = (StudyConfig, run_study)
