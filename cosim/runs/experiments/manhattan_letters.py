"""``prezioso_letters``: the 3x3-letters perceptron of Prezioso et al. (Nature 521, 61, 2015) on a crossbar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from cosim.algorithms.manhattan import ManhattanConfigError, ManhattanRule, train_manhattan
from cosim.runs.experiments.manhattan_4x4 import history_metrics, save_training_figures


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
        Model card (TOML): a path, or the name of a shipped card (``cosim list``). Its model must be able to start
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

    def memory_estimate_bytes(self) -> float:
        """Estimated peak memory of the run, byte (an array_size x array_size crossbar; see cosim.memory)."""
        from cosim.memory import crossbar_solve_bytes

        return crossbar_solve_bytes(self.array_size, self.array_size)


def _card_path(name: str):
    # a file, else a shipped card (cosim.shipped); the error lists the shipped cards
    from cosim.shipped import card_path

    try:
        return card_path(name)
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"device_card: {exc}") from None


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
        state0 = model.state_from_resistance(r0)  # type: ignore[attr-defined]  # AttributeError: below
    except (AttributeError, DeviceError) as exc:
        raise ManhattanConfigError(
            f"device_card {config.device_card!r}: cannot start its devices at r0_min_ohm..r0_max_ohm = "
            f"{config.r0_min_ohm!r}..{config.r0_max_ohm!r} ohm ({exc})"
        ) from None
    spec = CrossbarSpec(
        n,
        n,
        r_wordline_ohm=config.r_wire_ohm,
        r_bitline_ohm=config.r_wire_ohm,
        r_driver_ohm=config.r_driver_ohm,
        r_sense_ohm=config.r_sense_ohm,
    )
    return CrossbarArray(model, state0, spec=spec, backend=backend, rng=rng)


def letters_rule(config: LettersConfig) -> ManhattanRule:
    return ManhattanRule(
        beta_per_a=config.beta_per_a,
        target=config.target,
        max_updates=config.max_updates,
        delta_rule=config.delta_rule,
        update_rule=config.update_rule,
        amplitude_v=config.amplitude_v,
        width_s=config.width_s,
        scheme=config.scheme,
        grouping=config.grouping,
        stop_rule="argmax",
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
    save_training_figures(ctx, hist, task, range(10), range(6), config.target, None, f"letters, {backend}")
    metrics = {
        "seed": ctx.seed,
        "backend": backend,
        **history_metrics(hist),
        "epochs_to_100_percent": int(hist.updates) if hist.converged else None,
    }
    ctx.log(
        f"prezioso_letters seed {ctx.seed} on {backend} (r_wire {config.r_wire_ohm} ohm, {config.scheme}): "
        f"100 % after {metrics['epochs_to_100_percent']} epochs; final accuracy {metrics['final_train_accuracy']:.3f}"
    )
    return metrics


EXPERIMENTS = {"prezioso_letters": (LettersConfig, run_letters)}
