"""``cosim sweep CONFIG.toml --grid key=v1,v2 ...``: a parameter sweep on Dask."""

from __future__ import annotations

import argparse
from pathlib import Path

from cosim.runs.config import load_config
from cosim.runs.run import BACKENDS, parse_seeds
from cosim.runs.sweep import SweepSpec, load_sweep_file, parse_grid, run_sweep, sweep_summary_line
from cosim.shipped import config_path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="run a config over a parameter grid and seeds on Dask",
        description=(
            "Run CONFIG.toml (an experiment config, or a sweep file with a [sweep] table) for every grid point "
            "and seed; each point is an ordinary run folder, the table goes to results.csv and results.parquet. "
            "Re-running into the same folder skips the points already done."
        ),
    )
    p.add_argument(
        "config",
        metavar="CONFIG.toml",
        help="experiment config or sweep file ([sweep] base/grid/seeds): a file or a shipped config's name",
    )
    p.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="a grid axis (repeatable; the cartesian product is run). List values: sizes=[8,16],[32]",
    )
    p.add_argument(
        "--seeds", default=None, metavar="A:B", help="seeds A..B-1 for every point (default: the config's seed)"
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a fixed override for every point (repeatable)",
    )
    p.add_argument("--backend", choices=BACKENDS, default=None, help="array backend for every point")
    p.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="sweep folder (default: the sweep file's `out`, runs/<sweep file stem>, or runs/<experiment>-<time>-sweep)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="connect to a running dask.distributed scheduler instead of starting a local cluster",
    )
    p.add_argument(
        "--workers", type=int, default=None, metavar="N", help="local cluster workers (default: number of cores)"
    )
    p.add_argument(
        "--force", action="store_true", help="re-run every point, and write into a non-sweep non-empty --out"
    )
    p.add_argument("--no-figures", action="store_true", help="tell the experiments not to save figures")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers must be >= 1, got {args.workers}")
    config = config_path(args.config)  # a file, or a shipped config's name
    data = load_config(config)
    out = args.out
    if "sweep" in data:
        spec, file_out = load_sweep_file(config)
        out = out or file_out or Path("runs") / config.stem.replace(".sweep", "")
    else:
        seeds = [int(data.get("seed", 0))]
        spec = SweepSpec(data, {}, seeds, base_path=str(config.resolve()))
    spec.grid.update(parse_grid(args.grid))
    if args.seeds:
        spec.seeds = list(parse_seeds(args.seeds))
    spec.overrides = list(spec.overrides) + list(args.overrides)
    if args.backend:
        spec.backend = args.backend
    # on Ctrl-C / SIGTERM the tables of what finished are written; the interrupt's message
    # says where (printed by cosim.cli.main, exit 130 / 143)
    result = run_sweep(
        spec,
        out_dir=out,
        scheduler=args.scheduler,
        workers=args.workers,
        force=args.force,
        progress=not args.quiet,
        figures=not args.no_figures,
    )
    print(sweep_summary_line(result))
    print(f"table: {result.out_dir / 'results.csv'}")
    return 0 if result.counts["failed"] == 0 else 1
