"""``cosim device``: apply N identical pulses to one device and print its resistance.

Example::

    cosim device messaris2017_neuropack --r0 11000 --pulse -1.2 1e-6 --count 10 --json

prints ``{"resistance_ohm": [...]}`` with the resistance after each of the 10
pulses.  ``--r0`` sets the initial resistance through the model's
resistance-to-state mapping (``state_from_resistance``); for models whose
state cannot be set from a resistance (the measured-curve table, whose
curve is not monotonic) give ``--state0`` (the state itself, e.g. the pulse
index 0).  Without either, the card's initial state is used.

Several cards side by side (``--r0``/``--state0`` apply to each)::

    cosim device vteam_kvatinsky2015 vteam_va --r0 500 --train -0.25 1e-10 20 --train 0.3 1e-9 20 \
        --iv 0.5 1e8 --plot compare.png

applies the trains in order (``--train VOLTS WIDTH_S COUNT``, repeatable;
``--pulse``/``--count`` is one train), drives an I-V loop under a sinusoid
(``--iv AMPLITUDE_V FREQ_HZ``, one period from the same initial state), and
plots one column per card: R against pulse number, and the I-V loop.
With ``--json`` several cards print ``{"cards": [{"card", "model",
"resistance_ohm", "iv"}, ...]}``.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

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
    p.add_argument(
        "card", nargs="+", help="model card(s): a TOML file or a shipped card's name, e.g. messaris2017_neuropack"
    )
    start = p.add_mutually_exclusive_group()
    start.add_argument("--r0", type=float, metavar="OHM", help="initial resistance in ohm")
    start.add_argument(
        "--state0",
        type=float,
        metavar="STATE",
        help="initial state in the model's own unit (e.g. pulse index for the measured curve)",
    )
    p.add_argument(
        "--pulse",
        nargs=2,
        type=float,
        metavar=("VOLTS", "WIDTH_S"),
        help="pulse amplitude (V, device voltage) and width (s); with --count",
    )
    p.add_argument("--count", type=int, metavar="N", help="number of --pulse pulses (>= 1)")
    p.add_argument(
        "--train",
        nargs=3,
        action="append",
        default=[],
        metavar=("VOLTS", "WIDTH_S", "COUNT"),
        help="a pulse train, applied after --pulse and the trains before it (repeatable)",
    )
    p.add_argument(
        "--iv",
        nargs=2,
        type=float,
        metavar=("AMPLITUDE_V", "FREQ_HZ"),
        help="also an I-V loop under one period of a sinusoid, from the initial state",
    )
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


def _trains(args: argparse.Namespace) -> list[tuple[float, float, int]]:
    trains = []
    if args.pulse is not None or args.count is not None:
        if args.pulse is None or args.count is None:
            raise UsageError("--pulse and --count go together")
        trains.append((args.pulse[0], args.pulse[1], args.count))
    for k, (a, w, c) in enumerate(args.train, start=1):
        try:
            trains.append((float(a), float(w), int(c)))
        except ValueError:
            raise UsageError(
                f"--train {k}: {a!r} {w!r} {c!r} must be VOLTS WIDTH_S COUNT (numbers, COUNT an integer)"
            ) from None
    if not trains and args.iv is None:
        raise UsageError("give --pulse VOLTS WIDTH_S with --count N, one or more --train, or --iv")
    for amplitude_v, width_s, count in trains:
        if count < 1:
            raise UsageError(f"--count must be >= 1, got {count}")
        if not math.isfinite(amplitude_v):
            raise UsageError(f"--pulse: amplitude {amplitude_v!r} V is not a finite number")
        if not (math.isfinite(width_s) and width_s >= 0):
            raise UsageError(f"--pulse: width {width_s!r} s must be finite and >= 0")
    if args.iv is not None and not (math.isfinite(args.iv[0]) and math.isfinite(args.iv[1]) and args.iv[1] > 0):
        raise UsageError(f"--iv: amplitude {args.iv[0]!r} V must be finite and frequency {args.iv[1]!r} Hz > 0")
    return trains


def run(args: argparse.Namespace) -> int:
    """Run ``cosim device``; returns the exit code (user errors raise)."""
    trains = _trains(args)
    plot_path = None
    if args.plot:
        plot_path = Path(args.plot)
        if plot_path.suffix.lower() != ".png":
            raise UsageError(f"--plot: {str(plot_path)!r} must be a .png file")
        if plot_path.exists() and not args.force:
            raise FileExistsError(f"--plot: {str(plot_path)!r} exists; use --force to overwrite it")
        if not plot_path.parent.is_dir():
            raise FileNotFoundError(f"--plot: folder {str(plot_path.parent)!r} does not exist")
    simple = len(args.card) == 1 and len(trains) == 1 and args.iv is None
    from cosim.cli._cost import pulse_train_with_cost  # memory check, cost line and progress

    results = []
    for card in args.card:
        model = load_model_card(card)
        state0 = _initial_state(model, args)
        r0_ohm = float(1.0 / model.conductance_s(state0))
        state, res, ends = state0, [], []
        for amplitude_v, width_s, count in trains:
            # memory check, a cost line and progress for long trains
            train_r, state = pulse_train_with_cost(
                model, state, amplitude_v, width_s, count, as_json=args.json, return_state=True
            )
            res.extend(float(r) for r in train_r)
            ends.append(len(res))
        entry: dict[str, Any] = {
            "card": str(card),
            "model": model.name,
            "r0_ohm": r0_ohm,
            "resistance_ohm": np.array(res),
            "train_ends": ends,
            "label": f"{model.name} ({Path(str(card)).name})",
        }
        if args.iv is not None:
            from cosim.devices.pulse_data import sine_iv_loop

            entry["iv"] = sine_iv_loop(model, state0, args.iv[0], args.iv[1])
        results.append(entry)
    if simple:
        res_arr, r0_ohm = results[0]["resistance_ohm"], results[0]["r0_ohm"]
        amplitude_v, width_s, count = trains[0]
        model_name = results[0]["model"]
        if args.json:
            print(json.dumps({"resistance_ohm": [float(r) for r in res_arr]}))
        else:
            print(
                f"# {model_name} ({args.card[0]}): {count} pulse(s) of {amplitude_v:g} V, {width_s:g} s; "
                f"R0 = {r0_ohm:.2f} ohm"
            )
            print("pulse  resistance_ohm")
            for k, r in enumerate(res_arr, start=1):
                print(f"{k:5d}  {r:.2f}")
        if plot_path is not None:
            _plot(
                plot_path,
                r0_ohm,
                res_arr,
                f"{model_name}: {amplitude_v:g} V, {width_s:g} s pulses ({Path(args.card[0]).name})",
            )
            if not args.json:
                print(f"# plot saved to {plot_path}")
        return 0
    _print_results(results, trains, args)
    if plot_path is not None:
        from cosim.plots.devices import device_comparison_figure

        device_comparison_figure(results, plot_path)
        if not args.json:
            print(f"# plot saved to {plot_path}")
    return 0


def _print_results(results: list[dict], trains, args: argparse.Namespace) -> None:
    def jsonable(r):
        out = {"card": r["card"], "model": r["model"], "resistance_ohm": [float(x) for x in r["resistance_ohm"]]}
        if "iv" in r:
            out["iv"] = {"v_v": r["iv"]["v_v"].tolist(), "i_a": r["iv"]["i_a"].tolist()}
        return out

    if args.json:
        if len(results) == 1:
            print(json.dumps({k: v for k, v in jsonable(results[0]).items() if k in ("resistance_ohm", "iv")}))
        else:
            print(json.dumps({"cards": [jsonable(r) for r in results]}))
        return
    desc = "; ".join(f"{c} x ({a:g} V, {w:g} s)" for a, w, c in trains) or "no pulses"
    for r in results:
        print(f"# {r['model']} ({r['card']}): {desc}; R0 = {r['r0_ohm']:.2f} ohm")
        if len(r["resistance_ohm"]):
            print("pulse  resistance_ohm")
            for k, x in enumerate(r["resistance_ohm"], start=1):
                print(f"{k:5d}  {x:.2f}")
        if "iv" in r:
            i = r["iv"]["i_a"]
            print(
                f"# I-V loop: {args.iv[0]:g} V, {args.iv[1]:g} Hz, {i.size} points, |I| max {np.max(np.abs(i)):.4g} A"
            )
