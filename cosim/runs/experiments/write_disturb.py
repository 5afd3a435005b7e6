"""``write_disturb``: what programming does to the cells it should not touch.

On a ``size x size`` 1R crossbar of Messaris devices (the NeuroPack card by
default; initial resistance uniform in ``r0_ohm +- r0_spread_ohm``) with wire
resistance, every scheme in ``schemes`` starts from the *same* initial array
(:meth:`cosim.array.CrossbarArray.copy`) and does two things:

one-cell write
    ``n_pulses`` pulses of ``amplitude_v`` and ``width_s`` on the selected
    cell (``selected_cell``: ``"center"`` or ``"far"`` = ``(0, size-1)``).
row-by-row update
    A random target mask (each cell with probability ``update_fraction``,
    drawn once from ``ctx.rng``, the same for every scheme): for each word
    line in turn one pulse selects that row and the bit lines of its target
    cells (one bias per row, as in Prezioso et al. 2015), so every cell is
    written at most once and half-selected many times.

The circuit (:class:`cosim.solvers.crossbar.CrossbarSolver` through the array's
``nodal`` or ``ngspice`` backend) gives the voltage every device sees; the
device model moves each cell with it.  The per-cell change of state is
``dR/R = (R_after - R_before) / R_before`` (the state is the resistance).

Metrics, per scheme ``<s>`` (nested: ``one_cell.<s>.<name>`` in tables):

``one_cell.<s>.selected_rel_change``
    dR/R of the programmed cell.
``one_cell.<s>.half_selected_max_abs_rel_change``, ``..._mean_abs_rel_change``
    over the cells sharing its word line or bit line.
``one_cell.<s>.unselected_max_abs_rel_change``
    over all other cells.
``one_cell.<s>.disturb_ratio``
    largest ``|dR/R|`` of any other cell divided by the programmed cell's ``|dR/R|``.
``row_update.<s>.intended_mean_rel_change``
    mean dR/R of the target cells.
``row_update.<s>.unintended_max_abs_rel_change``, ``..._mean_abs_rel_change``
    over the cells not in the target mask.
``row_update.<s>.energy_j``
    energy of the update (cells + wires), joule.

Figures: ``one_cell_disturb.png`` and ``row_update_disturb.png``, maps of
dR/R per scheme on one symmetric-log colour scale.  The trace holds the
initial state, the target mask and every final state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from cosim.array import CrossbarArray
from cosim.devices.registry import load_model_card
from cosim.netlist.crossbar import CrossbarSpec

Scheme = Literal["ideal", "v2", "v3", "floating"]


@dataclass
class WriteDisturbConfig:
    """Settings of ``write_disturb``.

    Attributes
    ----------
    size : int
        Array size (``size x size``), >= 2.
    r_wire_ohm : float
        Word- and bit-line segment resistance, ohm, >= 0.
    r_driver_ohm, r_sense_ohm : float
        Driver and sense resistance, ohm, >= 0.
    model_card : str
        Device model card: a TOML file, or the name of a shipped card
        (``cosim list``; see :mod:`cosim.shipped`).
    r0_ohm, r0_spread_ohm : float
        Initial resistance uniform in ``r0 +- spread``, ohm (NeuroPack: 11 kohm +- 500).
    amplitude_v : float
        Write amplitude, volt; with the Messaris card negative lowers R (SET),
        positive raises it (RESET).
    width_s : float
        Pulse width, second.
    n_pulses : int
        Pulses of the one-cell write, >= 1.
    selected_cell : {"center", "far"}
        The one-cell write target.
    update_fraction : float
        Probability that a cell is a target of the row-by-row update, in [0, 1].
    schemes : list of {"ideal", "v2", "v3", "floating"}
        Write schemes compared (``ideal`` = ideal selector, a reference with
        no disturb by construction).
    backend : {"nodal", "ngspice"}
        Circuit solver of the array (``cosim run --backend``).
    split_tolerance : float
        The array's sub-stepping tolerance (relative conductance change).
    """

    size: int = 32
    r_wire_ohm: float = 1.0
    r_driver_ohm: float = 0.0
    r_sense_ohm: float = 0.0
    model_card: str = "messaris2017_neuropack"
    r0_ohm: float = 11000.0
    r0_spread_ohm: float = 500.0
    amplitude_v: float = -1.2
    width_s: float = 1e-4
    n_pulses: int = 1
    selected_cell: Literal["center", "far"] = "center"
    update_fraction: float = 0.5
    schemes: list[Scheme] = field(default_factory=lambda: ["v2", "v3", "floating"])
    backend: Literal["nodal", "ngspice"] = "nodal"
    split_tolerance: float = 0.05

    def memory_estimate_bytes(self) -> float:
        """Estimated peak memory of the run, byte (a size x size crossbar solve; see cosim.memory)."""
        from cosim.memory import crossbar_solve_bytes

        return crossbar_solve_bytes(self.size, self.size)

    def __post_init__(self) -> None:
        if self.size < 2:
            raise ValueError(f"size must be >= 2, got {self.size}")
        if self.n_pulses < 1:
            raise ValueError(f"n_pulses must be >= 1, got {self.n_pulses}")
        if not 0.0 <= self.update_fraction <= 1.0:
            raise ValueError(f"update_fraction must be in [0, 1], got {self.update_fraction}")
        if not self.width_s > 0:
            raise ValueError(f"width_s must be > 0, got {self.width_s}")
        if not self.schemes:
            raise ValueError("schemes must name at least one write scheme")
        if not 0 <= self.r0_spread_ohm < self.r0_ohm:
            raise ValueError(f"need 0 <= r0_spread_ohm < r0_ohm, got {self.r0_spread_ohm}, {self.r0_ohm}")


def _rel_change(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return (after - before) / before


def _one_cell_metrics(rel: np.ndarray, sel: tuple[int, int]) -> dict:
    r, c = sel
    line = np.zeros(rel.shape, dtype=bool)
    line[r, :] = True
    line[:, c] = True
    line[sel] = False
    other = ~line
    other[sel] = False
    selected = float(rel[sel])
    worst_other = float(np.abs(rel[line | other]).max())
    return {
        "selected_rel_change": selected,
        "half_selected_max_abs_rel_change": float(np.abs(rel[line]).max()),
        "half_selected_mean_abs_rel_change": float(np.abs(rel[line]).mean()),
        "unselected_max_abs_rel_change": float(np.abs(rel[other]).max()) if other.any() else 0.0,
        "disturb_ratio": worst_other / abs(selected) if selected != 0 else float("inf"),
    }


def run_write_disturb(cfg: WriteDisturbConfig, ctx) -> dict:
    """Run the one-cell write and the row-by-row update for every scheme."""
    n = cfg.size
    model = load_model_card(cfg.model_card)
    spec = CrossbarSpec(
        n,
        n,
        r_wordline_ohm=cfg.r_wire_ohm,
        r_bitline_ohm=cfg.r_wire_ohm,
        r_driver_ohm=cfg.r_driver_ohm,
        r_sense_ohm=cfg.r_sense_ohm,
    )
    r_init = ctx.rng.uniform(cfg.r0_ohm - cfg.r0_spread_ohm, cfg.r0_ohm + cfg.r0_spread_ohm, size=(n, n))
    target = ctx.rng.random((n, n)) < cfg.update_fraction
    base = CrossbarArray(
        model, r_init, spec=spec, backend=cfg.backend, rng=ctx.rng, split_tolerance=cfg.split_tolerance
    )
    sel = (n // 2, n // 2) if cfg.selected_cell == "center" else (0, n - 1)
    metrics: dict = {"one_cell": {}, "row_update": {}}
    one_maps, row_maps, finals = {}, {}, {}
    bar = ctx.progress(total=len(cfg.schemes) * (cfg.n_pulses + n), desc="write_disturb")
    for scheme in cfg.schemes:
        arr = base.copy()
        for _ in range(cfg.n_pulses):
            arr.write([sel[0]], [sel[1]], cfg.amplitude_v, cfg.width_s, scheme=scheme)
            bar.update(1)
        rel = _rel_change(r_init, np.asarray(arr.state))
        one_maps[scheme] = rel
        finals[f"one_cell_{scheme}"] = np.asarray(arr.state).copy()
        metrics["one_cell"][scheme] = _one_cell_metrics(rel, sel)
        ctx.checkpoint(metrics)

        arr = base.copy()
        arr.reset_energy()
        for i in range(n):
            cols = np.flatnonzero(target[i])
            if cols.size:
                arr.write([i], cols, cfg.amplitude_v, cfg.width_s, scheme=scheme)
            bar.update(1)
        rel = _rel_change(r_init, np.asarray(arr.state))
        row_maps[scheme] = rel
        finals[f"row_update_{scheme}"] = np.asarray(arr.state).copy()
        metrics["row_update"][scheme] = {
            "intended_mean_rel_change": float(rel[target].mean()) if target.any() else 0.0,
            "unintended_max_abs_rel_change": float(np.abs(rel[~target]).max()) if (~target).any() else 0.0,
            "unintended_mean_abs_rel_change": float(np.abs(rel[~target]).mean()) if (~target).any() else 0.0,
            "energy_j": float(arr.energy_j),
        }
        ctx.checkpoint(metrics)
    bar.close()
    ctx.save_trace("trace", r_init_ohm=r_init, target=target, selected=np.array(sel), **finals)
    if ctx.figures:
        from cosim.plots.studies import plot_disturb_maps

        what = f"{n}x{n}, {cfg.r_wire_ohm:g} ohm/segment, {cfg.amplitude_v:+g} V x {cfg.width_s:g} s"
        ctx.save_figure(
            plot_disturb_maps(
                one_maps, f"one-cell write at {sel} ({cfg.n_pulses} pulse(s)), {what}", label="dR/R", selected=sel
            ),
            "one_cell_disturb.png",
        )
        ctx.save_figure(
            plot_disturb_maps(
                row_maps, f"row-by-row update of {int(target.sum())} target cells, {what}", label="dR/R", outline=target
            ),
            "row_update_disturb.png",
        )
    first = cfg.schemes[0]
    ctx.log(f"write_disturb {n}x{n}: {first} one-cell disturb ratio {metrics['one_cell'][first]['disturb_ratio']:.3g}")
    return metrics


EXPERIMENTS = {"write_disturb": (WriteDisturbConfig, run_write_disturb)}
