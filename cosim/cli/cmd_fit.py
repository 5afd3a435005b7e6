"""``cosim fit``: fit a device model to measured pulse trains and write its model card.

Example::

    cosim fit models/data/measured_4x4_pulses.csv --model messaris2017 --mirror -o my_device.toml --plot fit.png

reads the pulse trains (CSV format: :mod:`cosim.devices.pulse_data`), fits
the model's parameters by bounded least squares on ln R from several seeded
starts (:func:`cosim.devices.fit.fit_model`), prints the residual per train
and every parameter with its 95 % confidence interval, and writes the card
(``[sources]`` name the data and the fit) and a figure of measured and
fitted R against pulse number.  Existing output files are kept unless
``--force``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cosim.cli import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``fit`` sub-command."""
    from cosim.devices.fit import FIT_SPECS

    p = subparsers.add_parser(
        "fit",
        help="fit a device model to measured pulse trains (CSV) and write a model card",
        description=(
            "Fit a device model's parameters to measured pulse trains by bounded least squares "
            "on ln R and write the model card."
        ),
    )
    p.add_argument("data", help="CSV of pulse trains: amplitude_v, width_s, resistance_ohm [, train, r0_ohm]")
    p.add_argument("--model", required=True, choices=sorted(FIT_SPECS), help="model to fit")
    p.add_argument("-o", "--output", metavar="CARD.toml", help="write the fitted model card here")
    p.add_argument("--base", metavar="CARD.toml", help="start values and fixed parameters (default: the shipped card)")
    p.add_argument("--params", metavar="A,B,...", help="fit only these parameters (default: all of the model's)")
    p.add_argument("--starts", type=int, default=4, metavar="N", help="number of starts (default 4)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random starts (default 0)")
    p.add_argument(
        "--mirror",
        action="store_true",
        help="negate the amplitudes (data programmed with the opposite polarity to the model)",
    )
    p.add_argument("--plot", metavar="FILE.png", help="save measured vs fitted R against pulse number")
    p.add_argument("--force", action="store_true", help="overwrite existing --output / --plot files")
    p.set_defaults(func=run)


def _out_path(option: str, value: str | None, suffix: str, force: bool) -> Path | None:
    if value is None:
        return None
    path = Path(value)
    if path.suffix.lower() != suffix:
        raise UsageError(f"{option}: {str(path)!r} must be a {suffix} file")
    if path.exists() and not force:
        raise FileExistsError(f"{option}: {str(path)!r} exists; use --force to overwrite it")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{option}: folder {str(path.parent)!r} does not exist")
    return path


def run(args: argparse.Namespace) -> int:
    """Run ``cosim fit``; returns the exit code (user errors raise)."""
    from cosim.devices.fit import fit_model
    from cosim.devices.pulse_data import read_pulse_csv

    if args.starts < 1:
        raise UsageError(f"--starts must be >= 1, got {args.starts}")
    card_path = _out_path("--output", args.output, ".toml", args.force)
    plot_path = _out_path("--plot", args.plot, ".png", args.force)
    data = read_pulse_csv(args.data)
    params = [s.strip() for s in args.params.split(",") if s.strip()] if args.params else None
    res = fit_model(
        data,
        args.model,
        base=args.base,
        fit_params=params,
        n_starts=args.starts,
        rng=args.seed,
        data_name=str(args.data),
        mirror=args.mirror,
    )
    print(res.summary())
    if card_path is not None:
        tmp = card_path.with_name(card_path.name + ".tmp")
        tmp.write_text(res.card)
        tmp.replace(card_path)
        print(f"# card written to {card_path}")
    if plot_path is not None:
        res.plot(plot_path)
        print(f"# plot saved to {plot_path}")
    return 0
