"""Run folders: create, lock, write and read them (used by ``cosim run``, ``--seeds`` and sweeps).

A run folder holds one run (see :mod:`cosim.runs.run` for its files).  This
module is the one place that knows how such a folder is laid out and written:

- :func:`prepare_out_dir` creates it, refusing a non-empty one unless asked;
- :class:`RunLock` is an exclusive lock on it (``.lock``, ``flock``), so that a
  second writer is refused with a message naming the holder (pid, host, start
  time, command) instead of mixing its files with the first one's;
- :func:`execute_run` runs a resolved config into it; every file is written
  atomically (:mod:`cosim.atomic`), so no half-written artefact ever sits
  under its final name;
- :func:`seed_dir`, :func:`read_metrics`, :func:`config_matches` are what
  resuming (``--seeds --resume``, sweeps) needs.

Determinism: ``metrics.json`` holds results only, so it is bit-identical for
the same seed and config; wall and CPU times and whatever the experiment
timed (``ctx.timing``) go to ``run.json``.
"""

from __future__ import annotations

import dataclasses
import fcntl
import functools
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cosim.atomic import atomic_path, output_error, write_text_atomic
from cosim.runs.config import to_toml
from cosim.runs.context import RunContext, jsonable

__all__ = [
    "OutputExistsError",
    "RunLockedError",
    "RunLock",
    "RUN_FILES",
    "default_run_dir",
    "prepare_out_dir",
    "write_json",
    "read_metrics",
    "config_matches",
    "seed_dir_name",
    "seed_dir",
    "versions",
    "execute_run",
]

#: files a run writes; cleared before a forced re-run into the same folder
RUN_FILES = ("done", "metrics.json", "run.json", "checkpoint.json", "error.txt", "log.txt")

#: the lock file inside a run folder (not counted when deciding whether the folder is empty)
LOCK_NAME = ".lock"


class OutputExistsError(FileExistsError):
    """The output folder exists and is not empty (and neither force nor resume was asked)."""


class RunLockedError(FileExistsError):
    """Another process is writing into the run folder; the message names it."""


# ----------------------------------------------------------------------------- locking


class RunLock:
    """An exclusive, non-blocking lock on a run folder (``<folder>/.lock``).

    The operating system releases it when the holder exits, however it exits
    (``flock``), so a killed run never leaves a stale lock (only, after a
    kill, an empty-of-meaning ``.lock`` file that the next run takes over).  The lock file
    records the holder (pid, host, start time, command line) so that the
    refusal can name it.

    Parameters
    ----------
    folder : path
        An existing folder.

    Raises
    ------
    RunLockedError
        From :meth:`acquire` when another process holds the lock.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with RunLock(folder):
    ...     RunLock(folder).acquire()
    Traceback (most recent call last):
    ...
    cosim.runs.rundir.RunLockedError: run folder ... is in use by pid ...
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise output_error(self.path, exc) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = ""
                try:
                    holder = os.pread(fd, 4096, 0).decode(errors="replace").strip()
                except OSError:
                    pass
                os.close(fd)
                raise RunLockedError(
                    f"run folder {str(self.folder)!r} is in use by {holder or 'another process'}; "
                    "wait for it to finish or choose another --out"
                ) from None
            # the holder removes the file when it releases: the lock counts only if
            # it is on the file that is there now (else another process may hold the new one)
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        holder = (
            f"pid {os.getpid()} on {socket.gethostname()} since "
            f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} ({' '.join(sys.argv[:6])[:200]})"
        )
        try:  # the holder's name is a courtesy: a full disk must not stop the lock
            os.ftruncate(fd, 0)
            os.pwrite(fd, holder.encode() + b"\n", 0)
        except OSError:
            pass
        self._fd = fd
        return self

    def release(self) -> None:
        """Remove the lock file and release the lock (no-op when not held)."""
        if self._fd is not None:
            try:
                self.path.unlink()  # while still holding it: see acquire
            except OSError:
                pass
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire() if self._fd is None else self

    def __exit__(self, *exc: Any) -> None:
        self.release()


# ----------------------------------------------------------------------------- folders


def default_run_dir(experiment: str, seed: int, root: str | Path = "runs", suffix: str | None = None) -> Path:
    """``<root>/<experiment>-<YYYYmmdd-HHMMSS>-s<seed>`` (a ``-2``, ``-3``... is
    appended when that folder already exists)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{experiment}-{stamp}-{suffix if suffix is not None else f's{seed}'}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def _is_empty(folder: Path) -> bool:
    return not any(p.name != LOCK_NAME for p in folder.iterdir())


def prepare_out_dir(
    out_dir: str | Path, *, force: bool = False, resume: bool = False, lock: RunLock | None = None
) -> Path:
    """Create ``out_dir``; refuse an existing non-empty one unless asked.

    Parameters
    ----------
    force : bool
        Write into a non-empty folder; the files of an earlier run there
        (``done``, ``metrics.json``, ...) are removed first.
    resume : bool
        Write into a non-empty folder and keep what is there (sweeps, ``--seeds``).
    lock : RunLock, optional
        Not yet acquired: it is acquired once the folder exists and before
        anything in it is removed (a second writer is refused there).

    Raises
    ------
    OutputExistsError
        Naming the folder, when it is not empty and neither flag is set.
    NotADirectoryError
        When ``out_dir`` is an existing file.
    RunLockedError
        When ``lock`` is held by another process.
    OutputError
        When the folder cannot be created (path and OS error named).
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"output {str(out)!r} exists and is not a folder")
    if out.is_dir() and not _is_empty(out) and not (force or resume):
        raise OutputExistsError(f"output folder {str(out)!r} exists and is not empty; use --force to overwrite it")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a parent is a file
        raise NotADirectoryError(f"output {str(out)!r}: a parent exists and is not a folder") from None
    except OSError as exc:
        raise output_error(out, exc) from None
    if lock is not None:
        lock.acquire()
    if force and not resume:
        for name in RUN_FILES:
            (out / name).unlink(missing_ok=True)
    return out


def write_json(path: str | Path, data: Any) -> Path:
    """Write ``data`` (made JSON-ready by :func:`cosim.runs.context.jsonable`) atomically."""
    return write_text_atomic(path, json.dumps(jsonable(data), indent=1) + "\n")


def read_metrics(folder: str | Path) -> dict:
    """The ``metrics.json`` of a run folder, or ``{}`` when it is missing or unreadable."""
    try:
        data = json.loads((Path(folder) / "metrics.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def config_matches(folder: str | Path, resolved: Any) -> bool:
    """Whether the run in ``folder`` ran exactly ``resolved`` (a ResolvedConfig; compares config.toml)."""
    import tomllib

    try:
        return tomllib.loads((Path(folder) / "config.toml").read_text()) == tomllib.loads(
            to_toml(resolved.to_mapping())
        )
    except (OSError, ValueError):
        return False


def seed_dir_name(seed: int) -> str:
    """The sub-folder of one seed: ``s<seed>`` with at least four digits, whatever the range.

    The name depends on the seed only (not on the widest seed of the range),
    so a ``--seeds`` run or sweep resumed with another range finds the seeds
    it already ran.

    >>> seed_dir_name(7), seed_dir_name(12345)
    ('s0007', 's12345')
    """
    return f"s{int(seed):04d}"


_LEGACY_SEED = re.compile(r"s(\d+)")


def seed_dir(parent: str | Path, seed: int) -> Path:
    """The folder of ``seed`` under ``parent``: :func:`seed_dir_name`, or an existing
    folder of that seed named with other zero padding (written by cosim before
    the name was fixed, e.g. ``s00007``)."""
    parent = Path(parent)
    canonical = parent / seed_dir_name(seed)
    if canonical.exists() or not parent.is_dir():
        return canonical
    for p in parent.iterdir():
        m = _LEGACY_SEED.fullmatch(p.name)
        if m and int(m.group(1)) == seed and p.is_dir():
            return p
    return canonical


# ----------------------------------------------------------------------------- versions


@functools.lru_cache(maxsize=1)
def _ngspice_version() -> str | None:
    exe = shutil.which("ngspice")
    if not exe:
        return None
    try:
        out = subprocess.run([exe, "-v"], capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"ngspice-(\S+)", out)
    return m.group(1) if m else None


@functools.lru_cache(maxsize=1)
def versions() -> dict[str, str | None]:
    """Versions of python, cosim, numpy, scipy, ngspice (None when absent) and the platform."""
    import numpy
    import scipy

    import cosim

    return {
        "python": platform.python_version(),
        "cosim": cosim.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "ngspice": _ngspice_version(),
        "platform": platform.platform(),
    }


# ----------------------------------------------------------------------------- running


@dataclasses.dataclass
class RunOutcome:
    """What :func:`execute_run` returns: metrics (as in ``metrics.json``), wall and CPU time (second)."""

    metrics: dict
    elapsed_s: float
    cpu_s: float


def execute_run(
    resolved: Any, out: str | Path, *, progress: bool = False, figures: bool = True, quiet: bool = True
) -> RunOutcome:
    """Run a resolved config (:class:`cosim.runs.run.ResolvedConfig`) into the prepared folder ``out``.

    Writes ``config.toml``, ``seed.txt``, ``versions.json``, then whatever the
    experiment saves, then ``metrics.json`` and ``run.json`` and last the
    ``done`` marker; on an interrupt (Ctrl-C, or SIGTERM under the command
    line) ``metrics.json`` holds the last checkpoint with ``"interrupted":
    true`` and ``run.json`` says ``interrupted``; on an exception
    ``error.txt`` holds the traceback.  Every file is written atomically.

    Raises
    ------
    KeyboardInterrupt, Exception
        Whatever stopped the experiment, after the files above are written.
    """
    out = Path(out)
    (out / "done").unlink(missing_ok=True)
    write_text_atomic(out / "config.toml", to_toml(resolved.to_mapping()))
    write_text_atomic(out / "seed.txt", f"{resolved.seed}\n")
    write_json(out / "versions.json", versions())
    ctx = RunContext(resolved.seed, out, backend=resolved.backend, show_progress=progress, figures=figures, quiet=quiet)
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    t0 = time.perf_counter()
    c0 = time.process_time()
    info = {"experiment": resolved.experiment.name, "seed": resolved.seed, "started_utc": started}

    def finish(status: str, metrics: dict) -> tuple[float, float]:
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        write_json(out / "metrics.json", metrics)
        write_json(
            out / "run.json",
            {**info, "status": status, "elapsed_s": round(elapsed, 6), "cpu_s": round(cpu, 6), "timing": ctx.timings},
        )
        return elapsed, cpu

    try:
        metrics = resolved.experiment.run(resolved.config, ctx)
    except KeyboardInterrupt:
        finish("interrupted", {**(ctx.last_checkpoint or {}), "interrupted": True})
        raise
    except BaseException as exc:
        write_text_atomic(out / "error.txt", traceback.format_exc())
        finish("failed", {**(ctx.last_checkpoint or {}), "error": f"{type(exc).__name__}: {exc}"})
        raise
    if not isinstance(metrics, Mapping):
        msg = f"experiment {resolved.experiment.name!r} returned {type(metrics).__name__}, expected a dict of metrics"
        finish("failed", {"error": f"TypeError: {msg}"})
        raise TypeError(msg)
    metrics = jsonable(dict(metrics))
    elapsed, cpu = finish("done", metrics)
    (out / "checkpoint.json").unlink(missing_ok=True)
    with atomic_path(out / "done", fsync=False) as tmp:
        tmp.touch()
    return RunOutcome(metrics, elapsed, cpu)
