"""Maps of a solved crossbar: the four pictures badcrossbar users expect.

:func:`plot_crossbar_solution` draws, for one :class:`CrossbarSolution`
(no batch axis, or one item picked with ``index``), colour maps of the cell
voltages (V), cell currents (A), word-line node voltages (V) and bit-line
node voltages (V), each with a colour bar; rows are word lines (row 0 at
the top, drivers on the left), columns are bit lines (sensed at the bottom).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cosim.solvers.result import CrossbarSolution

__all__ = ["plot_crossbar_solution", "save_crossbar_maps"]

PANELS = (
    ("cell_voltages_v", "cell voltage", "V"),
    ("cell_currents_a", "cell current", "A"),
    ("wordline_voltages_v", "word-line node voltage", "V"),
    ("bitline_voltages_v", "bit-line node voltage", "V"),
)


def plot_crossbar_solution(solution: CrossbarSolution, *, index: int | None = None, title: str | None = None):
    """Figure with four colour maps of a solved crossbar.

    Parameters
    ----------
    solution : CrossbarSolution
        A single read/bias, or a batch with ``index`` choosing the item.
    index : int, optional
        Batch item to draw (required for a batched solution).
    title : str, optional
        Figure title (default: the backend and the array size).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        A batched solution without ``index``, or ``index`` out of range.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grids = {}
    for attr, _, _ in PANELS:
        arr = np.asarray(getattr(solution, attr), dtype=float)
        if arr.ndim == 3:
            if index is None:
                raise ValueError(f"the solution holds a batch of {arr.shape[0]} reads; pass index= to pick one")
            if not -arr.shape[0] <= index < arr.shape[0]:
                raise ValueError(f"index {index} out of range for a batch of {arr.shape[0]}")
            arr = arr[index]
        grids[attr] = arr
    rows, cols = grids["cell_voltages_v"].shape
    fig, axes = plt.subplots(2, 2, figsize=(10, 8.5), constrained_layout=True)
    for ax, (attr, label, unit) in zip(axes.ravel(), PANELS):
        data = grids[attr]
        im = ax.imshow(data, cmap="viridis", interpolation="nearest", aspect="auto")
        bar = fig.colorbar(im, ax=ax)
        bar.set_label(f"{label} ({unit})")
        bar.formatter.set_powerlimits((-2, 3))  # type: ignore[attr-defined]  # a ScalarFormatter here
        bar.update_ticks()
        ax.set_title(f"{label}s ({unit})")
        ax.set_xlabel("bit line (column) j")
        ax.set_ylabel("word line (row) i")
    fig.suptitle(title or f"crossbar {rows} x {cols}, solved by {solution.backend}")
    return fig


def save_crossbar_maps(solution: CrossbarSolution, path, *, overwrite: bool = False, **kwargs) -> Path:
    """Draw :func:`plot_crossbar_solution` and save it as PNG to ``path``.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False.
    """
    import matplotlib.pyplot as plt

    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass --force (overwrite=True) to replace it")
    fig = plot_crossbar_solution(solution, **kwargs)
    try:
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
    return path
