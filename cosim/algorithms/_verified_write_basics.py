"""The pieces of a verified write a user sees: errors, pulse options, the report, cell reads.

Part of :mod:`cosim.algorithms.verified_write` (import from there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


class VerifiedWriteError(ValueError):
    """Bad input to a verified write; the message names the offending value."""


@dataclass(frozen=True)
class PulseOption:
    """One pulse the controller may apply: ``amplitude_v`` (sign = polarity) for ``width_s``."""

    amplitude_v: float
    width_s: float


def options_from_lists(amplitudes_v: Sequence[float], widths_s: Sequence[float]) -> tuple[PulseOption, ...]:
    """Pulse options from parallel lists (NeuroPack's ``*VOLTOFPULSELIST`` / ``*PULSEWIDTHOFPULSELIST``).

    Raises ``VerifiedWriteError`` for lists of different lengths, a zero or
    non-finite amplitude, or a non-positive width.
    """
    amps = [float(a) for a in amplitudes_v]
    widths = [float(w) for w in widths_s]
    if len(amps) != len(widths):
        raise VerifiedWriteError(f"{len(amps)} pulse amplitudes but {len(widths)} widths")
    if not amps:
        raise VerifiedWriteError("no pulse options given")
    for a, w in zip(amps, widths):
        if not np.isfinite(a) or a == 0:
            raise VerifiedWriteError(f"pulse amplitude must be a finite, non-zero voltage, got {a!r}")
        if not np.isfinite(w) or w <= 0:
            raise VerifiedWriteError(f"pulse width must be a finite duration > 0 s, got {w!r}")
    return tuple(PulseOption(a, w) for a, w in zip(amps, widths))


#: NeuroPack's options (MNIST_LIF.json): +-0.9, +-1.1, +-1.2 (x4) V for 1, 1, 1, 5, 10, 50 us.
NEUROPACK_OPTIONS: tuple[PulseOption, ...] = options_from_lists(
    [0.9, 1.1, 1.2, 1.2, 1.2, 1.2, -0.9, -1.1, -1.2, -1.2, -1.2, -1.2],
    [1e-6, 1e-6, 1e-6, 5e-6, 1e-5, 5e-5] * 2,
)


@dataclass
class WriteReport:
    """Outcome of one verified write of ``n`` cells.

    Attributes
    ----------
    rows, cols : ndarray of int, (n,)
        The cells.
    r_target_ohm : ndarray, (n,)
        Target resistances.
    r_initial_ohm, r_final_ohm : ndarray, (n,)
        First and last read resistance of each cell (what the controller saw).
    steps : ndarray of int, (n,)
        Pulses applied to each cell (= steps it used, <= ``max_steps``).
    rel_error : ndarray, (n,)
        Final ``|R_read - R_t| / R_t`` (from the last read).
    converged : ndarray of bool, (n,)
        ``rel_error < tolerance``.
    n_pulses : int
        Biases applied (each pulses one group of cells).
    n_read_vectors : int
        Read vectors applied (one per row read).
    n_solves : int
        Extra circuit solves the circuit-aware predictor asked for.
    energy_j : float
        Energy the array dissipated during the call (pulses and reads, cells and wires), joule.
    energy_cell_j : ndarray, (n,)
        Energy dissipated in each programmed cell by its own pulses,
        ``sum v_device**2 * G * width`` over its pulses, joule.
    r_history_ohm : ndarray, (max_steps + 1, n)
        Read resistance after each step (row 0: the first read); NaN once a
        cell has stopped.
    option_history : ndarray of int, (max_steps, n)
        Index into ``options`` of the pulse applied at each step; -1 for none.
    predicted_ohm : ndarray, (max_steps, n)
        The predicted resistance of the chosen option at each step; NaN for none.
    """

    rows: np.ndarray
    cols: np.ndarray
    r_target_ohm: np.ndarray
    r_initial_ohm: np.ndarray
    r_final_ohm: np.ndarray
    steps: np.ndarray
    rel_error: np.ndarray
    converged: np.ndarray
    n_pulses: int
    n_read_vectors: int
    n_solves: int
    energy_j: float
    energy_cell_j: np.ndarray
    r_history_ohm: np.ndarray
    option_history: np.ndarray
    predicted_ohm: np.ndarray
    options: tuple = field(default=(), repr=False)

    @property
    def n_cells(self) -> int:
        return int(self.rows.size)

    def summary(self) -> dict:
        """JSON-ready totals: cells, converged fraction, mean steps, pulses, reads, energy."""
        n = max(self.n_cells, 1)
        return {
            "cells": self.n_cells,
            "converged_fraction": float(self.converged.sum() / n),
            "mean_steps": float(self.steps.sum() / n),
            "mean_rel_error": float(self.rel_error.mean()) if self.n_cells else 0.0,
            "pulses": int(self.n_pulses),
            "read_vectors": int(self.n_read_vectors),
            "predictor_solves": int(self.n_solves),
            "energy_j": float(self.energy_j),
        }


def _check_cells(array, rows, cols, r_target_ohm):
    rows = np.atleast_1d(np.asarray(rows))
    cols = np.atleast_1d(np.asarray(cols))
    target = np.atleast_1d(np.asarray(r_target_ohm, dtype=float))
    if rows.ndim != 1 or rows.shape != cols.shape or rows.shape != target.shape:
        raise VerifiedWriteError(
            f"rows, cols and r_target_ohm must be 1-D of one length, got shapes {rows.shape}, {cols.shape}, {target.shape}"
        )
    for name, idx, n in (("row", rows, array.rows), ("col", cols, array.cols)):
        if idx.size and (not np.issubdtype(idx.dtype, np.integer)):
            raise VerifiedWriteError(f"{name} indices must be integers, got dtype {idx.dtype}")
        bad = idx[(idx < 0) | (idx >= n)]
        if bad.size:
            raise VerifiedWriteError(f"{name} index {int(bad[0])} out of range 0..{n - 1}")
    bad = ~np.isfinite(target) | (target <= 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise VerifiedWriteError(f"r_target_ohm must be finite and > 0 ohm, got {float(target[k])!r} for cell {k}")
    flat = rows.astype(np.int64) * array.cols + cols.astype(np.int64)
    if np.unique(flat).size != flat.size:
        k = int(np.flatnonzero(np.bincount(np.unique(flat, return_inverse=True)[1]) > 1)[0])
        dup = np.unique(flat)[k]
        raise VerifiedWriteError(f"cell ({dup // array.cols}, {dup % array.cols}) is listed twice")
    return rows.astype(np.int64), cols.astype(np.int64), target


def _r_from_currents(currents_a: np.ndarray, v_read_v: float) -> np.ndarray:
    """Resistance from a row read's currents; inf where no (or negative) current flows."""
    g = currents_a / v_read_v
    with np.errstate(divide="ignore"):
        return np.where(g > 0, 1.0 / np.where(g > 0, g, 1.0), np.inf)


def _row_read_vectors(rows_unique: np.ndarray, n_rows: int, v_read_v: float) -> np.ndarray:
    v = np.zeros((rows_unique.size, n_rows))
    v[np.arange(rows_unique.size), rows_unique] = v_read_v
    return v


def read_cells(array, rows, cols, *, v_read_v: float = 0.2) -> np.ndarray:
    """Read the resistance of cells ``(rows[k], cols[k])`` with one batch of row reads.

    Each distinct row is read by driving it at ``v_read_v`` with every other
    word line at 0 V (bit lines at virtual ground); ``R = v_read_v / I``.
    Read noise and, on circuit backends, wire IR drop are included.

    Returns
    -------
    ndarray, (n,), ohm (inf where no current flows).
    """
    rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
    cols = np.atleast_1d(np.asarray(cols, dtype=np.int64))
    uniq, inv = np.unique(rows, return_inverse=True)
    currents = np.atleast_2d(array.read(_row_read_vectors(uniq, array.rows, v_read_v)))
    return _r_from_currents(currents[inv, cols], v_read_v)
