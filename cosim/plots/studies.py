"""Figures of studies and sweeps (matplotlib, Agg backend; functions return a Figure).

- :func:`plot_metric_histogram`: one metric's distribution over seeds.
- :func:`plot_sweep_metric`: a metric against the first grid parameter, mean
  and standard deviation over seeds, one line per combination of the others.
- :func:`plot_read_accuracy`: relative read error and sneak-path fraction against
  array size and wire resistance, per cell type (the ``read_accuracy`` study).
- :func:`plot_disturb_maps`: per-cell change of state maps (the ``write_disturb`` study).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["plot_metric_histogram", "plot_sweep_metric", "plot_read_accuracy", "plot_disturb_maps"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_metric_histogram(values: np.ndarray, name: str):
    """Histogram of one metric's values (e.g. over seeds), with mean and median marked."""
    plt = _plt()
    values = np.asarray(values, dtype=float)
    fig, ax = plt.subplots(figsize=(4.2, 3.0))
    if values.size:
        ax.hist(values, bins=min(30, max(5, int(np.sqrt(values.size)))), color="#4a7ab5", alpha=0.85)
        ax.axvline(values.mean(), color="k", lw=1.2, label=f"mean {values.mean():.4g}")
        ax.axvline(np.median(values), color="#c33", lw=1.2, ls="--", label=f"median {np.median(values):.4g}")
        ax.legend(fontsize=7)
    ax.set_xlabel(name)
    ax.set_ylabel("runs")
    ax.set_title(f"{name} (n = {values.size})", fontsize=9)
    return fig


def _is_numeric(series) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def plot_sweep_metric(table, metric: str, grid: Sequence[str]):
    """A metric against the grid: mean +- std over seeds.

    Parameters
    ----------
    table : pandas.DataFrame
        Sweep rows (``results.csv``), finished runs only.
    metric : str
        A numeric column.
    grid : sequence of str
        The grid parameters; the first one with more than one value is the x
        axis (log scale when positive and spanning more than a factor 50),
        the others split the lines.

    Returns
    -------
    matplotlib Figure, or None when the metric has no finite value.
    """
    plt = _plt()
    data = table[[c for c in grid if c in table] + [metric]].copy()
    data = data[np.isfinite(data[metric].astype(float))]
    if data.empty:
        return None
    axes = [c for c in grid if c in data and data[c].nunique() > 1] or [c for c in grid if c in data][:1]
    x, hue = axes[0], axes[1:]
    fig, ax = plt.subplots(figsize=(4.8, 3.3))
    groups = data.groupby(hue, dropna=False, sort=True) if hue else [((), data)]
    numeric_x = _is_numeric(data[x])
    categories = list(dict.fromkeys(data[x])) if not numeric_x else None
    for key, sub in groups:
        stats = sub.groupby(x, sort=True)[metric].agg(["mean", "std", "count"]).reset_index()
        xs = stats[x].to_numpy(dtype=float) if numeric_x else np.array([categories.index(v) for v in stats[x]])
        std = np.nan_to_num(stats["std"].to_numpy(dtype=float))
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{h}={k}" for h, k in zip(hue, key)) or None
        ax.errorbar(xs, stats["mean"], yerr=std, marker="o", ms=3.5, capsize=2.5, lw=1.2, label=label)
    if numeric_x:
        xv = data[x].to_numpy(dtype=float)
        if xv.min() > 0 and xv.max() / xv.min() > 50:
            ax.set_xscale("log")
    else:
        ax.set_xticks(range(len(categories)), [str(c) for c in categories])
    ax.set_xlabel(x)
    ax.set_ylabel(metric)
    n_seeds = data.groupby([*hue, x]).size().max() if len(data) else 0
    ax.set_title(f"{metric} (mean +- std over up to {n_seeds} seed(s))", fontsize=8)
    if hue:
        ax.legend(fontsize=6, ncol=1 + len(groups) // 8 if hasattr(groups, "__len__") else 1)
    ax.grid(alpha=0.3)
    return fig


def plot_read_accuracy(results: Mapping[str, Mapping[str, np.ndarray]], sizes: Sequence[int], r_wire_ohm: Sequence[float]):
    """Read error and sneak fraction against wire resistance, one panel row per cell type.

    Parameters
    ----------
    results : mapping
        ``results[cell]["rel_error"]`` and ``results[cell]["sneak_fraction"]``,
        arrays of shape ``(len(sizes), len(r_wire_ohm))``.
    sizes : sequence of int
        Array sizes n (n x n), one line each.
    r_wire_ohm : sequence of float
        Wire segment resistances (x axis).
    """
    plt = _plt()
    cells = list(results)
    fig, axs = plt.subplots(2, len(cells), figsize=(3.6 * len(cells), 5.6), squeeze=False, sharex=True)
    cmap = plt.get_cmap("viridis")
    for j, cell in enumerate(cells):
        for row, (name, label) in enumerate(
            [("rel_error", "relative error of I vs ideal V @ G"), ("sneak_fraction", "sneak-path fraction")]
        ):
            ax = axs[row, j]
            arr = np.asarray(results[cell][name], dtype=float)
            for i, n in enumerate(sizes):
                ax.plot(r_wire_ohm, arr[i], marker="o", ms=3, color=cmap(i / max(1, len(sizes) - 1)), label=f"{n}x{n}")
            if np.all(arr[np.isfinite(arr)] > 0) and np.isfinite(arr).any():
                ax.set_yscale("log")
            ax.grid(alpha=0.3)
            if row == 0:
                ax.set_title(cell)
            if row == 1:
                ax.set_xlabel("wire resistance per segment (ohm)")
            if j == 0:
                ax.set_ylabel(label, fontsize=8)
    axs[0, -1].legend(fontsize=7, title="size", title_fontsize=7)
    fig.tight_layout()
    return fig


def plot_disturb_maps(maps: Mapping[str, np.ndarray], title: str, *, label: str = "change of state", selected=None):
    """Per-cell maps side by side (one per scheme), on one symmetric colour scale.

    Parameters
    ----------
    maps : mapping
        Scheme name -> array (rows, cols) of per-cell change.
    title : str
    label : str
        Colour-bar label (with unit).
    selected : (row, col) or None
        A programmed cell to outline.
    """
    plt = _plt()
    names = list(maps)
    vmax = max(float(np.nanmax(np.abs(m))) for m in maps.values()) or 1.0
    fig, axs = plt.subplots(1, len(names), figsize=(3.3 * len(names) + 0.8, 3.2), squeeze=False)
    im = None
    for ax, name in zip(axs[0], names):
        im = ax.imshow(maps[name], cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("bit line")
        ax.set_ylabel("word line")
        if selected is not None:
            r, c = selected
            ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, ec="k", lw=1.2))
    fig.colorbar(im, ax=axs[0].tolist(), label=label, shrink=0.85)
    fig.suptitle(title, fontsize=10)
    return fig
