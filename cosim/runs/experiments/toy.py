"""``toy_read``: read a random crossbar with the ideal formula ``I = V @ G``.

The smallest real experiment, used to exercise the run machinery (run folders,
``--seeds``, sweeps, reports) in tests and README examples in well under a
second.  For the circuit-level read study see ``read_accuracy``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ToyReadConfig:
    """Settings of ``toy_read``.

    Attributes
    ----------
    rows, cols : int
        Crossbar size (word lines x bit lines), >= 1.
    g_min_s, g_max_s : float
        Conductances are drawn uniformly in [g_min_s, g_max_s] siemens.
    v_read_v : float
        Input voltages are drawn uniformly in [-v_read_v, +v_read_v] volts.
    n_reads : int
        Number of random input vectors, >= 1.
    """

    rows: int = 4
    cols: int = 4
    g_min_s: float = 1e-6
    g_max_s: float = 1e-4
    v_read_v: float = 0.2
    n_reads: int = 8


def run_toy_read(config: ToyReadConfig, ctx) -> dict:
    """Draw G and V from ``ctx.rng``; return statistics of ``I = V @ G`` (amperes).

    Raises
    ------
    ValueError
        When a size is < 1 or the conductance range is empty or negative.
    """
    for name in ("rows", "cols", "n_reads"):
        if getattr(config, name) < 1:
            raise ValueError(f"toy_read: {name} must be >= 1, got {getattr(config, name)}")
    if not 0 <= config.g_min_s <= config.g_max_s:
        raise ValueError(f"toy_read: need 0 <= g_min_s <= g_max_s, got {config.g_min_s}, {config.g_max_s}")
    g = ctx.rng.uniform(config.g_min_s, config.g_max_s, size=(config.rows, config.cols))
    v = ctx.rng.uniform(-config.v_read_v, config.v_read_v, size=(config.n_reads, config.rows))
    currents = np.empty((config.n_reads, config.cols))
    for k in ctx.progress(range(config.n_reads), desc="reads"):
        currents[k] = v[k] @ g
        ctx.checkpoint({"reads_done": k + 1})
    ctx.save_trace("trace", g_s=g, v_in_v=v, i_out_a=currents)
    if ctx.figures:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(3.2, 2.6))
        im = ax.imshow(g * 1e6, cmap="viridis")
        fig.colorbar(im, ax=ax, label="G (uS)")
        ax.set_xlabel("bit line")
        ax.set_ylabel("word line")
        ax.set_title("conductances")
        ctx.save_figure(fig, "conductance.png")
    ctx.log(f"toy_read: {config.n_reads} reads of a {config.rows}x{config.cols} crossbar")
    return {
        "reads_done": config.n_reads,
        "i_out_mean_a": float(currents.mean()),
        "i_out_abs_max_a": float(np.abs(currents).max()),
        "g_mean_s": float(g.mean()),
        "positive": bool(currents.sum() > 0),
    }


EXPERIMENTS = {"toy_read": (ToyReadConfig, run_toy_read)}
