"""The ``cosim`` command line.

Sub-commands live in modules ``cosim/cli/cmd_<name>.py``; each defines
``register(subparsers)`` which adds its parser and sets ``func`` (a callable
taking the parsed ``argparse.Namespace`` and returning an exit code).  They
are discovered here, so adding a command never edits this file.

Errors that are the user's (bad values, missing files) are printed as one
line ``cosim: error: ...`` with exit code 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from cosim import __version__


class UsageError(ValueError):
    """A command-line argument is wrong; the message names it."""


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every discovered sub-command."""
    parser = argparse.ArgumentParser(
        prog="cosim",
        description="Circuit-level co-simulation of memristor crossbars and their learning algorithms.",
    )
    parser.add_argument("--version", action="version", version=f"cosim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name.startswith("cmd_"):
            importlib.import_module(f"{__name__}.{mod.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cosim`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("cosim: interrupted", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, FileExistsError, RuntimeError) as exc:
        # user-facing errors of every layer derive from these; say what, not where
        print(f"cosim: error: {exc}", file=sys.stderr)
        return 2
