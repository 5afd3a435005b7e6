"""The ``cosim`` command line.

Sub-commands live in modules ``cosim/cli/cmd_<name>.py``; each defines
``register(subparsers)`` which adds its parser and sets ``func`` (a callable
taking the parsed ``argparse.Namespace`` and returning an exit code).  They
are discovered here, so adding a command never edits this file.

Errors that are the user's (bad values, missing files) are printed as one
line ``cosim: error: ...`` with exit code 2, never as a traceback; so are
outputs that cannot be written (the path and the operating system's reason:
read-only or full file system, a folder where a file is expected) and a
``MemoryError``.  SIGTERM (sent by ``timeout``, schedulers and cluster
managers) is handled like Ctrl-C: the command stops at the next Python
instruction, keeps and records what it has done (a run records
``interrupted``), prints ``cosim: interrupted`` and exits 128 + 15 = 143
(Ctrl-C: 130).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import pkgutil
import signal
import sys
import threading

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


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process receives SIGTERM (handled like Ctrl-C)."""


@contextlib.contextmanager
def sigterm_as_interrupt():
    """While active, SIGTERM raises :class:`Terminated` (a KeyboardInterrupt) in the main thread.

    Every layer already keeps its work on KeyboardInterrupt (run folders record
    ``interrupted`` and keep their checkpoint; ``--seeds`` and sweeps write the
    summary of what finished), so a scheduler's SIGTERM loses no more than
    Ctrl-C does.  A second SIGTERM while the first is being handled is ignored,
    so that the records being written are not cut short.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = []

    def handler(signum, frame):
        if fired:
            return
        fired.append(signum)
        raise Terminated(f"terminated by signal {signum} (SIGTERM)")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cosim`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    stdout = sys.stdout
    sys.stdout = _GuardedStdout(stdout)
    try:
        with sigterm_as_interrupt():
            code = int(args.func(args) or 0)
            sys.stdout.flush()  # a full or closed stdout fails here, not at exit as a traceback
            return code
    except KeyboardInterrupt as exc:
        detail = str(exc)
        print(f"cosim: interrupted: {detail}" if detail else "cosim: interrupted", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    except MemoryError as exc:
        print(f"cosim: error: out of memory{f' ({exc})' if str(exc) else ''}; try a smaller size", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError, FileExistsError, RuntimeError) as exc:
        # user-facing errors of every layer derive from these; say what, not where
        print(f"cosim: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        # an output that cannot be written (cosim.atomic.OutputError names the path) or any other
        # operating-system refusal: one line with the path and the reason
        print(f"cosim: error: {_os_error_line(exc)}", file=sys.stderr)
        return 2
    finally:
        sys.stdout = stdout


class _GuardedStdout:
    """Standard output whose write failures (``> /dev/full``, a closed pipe) become one
    :class:`cosim.atomic.OutputError` line instead of a traceback at exit."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def _fail(self, exc: OSError):
        import os

        from cosim.atomic import output_error

        try:  # the interpreter flushes stdout at exit: let that go to /dev/null, not to a second error
            os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        err = output_error("<standard output>", exc)
        err.args = (f"cannot write to standard output: {err.strerror}",)
        return err

    def write(self, text):
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise self._fail(exc) from None

    def flush(self):
        try:
            return self._stream.flush()
        except OSError as exc:
            raise self._fail(exc) from None

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _os_error_line(exc: OSError) -> str:
    from cosim.atomic import OutputError

    if isinstance(exc, OutputError):
        return str(exc)
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is not None:
        return (
            f"cannot write {str(exc.filename)!r}: {reason}"
            if exc.errno in _WRITE_ERRNOS
            else f"{str(exc.filename)!r}: {reason}"
        )
    return reason


def _errnos(*names: str) -> frozenset[int]:
    import errno

    return frozenset(getattr(errno, n) for n in names if hasattr(errno, n))


_WRITE_ERRNOS = _errnos("ENOSPC", "EROFS", "EISDIR", "ENOTDIR", "EACCES", "EPERM", "EDQUOT", "EFBIG", "EIO")
