"""``manhattan_study``: the letters perceptron trained in situ over wire resistance x array size x write scheme."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from cosim.algorithms.manhattan import ManhattanConfigError
from cosim.runs.experiments.manhattan_letters import LettersConfig, train_letters


@dataclass
class StudyConfig:
    """Settings of ``manhattan_study``: the letters perceptron trained in situ over a grid.

    For every array size, wire resistance and write scheme (and every seed
    ``seed .. seed + n_seeds - 1``) the ``prezioso_letters`` training runs on
    the circuit backend; the table holds epochs to 100 % (None when not
    reached in ``letters.max_updates``), the final error and accuracy, and
    the smallest voltage a selected device saw.

    Attributes
    ----------
    array_sizes : list of int
        Crossbar sizes (rows = columns, >= 10); the task sits on word lines
        0..9 and bit lines 0..5 (far from the bit lines' sense end).
    r_wire_ohm : list of float
        Wire segment resistances, ohm (>= 0).
    schemes : list of str
        Write schemes among "ideal", "v2", "v3", "floating".
    n_seeds : int
        Seeds per grid point (initial states drawn per seed).
    backend : {"nodal", "ngspice", "ideal"}
        Where the letters trainings are solved (``cosim run --backend``).
    letters : LettersConfig
        Everything else (device, pulses, beta, ...); its ``array_size``,
        ``r_wire_ohm``, ``scheme`` and ``backend`` are overridden by the grid.
    """

    array_sizes: list[int] = field(default_factory=lambda: [12, 24, 32])
    r_wire_ohm: list[float] = field(default_factory=lambda: [0.0, 1.0, 3.0, 10.0, 30.0])
    schemes: list[str] = field(default_factory=lambda: ["ideal", "v2", "v3"])
    n_seeds: int = 1
    backend: Literal["ideal", "nodal", "ngspice"] = "nodal"
    letters: LettersConfig = field(default_factory=lambda: LettersConfig(max_updates=60))


def run_study(config: StudyConfig, ctx) -> dict:
    """Loop over the grid; write ``study.csv``, ``study.npz`` and two figures; metrics hold the table."""
    import dataclasses

    backend = ctx.backend or config.backend
    from cosim.algorithms.manhattan import WRITE_SCHEMES

    for s in config.schemes:
        if s not in WRITE_SCHEMES:
            raise ManhattanConfigError(f"schemes: {s!r} is not one of {WRITE_SCHEMES}")
    for r in config.r_wire_ohm:
        if not (np.isfinite(r) and r >= 0):
            raise ManhattanConfigError(f"r_wire_ohm: {r!r} must be >= 0 and finite")
    for n in config.array_sizes:
        if n < 10:
            raise ManhattanConfigError(f"array_sizes: {n!r} must be >= 10")
    if config.n_seeds < 1:
        raise ManhattanConfigError(f"n_seeds must be >= 1, got {config.n_seeds!r}")
    grid = [
        (n, r, s, k)
        for n in config.array_sizes
        for r in config.r_wire_ohm
        for s in config.schemes
        for k in range(config.n_seeds)
    ]
    rows = []
    for n, r, s, k in ctx.progress(grid, desc="grid"):
        cfg = dataclasses.replace(config.letters, array_size=int(n), r_wire_ohm=float(r), scheme=s)
        seed = ctx.seed + k
        hist, _ = train_letters(cfg, np.random.default_rng(seed), backend)
        vmin = hist.v_selected_min_v[np.isfinite(hist.v_selected_min_v)]
        rows.append(
            {
                "array_size": int(n),
                "r_wire_ohm": float(r),
                "scheme": s,
                "seed": seed,
                "converged": bool(hist.converged),
                "epochs": int(hist.updates) if hist.converged else None,
                "final_error": float(hist.final_error),
                "final_accuracy": float(hist.accuracy[-1]),
                "v_selected_min_v": float(vmin.min()) if vmin.size else None,
                "write_energy_j": float(hist.energy_j.sum()),
            }
        )
        ctx.checkpoint({"done": len(rows), "of": len(grid)})
    keys = list(rows[0])
    from cosim.atomic import atomic_path

    with atomic_path(ctx.out_dir / "study.csv") as tmp, tmp.open("w") as fh:
        fh.write(",".join(keys) + "\n")
        for row in rows:
            fh.write(",".join("" if row[k] is None else str(row[k]) for k in keys) + "\n")
    ctx.save_trace(
        "study",
        **{k: np.array([np.nan if row[k] is None else row[k] for row in rows]) for k in keys if k != "scheme"},
        scheme=np.array([row["scheme"] for row in rows]),
    )
    if ctx.figures:
        cap = config.letters.max_updates
        for key, name, label in (
            ("epochs", "study_epochs.png", f"epochs to 100 % (not reached: {cap + 5})"),
            ("final_error", "study_final_error.png", "final total error"),
        ):
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            sizes = sorted(set(config.array_sizes))
            fig, axes = plt.subplots(1, len(sizes), figsize=(4.2 * len(sizes), 3.6), sharey=True, squeeze=False)
            for a, n in enumerate(sizes):
                ax = axes[0, a]
                for c, s in enumerate(config.schemes):
                    pts = {}
                    for row in rows:
                        if row["array_size"] == n and row["scheme"] == s:
                            val = row[key]
                            val = cap + 5 if val is None else val
                            pts.setdefault(row["r_wire_ohm"], []).append(val)
                    xs = sorted(pts)
                    ax.plot(xs, [float(np.median(pts[x])) for x in xs], "o-", color=f"C{c}", label=s)
                ax.set_xscale("symlog", linthresh=1.0)
                ax.set_title(f"{n} x {n} array")
                ax.set_xlabel("wire segment resistance (ohm)")
                ax.legend(fontsize=7, title="scheme", title_fontsize=7)
            axes[0, 0].set_ylabel(label)
            fig.suptitle(f"Letters perceptron trained in situ ({backend})")
            fig.tight_layout()
            ctx.save_figure(fig, name)
    table = "\n".join(
        f"{row['array_size']:>4} {row['r_wire_ohm']:>7g} {row['scheme']:>6} {row['seed']:>4} "
        f"{'-' if row['epochs'] is None else row['epochs']:>6} {row['final_error']:>9.3f} {row['final_accuracy']:>6.3f}"
        for row in rows
    )
    ctx.log("size  r_wire scheme seed epochs final_err    acc\n" + table)
    n_conv = sum(r["converged"] for r in rows)
    return {"n_points": len(rows), "n_converged": n_conv, "table": rows}


EXPERIMENTS = {"manhattan_study": (StudyConfig, run_study)}
