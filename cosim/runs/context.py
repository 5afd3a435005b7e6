"""What an experiment gets from the runs layer: :class:`RunContext`.

An experiment is ``run(config, ctx) -> dict`` (see :mod:`cosim.runs.registry`);
``ctx`` is a :class:`RunContext`.  Through it the experiment draws random
numbers (``ctx.rng``, seeded from ``ctx.seed``), shows progress, saves arrays
and figures into its run folder, logs, and hands over partial metrics with
``ctx.checkpoint`` so that an interrupted run (Ctrl-C) keeps what it has done.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from cosim.atomic import atomic_path, write_text_atomic

__all__ = ["RunContext", "progress_enabled", "jsonable"]


def progress_enabled(requested: bool = True) -> bool:
    """Whether progress bars are shown: requested, ``COSIM_NO_PROGRESS`` unset
    (or ``0``), and stderr is a terminal."""
    if not requested or os.environ.get("COSIM_NO_PROGRESS", "0") not in ("", "0"):
        return False
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def jsonable(obj: Any) -> Any:
    """``obj`` with numpy scalars/arrays, tuples, Paths and non-finite floats
    made JSON-serialisable (NaN/inf become ``null``/``"inf"`` strings are not
    used: non-finite floats become ``None`` so the file stays strict JSON)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return jsonable(obj.item())
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (str, int, bool)) or obj is None or isinstance(obj, float):
        return obj
    raise TypeError(f"metric value of type {type(obj).__name__} is not JSON-serialisable: {obj!r}")


class RunContext:
    """The run's services for an experiment.

    Attributes
    ----------
    seed : int
        The run's seed (``cosim run --seed``, else the config's ``seed``, else 0).
    rng : numpy.random.Generator
        ``numpy.random.default_rng(seed)``; the only source of randomness an
        experiment should use, so that seeded runs are bit-identical.
    backend : str or None
        ``"ideal" | "nodal" | "ngspice"`` from ``--backend`` or the config, or None.
    out_dir : pathlib.Path
        The run folder (exists).
    figures : bool
        False when figures are not wanted (``cosim run --seeds`` without
        ``--figures``): experiments may skip building them; ``save_figure``
        then only closes the figure.
    quiet : bool
        True when ``log`` should not print (it still writes ``log.txt``).

    Parameters
    ----------
    seed : int
    out_dir : str or Path
    backend : str, optional
    show_progress : bool
        Show tqdm bars (further gated by :func:`progress_enabled`).
    figures : bool
    quiet : bool
    """

    def __init__(
        self,
        seed: int,
        out_dir: str | Path,
        *,
        backend: str | None = None,
        show_progress: bool = True,
        figures: bool = True,
        quiet: bool = False,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        self.seed = int(seed)
        self.rng = np.random.default_rng(self.seed)
        self.backend = backend
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.figures = figures
        self.quiet = quiet
        self._show_progress = progress_enabled(show_progress)
        self._checkpoint: dict | None = None
        # the first disk copy after one interval: short runs (many seeds) write none at all
        self._checkpoint_written = time.monotonic()
        self.checkpoint_interval_s = 5.0
        self.timings: dict[str, float] = {}

    # -- progress and logging
    def progress(self, iterable: Iterable | None = None, total: int | None = None, desc: str = ""):
        """Wrap ``iterable`` in a tqdm bar (silent when progress is off).

        Returns the tqdm object, usable as an iterator or with ``.update(n)``.
        """
        from tqdm.auto import tqdm

        return tqdm(iterable, total=total, desc=desc, disable=not self._show_progress, leave=False, dynamic_ncols=True)

    def log(self, msg: str) -> None:
        """Append ``msg`` (time-stamped) to ``log.txt`` in the run folder and print it unless quiet."""
        stamp = time.strftime("%H:%M:%S")
        with (self.out_dir / "log.txt").open("a") as fh:
            fh.write(f"{stamp} {msg}\n")
        if not self.quiet:
            print(msg, flush=True)

    def timing(self, name: str, seconds: float) -> None:
        """Record a duration (second) the experiment measured, e.g. ``ctx.timing("train_s", t)``.

        Timings go to the ``timing`` section of ``run.json``, not into the
        metrics: ``metrics.json`` stays bit-identical for the same seed.
        """
        self.timings[str(name)] = round(float(seconds), 6)

    # -- results
    def _target(self, name: str, suffix: str) -> Path:
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise ValueError(f"file name must be a plain name inside the run folder, got {name!r}")
        return self.out_dir / (name if name.endswith(suffix) else name + suffix)

    def save_trace(self, name: str = "trace", **arrays: Any) -> Path:
        """Save arrays to ``<out_dir>/<name>.npz`` (compressed); returns the path.

        Raises
        ------
        ValueError
            When no arrays are given or ``name`` is not a plain file name.
        """
        if not arrays:
            raise ValueError(f"save_trace({name!r}): no arrays given")
        path = self._target(name, ".npz")
        with atomic_path(path) as tmp:
            np.savez_compressed(tmp, **{k: np.asarray(v) for k, v in arrays.items()})
        return path

    def save_figure(self, fig, name: str, *, dpi: int = 120) -> Path | None:
        """Save a matplotlib figure as ``<out_dir>/<name>`` (PNG) and close it.

        Returns the path, or None when ``ctx.figures`` is False (the figure
        is closed unsaved).
        """
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        try:
            if not self.figures:
                return None
            path = self._target(name, ".png")
            with atomic_path(path) as tmp:
                fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
            return path
        finally:
            plt.close(fig)

    def checkpoint(self, metrics_so_far: dict) -> None:
        """Hand over the metrics so far.

        Call it periodically (e.g. once per epoch): if the run is interrupted
        (Ctrl-C) its ``metrics.json`` holds the last checkpoint with
        ``"interrupted": true``.  It is also written to ``checkpoint.json`` at
        most every ``checkpoint_interval_s`` seconds (the first time one
        interval after the run started), so even a killed long run leaves its
        progress behind.
        """
        self._checkpoint = jsonable(dict(metrics_so_far))
        now = time.monotonic()
        if now - self._checkpoint_written >= self.checkpoint_interval_s:
            self._checkpoint_written = now
            write_text_atomic(self.out_dir / "checkpoint.json", json.dumps(self._checkpoint, indent=1))

    @property
    def last_checkpoint(self) -> dict | None:
        """The metrics most recently given to :meth:`checkpoint` (JSON-ready), or None."""
        return self._checkpoint
