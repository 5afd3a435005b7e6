"""A self-contained HTML report of a run, a ``--seeds`` folder or a sweep.

:func:`write_report` reads the folder and writes one HTML file that needs
nothing else: PNG figures are embedded as base64 ``data:`` URIs, the config,
metrics and tables are HTML tables, and there are no scripts or external
styles.  What it shows:

run folder (``config.toml`` + ``metrics.json``)
    status and timing, metrics, the resolved config, versions, and every PNG
    the run saved.
seeds folder (``summary.json`` + ``seeds.csv``)
    the per-metric statistics, a histogram per numeric metric, the per-seed
    table.
sweep folder (``sweep.json`` + ``results.csv``)
    the grid, the counts, one plot per numeric metric (mean and spread over
    seeds against the first grid parameter, one line per combination of the
    others; see :func:`cosim.plots.studies.plot_sweep_metric`), the results
    table, and any ``*.png`` placed at the sweep folder's top level.
"""

from __future__ import annotations

import base64
import html
import io
import json
import time
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cosim.atomic import output_error, write_text_atomic

__all__ = ["write_report", "report_html", "folder_kind"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left}
th{background:#f3f3f3}tr.failed td{background:#fde8e8}figure{display:inline-block;margin:.5em;vertical-align:top}
figcaption{font-size:.8em;color:#555;text-align:center}img{max-width:100%;border:1px solid #eee}
.muted{color:#777;font-size:.85em}.scroll{max-height:30em;overflow:auto}
"""


def folder_kind(folder: Path) -> str:
    """``"sweep"``, ``"seeds"`` or ``"run"``.

    Raises
    ------
    FileNotFoundError
        When ``folder`` is not a folder or holds none of the three layouts.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"report: {str(folder)!r} is not a folder")
    if (folder / "sweep.json").is_file() and (folder / "results.csv").is_file():
        return "sweep"
    if (folder / "summary.json").is_file() and (folder / "seeds.csv").is_file():
        return "seeds"
    if (folder / "config.toml").is_file() and ((folder / "metrics.json").is_file() or (folder / "run.json").is_file()):
        return "run"
    raise FileNotFoundError(
        f"report: {str(folder)!r} is not a run folder (config.toml + metrics.json), a --seeds folder "
        f"(summary.json + seeds.csv) or a sweep folder (sweep.json + results.csv)"
    )


# ----------------------------------------------------------------------------- HTML pieces


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        if len(v) > 12:
            return f"[{', '.join(_fmt(x) for x in v[:6])}, ... ({len(v)} values)]"
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    if v is None:
        return ""
    return str(v)


def _kv_table(mapping: Mapping) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>" for k, v in mapping.items()
    )
    return f"<table>{rows}</table>"


def _nested_items(d: Mapping, prefix: str = "") -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        if isinstance(v, Mapping):
            out.update(_nested_items(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _rows_table(rows: Sequence[Mapping], columns: Sequence[str], limit: int = 2000) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for r in rows[:limit]:
        cls = ' class="failed"' if r.get("status") == "failed" else ""
        cells = "".join(f"<td>{html.escape(_fmt(r.get(c)))}</td>" for c in columns)
        body.append(f"<tr{cls}>{cells}</tr>")
    more = f'<p class="muted">{len(rows) - limit} more rows in the CSV</p>' if len(rows) > limit else ""
    return f'<div class="scroll"><table><tr>{head}</tr>{"".join(body)}</table></div>{more}'


def _img(png: bytes, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    cap = html.escape(caption)
    return f'<figure><img src="data:image/png;base64,{data}" alt="{cap}"><figcaption>{cap}</figcaption></figure>'


def _fig_png(fig) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    finally:
        plt.close(fig)
    return buf.getvalue()


def _pngs(folder: Path) -> str:
    figs = [_img(p.read_bytes(), p.name) for p in sorted(folder.glob("*.png"))]
    return "".join(figs)


def _read_json(path: Path) -> Any:
    """The JSON in ``path``; None when the file is absent (e.g. a run still going).

    A file that is there but does not parse is refused with its name: a report
    that silently showed an empty section would hide a corrupt record.
    """
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except UnicodeDecodeError as exc:
        raise ValueError(f"{str(path)!r} is not valid JSON ({exc}); the record is corrupt") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{str(path)!r} is not valid JSON ({exc}); the record is corrupt") from None
    except OSError as exc:
        raise ValueError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{str(path)!r} is not valid TOML ({exc}); the record is corrupt") from None


# ----------------------------------------------------------------------------- sections


def _run_sections(folder: Path) -> tuple[str, list[str]]:
    info = _read_json(folder / "run.json") or {}
    metrics = _read_json(folder / "metrics.json") or {}
    config = _read_toml(folder / "config.toml")
    title = f"run {config.get('experiment', '?')} (seed {config.get('seed', '?')})"
    parts = [f"<h2>Status</h2>{_kv_table(info)}" if info else ""]
    parts.append(f"<h2>Metrics</h2>{_kv_table(_nested_items(metrics))}")
    figs = _pngs(folder)
    if figs:
        parts.append(f"<h2>Figures</h2>{figs}")
    parts.append(f"<h2>Config</h2>{_kv_table(_nested_items(config))}")
    versions = _read_json(folder / "versions.json")
    if versions:
        parts.append(f"<h2>Versions</h2>{_kv_table(versions)}")
    if (folder / "error.txt").is_file():
        parts.append(f"<h2>Error</h2><pre>{html.escape((folder / 'error.txt').read_text()[-5000:])}</pre>")
    return title, parts


def _seeds_sections(folder: Path) -> tuple[str, list[str]]:
    import pandas as pd

    from cosim.plots.studies import plot_metric_histogram

    summary = _read_json(folder / "summary.json") or {}
    table = pd.read_csv(folder / "seeds.csv")
    title = f"seeds {summary.get('seeds', '')} of {summary.get('experiment', '?')}"
    head = {k: v for k, v in summary.items() if k != "metrics"}
    parts = [f"<h2>Summary</h2>{_kv_table(head)}"]
    stats = summary.get("metrics", {})
    if stats:
        cols = ["metric", "n", "mean", "median", "std", "min", "max", "fraction"]
        rows = [{"metric": k, **v} for k, v in stats.items()]
        parts.append(f"<h2>Statistics over seeds</h2>{_rows_table(rows, cols)}")
    figs = []
    done = table[table["status"].isin(["done", "skipped"])] if "status" in table else table
    for name, s in stats.items():
        if "mean" in s and name in done:
            figs.append(_img(_fig_png(plot_metric_histogram(done[name].dropna().to_numpy(), name)), name))
    if figs:
        parts.append(f"<h2>Distributions</h2>{''.join(figs)}")
    parts.append(f"<h2>Per seed</h2>{_rows_table(table.to_dict('records'), list(table.columns))}")
    return title, parts


def _sweep_sections(folder: Path) -> tuple[str, list[str]]:
    import pandas as pd

    from cosim.plots.studies import plot_sweep_metric

    definition = _read_json(folder / "sweep.json") or {}
    table = pd.read_csv(folder / "results.csv")
    grid = list((definition.get("grid") or {}).keys())
    title = f"sweep of {definition.get('experiment', '?')}"
    head = {
        "experiment": definition.get("experiment"),
        "base config": definition.get("base"),
        "grid": "; ".join(f"{k} = {', '.join(map(str, v))}" for k, v in (definition.get("grid") or {}).items()),
        "seeds": _fmt(definition.get("seeds")),
        "fixed overrides": ", ".join(definition.get("overrides") or []),
        "status": definition.get("status"),
        **{f"runs {k}": v for k, v in (definition.get("counts") or {}).items()},
        "elapsed_s": definition.get("elapsed_s"),
        "sum of runs' cpu_s": float(table["cpu_s"].sum()) if "cpu_s" in table else None,
    }
    parts = [f"<h2>Sweep</h2>{_kv_table(head)}"]
    own = _pngs(folder)
    if own:
        parts.append(f"<h2>Study figures</h2>{own}")
    skip = set(grid) | {"seed", "status", "error", "run_dir"}
    ok = table[table["status"].isin(["done", "skipped"])] if "status" in table else table
    metrics = [
        c for c in table.columns if c not in skip and pd.api.types.is_numeric_dtype(table[c]) and ok[c].notna().any()
    ]
    metrics.sort(key=lambda c: c in ("elapsed_s", "cpu_s"))  # the study's metrics first, run times last
    figs = []
    if grid and len(ok):
        for m in metrics:
            fig = plot_sweep_metric(ok, m, grid)
            if fig is not None:
                figs.append(_img(_fig_png(fig), m))
    if figs:
        parts.append(f"<h2>Metrics against the grid</h2>{''.join(figs)}")
    failed = table[table["status"] == "failed"] if "status" in table else table.iloc[0:0]
    if len(failed):
        cols = [c for c in [*grid, "seed", "error", "run_dir"] if c in failed]
        parts.append(f"<h2>Failed points</h2>{_rows_table(failed.to_dict('records'), cols)}")
    parts.append(f"<h2>Results</h2>{_rows_table(table.to_dict('records'), list(table.columns))}")
    return title, parts


def report_html(folder: str | Path) -> str:
    """The report of ``folder`` (run, seeds or sweep) as one HTML string."""
    folder = Path(folder)
    kind = folder_kind(folder)
    title, parts = {"run": _run_sections, "seeds": _seeds_sections, "sweep": _sweep_sections}[kind](folder)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>cosim {html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>cosim: {html.escape(title)}</h1>"
        f'<p class="muted">{html.escape(str(folder.resolve()))} &middot; generated {stamp}</p>'
        + "".join(parts)
        + "</body></html>\n"
    )


def write_report(folder: str | Path, output: str | Path | None = None, *, force: bool = False) -> Path:
    """Write the HTML report of a run, seeds or sweep folder.

    Parameters
    ----------
    folder : path
        The run / ``--seeds`` / sweep folder.
    output : path, optional
        The HTML file; default ``<folder>/report.html``.
    force : bool
        Overwrite an existing ``output``.

    Returns
    -------
    Path of the written file.

    Raises
    ------
    FileNotFoundError
        When ``folder`` is not one of the three layouts (named).
    FileExistsError
        When ``output`` exists and ``force`` is False.
    """
    folder = Path(folder)
    out = Path(output) if output is not None else folder / "report.html"
    if out.exists() and not force:
        raise FileExistsError(f"report {str(out)!r} exists; use --force to overwrite it")
    text = report_html(folder)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(out.parent, exc) from None
    return write_text_atomic(out, text)
