"""Memory estimates: refuse a size that cannot fit before allocating it, with the estimate.

The per-cell figures are peak resident memory measured on this project's
commands (``/usr/bin/time -f %M``; Linux, numpy/scipy SuperLU):
``cosim demo --rows N --cols N`` (netlist + nodal + crossbar solver + ngspice)
peaked at 170 MB for N = 128 and 465 MB for N = 256, about 5.4 kB per cell
above the 110 MB of the interpreter; ``cosim netlist`` at 99 MB and 169 MB,
about 1.1 kB per cell.  The estimates round these up (6 kB and 1.5 kB per
cell); they exist to refuse the impossible (``--rows 100000 --cols 100000``
is 1e10 cells, 60 TB), not to predict to the megabyte.

The module imports nothing from cosim, so every layer may use it.

Examples
--------
>>> format_bytes(6e9)
'6.0 GB'
>>> check_fits("a 100000 x 100000 crossbar solve", crossbar_solve_bytes(100000, 100000), available=16e9)
Traceback (most recent call last):
...
cosim.memory.MemoryEstimateError: a 100000 x 100000 crossbar solve needs about 60.0 TB of memory (estimate), more than the 16.0 GB available; choose a smaller size
"""

from __future__ import annotations

import os

__all__ = [
    "MemoryEstimateError",
    "available_bytes",
    "check_fits",
    "crossbar_solve_bytes",
    "netlist_bytes",
    "format_bytes",
    "SOLVE_BYTES_PER_CELL",
    "NETLIST_BYTES_PER_CELL",
]

#: peak memory per crossbar cell of a circuit solve, byte (module docstring: measured 5.4 kB)
SOLVE_BYTES_PER_CELL = 6000
#: peak memory per crossbar cell of writing its netlist, byte (measured 1.1 kB)
NETLIST_BYTES_PER_CELL = 1500


class MemoryEstimateError(ValueError):
    """The estimated memory of a request exceeds what the machine has available."""


def available_bytes() -> float:
    """Memory available to a new allocation, byte (Linux ``MemAvailable``; else physical memory; else inf)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return float("inf")


def format_bytes(n: float) -> str:
    """``6e9`` -> ``'6.0 GB'`` (decimal units)."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} B"


def crossbar_solve_bytes(rows: int, cols: int) -> float:
    """Estimated peak memory of solving a ``rows`` x ``cols`` crossbar circuit, byte."""
    return float(rows) * float(cols) * SOLVE_BYTES_PER_CELL


def netlist_bytes(rows: int, cols: int) -> float:
    """Estimated peak memory of building and writing a ``rows`` x ``cols`` crossbar netlist, byte."""
    return float(rows) * float(cols) * NETLIST_BYTES_PER_CELL


def check_fits(what: str, n_bytes: float, *, available: float | None = None, fraction: float = 0.8) -> None:
    """Refuse ``what`` when its estimate exceeds ``fraction`` of the available memory.

    Raises
    ------
    MemoryEstimateError
        Naming ``what``, the estimate and what is available.
    """
    avail = available_bytes() if available is None else float(available)
    if n_bytes > fraction * avail:
        raise MemoryEstimateError(
            f"{what} needs about {format_bytes(n_bytes)} of memory (estimate), more than the "
            f"{format_bytes(avail)} available; choose a smaller size"
        )
