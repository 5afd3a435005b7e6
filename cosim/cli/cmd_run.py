"""``cosim run CONFIG.toml``: run one experiment (or many seeds) into a run folder."""

from __future__ import annotations

import argparse

from cosim.runs.run import BACKENDS, parse_seeds, run_experiment, run_seeds, seeds_summary_line
from cosim.runs.summary import flatten


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "run",
        help="run an experiment config into a run folder",
        description=(
            "Run the experiment named by CONFIG.toml's `experiment` key. The run folder gets the resolved "
            "config, seed, versions, metrics.json, traces and figures."
        ),
    )
    p.add_argument(
        "config",
        metavar="CONFIG.toml",
        help="experiment config: a TOML file or a shipped config's name (`cosim list configs`)",
    )
    seeds = p.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, default=None, help="seed (default: the config's `seed`, else 0)")
    seeds.add_argument(
        "--seeds",
        default=None,
        metavar="A:B",
        help="run seeds A..B-1, one sub-folder each, and summarise them (seeds.csv, summary.json)",
    )
    p.add_argument("--backend", choices=BACKENDS, default=None, help="array backend (default: the config's)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set r_wire_ohm=2.5 or --set device.g_max_s=1e-4 (repeatable)",
    )
    p.add_argument("--out", default=None, metavar="DIR", help="run folder (default: runs/<experiment>-<time>-s<seed>)")
    p.add_argument("--force", action="store_true", help="write into an existing non-empty --out folder")
    p.add_argument("--resume", action="store_true", help="with --seeds: keep --out and skip seeds already done")
    p.add_argument("--figures", action="store_true", help="with --seeds: save every seed's figures too")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no log lines; only the result line")
    p.set_defaults(func=main)


def _metrics_line(metrics: dict, limit: int = 8) -> str:
    flat = flatten(metrics)
    items = []
    for k, v in list(flat.items())[:limit]:
        items.append(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}")
    if len(flat) > limit:
        items.append("...")
    return " ".join(items)


def main(args: argparse.Namespace) -> int:
    if args.resume and not args.seeds:
        raise ValueError("--resume needs --seeds (a single run is repeated with --force)")
    if args.seeds:
        # on Ctrl-C / SIGTERM summary.json of the seeds done is written; the interrupt's
        # message says where (printed by cosim.cli.main, exit 130 / 143)
        seeds_result = run_seeds(
            args.config,
            parse_seeds(args.seeds),
            backend=args.backend,
            overrides=args.overrides,
            out_dir=args.out,
            progress=not args.quiet,
            force=args.force,
            resume=args.resume,
            figures=args.figures,
            quiet=True,
        )
        print(seeds_summary_line(seeds_result))
        print(f"seeds: {seeds_result.out_dir}")
        return 0 if seeds_result.summary["n_failed"] == 0 else 1
    result = run_experiment(
        args.config,
        seed=args.seed,
        backend=args.backend,
        overrides=args.overrides,
        out_dir=args.out,
        progress=not args.quiet,
        force=args.force,
        quiet=args.quiet,
    )
    print(f"run: {result.out_dir} ({result.elapsed_s:.2f} s) {_metrics_line(result.metrics)}")
    return 0
