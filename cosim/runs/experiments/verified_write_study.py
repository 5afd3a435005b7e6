"""``verified_write_study``: cost and accuracy of predict-write-verify programming on a circuit.

One run programs ``n_cells`` distinct random cells of a ``size x size`` 1R
crossbar of Messaris devices (the NeuroPack card by default; initial
resistance uniform in ``r0_ohm +- r0_spread_ohm``) to random targets uniform
in ``[r_target_min_ohm, r_target_max_ohm]`` with one call of
:func:`cosim.algorithms.verified_write.verified_write` (NeuroPack's twelve
pulse options).  Array, cells and targets come from ``ctx.rng`` only, so for
one seed every point of a sweep (wire resistance, scheme, predictor) starts
from the same array and the same targets: the comparisons are paired.

The study (``algorithms/verified_write_study.sweep.toml``) varies the wire
resistance, the write scheme (``ideal`` selector array or selectorless
``v2`` half bias) and the predictor (NeuroPack's ``nominal`` device model or
the ``circuit``-aware one that predicts with the voltage the circuit will
deliver).

Metrics ("per write" = per programmed cell)
-------------------------------------------
``steps_mean``, ``steps_max``
    Pulses each cell received (= verify rounds it took), mean and max over cells.
``pulses_per_write``
    Biases applied / ``n_cells`` (one bias may program several cells of a line).
``energy_per_write_j``
    Energy the array dissipated during the whole write (pulses and verify
    reads, cells and wires, selected and half-selected) / ``n_cells``, joule.
``energy_cell_per_write_j``
    Mean energy dissipated in each programmed cell by its own pulses, joule.
``rel_error_mean``, ``rel_error_max``
    Final ``|R_read - R_t| / R_t``, what the controller read last (on a
    circuit backend this read includes the wires' IR drop).
``true_rel_error_mean``, ``true_rel_error_max``
    Final ``|R - R_t| / R_t`` of the device's actual resistance (the
    array's state), which the controller never sees.
``converged_fraction``
    Share of cells whose last read is within ``tolerance``.
``disturb_max_abs_rel_change``, ``disturb_mean_abs_rel_change``
    ``|dR/R|`` of the cells *not* written (max and mean), from the array's
    state before and after: half-select disturb.
``predictor_solves``, ``read_vectors``
    Extra circuit solves of the circuit-aware predictor; row reads applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from cosim.algorithms.verified_write import verified_write
from cosim.array import CrossbarArray
from cosim.devices.registry import load_model_card
from cosim.netlist.crossbar import CrossbarSpec


@dataclass
class VerifiedWriteStudyConfig:
    """Settings of one ``verified_write_study`` point.

    Attributes
    ----------
    size : int
        Array is ``size x size``, >= 1.
    n_cells : int
        Cells programmed (distinct, drawn at random), 1 <= n_cells <= size**2.
    r_wire_ohm : float
        Word- and bit-line segment resistance, ohm, >= 0 (ignored by the
        ``ideal`` backend).
    scheme : {"ideal", "v2", "v3", "floating"}
        Write scheme of every pulse (``ideal``: a selector array).
    predictor : {"nominal", "circuit"}
        Verified-write predictor.
    tolerance : float
        Relative R tolerance at which a cell stops, > 0.
    max_steps : int
        Most pulses per cell, >= 0.
    backend : {"ideal", "nodal", "ngspice"}
        Array backend.
    model_card : str
        Device model card: a TOML file, or the name of a shipped card (``cosim list``).
    r0_ohm, r0_spread_ohm : float
        Initial resistance uniform in ``r0 +- spread``, ohm.
    r_target_min_ohm, r_target_max_ohm : float
        Targets uniform in this range, ohm, 0 < min <= max.
    v_read_v : float
        Verify-read voltage, volt, > 0.
    """

    size: int = 32
    n_cells: int = 64
    r_wire_ohm: float = 1.0
    scheme: Literal["ideal", "v2", "v3", "floating"] = "ideal"
    predictor: Literal["nominal", "circuit"] = "nominal"
    tolerance: float = 0.01
    max_steps: int = 10
    backend: Literal["ideal", "nodal", "ngspice"] = "nodal"
    model_card: str = "messaris2017_neuropack"
    r0_ohm: float = 11000.0
    r0_spread_ohm: float = 500.0
    r_target_min_ohm: float = 5000.0
    r_target_max_ohm: float = 15000.0
    v_read_v: float = 0.2

    def memory_estimate_bytes(self) -> float:
        """Estimated peak memory of the run, byte (a size x size crossbar solve; see cosim.memory)."""
        from cosim.memory import crossbar_solve_bytes

        return crossbar_solve_bytes(self.size, self.size)

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError(f"size must be >= 1, got {self.size}")
        if not 1 <= self.n_cells <= self.size * self.size:
            raise ValueError(f"n_cells must be in 1..size**2 = {self.size * self.size}, got {self.n_cells}")
        if not 0 <= self.r_wire_ohm < np.inf:
            raise ValueError(f"r_wire_ohm must be a finite resistance >= 0, got {self.r_wire_ohm}")
        if not (np.isfinite(self.tolerance) and self.tolerance > 0):
            raise ValueError(f"tolerance must be a finite relative error > 0, got {self.tolerance}")
        if self.max_steps < 0:
            raise ValueError(f"max_steps must be >= 0, got {self.max_steps}")
        if not 0 <= self.r0_spread_ohm < self.r0_ohm:
            raise ValueError(f"need 0 <= r0_spread_ohm < r0_ohm, got {self.r0_spread_ohm}, {self.r0_ohm}")
        if not 0 < self.r_target_min_ohm <= self.r_target_max_ohm < np.inf:
            raise ValueError(
                f"need 0 < r_target_min_ohm <= r_target_max_ohm < inf, got {self.r_target_min_ohm}, {self.r_target_max_ohm}"
            )
        if not (np.isfinite(self.v_read_v) and self.v_read_v > 0):
            raise ValueError(f"v_read_v must be a finite voltage > 0, got {self.v_read_v}")


def draw_problem(cfg: VerifiedWriteStudyConfig, rng: np.random.Generator):
    """Initial resistances (size, size), the cells (rows, cols) and their targets (ohm), from ``rng``."""
    n = cfg.size
    r_init = rng.uniform(cfg.r0_ohm - cfg.r0_spread_ohm, cfg.r0_ohm + cfg.r0_spread_ohm, size=(n, n))
    flat = rng.choice(n * n, size=cfg.n_cells, replace=False)
    targets = rng.uniform(cfg.r_target_min_ohm, cfg.r_target_max_ohm, size=cfg.n_cells)
    return r_init, flat // n, flat % n, targets


def run_verified_write_study(cfg: VerifiedWriteStudyConfig, ctx) -> dict:
    """Program the cells once; see the module docstring for the metrics."""
    n = cfg.size
    model = load_model_card(cfg.model_card)
    r_init, rows, cols, targets = draw_problem(cfg, ctx.rng)
    spec = CrossbarSpec(n, n, r_wordline_ohm=cfg.r_wire_ohm, r_bitline_ohm=cfg.r_wire_ohm)
    arr = CrossbarArray(model, r_init, spec=spec, backend=cfg.backend, rng=ctx.rng)
    arr.reset_energy()
    rep = verified_write(
        arr,
        rows,
        cols,
        targets,
        tolerance=cfg.tolerance,
        max_steps=cfg.max_steps,
        predictor=cfg.predictor,
        scheme=cfg.scheme,
        v_read_v=cfg.v_read_v,
    )
    r_after = np.asarray(arr.state, dtype=float)
    written = np.zeros((n, n), dtype=bool)
    written[rows, cols] = True
    disturb = np.abs(r_after[~written] - r_init[~written]) / r_init[~written]
    true_err = np.abs(r_after[rows, cols] - targets) / targets
    k = cfg.n_cells
    metrics = {
        "steps_mean": float(rep.steps.mean()),
        "steps_max": int(rep.steps.max()),
        "pulses_per_write": rep.n_pulses / k,
        "energy_per_write_j": float(rep.energy_j) / k,
        "energy_cell_per_write_j": float(rep.energy_cell_j.mean()),
        "rel_error_mean": float(rep.rel_error.mean()),
        "rel_error_max": float(rep.rel_error.max()),
        "true_rel_error_mean": float(true_err.mean()),
        "true_rel_error_max": float(true_err.max()),
        "converged_fraction": float(rep.converged.mean()),
        "disturb_max_abs_rel_change": float(disturb.max()) if disturb.size else 0.0,
        "disturb_mean_abs_rel_change": float(disturb.mean()) if disturb.size else 0.0,
        "predictor_solves": int(rep.n_solves),
        "read_vectors": int(rep.n_read_vectors),
    }
    ctx.save_trace(
        "trace",
        r_init_ohm=r_init,
        r_final_ohm=r_after,
        rows=rows,
        cols=cols,
        r_target_ohm=targets,
        steps=rep.steps,
        r_read_final_ohm=rep.r_final_ohm,
        r_history_ohm=rep.r_history_ohm,
    )
    ctx.log(
        f"verified_write_study {n}x{n} r_wire={cfg.r_wire_ohm:g} {cfg.scheme}/{cfg.predictor}: "
        f"steps {metrics['steps_mean']:.3g}, converged {metrics['converged_fraction']:.3g}, "
        f"energy/write {metrics['energy_per_write_j']:.3g} J"
    )
    return metrics


EXPERIMENTS = {"verified_write_study": (VerifiedWriteStudyConfig, run_verified_write_study)}
