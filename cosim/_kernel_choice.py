"""Which kernels cosim runs: compiled (numba) or NumPy, one switch for the whole package.

``$COSIM_KERNEL`` selects them: "numba" (the default when numba is installed)
or "numpy" (the NumPy paths, which stay the tested fallback).  The crossbar
solver's line CG (:mod:`cosim.solvers._xbar_lines`) and the compiled
Messaris advance (:mod:`cosim.devices._messaris_fast`) both ask here.
"""

from __future__ import annotations

import functools
import importlib.util
import os

#: the kernels there are: "numba" (compiled) or "numpy" (NumPy / LAPACK)
KERNELS = ("numba", "numpy")


@functools.cache  # a package search (75 us on a loaded machine), asked several times per pulse
def numba_installed() -> bool:
    """Whether numba can be imported (found on the path; not imported here; looked up once per process)."""
    return importlib.util.find_spec("numba") is not None


def check_kernel(kernel: str) -> str:
    """``kernel`` if it is one of :data:`KERNELS` and usable here, else a ValueError naming it."""
    if kernel not in KERNELS:
        raise ValueError(f"unknown line-solver kernel {kernel!r}: expected one of {list(KERNELS)}")
    if kernel == "numba" and not numba_installed():
        raise ValueError("kernel 'numba' asked for, but numba is not installed (pip install numba)")
    return kernel


def default_kernel() -> str:
    """The kernel used when none is asked for: ``$COSIM_KERNEL`` if set, else "numba" if installed.

    Raises
    ------
    ValueError
        ``COSIM_KERNEL`` names no kernel, or names "numba" and numba is not installed.
    """
    env = os.environ.get("COSIM_KERNEL", "").strip().lower()
    if env:
        return check_kernel(env)
    return "numba" if numba_installed() else "numpy"
