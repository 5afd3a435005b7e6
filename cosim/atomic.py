"""Atomic file output: write to a temporary file beside the target, then rename it into place.

A reader (or a user after a crash, a full disk or a kill) sees either the old
file or the complete new one under the final name, never a truncated one:
``os.replace`` within one folder is atomic on POSIX file systems.  Every
artefact cosim writes (netlists, figures, run folders, tables, reports) goes
through here.  The module imports nothing from cosim, so every layer may use it.

A write that fails raises :class:`OutputError`, an :class:`OSError` whose
message is one line naming the final path and the operating system's reason
(``No space left on device``, ``Read-only file system``, ``Is a directory``):
the command line prints exactly that with exit code 2.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_text_atomic(folder / "a.txt", "hello\\n").read_text()
'hello\\n'
>>> with atomic_path(folder / "b.npy") as tmp:   # any writer that takes a path
...     _ = tmp.write_bytes(b"xyz")
>>> sorted(p.name for p in folder.iterdir())     # no temporary file is left behind
['a.txt', 'b.npy']
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["OutputError", "atomic_path", "write_text_atomic", "write_bytes_atomic", "output_error"]


class OutputError(OSError):
    """An output file could not be written; ``str()`` is one line naming the path and the OS error."""

    def __str__(self) -> str:  # OSError's default would print "[Errno 28] ..."
        return self.args[0] if self.args else super().__str__()


def output_error(path: str | os.PathLike, exc: BaseException) -> OutputError:
    """An :class:`OutputError` for writing ``path`` that failed with ``exc`` (its OS reason named)."""
    if isinstance(exc, OutputError):
        return exc
    if isinstance(exc, OSError) and exc.errno is not None:
        reason = os.strerror(exc.errno)
        code = exc.errno
    else:
        reason, code = (str(exc) or type(exc).__name__), errno.EIO
    err = OutputError(f"cannot write {str(path)!r}: {reason}")
    err.errno, err.strerror, err.filename = code, reason, str(path)
    return err


def _temp_name(path: Path) -> Path:
    # hidden, unique per process, same suffix (writers such as savefig infer the format from it)
    return path.with_name(f".{path.stem}.tmp{os.getpid()}-{id(path) & 0xFFFF:x}{path.suffix}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, fsync: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``.

    Parameters
    ----------
    path : str or PathLike
        The final file name.  Its folder must exist.
    fsync : bool
        Flush the temporary file to the disk before the rename, so that a
        power cut cannot leave an empty file under the final name.

    Raises
    ------
    OutputError
        When the body or the rename fails with an :class:`OSError` (the
        temporary file is removed; the final name keeps its old content).
    IsADirectoryError
        Wrapped as :class:`OutputError` too: ``path`` is an existing folder.
    """
    final = Path(path)
    if final.is_dir():
        raise output_error(final, IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
    tmp = _temp_name(final)
    try:
        yield tmp
        if fsync and tmp.is_file():
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, final)
    except OSError as exc:
        _discard(tmp)
        raise output_error(final, exc) from None
    except BaseException:
        _discard(tmp)
        raise


def _discard(tmp: Path) -> None:
    try:
        tmp.unlink()
    except OSError:
        pass


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
    return Path(path)


def write_text_atomic(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; returns the path (see :func:`atomic_path`)."""
    return write_bytes_atomic(path, text.encode(encoding))
