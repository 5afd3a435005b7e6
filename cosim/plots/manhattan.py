"""Figures of a Manhattan-perceptron run (matplotlib, Agg, returned as Figure objects).

Every function takes a :class:`cosim.algorithms.manhattan.ManhattanHistory`
(or the arrays of its trace) and plots every epoch it holds: the histories
are defined in every entry (no uninitialised tails, unlike the reference
program's figures).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_conductances(g_s: np.ndarray, rows: Sequence[int], cols: Sequence[int], *, title: str = ""):
    """One panel per device of the task's sub-array: conductance (siemens) against update.

    ``g_s`` (E, array_rows, array_cols); ``rows`` / ``cols`` select the devices shown.
    More than 16 devices: one panel per column, one line per row (many
    small panels are slow to draw and unreadable).
    """
    plt = _plt()
    rows, cols = list(rows), list(cols)
    if len(rows) * len(cols) > 16:
        fig, axes = plt.subplots(1, len(cols), figsize=(2.6 * len(cols) + 1, 3.4), sharex=True, squeeze=False)
        x = np.arange(g_s.shape[0])
        for b, c in enumerate(cols):
            ax = axes[0, b]
            for a, r in enumerate(rows):
                ax.plot(
                    x,
                    g_s[:, r, c] * 1e6,
                    "-",
                    lw=1,
                    color=plt.cm.viridis(a / max(1, len(rows) - 1)),
                    label=f"row {r}" if b == 0 else None,
                )
            ax.set_title(f"column {c}", fontsize=8)
            ax.tick_params(labelsize=6)
            ax.set_xlabel("update", fontsize=7)
        axes[0, 0].set_ylabel("conductance (µS)")
        axes[0, 0].legend(fontsize=5, ncol=2)
        fig.suptitle(title or "Conductance of every device")
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.15, top=0.85, wspace=0.35)
        return fig
    fig, axes = plt.subplots(
        len(rows), len(cols), figsize=(1.9 * len(cols) + 1, 1.4 * len(rows) + 1), sharex=True, squeeze=False
    )
    x = np.arange(g_s.shape[0])
    for a, r in enumerate(rows):
        for b, c in enumerate(cols):
            ax = axes[a, b]
            ax.plot(x, g_s[:, r, c] * 1e6, "o-", ms=2, lw=1)
            ax.set_title(f"row {r}, col {c}", fontsize=7)
            ax.tick_params(labelsize=6)
    fig.supxlabel("update")
    fig.supylabel("conductance (µS)")
    fig.suptitle(title or "Conductance of every device")
    fig.tight_layout()
    return fig


def plot_weights(weights_s: np.ndarray, *, title: str = ""):
    """One panel per synapse: weight ``G+ - G-`` (siemens) against update; ``weights_s`` (E, n_in, n_out)."""
    plt = _plt()
    n_in, n_out = weights_s.shape[1:]
    if n_in * n_out > 16:  # one panel per neuron, one line per input
        fig, axes = plt.subplots(1, n_out, figsize=(3.6 * n_out + 1, 3.4), sharex=True, squeeze=False)
        x = np.arange(weights_s.shape[0])
        for i in range(n_out):
            ax = axes[0, i]
            for j in range(n_in):
                ax.plot(
                    x,
                    weights_s[:, j, i] * 1e6,
                    "-",
                    lw=1,
                    color=plt.cm.tab10(j % 10),
                    label=f"input {j}" if i == 0 else None,
                )
            ax.axhline(0, color="grey", lw=0.5)
            ax.set_title(f"neuron {i}", fontsize=8)
            ax.set_xlabel("update", fontsize=7)
        axes[0, 0].set_ylabel("weight G+ - G- (µS)")
        axes[0, 0].legend(fontsize=5, ncol=2)
        fig.suptitle(title or "Synaptic weights")
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.85, wspace=0.3)
        return fig
    fig, axes = plt.subplots(n_in, n_out, figsize=(2.4 * n_out + 1, 1.2 * n_in + 1), sharex=True, squeeze=False)
    x = np.arange(weights_s.shape[0])
    for j in range(n_in):
        for i in range(n_out):
            ax = axes[j, i]
            ax.plot(x, weights_s[:, j, i] * 1e6, "o-", ms=2, lw=1, color=f"C{i}")
            ax.axhline(0, color="grey", lw=0.5)
            ax.set_title(f"input {j} -> neuron {i}", fontsize=7)
            ax.tick_params(labelsize=6)
    fig.supxlabel("update")
    fig.supylabel("weight G+ - G- (µS)")
    fig.suptitle(title or "Synaptic weights")
    fig.tight_layout()
    return fig


def plot_activations(
    activation: np.ndarray,
    labels: np.ndarray,
    target: float,
    *,
    pattern_names: Sequence[str] | None = None,
    title: str = "",
):
    """One panel per neuron: the activation of every training pattern against update, with the target bands.

    ``activation`` (E, P, n_out), ``labels`` (P, n_out). Patterns labelled 1
    are solid lines, 0 dashed; the shaded bands are ``f > target`` and
    ``f < -target`` (where each output must end).
    """
    plt = _plt()
    n_pat, n_out = labels.shape
    fig, axes = plt.subplots(1, n_out, figsize=(4.2 * n_out, 3.6), sharey=True, squeeze=False)
    x = np.arange(activation.shape[0])
    for i in range(n_out):
        ax = axes[0, i]
        ax.axhspan(target, 1.02, color="tab:green", alpha=0.12)
        ax.axhspan(-1.02, -target, color="tab:red", alpha=0.12)
        for p in range(n_pat):
            hi = labels[p, i] == 1
            lab = None
            if pattern_names is not None and n_pat <= 8:
                lab = f"{pattern_names[p]} ({labels[p, i]})"
            ax.plot(
                x,
                activation[:, p, i],
                "-" if hi else "--",
                lw=1,
                color="tab:green" if hi else "tab:red",
                alpha=0.8,
                label=lab,
            )
        ax.set_ylim(-1.02, 1.02)
        ax.set_title(f"neuron {i}")
        ax.set_xlabel("update")
        if lab is not None:
            ax.legend(fontsize=6, loc="center right")
    axes[0, 0].set_ylabel("activation tanh(beta I)")
    fig.suptitle(title or f"Activations per pattern (bands: |f| > {target})")
    fig.tight_layout()
    return fig


def plot_error(error: np.ndarray, *, title: str = ""):
    """Total error against update (every entry, including the initial state)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(np.arange(error.size), error, "o-", ms=3)
    ax.set_xlabel("update")
    ax.set_ylabel("total error")
    ax.set_ylim(bottom=0)
    ax.set_title(title or "Total error per epoch")
    fig.tight_layout()
    return fig


def plot_conductances_3d(g_s: np.ndarray, *, title: str = ""):
    """3-D bar chart of the final conductances (siemens) of a (rows, cols) block."""
    plt = _plt()
    rows, cols = g_s.shape
    fig = plt.figure(figsize=(6, 5))
    ax = fig.add_subplot(111, projection="3d")
    xx, yy = np.meshgrid(np.arange(cols), np.arange(rows))
    colors = plt.cm.viridis(np.linspace(0, 1, rows * cols))
    ax.bar3d(xx.ravel(), yy.ravel(), np.zeros(rows * cols), 0.7, 0.7, g_s.ravel() * 1e6, color=colors, shade=True)
    ax.set_xlabel("column (bit line)")
    ax.set_ylabel("row (word line)")
    ax.set_zlabel("G (µS)")
    ax.set_xticks(np.arange(cols) + 0.35, [str(c) for c in range(cols)])
    ax.set_yticks(np.arange(rows) + 0.35, [str(r) for r in range(rows)])
    ax.set_title(title or "Final conductances")
    return fig


def plot_study(
    table: Sequence[dict],
    x_key: str,
    y_key: str,
    group_key: str,
    *,
    logx: bool = True,
    title: str = "",
    ylabel: str | None = None,
):
    """Lines ``y_key`` against ``x_key``, one per value of ``group_key`` (rows of a study table)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.8))
    groups = sorted({str(r[group_key]) for r in table})
    for k, gval in enumerate(groups):
        pts = sorted((r[x_key], r[y_key]) for r in table if str(r[group_key]) == gval)
        xs = [p[0] for p in pts]
        ys = [np.nan if p[1] is None else p[1] for p in pts]
        ax.plot(xs, ys, "o-", color=f"C{k}", label=f"{group_key} = {gval}")
    if logx:
        ax.set_xscale("symlog", linthresh=min([r[x_key] for r in table if r[x_key] > 0] or [1.0]))
    ax.set_xlabel(x_key)
    ax.set_ylabel(ylabel or y_key)
    ax.legend(fontsize=7)
    ax.set_title(title)
    fig.tight_layout()
    return fig
