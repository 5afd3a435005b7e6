"""Figures of the spiking-network runs (matplotlib, Agg, PNG through ``ctx.save_figure``).

Every function returns a :class:`matplotlib.figure.Figure`; the caller saves it.
"""

from __future__ import annotations

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def weight_maps(w_before_s: np.ndarray, w_after_s: np.ndarray, image_shape: tuple[int, int], title: str = ""):
    """Each output neuron's weights as an image, before (top) and after (bottom) training.

    ``w_*_s``: (n_inputs, n_outputs) conductances in siemens; with a good
    training the digits appear in the bottom row.
    """
    plt = _plt()
    n_out = w_before_s.shape[1]
    fig, axes = plt.subplots(2, n_out, figsize=(1.3 * n_out, 3.0), squeeze=False)
    lo = min(w_before_s.min(), w_after_s.min()) * 1e6
    hi = max(w_before_s.max(), w_after_s.max()) * 1e6
    for o in range(n_out):
        for r, w in enumerate((w_before_s, w_after_s)):
            ax = axes[r, o]
            im = ax.imshow(w[:, o].reshape(image_shape) * 1e6, cmap="viridis", vmin=lo, vmax=hi)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(str(o), fontsize=8)
        axes[0, 0].set_ylabel("before", fontsize=8)
        axes[1, 0].set_ylabel("after", fontsize=8)
    fig.colorbar(im, ax=axes, shrink=0.8, label="G (uS)")
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def array_maps(g_before_s: np.ndarray, g_after_s: np.ndarray, title: str = ""):
    """The whole array's conductances (word line x bit line) before and after, microsiemens."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(8.5, 3.6), constrained_layout=True)
    lo = min(g_before_s.min(), g_after_s.min()) * 1e6
    hi = max(g_before_s.max(), g_after_s.max()) * 1e6
    for ax, g, name in zip(axes, (g_before_s, g_after_s), ("before", "after")):
        im = ax.imshow(g * 1e6, cmap="viridis", vmin=lo, vmax=hi, interpolation="nearest")
        ax.set_title(f"array conductance {name}", fontsize=9)
        ax.set_xlabel("bit line")
        ax.set_ylabel("word line")
    fig.colorbar(im, ax=axes, shrink=0.85, label="G (uS)")
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def synapse_resistance(r_stim_ohm: np.ndarray, r_quiet_ohm: np.ndarray, labels: tuple[str, str]):
    """Resistance of two synapses after each training sample (a stimulated and a non-stimulated one)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.2, 3.0))
    n = np.arange(1, len(r_stim_ohm) + 1)
    ax.plot(n, np.asarray(r_stim_ohm) / 1e3, lw=1, label=labels[0])
    ax.plot(n, np.asarray(r_quiet_ohm) / 1e3, lw=1, label=labels[1])
    ax.set_xlabel("training sample")
    ax.set_ylabel("R (kohm)")
    ax.legend(fontsize=7)
    ax.set_title("per-synapse resistance over training", fontsize=9)
    return fig


def training_accuracy(acc_per_100: list[float], block: int = 100):
    """Training accuracy (fraction correct before each update) per block of samples."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.0, 3.0))
    acc = np.asarray(acc_per_100, dtype=float) * 100
    ax.plot(np.arange(1, len(acc) + 1) * block, acc, marker="o", ms=2, lw=1)
    ax.set_xlabel("training samples")
    ax.set_ylabel(f"accuracy per {block} (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    return fig


def accuracy_bars(results: dict[str, float], title: str = "test accuracy"):
    """Test accuracy (fraction) per configuration as bars."""
    plt = _plt()
    names = list(results)
    vals = np.array([results[k] for k in names], dtype=float) * 100
    fig, ax = plt.subplots(figsize=(max(3.5, 0.9 * len(names) + 1.5), 3.2))
    bars = ax.bar(range(len(names)), vals, color="tab:blue")
    for b, v in zip(bars, vals):
        ax.text(b.get_x() + b.get_width() / 2, v + 1, f"{v:.1f}", ha="center", fontsize=7)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 105)
    ax.set_title(title, fontsize=9)
    return fig


def membranes_and_spikes(v_out: np.ndarray, spikes: np.ndarray, labels: np.ndarray, threshold_v: float):
    """Output membrane potentials (lines) and post-WTA spikes (dots) for a few samples."""
    plt = _plt()
    n, n_out = v_out.shape
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(6.0, 4.2), sharex=True)
    t = np.arange(n)
    for o in range(n_out):
        ax1.plot(t, v_out[:, o] * 1e3, lw=0.8, label=str(o))
    ax1.axhline(threshold_v * 1e3, color="k", ls="--", lw=0.8)
    ax1.set_ylabel("membrane (mS: sum of x G)")
    ax1.legend(fontsize=6, ncol=5)
    tt, oo = np.nonzero(spikes)
    ax2.scatter(tt, oo, s=12, marker="|", color="tab:red", label="spike")
    ax2.scatter(t, labels, s=10, facecolors="none", edgecolors="k", label="label")
    ax2.set_ylabel("output neuron")
    ax2.set_xlabel("sample (time step)")
    ax2.legend(fontsize=6)
    return fig


def receptive_fields(w: np.ndarray, image_shape: tuple[int, int], assigned: np.ndarray | None = None):
    """STDP receptive fields: each post-synaptic neuron's weights as an image (with its assigned label)."""
    plt = _plt()
    n_out = w.shape[1]
    ncol = min(n_out, 10)
    nrow = int(np.ceil(n_out / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(1.2 * ncol, 1.3 * nrow), squeeze=False)
    for k in range(nrow * ncol):
        ax = axes[k // ncol, k % ncol]
        ax.set_xticks([])
        ax.set_yticks([])
        if k < n_out:
            ax.imshow(w[:, k].reshape(image_shape), cmap="viridis")
            if assigned is not None:
                ax.set_title(f"-> {assigned[k]}", fontsize=7)
        else:
            ax.axis("off")
    return fig
