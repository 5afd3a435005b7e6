"""``cosim report DIR``: one self-contained HTML page of a run, seeds or sweep folder."""

from __future__ import annotations

import argparse

from cosim.runs.report import write_report


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "report",
        help="write a self-contained HTML report of a run, --seeds or sweep folder",
        description="Figures embedded (base64 PNG), config and metrics as tables; opens in any browser.",
    )
    p.add_argument("folder", metavar="RUN_OR_SWEEP_DIR")
    p.add_argument("-o", "--output", default=None, metavar="report.html", help="default: DIR/report.html")
    p.add_argument("--force", action="store_true", help="overwrite an existing report file")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    path = write_report(args.folder, args.output, force=args.force)
    print(f"report: {path}")
    return 0
