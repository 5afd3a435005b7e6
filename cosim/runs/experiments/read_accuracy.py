"""``read_accuracy``: how wire resistance and sneak paths corrupt crossbar reads.

One run is one point (array size, cell kind, wire resistance); the study is a
sweep over them (``algorithms/read_accuracy.sweep.toml``).  Every number comes
from the circuit solver (:class:`cosim.solvers.crossbar.CrossbarSolver`);
nothing here is physics of its own.

Definitions (the metrics)
-------------------------
The device conductances ``G`` (rows x cols, siemens) are drawn log-uniformly
between ``1 / r_off_ohm`` and ``1 / r_on_ohm`` from ``ctx.rng``.

Full read (every word line driven, every bit line at virtual ground), with
``n_reads`` input vectors ``V`` drawn uniformly in ``[0, v_read_v]``:

``rel_error``
    ``||I - I_ref||_2 / ||I_ref||_2`` over all bit lines and input vectors,
    where ``I`` are the output currents with the wires and ``I_ref`` those of
    the same array (same cells, selector, transistor) with ideal wires
    (zero wire, driver and sense resistance): the error due to the wires
    alone.  For 1R cells ``I_ref = V @ G`` exactly.
``rel_error_max``
    ``max |I - I_ref| / |I_ref|`` over bit lines and input vectors.
``rel_error_vs_vg``
    ``||I - V @ G||_2 / ||V @ G||_2``: the error against the ideal
    matrix-vector product, which for 1S1R and 1T1R also contains the access
    device's own share.

Single-cell read of the selected cell ``(r, c)`` (``selected_cell = "far"``:
``(0, cols - 1)``, the cell farthest from both the word-line driver and the
bit-line sense amplifier; ``"near"``: ``(rows - 1, 0)``), whose state is set
by ``selected_state`` (``"hrs"``: ``1 / r_off_ohm``, the worst case for
sneak paths), with ``v_read_v`` on word line ``r``, bit line ``c`` at
virtual ground, and the other lines either *grounded* (0 V) or *floating*;
1T1R cells have only gate ``r`` on:

``sneak_fraction_floating``, ``sneak_fraction_grounded``
    ``(I_out_c - I_cell_rc) / I_out_c``: the part of the current sensed on
    bit line ``c`` that did not flow through the selected cell.
``single_read_error_floating``, ``single_read_error_grounded``
    ``I_out_c / I_alone - 1``, where ``I_alone`` is the current of the
    selected cell alone with ``v_read_v`` across it: how much the read
    misjudges the cell.

When the solver cannot solve a single read (Newton's method not converging)
its metrics are left out and ``solver_error_<grounded|floating>`` holds the
solver's message.

For arrays up to ``sneak_graph_max_size`` the graph view adds
``sneak_paths_3cell`` (number of 3-cell sneak paths of the selected cell,
:func:`cosim.netlist.graph.sneak_paths`) and ``sneak_g3_s`` (the sum of
their series conductances: the sneak conductance if the paths were
independent and the wires ideal; exact for a 2 x 2 array).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np

from cosim.devices.selector import SinhSelector
from cosim.netlist.bias import Bias
from cosim.netlist.crossbar import CrossbarSpec
from cosim.netlist.graph import sneak_paths
from cosim.solvers.crossbar import CrossbarSolver
from cosim.solvers.result import SolverError


@dataclass
class ReadAccuracyConfig:
    """Settings of one ``read_accuracy`` point.

    Attributes
    ----------
    size : int
        The array is ``size x size``, >= 1.
    cell : {"1R", "1S1R", "1T1R"}
        Cell kind.
    r_wire_ohm : float
        Resistance of every word- and bit-line segment, ohm, >= 0.
    r_driver_ohm, r_sense_ohm : float
        Driver output and sense input resistance, ohm, >= 0.
    r_on_ohm, r_off_ohm : float
        Device resistance range (log-uniform draws), ohm, 0 < on <= off.
    selected_cell : {"far", "near"}
        The single-read cell: far corner ``(0, cols-1)`` or near ``(rows-1, 0)``.
    selected_state : {"hrs", "lrs", "random"}
        State of that cell: ``r_off_ohm``, ``r_on_ohm`` or as drawn.
    v_read_v : float
        Read voltage, volt (> 0): the single-read amplitude and the upper
        end of the full-read inputs.
    n_reads : int
        Input vectors of the full read, >= 1.
    selector_i_s_a, selector_v_0_v : float
        1S1R selector ``I = i_s sinh(V / v_0)`` (ampere, volt).
    r_transistor_on_ohm, r_transistor_off_ohm : float
        1T1R access transistor, ohm.
    backend : {"nodal", "ngspice"}
        Circuit solver (ngspice only for small arrays: it grows like n^4.6).
    solver_tol : float
        Newton tolerance of the nodal solver for 1S1R cells (node-voltage
        updates below ``solver_tol`` volt per volt of source); 1e-10 is far
        below the errors studied and above the rounding floor of large arrays.
    sneak_graph_max_size : int
        Enumerate 3-cell sneak paths (graph view) up to this size.
    """

    size: int = 64
    cell: Literal["1R", "1S1R", "1T1R"] = "1R"
    r_wire_ohm: float = 1.0
    r_driver_ohm: float = 0.0
    r_sense_ohm: float = 0.0
    r_on_ohm: float = 1e4
    r_off_ohm: float = 1e6
    selected_cell: Literal["far", "near"] = "far"
    selected_state: Literal["hrs", "lrs", "random"] = "hrs"
    v_read_v: float = 0.5
    n_reads: int = 4
    selector_i_s_a: float = 1e-7
    selector_v_0_v: float = 0.1
    r_transistor_on_ohm: float = 1e3
    r_transistor_off_ohm: float = 1e12
    backend: Literal["nodal", "ngspice"] = "nodal"
    solver_tol: float = 1e-10
    sneak_graph_max_size: int = 16

    def memory_estimate_bytes(self) -> float:
        """Estimated peak memory of the run, byte (a size x size crossbar solve; see cosim.memory)."""
        from cosim.memory import crossbar_solve_bytes

        return crossbar_solve_bytes(self.size, self.size)

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError(f"size must be >= 1, got {self.size}")
        if self.n_reads < 1:
            raise ValueError(f"n_reads must be >= 1, got {self.n_reads}")
        if not (0 < self.r_on_ohm <= self.r_off_ohm < np.inf):
            raise ValueError(f"need 0 < r_on_ohm <= r_off_ohm < inf, got {self.r_on_ohm}, {self.r_off_ohm}")
        if not 0 < self.solver_tol < 1e-3:
            raise ValueError(f"solver_tol must be in (0, 1e-3), got {self.solver_tol}")
        if not self.v_read_v > 0:
            raise ValueError(f"v_read_v must be > 0, got {self.v_read_v}")
        for name in ("r_wire_ohm", "r_driver_ohm", "r_sense_ohm"):
            if not (0 <= getattr(self, name) < np.inf):
                raise ValueError(f"{name} must be a finite resistance >= 0, got {getattr(self, name)}")


def _spec(cfg: ReadAccuracyConfig, *, wires: bool) -> CrossbarSpec:
    r_wire = cfg.r_wire_ohm if wires else 0.0
    return CrossbarSpec(
        rows=cfg.size,
        cols=cfg.size,
        r_wordline_ohm=r_wire,
        r_bitline_ohm=r_wire,
        r_driver_ohm=cfg.r_driver_ohm if wires else 0.0,
        r_sense_ohm=cfg.r_sense_ohm if wires else 0.0,
        cell=cfg.cell,
        selector=SinhSelector(cfg.selector_i_s_a, cfg.selector_v_0_v),
        r_transistor_on_ohm=cfg.r_transistor_on_ohm,
        r_transistor_off_ohm=cfg.r_transistor_off_ohm,
    )


def conductances(cfg: ReadAccuracyConfig, rng: np.random.Generator) -> tuple[np.ndarray, tuple[int, int]]:
    """Device conductances (siemens, log-uniform) with the selected cell's state set; and that cell."""
    n = cfg.size
    g = np.exp(-rng.uniform(np.log(cfg.r_on_ohm), np.log(cfg.r_off_ohm), size=(n, n)))
    sel = (0, n - 1) if cfg.selected_cell == "far" else (n - 1, 0)
    if cfg.selected_state == "hrs":
        g[sel] = 1.0 / cfg.r_off_ohm
    elif cfg.selected_state == "lrs":
        g[sel] = 1.0 / cfg.r_on_ohm
    return g, sel


def single_cell_bias(n: int, sel: tuple[int, int], v_read_v: float, unselected: str) -> Bias:
    """Read bias of one cell: ``v_read_v`` on its word line, its bit line at 0 V,
    the other lines at 0 V (``"grounded"``) or floating; only its gate on."""
    fill = 0.0 if unselected == "grounded" else np.nan
    wl = np.full(n, fill)
    bl = np.full(n, fill)
    wl[sel[0]] = v_read_v
    bl[sel[1]] = 0.0
    gate = np.zeros(n, dtype=bool)
    gate[sel[0]] = True
    mask = np.zeros((n, n), dtype=bool)
    mask[sel] = True
    return Bias(wordline_v=wl, bitline_v=bl, gate_on=gate, selected=mask)


def _rel(a: np.ndarray, ref: np.ndarray) -> float:
    return float(np.linalg.norm(a - ref) / np.linalg.norm(ref))


def run_read_accuracy(cfg: ReadAccuracyConfig, ctx) -> dict:
    """Run one point; see the module docstring for what each metric means."""
    n = cfg.size
    t0 = time.perf_counter()
    g, sel = conductances(cfg, ctx.rng)
    v = ctx.rng.uniform(0.0, cfg.v_read_v, size=(cfg.n_reads, n))
    wired = CrossbarSolver(_spec(cfg, wires=True), backend=cfg.backend, tol=cfg.solver_tol)
    ideal = CrossbarSolver(_spec(cfg, wires=False), backend=cfg.backend, tol=cfg.solver_tol)
    steps = ctx.progress(total=4, desc=f"{cfg.cell} {n}x{n} r={cfg.r_wire_ohm:g}")
    full = wired.read(g, v)
    steps.update(1)
    ref = ideal.read(g, v)
    i_vg = v @ g
    metrics: dict = {
        "rel_error": _rel(full.output_currents_a, ref.output_currents_a),
        "rel_error_max": float(
            np.max(np.abs(full.output_currents_a - ref.output_currents_a) / np.abs(ref.output_currents_a))
        ),
        "rel_error_vs_vg": _rel(full.output_currents_a, i_vg),
    }
    ctx.checkpoint(metrics)
    steps.update(1)
    # the selected cell alone with v_read across it: a 1 x 1 array, ideal wires
    alone_cfg = ReadAccuracyConfig(**{**cfg.__dict__, "size": 1})
    i_alone = float(
        CrossbarSolver(_spec(alone_cfg, wires=False), backend=cfg.backend, tol=cfg.solver_tol)
        .read(np.array([[g[sel]]]), np.array([cfg.v_read_v]))
        .output_currents_a[0]
    )
    for unselected in ("grounded", "floating"):
        try:
            sol = wired.apply(g, single_cell_bias(n, sel, cfg.v_read_v, unselected))
        except SolverError as exc:
            # recorded, not hidden: the table shows the point without these metrics and why
            metrics[f"solver_error_{unselected}"] = str(exc)
            ctx.log(f"read_accuracy: single read with {unselected} lines not solved: {exc}")
            steps.update(1)
            continue
        i_out = float(sol.output_currents_a[sel[1]])
        i_cell = float(sol.cell_currents_a[sel])
        metrics[f"sneak_fraction_{unselected}"] = (i_out - i_cell) / i_out
        metrics[f"single_read_error_{unselected}"] = i_out / i_alone - 1.0
        metrics[f"i_out_{unselected}_a"] = i_out
        ctx.checkpoint(metrics)
        steps.update(1)
    steps.close()
    metrics["i_selected_alone_a"] = i_alone
    if n <= cfg.sneak_graph_max_size and n >= 2:
        paths = sneak_paths(_spec(cfg, wires=False), 1.0 / g, sel[0], sel[1])
        metrics["sneak_paths_3cell"] = len(paths)
        metrics["sneak_g3_s"] = float(sum(1.0 / p.r_series_ohm for p in paths))
    if hasattr(ctx, "timing"):  # a timing is not a result: run.json, not metrics.json
        ctx.timing("solve_s", time.perf_counter() - t0)
    ctx.save_trace("trace", v_in_v=v, i_out_a=full.output_currents_a, i_ref_a=ref.output_currents_a, i_vg_a=i_vg)
    if ctx.figures:
        from cosim.plots.studies import plot_read_point

        ctx.save_figure(
            plot_read_point(
                full.cell_voltages_v[0],
                v[0],
                full.output_currents_a[0],
                ref.output_currents_a[0],
                title=f"{cfg.cell} {n}x{n}, {cfg.r_wire_ohm:g} ohm/segment",
            ),
            "read_point.png",
        )
    ctx.log(
        f"read_accuracy {cfg.cell} {n}x{n} r_wire={cfg.r_wire_ohm:g} ohm: rel_error={metrics['rel_error']:.3g}, "
        f"sneak floating={metrics.get('sneak_fraction_floating', float('nan')):.3g}"
    )
    return metrics


EXPERIMENTS = {"read_accuracy": (ReadAccuracyConfig, run_read_accuracy)}
