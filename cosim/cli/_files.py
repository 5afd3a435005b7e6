"""Output files of the command line: each written atomically (:mod:`cosim.atomic`).

A command that cannot write its output (read-only or full file system, a
folder where the file should be, a file where the folder should be) raises
:class:`cosim.atomic.OutputError`; :func:`cosim.cli.main` prints its one line
(path and reason) and exits 2.  Nothing half-written is left under the final name.
"""

from __future__ import annotations

from pathlib import Path

from cosim.atomic import atomic_path, output_error, write_text_atomic

__all__ = ["save_netlist", "save_figure", "make_folder", "write_text_atomic"]


def save_netlist(circuit, path, *, overwrite: bool = False) -> Path:
    """Write ``circuit`` as a SPICE netlist to ``path`` atomically (the checks of
    :func:`cosim.netlist.spice.save_spice`: refuse to overwrite unless asked, the folder must exist)."""
    from cosim.netlist.spice import write_spice

    path = Path(path)
    if path.exists() and not overwrite and not path.is_dir():
        raise FileExistsError(f"{path} exists; refusing to overwrite it (pass overwrite=True / --force)")
    if not path.parent.exists():
        raise FileNotFoundError(f"folder {path.parent} does not exist (for netlist {path})")
    return write_text_atomic(path, write_spice(circuit))


def save_figure(fig, path, **savefig_kwargs) -> Path:
    """``fig.savefig`` into a temporary ``.png`` beside ``path``, renamed into place; closes ``fig``."""
    import matplotlib.pyplot as plt

    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", **savefig_kwargs)
    finally:
        plt.close(fig)
    return path


def make_folder(path) -> Path:
    """``mkdir -p``; a failure is one :class:`~cosim.atomic.OutputError` line (path and reason)."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(path, exc) from None
    return path
