"""Figures of devices side by side (``cosim device`` with several cards, trains or an I-V loop)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def device_comparison_figure(results: list[dict], path: str | Path | None = None):
    """One column per card: resistance against pulse number, and the I-V loop under a sinusoid.

    Parameters
    ----------
    results : list of dict
        Per card: ``label`` (str), ``r0_ohm`` (float), ``resistance_ohm`` (array, after each
        pulse; may be empty), ``train_ends`` (pulse numbers where a train ends), and optionally
        ``iv`` (dict with ``v_v``, ``i_a`` arrays).
    path : str or Path, optional
        Save as PNG there (atomically: temp file + rename).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    if path is not None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    has_r = any(len(r["resistance_ohm"]) for r in results)
    has_iv = any("iv" in r for r in results)
    rows = int(has_r) + int(has_iv)
    cols = len(results)
    fig, axes = plt.subplots(rows, cols, figsize=(4.0 * cols, 3.2 * rows), squeeze=False)
    for j, r in enumerate(results):
        row = 0
        if has_r:
            ax = axes[row][j]
            res = np.concatenate([[r["r0_ohm"]], np.asarray(r["resistance_ohm"], float)])
            ax.plot(np.arange(res.size), res, marker="o" if res.size <= 60 else None, ms=3)
            for end in r.get("train_ends", [])[:-1]:
                ax.axvline(end, color="0.6", lw=0.8, ls="--")
            ax.set_xlabel("pulse number")
            ax.set_ylabel("resistance (ohm)")
            ax.set_title(r["label"], fontsize=9)
            ax.grid(True, alpha=0.3)
            row += 1
        if has_iv:
            ax = axes[row][j]
            if "iv" in r:
                ax.plot(r["iv"]["v_v"], r["iv"]["i_a"], lw=1.2)
            ax.set_xlabel("voltage (V)")
            ax.set_ylabel("current (A)")
            if not has_r:
                ax.set_title(r["label"], fontsize=9)
            ax.grid(True, alpha=0.3)
    fig.tight_layout()
    if path is not None:
        path = Path(path)
        tmp = path.with_name(path.stem + ".tmp" + path.suffix)
        fig.savefig(tmp, dpi=110)
        tmp.replace(path)
        plt.close(fig)
    return fig
