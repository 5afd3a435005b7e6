"""Parameter sweeps on Dask: every grid point x seed is an ordinary run folder.

A sweep is a base config, a grid (``key -> list of values``, the cartesian
product is taken in the order given), fixed overrides and a list of seeds.
Each point runs as :func:`cosim.runs.run.run_experiment` would, into
``<sweep>/<k1>=<v1>,<k2>=<v2>/s<seed>``; the sweep folder gets

``results.csv`` and ``results.parquet``
    One row per run: the grid parameters (typed as the config field), ``seed``,
    ``status`` (``done`` | ``skipped`` (done by an earlier invocation) |
    ``failed`` | ``cancelled``), ``error`` (``"<Type>: <message>"``),
    ``elapsed_s`` (wall) and ``cpu_s`` (CPU time of the run), ``run_dir``
    (relative to the sweep folder) and every scalar metric (nested dicts
    flattened with ``.``; a metric whose name equals a parameter is called
    ``metrics.<name>``).
``sweep.json``
    The sweep's definition (base config, grid, seeds, overrides) and counts.

Execution is on ``dask.distributed``: by default a ``LocalCluster`` with one
single-threaded worker *process* per core; ``scheduler=ADDRESS`` connects to an
existing cluster instead (its workers must see the same file system and have
cosim installed).  Re-running a sweep into the same folder skips every point
whose run folder has the ``done`` marker and the same resolved config (a point
done with another base config or fixed overrides is run again), so an
interrupted sweep loses only the points in flight; a point that raises is recorded (``failed``) and the
sweep goes on.

Sweep files
-----------
::

    # algorithms/read_accuracy.sweep.toml
    [sweep]
    base = "read_accuracy.toml"      # relative to this file
    seeds = "0:2"                    # "A:B" or a list of ints; default [base seed]
    set = ["n_reads=4"]              # fixed overrides (optional)
    out = "runs/read_accuracy_sweep" # optional; default runs/<this file's stem>
    [sweep.grid]
    r_wire_ohm = [0.5, 2.5]
    cell = ["1R", "1S1R"]
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
import os
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cosim.runs._sweep_spec import SweepSpec, load_sweep_file, parse_grid
from cosim.runs.config import ConfigError, apply_overrides
from cosim.runs.rundir import (
    OutputExistsError,
    RunLock,
    config_matches,
    default_run_dir,
    execute_run,
    prepare_out_dir,
    read_metrics,
    seed_dir,
    write_json,
)
from cosim.runs.run import resolve_config
from cosim.atomic import atomic_path, output_error
from cosim.runs.summary import flatten

__all__ = [
    "SweepSpec",
    "SweepResult",
    "parse_grid",
    "load_sweep_file",
    "run_sweep",
    "point_dir_name",
    "sweep_summary_line",
]


@dataclasses.dataclass
class SweepResult:
    """The sweep folder, its rows (as in ``results.csv``) and the counts."""

    out_dir: Path
    rows: list[dict]
    counts: dict[str, int]
    elapsed_s: float

    @property
    def table(self):
        """The rows as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.rows)


_UNSAFE = re.compile(r"[^A-Za-z0-9._+=,-]")


def point_dir_name(params: Mapping[str, str]) -> str:
    """A readable, file-system safe folder name for a grid point, e.g.
    ``r_wire_ohm=2.5,cell=1S1R`` (long names are shortened with a hash).

    >>> point_dir_name({"r_wire_ohm": "2.5", "cell": "1S1R"})
    'r_wire_ohm=2.5,cell=1S1R'
    """
    name = ",".join(f"{k}={v}" for k, v in params.items()) or "base"
    safe = _UNSAFE.sub("_", name)
    if len(safe) > 120 or safe in (".", ".."):
        digest = hashlib.sha1(name.encode()).hexdigest()[:10]
        safe = f"{safe[:100]}-{digest}"
    return safe


def _get_dotted(obj: Any, key: str) -> Any:
    for part in key.split("."):
        obj = obj[part] if isinstance(obj, Mapping) else getattr(obj, part)
    return obj


def _typed_params(resolved, params: Mapping[str, str]) -> dict[str, Any]:
    out = {}
    for key in params:
        try:
            v = _get_dotted(resolved.config, key)
        except (AttributeError, KeyError):
            v = {"seed": resolved.seed, "backend": resolved.backend}.get(key, params[key])
        out[key] = v if isinstance(v, (bool, int, float, str)) or v is None else str(v)
    return out


def run_point(
    base: dict,
    overrides: list[str],
    params: dict[str, str],
    seed: int,
    backend: str | None,
    run_dir: str,
    figures: bool,
) -> dict:
    """Run one sweep point (this is the Dask task); never raises for an
    experiment's error: returns the table row with ``status="failed"``."""
    row: dict[str, Any] = {**params, "seed": seed}
    t0 = time.perf_counter()
    try:
        resolved = resolve_config(
            base, seed=seed, backend=backend, overrides=list(overrides) + [f"{k}={v}" for k, v in params.items()]
        )
        row.update(_typed_params(resolved, params))
        out = prepare_out_dir(run_dir, force=True)
        res = execute_run(resolved, out, progress=False, figures=figures, quiet=True)
        row.update(status="done", error=None, elapsed_s=res.elapsed_s, cpu_s=res.cpu_s, run_dir=run_dir)
        metrics = res.metrics
    except Exception as exc:
        row.update(
            status="failed", error=f"{type(exc).__name__}: {exc}", elapsed_s=time.perf_counter() - t0, run_dir=run_dir
        )
        metrics = read_metrics(Path(run_dir)) if Path(run_dir).is_dir() else {}
        metrics.pop("error", None)
    for k, v in flatten(metrics).items():
        row[f"metrics.{k}" if k in row else k] = v
    return row


def _skipped_row(params: dict[str, str], seed: int, run_dir: Path) -> dict:
    row: dict[str, Any] = {**params, "seed": seed}
    try:
        info = json.loads((run_dir / "run.json").read_text())
    except (OSError, ValueError):
        info = {}
    cfg_params = {}
    try:
        import tomllib

        cfg = tomllib.loads((run_dir / "config.toml").read_text())
        cfg_params = {k: _get_dotted(cfg, k) for k in params}
    except Exception:  # an unreadable config only costs the typed parameter values
        pass
    row.update({k: v for k, v in cfg_params.items() if isinstance(v, (bool, int, float, str))})
    row.update(
        status="skipped", error=None, elapsed_s=info.get("elapsed_s"), cpu_s=info.get("cpu_s"), run_dir=str(run_dir)
    )
    for k, v in flatten(read_metrics(run_dir)).items():
        row[f"metrics.{k}" if k in row else k] = v
    return row


def _same_config(spec: SweepSpec, params: Mapping[str, str], seed: int, run_dir: Path) -> bool:
    """Whether the finished run in ``run_dir`` ran the config this sweep asks for."""
    try:
        resolved = resolve_config(
            spec.base,
            seed=seed,
            backend=spec.backend,
            overrides=list(spec.overrides) + [f"{k}={v}" for k, v in params.items()],
        )
        return config_matches(run_dir, resolved)
    except Exception:  # a point whose config no longer resolves is re-run (and fails there, recorded)
        return False


#: how long connecting to a --scheduler may take before the sweep gives up, second
SCHEDULER_TIMEOUT_S = 10.0


class SchedulerUnreachableError(RuntimeError):
    """The Dask scheduler given by address could not be reached within :data:`SCHEDULER_TIMEOUT_S`."""


def _start_client(scheduler: str | None, workers: int | None):
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s"), None
        except (OSError, TimeoutError, ValueError) as exc:  # refused, unreachable, malformed address
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise SchedulerUnreachableError(
                f"cannot reach the Dask scheduler {scheduler!r} within {SCHEDULER_TIMEOUT_S:g} s ({reason}); "
                "check the address and that it is running, or leave out --scheduler for a local cluster"
            ) from None
    n = workers or os.cpu_count() or 1
    # loopback only; the scheduler's HTTP server on a free port (a fixed one warns when taken)
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    )
    return Client(cluster), cluster


def _validate_keys(spec: SweepSpec) -> None:
    """Fail fast on a grid or fixed key the experiment does not have."""
    first = [f"{k}={v[0]}" for k, v in spec.grid.items()]
    apply_overrides(spec.base, list(spec.overrides) + first)


def _write_tables(out: Path, rows: list[dict], params: list[str]) -> None:
    import pandas as pd

    from cosim.runs.summary import write_csv

    first = [*params, "seed", "status", "error", "elapsed_s", "cpu_s", "run_dir"]
    write_csv(out / "results.csv", rows, first=first)
    cols = list(dict.fromkeys(first + [k for r in rows for k in r]))
    df = pd.DataFrame(rows, columns=cols)
    for c in df.columns:
        if df[c].dtype == object:
            kinds = {type(v) for v in df[c] if v is not None and not (isinstance(v, float) and v != v)}
            if len(kinds) > 1:  # parquet needs one type per column
                df[c] = df[c].map(lambda v: None if v is None else str(v))
    with atomic_path(out / "results.parquet") as tmp:
        df.to_parquet(tmp, index=False)


def run_sweep(
    spec: SweepSpec,
    *,
    out_dir: str | Path | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    force: bool = False,
    progress: bool = True,
    figures: bool = True,
) -> SweepResult:
    """Run every grid point x seed on Dask; write ``results.csv``/``.parquet``.

    Parameters
    ----------
    spec : SweepSpec
    out_dir : path, optional
        The sweep folder; default ``runs/<experiment>-sweep-<timestamp>``.  A
        folder holding a ``sweep.json`` is resumed (points already ``done``
        are skipped); any other non-empty folder is refused unless ``force``.
    scheduler : str, optional
        Address of a running ``dask.distributed`` scheduler
        (``tcp://host:8786``); default: start a local cluster.
    workers : int, optional
        Local cluster size (default: the number of cores).
    force : bool
        Re-run every point, even those already done.
    progress : bool
        A progress bar over points (off when ``COSIM_NO_PROGRESS=1`` or not a tty).
    figures : bool
        ``ctx.figures`` of each point.

    Returns
    -------
    SweepResult

    Raises
    ------
    ConfigError
        Before anything runs, when a grid or fixed key is not in the
        experiment's config (named), or the grid/seeds are empty.
    KeyboardInterrupt
        After writing the tables of what finished (points in flight are
        cancelled and re-run next time).
    """
    if not spec.grid:
        raise ConfigError("a sweep needs at least one --grid key=v1,v2,...")
    if not spec.seeds:
        raise ConfigError("a sweep needs at least one seed")
    if "experiment" not in spec.base:
        raise ConfigError("the sweep's base config has no 'experiment = \"<name>\"' key")
    _validate_keys(spec)
    if out_dir is None:
        out = default_run_dir(spec.base["experiment"], 0, suffix="sweep")
    else:
        out = Path(out_dir)
    resuming = (out / "sweep.json").is_file()
    if out.is_dir() and any(out.iterdir()) and not (resuming or force):
        raise OutputExistsError(
            f"output folder {str(out)!r} exists, is not empty and is not a sweep folder; use --force to write into it"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(out, exc) from None
    out = out.resolve()
    with RunLock(out):  # one sweep writes into a folder at a time; a second is refused naming the first
        return _run_sweep_locked(
            spec, out, scheduler=scheduler, workers=workers, force=force, progress=progress, figures=figures
        )


def _run_sweep_locked(
    spec: SweepSpec,
    out: Path,
    *,
    scheduler: str | None,
    workers: int | None,
    force: bool,
    progress: bool,
    figures: bool,
) -> SweepResult:
    definition = {
        "experiment": spec.base["experiment"],
        "base": spec.base_path,
        "base_config": spec.base,
        "grid": spec.grid,
        "seeds": spec.seeds,
        "overrides": spec.overrides,
        "backend": spec.backend,
    }
    jobs, rows = [], []
    stale = 0
    for params in spec.points():
        pdir = out / point_dir_name(params)
        for seed in spec.seeds:
            rdir = seed_dir(pdir, seed)
            if not force and (rdir / "done").is_file():
                if _same_config(spec, params, seed, rdir):
                    rows.append(_skipped_row(params, seed, rdir))
                    continue
                stale += 1  # done, but with another base config or fixed overrides: run it again
            jobs.append((params, seed, rdir))
    t0 = time.perf_counter()
    write_json(out / "sweep.json", {**definition, "status": "running"})
    interrupted = False
    if jobs:
        from distributed import as_completed
        from tqdm.auto import tqdm

        from cosim.runs.context import progress_enabled

        try:
            client, cluster = _start_client(scheduler, workers)
        except SchedulerUnreachableError as exc:
            write_json(out / "sweep.json", {**definition, "status": "failed", "error": str(exc)})
            raise
        futures = {}
        try:
            for params, seed, rdir in jobs:
                fut = client.submit(
                    run_point,
                    spec.base,
                    spec.overrides,
                    params,
                    seed,
                    spec.backend,
                    str(rdir),
                    figures,
                    pure=False,
                    key=f"cosim-point-{rdir.relative_to(out)}-{time.time_ns()}",
                )
                futures[fut] = (params, seed, rdir)
            bar = tqdm(
                total=len(jobs), desc="sweep", unit="run", disable=not progress_enabled(progress), dynamic_ncols=True
            )
            try:
                for fut in as_completed(futures):
                    params, seed, rdir = futures[fut]
                    try:
                        rows.append(fut.result())
                    except Exception as exc:  # the task itself died (worker lost, unpicklable result)
                        rows.append(
                            {
                                **params,
                                "seed": seed,
                                "status": "failed",
                                "error": f"{type(exc).__name__}: {exc}",
                                "run_dir": str(rdir),
                            }
                        )
                    bar.update(1)
            finally:
                bar.close()
        except KeyboardInterrupt as exc:
            interrupted = type(exc)  # re-raised below as the same kind (Ctrl-C or SIGTERM)
            finished = {(r["run_dir"]) for r in rows}
            for fut, (params, seed, rdir) in futures.items():
                if str(rdir) in finished:
                    continue
                fut.cancel()
                if (rdir / "done").is_file():  # finished on its worker, result not yet received
                    rows.append({**_skipped_row(params, seed, rdir), "status": "done"})
                else:
                    rows.append({**params, "seed": seed, "status": "cancelled", "error": None, "run_dir": str(rdir)})
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    elapsed = time.perf_counter() - t0
    order = {(point_dir_name(p), s): i for i, (p, s) in enumerate(itertools.product(spec.points(), spec.seeds))}
    rows.sort(key=lambda r: order.get((Path(r["run_dir"]).parent.name, r["seed"]), len(order)))
    for r in rows:  # relative to the sweep folder, so that the folder can be moved
        r["run_dir"] = os.path.relpath(r["run_dir"], out)
    counts = {s: sum(r["status"] == s for r in rows) for s in ("done", "skipped", "failed", "cancelled")}
    counts["stale"] = stale
    _write_tables(out, rows, list(spec.grid))
    write_json(
        out / "sweep.json",
        {
            **definition,
            "status": "interrupted" if interrupted else "finished",
            "counts": counts,
            "elapsed_s": round(elapsed, 3),
        },
    )
    result = SweepResult(out, rows, counts, elapsed)
    if interrupted:
        raise interrupted(sweep_summary_line(result) + f"; tables in {out}")
    return result


def sweep_summary_line(result: SweepResult) -> str:
    """``sweep: N done, M skipped, K failed in T s``."""
    c = result.counts
    line = f"sweep: {c['done']} done, {c['skipped']} skipped, {c['failed']} failed in {result.elapsed_s:.1f} s"
    if c.get("cancelled"):
        line += f", {c['cancelled']} cancelled"
    if c.get("stale"):
        line += f" ({c['stale']} re-run: their config had changed)"
    return line
