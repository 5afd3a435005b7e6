"""``cosim device``: apply N identical pulses to one device and print its resistance.

Example::

    cosim device messaris2017_neuropack --r0 11000 --pulse -1.2 1e-6 --count 10 --json

prints ``{"resistance_ohm": [...]}`` with the resistance after each of the 10
pulses.  ``--r0`` sets the initial resistance through the model's
resistance-to-state mapping (``state_from_resistance``); for models whose
state cannot be set from a resistance (the measured-curve table, whose
curve is not monotonic) give ``--state0`` (the state itself, e.g. the pulse
index 0).  Without either, the card's initial state is used.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from cosim.cli import UsageError
from cosim.devices import load_model_card


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``device`` sub-command."""
    p = subparsers.add_parser(
        "device",
        help="apply N identical pulses to one device and print its resistance after each",
        description=(
            "Apply N identical voltage pulses to a single device described by a model card "
            "(a TOML file, or the name of a shipped card: `cosim list cards`) and print its resistance after each "
            "pulse."
        ),
    )
    p.add_argument("card", help="model card: a TOML file or a shipped card's name, e.g. messaris2017_neuropack")
    start = p.add_mutually_exclusive_group()
    start.add_argument("--r0", type=float, metavar="OHM", help="initial resistance in ohm")
    start.add_argument("--state0", type=float, metavar="STATE",
                       help="initial state in the model's own unit (e.g. pulse index for the measured curve)")
    p.add_argument("--pulse", nargs=2, type=float, required=True, metavar=("VOLTS", "WIDTH_S"),
                   help="pulse amplitude (V, device voltage) and width (s)")
    p.add_argument("--count", type=int, required=True, metavar="N", help="number of pulses (>= 1)")
    p.add_argument("--json", action="store_true", help='print {"resistance_ohm": [...]} instead of a table')
    p.add_argument("--plot", metavar="FILE.png", help="save resistance against pulse number as a PNG")
    p.add_argument("--force", action="store_true", help="overwrite an existing --plot file")
    p.set_defaults(func=run)


def pulse_train(model, state0: np.ndarray, amplitude_v: float, width_s: float, count: int) -> np.ndarray:
    """Resistances (ohm) after each of ``count`` pulses, starting from ``state0``."""
    state = state0
    out = np.empty(count)
    for k in range(count):
        state = model.advance(state, amplitude_v, width_s)
        out[k] = float(1.0 / model.conductance_s(state))
    return out


def _initial_state(model, args: argparse.Namespace) -> np.ndarray:
    if args.r0 is not None:
        if not hasattr(model, "state_from_resistance"):
            raise UsageError(f"--r0: model {model.name} has no resistance-to-state mapping; use --state0")
        return np.asarray(model.state_from_resistance(args.r0), dtype=float)
    if args.state0 is not None:
        return model.check_state(np.asarray(args.state0, dtype=float))
    return np.asarray(model.initial_state(()), dtype=float)


def _plot(path: Path, r0_ohm: float, res: np.ndarray, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    n = np.arange(res.size + 1)
    ax.plot(n, np.concatenate([[r0_ohm], res]), marker="o" if res.size <= 60 else None, ms=3)
    ax.set_xlabel("pulse number")
    ax.set_ylabel("resistance (ohm)")
    ax.set_title(title, fontsize=9)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    from cosim.cli._files import save_figure

    save_figure(fig, path, dpi=120)  # atomic: no truncated PNG on a full disk


def run(args: argparse.Namespace) -> int:
    """Run ``cosim device``; returns the exit code (user errors raise)."""
    if args.count < 1:
        raise UsageError(f"--count must be >= 1, got {args.count}")
    amplitude_v, width_s = args.pulse
    if not math.isfinite(amplitude_v):
        raise UsageError(f"--pulse: amplitude {amplitude_v!r} V is not a finite number")
    if not (math.isfinite(width_s) and width_s >= 0):
        raise UsageError(f"--pulse: width {width_s!r} s must be finite and >= 0")
    plot_path = None
    if args.plot:
        plot_path = Path(args.plot)
        if plot_path.suffix.lower() != ".png":
            raise UsageError(f"--plot: {str(plot_path)!r} must be a .png file")
        if plot_path.exists() and not args.force:
            raise FileExistsError(f"--plot: {str(plot_path)!r} exists; use --force to overwrite it")
        if not plot_path.parent.is_dir():
            raise FileNotFoundError(f"--plot: folder {str(plot_path.parent)!r} does not exist")
    model = load_model_card(args.card)
    state0 = _initial_state(model, args)
    r0_ohm = float(1.0 / model.conductance_s(state0))
    res = pulse_train(model, state0, amplitude_v, width_s, args.count)
    if args.json:
        print(json.dumps({"resistance_ohm": [float(r) for r in res]}))
    else:
        print(f"# {model.name} ({args.card}): {args.count} pulse(s) of {amplitude_v:g} V, {width_s:g} s; "
              f"R0 = {r0_ohm:.2f} ohm")
        print("pulse  resistance_ohm")
        for k, r in enumerate(res, start=1):
            print(f"{k:5d}  {r:.2f}")
    if plot_path is not None:
        _plot(plot_path, r0_ohm, res, f"{model.name}: {amplitude_v:g} V, {width_s:g} s pulses ({Path(args.card).name})")
        if not args.json:
            print(f"# plot saved to {plot_path}")
    return 0
