"""Tables of runs: flatten metrics, summarise them over seeds, write CSV.

Used by ``cosim run --seeds`` (``seeds.csv`` + ``summary.json``) and by sweeps
(``results.csv`` / ``results.parquet``).

Examples
--------
>>> flatten({"a": 1, "b": {"c": 2.5, "d": [1, 2]}, "ok": True})
{'a': 1, 'b.c': 2.5, 'ok': True}
>>> s = summarize_metrics([{"acc": 0.5, "ok": True}, {"acc": 1.0, "ok": False}])
>>> s["acc"]["mean"], s["ok"]["fraction"]
(0.75, 0.5)
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cosim.atomic import atomic_path

__all__ = ["flatten", "summarize_metrics", "format_summary", "write_csv"]


def flatten(metrics: Mapping, prefix: str = "") -> dict[str, Any]:
    """Scalar entries of a (nested) metrics dict, keys joined with ``.``.

    Lists and arrays are left out (they stay in ``metrics.json``); ``None``
    is kept (a metric that could not be computed).
    """
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        elif value is None or isinstance(value, (bool, int, float, str, np.generic)):
            out[name] = value.item() if isinstance(value, np.generic) else value
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def summarize_metrics(rows: Sequence[Mapping]) -> dict[str, dict]:
    """Per-metric statistics over runs (e.g. seeds).

    Parameters
    ----------
    rows : sequence of mappings
        Flat metrics of each run (see :func:`flatten`).

    Returns
    -------
    dict
        For a metric that is a number in every run where it is present:
        ``{"n", "mean", "median", "std", "min", "max"}`` (``std`` with
        ``ddof=1`` when n > 1; NaN/None values are left out).  For a boolean
        metric: ``{"n", "fraction"}`` (fraction of runs where it is true).
        Strings are not summarised.
    """
    names: list[str] = []
    for row in rows:
        for k in row:
            if k not in names:
                names.append(k)
    out: dict[str, dict] = {}
    for name in names:
        values = [row[name] for row in rows if name in row and row[name] is not None]
        if values and all(isinstance(v, bool) for v in values):
            out[name] = {"n": len(values), "fraction": float(np.mean(values))}
        elif values and all(_is_number(v) for v in values):
            arr = np.asarray([v for v in values if not (isinstance(v, float) and math.isnan(v))], dtype=float)
            if arr.size == 0:
                continue
            out[name] = {
                "n": int(arr.size),
                "mean": float(arr.mean()),
                "median": float(np.median(arr)),
                "std": float(arr.std(ddof=1)) if arr.size > 1 else 0.0,
                "min": float(arr.min()),
                "max": float(arr.max()),
            }
    return out


def _g(x: float) -> str:
    return f"{x:.4g}"


def format_summary(stats: Mapping[str, Mapping], limit: int = 8) -> str:
    """One line: ``converged 0.85; updates mean 12 median 11 std 3 [4, 50]; ...``."""
    parts = []
    for name, s in list(stats.items())[:limit]:
        if "fraction" in s:
            parts.append(f"{name} {_g(s['fraction'])}")
        else:
            parts.append(
                f"{name} mean {_g(s['mean'])} median {_g(s['median'])} std {_g(s['std'])} [{_g(s['min'])}, {_g(s['max'])}]"
            )
    if len(stats) > limit:
        parts.append(f"... {len(stats) - limit} more in summary.json")
    return "; ".join(parts)


def write_csv(path: str | Path, rows: Sequence[Mapping], first: Sequence[str] = ()) -> Path:
    """Write rows (dicts) as CSV; columns: ``first`` then every other key in order of appearance."""
    cols = [c for c in first]
    for row in rows:
        for k in row:
            if k not in cols:
                cols.append(k)
    path = Path(path)
    with atomic_path(path) as tmp, tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in cols})
    return path
