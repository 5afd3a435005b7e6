"""Figures of studies and sweeps (matplotlib, Agg backend; functions return a Figure).

- :func:`plot_metric_histogram`: one metric's distribution over seeds.
- :func:`plot_sweep_metric`: a metric against the first grid parameter, mean
  and standard deviation over seeds, one line per combination of the others.
- :func:`plot_read_point`: one read of one array, the IR-drop map and the
  per-bit-line error (the ``read_accuracy`` run figure).
- :func:`plot_disturb_maps`: per-cell change of state maps (the ``write_disturb`` study).
- :func:`plot_study_summary`: several metrics of one sweep side by side against
  one grid parameter, one line per combination of others (the figures of
  the studies pages, e.g. ``verified_write_study``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["plot_metric_histogram", "plot_sweep_metric", "plot_read_point", "plot_disturb_maps", "plot_study_summary"]


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
        The grid parameters, in the sweep's order.  Of those with more than
        one value, the first is the x axis (log scale when positive and
        spanning more than a factor 50), the last one (when there are three
        or more) splits the figure into panels, and the others split the lines.

    Returns
    -------
    matplotlib Figure, or None when the metric has no finite value.
    """
    plt = _plt()
    present = [c for c in grid if c in table]
    data = table[present + [metric]].copy()
    data = data[np.isfinite(data[metric].astype(float))]
    if data.empty or not present:
        return None
    varying = [c for c in present if data[c].nunique() > 1] or present[:1]
    x = varying[0]
    panel = varying[-1] if len(varying) >= 3 else None
    hue = [c for c in varying[1:] if c != panel]
    panels = list(dict.fromkeys(data[panel])) if panel else [None]
    fig, axs = plt.subplots(1, len(panels), figsize=(1.0 + 3.9 * len(panels), 3.3), squeeze=False, sharey=True)
    numeric_x = _is_numeric(data[x])
    categories = None if numeric_x else list(dict.fromkeys(data[x]))
    yv = data[metric].to_numpy(dtype=float)
    for ax, pv in zip(axs[0], panels):
        sub_all = data if panel is None else data[data[panel] == pv]
        groups = sub_all.groupby(hue, dropna=False, sort=True) if hue else [((), sub_all)]
        for key, sub in groups:
            stats = sub.groupby(x, sort=True)[metric].agg(["mean", "std"]).reset_index()
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
        if yv.min() > 0 and yv.max() / yv.min() > 50:
            ax.set_yscale("log")
        ax.set_xlabel(x)
        ax.grid(alpha=0.3)
        if panel is not None:
            ax.set_title(f"{panel} = {pv}", fontsize=9)
        if hue and ax is axs[0][-1]:
            ax.legend(fontsize=6)
    axs[0][0].set_ylabel(metric)
    n_seeds = int(data.groupby(varying).size().max())
    fig.suptitle(f"{metric} (mean +- std over {n_seeds} seed(s) per point)" if n_seeds > 1 else metric, fontsize=9)
    fig.tight_layout()
    return fig


def plot_read_point(
    cell_voltages_v: np.ndarray, v_in_v: np.ndarray, i_out_a: np.ndarray, i_ref_a: np.ndarray, *, title: str = ""
):
    """One read of one array: the read voltage each cell loses to the wires
    (the IR-drop map, mV), and each bit line's relative current error.

    Parameters
    ----------
    cell_voltages_v : (rows, cols)
    v_in_v : (rows,)
    i_out_a, i_ref_a : (cols,)
        Output currents with the wires and the reference (ideal wires), ampere.
    """
    plt = _plt()
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(8.4, 3.4))
    lost_mv = (np.asarray(v_in_v)[:, None] - cell_voltages_v) * 1e3
    im = a0.imshow(lost_mv, cmap="magma", interpolation="nearest")
    fig.colorbar(im, ax=a0, label="V_in of its row - V_cell (mV)")
    a0.set_xlabel("bit line")
    a0.set_ylabel("word line")
    a0.set_title("read voltage lost to the wires", fontsize=9)
    a1.plot(np.arange(i_out_a.size), (i_out_a - i_ref_a) / i_ref_a, ".-", ms=3)
    a1.set_xlabel("bit line")
    a1.set_ylabel("(I - I_ideal wires) / I_ideal wires")
    a1.set_title("output current error", fontsize=9)
    a1.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_disturb_maps(
    maps: Mapping[str, np.ndarray], title: str, *, label: str = "change of state", selected=None, outline=None
):
    """Per-cell maps side by side (one per scheme) on one symmetric-log colour scale.

    Parameters
    ----------
    maps : mapping
        Scheme name -> array (rows, cols) of per-cell change.
    title : str
    label : str
        Colour-bar label (with unit).
    selected : (row, col) or None
        A programmed cell to outline.
    outline : bool array (rows, cols) or None
        Target cells, outlined with a contour.
    """
    plt = _plt()
    from matplotlib.colors import SymLogNorm

    names = list(maps)
    vmax = max(float(np.nanmax(np.abs(m))) for m in maps.values()) or 1.0
    nonzero = np.concatenate([np.abs(m[np.abs(m) > 0]).ravel() for m in maps.values()] + [np.array([vmax])])
    # linear within the smallest changes worth seeing, logarithmic above: small disturb stays visible
    linthresh = max(float(np.percentile(nonzero, 5)), vmax * 1e-6)
    norm = SymLogNorm(linthresh=linthresh, vmin=-vmax, vmax=vmax, base=10)
    fig, axs = plt.subplots(1, len(names), figsize=(3.3 * len(names) + 1.0, 3.4), squeeze=False)
    im = None
    for ax, name in zip(axs[0], names):
        im = ax.imshow(maps[name], cmap="RdBu_r", norm=norm, interpolation="nearest")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("bit line")
        if ax is axs[0][0]:
            ax.set_ylabel("word line")
        if selected is not None:
            r, c = selected
            ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, ec="k", lw=1.2))
        if outline is not None and np.any(outline) and not np.all(outline):
            ax.contour(np.asarray(outline, dtype=float), levels=[0.5], colors="k", linewidths=0.4)
    lo, hi = int(np.ceil(np.log10(linthresh))), int(np.floor(np.log10(vmax)))
    decades = [10.0**k for k in range(max(lo, hi - 3), hi + 1)]  # at most four decades a side, readable
    ticks = [-d for d in reversed(decades)] + [0.0] + decades
    fig.colorbar(im, ax=axs[0].tolist(), label=label, shrink=0.85, ticks=ticks)
    fig.suptitle(title, fontsize=9)
    return fig


def plot_study_summary(
    table,
    x: str,
    metrics: Sequence[tuple[str, str, float]],
    lines: Sequence[str],
    *,
    title: str = "",
    logy: Sequence[str] = (),
):
    """Metrics of one sweep side by side, each against ``x``: mean +- std over seeds.

    Parameters
    ----------
    table : pandas.DataFrame
        Sweep rows (``results.csv``); rows whose ``status`` (if present) is
        not ``done`` or ``skipped`` are left out.
    x : str
        The column on the x axis (numeric).
    metrics : sequence of (column, axis label, scale)
        One panel per metric; values are multiplied by ``scale`` (e.g. 1e9
        for J -> nJ, 100 for a fraction -> %).
    lines : sequence of str
        Columns whose value combinations make one line each (e.g.
        ``["scheme", "predictor"]``).
    title : str
    logy : sequence of str
        Metric columns drawn on a logarithmic y axis.

    Returns
    -------
    matplotlib Figure

    Raises
    ------
    KeyError
        A column named in ``x``, ``metrics`` or ``lines`` is not in the table
        (the message names it).
    """
    plt = _plt()
    for col in [x, *lines, *(m[0] for m in metrics)]:
        if col not in table:
            raise KeyError(f"column {col!r} is not in the sweep table; it has {sorted(table.columns)}")
    data = table
    if "status" in data:
        data = data[data["status"].isin(["done", "skipped"])]
    fig, axs = plt.subplots(1, len(metrics), figsize=(0.6 + 3.3 * len(metrics), 3.2), squeeze=False)
    styles = ["-", "--", ":", "-."]
    groups = list(data.groupby(list(lines), sort=True)) if lines else [((), data)]
    for ax, (col, label, scale) in zip(axs[0], metrics):
        for i, (key, sub) in enumerate(groups):
            stats = sub.groupby(x, sort=True)[col].agg(["mean", "std", "size"]).reset_index()
            key = key if isinstance(key, tuple) else (key,)
            name = ", ".join(str(k) for k in key) or None
            ax.errorbar(
                stats[x].to_numpy(dtype=float),
                stats["mean"].to_numpy(dtype=float) * scale,
                yerr=np.nan_to_num(stats["std"].to_numpy(dtype=float)) * scale,
                marker="o",
                ms=3.5,
                capsize=2.5,
                lw=1.2,
                ls=styles[(i // 10) % len(styles)],
                label=name,
            )
        if col in logy:
            ax.set_yscale("log")
        ax.set_xlabel(x)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    if lines:
        axs[0][0].legend(fontsize=7, title=", ".join(lines), title_fontsize=7)
    n_seeds = int(data.groupby([x, *lines]).size().max()) if len(data) else 0
    fig.suptitle(
        f"{title} (mean +- std over {n_seeds} seeds)" if title else f"mean +- std over {n_seeds} seeds", fontsize=9
    )
    fig.tight_layout()
    return fig
