"""Figures of the core experiments (Izhikevich, Tempotron, DRTP, user cores).

Every function returns a :class:`matplotlib.figure.Figure`; the caller saves it.
"""

from __future__ import annotations

import numpy as np

from cosim.plots.snn import _plt

__all__ = ["membrane_panels", "raster", "tempotron_potentials", "accuracy_per_epoch", "weight_images", "capacity_curve"]


def membrane_panels(traces: dict[str, np.ndarray], dt_ms: float, current: np.ndarray | None = None, title: str = ""):
    """Membrane traces side by side (the Izhikevich paper's Fig. 2 layout).

    ``traces``: name -> (T,) membrane in mV; ``current``: (T,) input drawn under each trace.
    """
    plt = _plt()
    n = len(traces)
    ncol = min(n, 4)
    nrow = int(np.ceil(n / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.2 * nrow), squeeze=False, constrained_layout=True)
    for ax, (name, v) in zip(axes.ravel(), traces.items()):
        t = np.arange(len(v)) * dt_ms
        ax.plot(t, v, lw=0.8, color="k")
        if current is not None:
            lo = np.min(v) - 10
            ax.plot(t, lo - 8 + 6 * current / max(np.max(np.abs(current)), 1e-12), lw=0.8, color="tab:blue")
        ax.set_title(name.replace("_", " "), fontsize=9)
        ax.set_xlabel("t (ms)", fontsize=8)
        ax.set_ylabel("v (mV)", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def raster(spikes_in: np.ndarray, spikes_out: np.ndarray, dt_ms: float = 1.0, title: str = ""):
    """Spike rasters of the inputs (top) and outputs (bottom); ``spikes_*`` (T, n) bool or times-as-NaN."""
    plt = _plt()
    fig, (a, b) = plt.subplots(
        2, 1, figsize=(6.5, 4.2), sharex=True, gridspec_kw={"height_ratios": [3, 1]}, constrained_layout=True
    )
    for ax, s, name in ((a, spikes_in, "input"), (b, spikes_out, "output")):
        t, i = np.nonzero(np.asarray(s))
        ax.scatter(t * dt_ms, i, s=2, marker="|", color="k")
        ax.set_ylabel(f"{name} neuron", fontsize=8)
        ax.set_ylim(-0.5, max(np.asarray(s).shape[1] - 0.5, 0.5))
    b.set_xlabel("t (ms)")
    b.set_xlim(0, len(spikes_in) * dt_ms)
    if title:
        a.set_title(title, fontsize=9)
    return fig


def tempotron_potentials(
    v_before: np.ndarray, v_after: np.ndarray, labels: np.ndarray, threshold: float, dt_ms: float = 1.0, title: str = ""
):
    """Tempotron potential ``V(t)`` of a few patterns before (left) and after (right) learning.

    ``v_*``: (n_patterns, T); ``labels``: (n_patterns,) 1 = should fire (red), 0 = should not (blue).
    """
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True, constrained_layout=True)
    for ax, v, name in zip(axes, (v_before, v_after), ("before learning", "after learning")):
        t = np.arange(v.shape[1]) * dt_ms
        for k in range(v.shape[0]):
            ax.plot(t, v[k], lw=0.8, color="tab:red" if labels[k] else "tab:blue", alpha=0.8)
        ax.axhline(threshold, color="k", ls="--", lw=0.8)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("t (ms)")
    axes[0].set_ylabel("V (kernel units)")
    if title:
        fig.suptitle(title + "  (red: + patterns, blue: - patterns)", fontsize=9)
    return fig


def accuracy_per_epoch(curves: dict[str, list[float]], title: str = "", ylabel: str = "accuracy"):
    """One line per name: accuracy (or fraction learned) after each epoch."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.2, 3.4), constrained_layout=True)
    for name, y in curves.items():
        ax.plot(np.arange(1, len(y) + 1), np.asarray(y) * 100, marker="o", ms=3, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{ylabel} (%)")
    ax.set_ylim(0, 101)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def weight_images(w: np.ndarray, image_shape: tuple[int, int], title: str = "", names: list[str] | None = None):
    """Each output's (column's) weights as an image, a diverging map centred on 0."""
    plt = _plt()
    n = w.shape[1]
    ncol = min(n, 10)
    nrow = int(np.ceil(n / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(1.25 * ncol, 1.4 * nrow + 0.4), squeeze=False)
    lim = float(np.max(np.abs(w))) or 1.0
    for k, ax in enumerate(axes.ravel()):
        ax.set_xticks([])
        ax.set_yticks([])
        if k >= n:
            ax.axis("off")
            continue
        im = ax.imshow(w[:, k].reshape(image_shape), cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(names[k] if names else str(k), fontsize=7)
    fig.colorbar(im, ax=axes, shrink=0.8, label="w")
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def capacity_curve(alpha: list[float], fraction: dict[str, list[float]], title: str = ""):
    """Fraction of patterns learned against the load ``P / N``, one line per weight kind."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 3.4), constrained_layout=True)
    for name, y in fraction.items():
        ax.plot(alpha, np.asarray(y) * 100, marker="o", label=name)
    ax.set_xlabel("load P / N")
    ax.set_ylabel("patterns classified correctly (%)")
    ax.set_ylim(0, 101)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    return fig
