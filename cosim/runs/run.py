"""Run an experiment into a run folder: :func:`run_experiment`, :func:`run_seeds`.

Run folder contents (written in this order)
-------------------------------------------
``config.toml``
    The resolved config: ``experiment``, ``seed``, ``backend`` (when given),
    and every field of the experiment's config dataclass with overrides and
    defaults filled in.  ``cosim run <run>/config.toml`` repeats the run.
``seed.txt``
    The seed, one integer.
``versions.json``
    python, cosim, numpy, scipy versions, ngspice's (when found) and the platform.
``log.txt``, ``checkpoint.json``, ``*.npz``, ``*.png``
    Whatever the experiment logs and saves through its :class:`RunContext`.
``metrics.json``
    The experiment's metrics.  On Ctrl-C: the last ``ctx.checkpoint`` with
    ``"interrupted": true``; on an exception: the last checkpoint with
    ``"error": "<Type>: <message>"`` (the traceback goes to ``error.txt``).
``run.json``
    ``status`` (``done`` | ``interrupted`` | ``failed``), experiment, seed,
    start time (UTC, ISO 8601), wall time ``elapsed_s`` and CPU time ``cpu_s``.
``done``
    An empty marker written last, only when the run finished: a sweep that is
    run again skips points whose folder has it.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import platform
import re
import shutil
import subprocess
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cosim.runs.config import (
    ConfigError,
    apply_overrides,
    from_dict,
    load_config,
    split_reserved,
    to_dict,
    to_toml,
)
from cosim.runs.context import RunContext, jsonable, progress_enabled
from cosim.runs.registry import Experiment, get_experiment
from cosim.runs.summary import flatten, format_summary, summarize_metrics, write_csv

__all__ = [
    "BACKENDS",
    "ResolvedConfig",
    "RunResult",
    "SeedsResult",
    "OutputExistsError",
    "resolve_config",
    "prepare_out_dir",
    "run_experiment",
    "run_seeds",
    "parse_seeds",
    "versions",
    "default_run_dir",
]

#: backends ``cosim run --backend`` offers
BACKENDS = ("ideal", "nodal", "ngspice")

#: files a run writes; cleared before a forced re-run into the same folder
_RUN_FILES = ("done", "metrics.json", "run.json", "checkpoint.json", "error.txt", "log.txt")


class OutputExistsError(FileExistsError):
    """The output folder exists and is not empty (and neither force nor resume was asked)."""


@dataclasses.dataclass
class ResolvedConfig:
    """A config with overrides applied and validated.

    Attributes
    ----------
    experiment : Experiment
    config : dataclass instance
        What the run function receives.
    seed : int
    backend : str or None
    description : str or None
    source : Path or None
        The config file, when read from one.
    """

    experiment: Experiment
    config: Any
    seed: int
    backend: str | None
    description: str | None = None
    source: Path | None = None

    def to_mapping(self) -> dict:
        """The resolved config as written to ``config.toml``."""
        head: dict[str, Any] = {"experiment": self.experiment.name, "seed": self.seed}
        if self.backend is not None:
            head["backend"] = self.backend
        if self.description:
            head["description"] = self.description
        body = to_dict(self.config)
        for key in head:
            body.pop(key, None)
        return {**head, **body}


@dataclasses.dataclass
class RunResult:
    """What :func:`run_experiment` returns.

    Attributes
    ----------
    out_dir : Path
        The run folder.
    metrics : dict
        As written to ``metrics.json``.
    status : str
        ``"done"`` (the only status :func:`run_experiment` returns; the others
        are written to ``run.json`` before the exception propagates).
    seed : int
    elapsed_s : float
        Wall time of the experiment, second.
    cpu_s : float
        CPU time of this process during the experiment, second (a measure
        that does not depend on how busy the machine was).
    """

    out_dir: Path
    metrics: dict
    status: str = "done"
    seed: int = 0
    elapsed_s: float = 0.0
    cpu_s: float = 0.0


@dataclasses.dataclass
class SeedsResult:
    """What :func:`run_seeds` returns: the parent folder, the per-seed rows
    (seed, status, run folder, flat metrics) and the summary (``summary.json``)."""

    out_dir: Path
    rows: list[dict]
    summary: dict


def parse_seeds(text: str) -> range:
    """``"A:B"`` -> ``range(A, B)`` (B excluded, like Python slices).

    Raises
    ------
    ValueError
        Naming the text when it is not ``A:B`` with 0 <= A < B.

    Examples
    --------
    >>> parse_seeds("0:20")
    range(0, 20)
    >>> parse_seeds("5:3")
    Traceback (most recent call last):
    ...
    ValueError: --seeds '5:3': expected A:B with integers 0 <= A < B (B excluded)
    """
    m = re.fullmatch(r"\s*(\d+)\s*:\s*(\d+)\s*", str(text))
    if not m or int(m.group(1)) >= int(m.group(2)):
        raise ValueError(f"--seeds {text!r}: expected A:B with integers 0 <= A < B (B excluded)")
    return range(int(m.group(1)), int(m.group(2)))


def _check_seed(seed: Any, where: str) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"{where} must be a non-negative integer, got {seed!r}")
    return seed


def resolve_config(
    config: str | Path | Mapping,
    *,
    seed: int | None = None,
    backend: str | None = None,
    overrides: Sequence[str] = (),
) -> ResolvedConfig:
    """Read, override and validate a config.

    Parameters
    ----------
    config : path or mapping
        A TOML file or an already-parsed mapping with ``experiment = "<name>"``.
    seed : int, optional
        Wins over the config's ``seed`` (default 0 when neither gives one).
    backend : {"ideal", "nodal", "ngspice"}, optional
        Wins over the config's ``backend``; also set into the config dataclass
        when it has a ``backend`` field.
    overrides : sequence of str
        ``"key=value"`` strings (see :func:`cosim.runs.config.apply_overrides`).

    Raises
    ------
    FileNotFoundError, ConfigError, UnknownExperimentError
        With the file, key or experiment named.
    """
    source = None
    if isinstance(config, (str, Path)):
        source = Path(config)
        mapping = load_config(source)
    elif isinstance(config, Mapping):
        mapping = dict(config)
    else:
        raise TypeError(f"config must be a path or a mapping, got {type(config).__name__}")
    if "experiment" not in mapping:
        where = f"config file {str(source)!r}" if source else "config"
        if "sweep" in mapping:
            raise ConfigError(f"{where} is a sweep file ([sweep] table); run it with `cosim sweep`")
        raise ConfigError(f"{where} has no 'experiment = \"<name>\"' key")
    exp = get_experiment(mapping["experiment"])
    mapping = apply_overrides(mapping, overrides, exp.config_cls)
    reserved, fields = split_reserved(mapping, exp.config_cls)
    field_names = {f.name for f in dataclasses.fields(exp.config_cls)}
    if backend is not None:
        if backend not in BACKENDS:
            raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        reserved["backend"] = backend
        if "backend" in field_names:
            fields["backend"] = backend
    cfg = from_dict(exp.config_cls, fields)
    run_backend = reserved.get("backend")
    if "backend" in field_names:
        run_backend = cfg.backend
    if run_backend is not None and not isinstance(run_backend, str):
        raise ConfigError(f"config key 'backend' must be a string, got {run_backend!r}")
    run_seed = _check_seed(seed, "--seed") if seed is not None else _check_seed(reserved.get("seed", 0), "config key 'seed'")
    desc = reserved.get("description")
    if desc is not None and not isinstance(desc, str):
        raise ConfigError(f"config key 'description' must be a string, got {desc!r}")
    return ResolvedConfig(exp, cfg, run_seed, run_backend, desc, source)


@functools.lru_cache(maxsize=1)
def _ngspice_version() -> str | None:
    exe = shutil.which("ngspice")
    if not exe:
        return None
    try:
        out = subprocess.run([exe, "-v"], capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"ngspice-(\S+)", out)
    return m.group(1) if m else None


@functools.lru_cache(maxsize=1)
def versions() -> dict[str, str | None]:
    """Versions of python, cosim, numpy, scipy, ngspice (None when absent) and the platform."""
    import numpy
    import scipy

    import cosim

    return {
        "python": platform.python_version(),
        "cosim": cosim.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "ngspice": _ngspice_version(),
        "platform": platform.platform(),
    }


def default_run_dir(experiment: str, seed: int, root: str | Path = "runs", suffix: str | None = None) -> Path:
    """``<root>/<experiment>-<YYYYmmdd-HHMMSS>-s<seed>`` (a ``-2``, ``-3``... is
    appended when that folder already exists)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{experiment}-{stamp}-{suffix if suffix is not None else f's{seed}'}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def prepare_out_dir(out_dir: str | Path, *, force: bool = False, resume: bool = False) -> Path:
    """Create ``out_dir``; refuse an existing non-empty one unless asked.

    Parameters
    ----------
    force : bool
        Write into a non-empty folder; the files of an earlier run there
        (``done``, ``metrics.json``, ...) are removed first.
    resume : bool
        Write into a non-empty folder and keep what is there (sweeps, ``--seeds``).

    Raises
    ------
    OutputExistsError
        Naming the folder, when it is not empty and neither flag is set.
    NotADirectoryError
        When ``out_dir`` is an existing file.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"output {str(out)!r} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (force or resume):
        raise OutputExistsError(f"output folder {str(out)!r} exists and is not empty; use --force to overwrite it")
    out.mkdir(parents=True, exist_ok=True)
    if force and not resume:
        for name in _RUN_FILES:
            (out / name).unlink(missing_ok=True)
    return out


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(jsonable(data), indent=1) + "\n")
    tmp.replace(path)


def _execute(resolved: ResolvedConfig, out: Path, *, progress: bool, figures: bool, quiet: bool) -> RunResult:
    (out / "done").unlink(missing_ok=True)
    (out / "config.toml").write_text(to_toml(resolved.to_mapping()))
    (out / "seed.txt").write_text(f"{resolved.seed}\n")
    _write_json(out / "versions.json", versions())
    ctx = RunContext(resolved.seed, out, backend=resolved.backend, show_progress=progress, figures=figures, quiet=quiet)
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    t0 = time.perf_counter()
    c0 = time.process_time()
    info = {"experiment": resolved.experiment.name, "seed": resolved.seed, "started_utc": started}

    def finish(status: str, metrics: dict) -> tuple[float, float]:
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        _write_json(out / "metrics.json", metrics)
        _write_json(out / "run.json", {**info, "status": status, "elapsed_s": round(elapsed, 6), "cpu_s": round(cpu, 6)})
        return elapsed, cpu

    try:
        metrics = resolved.experiment.run(resolved.config, ctx)
    except KeyboardInterrupt:
        finish("interrupted", {**(ctx.last_checkpoint or {}), "interrupted": True})
        raise
    except BaseException as exc:
        (out / "error.txt").write_text(traceback.format_exc())
        finish("failed", {**(ctx.last_checkpoint or {}), "error": f"{type(exc).__name__}: {exc}"})
        raise
    if not isinstance(metrics, Mapping):
        msg = f"experiment {resolved.experiment.name!r} returned {type(metrics).__name__}, expected a dict of metrics"
        finish("failed", {"error": f"TypeError: {msg}"})
        raise TypeError(msg)
    metrics = jsonable(dict(metrics))
    elapsed, cpu = finish("done", metrics)
    (out / "checkpoint.json").unlink(missing_ok=True)
    (out / "done").touch()
    return RunResult(out, metrics, "done", resolved.seed, elapsed, cpu)


def run_experiment(
    config: str | Path | Mapping,
    *,
    seed: int | None = None,
    backend: str | None = None,
    overrides: Sequence[str] = (),
    out_dir: str | Path | None = None,
    progress: bool = True,
    force: bool = False,
    figures: bool = True,
    quiet: bool = False,
) -> RunResult:
    """Run one experiment into a run folder (see the module docstring for its contents).

    Parameters
    ----------
    config : path or mapping
        Config file or mapping with ``experiment = "<name>"``.
    seed, backend, overrides
        See :func:`resolve_config` (command-line values win over the file's).
    out_dir : path, optional
        The run folder; default ``runs/<experiment>-<timestamp>-s<seed>`` under
        the current directory.  An existing non-empty folder is refused
        (:class:`OutputExistsError`) unless ``force``.
    progress : bool
        Show progress bars (also off when ``COSIM_NO_PROGRESS=1`` or stderr is
        not a terminal).
    force : bool
        Overwrite an existing run folder.
    figures : bool
        Passed to the experiment as ``ctx.figures``.
    quiet : bool
        ``ctx.log`` writes ``log.txt`` only.

    Returns
    -------
    RunResult

    Raises
    ------
    KeyboardInterrupt
        After writing ``metrics.json`` (last checkpoint, ``"interrupted": true``).
    Exception
        Whatever the experiment raised, after writing ``error.txt`` and
        ``metrics.json`` (``"error"``).
    """
    resolved = config if isinstance(config, ResolvedConfig) else resolve_config(
        config, seed=seed, backend=backend, overrides=overrides
    )
    out = Path(out_dir) if out_dir is not None else default_run_dir(resolved.experiment.name, resolved.seed)
    out = prepare_out_dir(out, force=force)
    return _execute(resolved, out, progress=progress, figures=figures, quiet=quiet)


def _read_metrics(folder: Path) -> dict:
    try:
        return json.loads((folder / "metrics.json").read_text())
    except (OSError, ValueError):
        return {}


def _config_matches(folder: Path, resolved: ResolvedConfig) -> bool:
    """Whether the run in ``folder`` ran exactly ``resolved`` (its config.toml)."""
    import tomllib

    try:
        return tomllib.loads((folder / "config.toml").read_text()) == tomllib.loads(to_toml(resolved.to_mapping()))
    except (OSError, ValueError):
        return False


def run_seeds(
    config: str | Path | Mapping,
    seeds: range | Sequence[int] | str,
    *,
    backend: str | None = None,
    overrides: Sequence[str] = (),
    out_dir: str | Path | None = None,
    progress: bool = True,
    force: bool = False,
    resume: bool = False,
    figures: bool = False,
    quiet: bool = True,
) -> SeedsResult:
    """Run one config for many seeds, one sub-folder ``s<seed>`` each, and summarise.

    Writes into the parent folder ``seeds.csv`` (one row per seed: seed,
    status, run folder, scalar metrics flattened) and ``summary.json``
    (statistics of each numeric metric: n, mean, median, std, min, max; of
    each boolean metric: the fraction that is true).  Seeds run one after
    another in this process (for parallel runs use :mod:`cosim.runs.sweep`).

    Parameters
    ----------
    seeds : range, sequence of int, or ``"A:B"``
    out_dir : path, optional
        Default ``runs/<experiment>-<timestamp>-seeds<A>-<B>``.
    resume : bool
        Keep a non-empty ``out_dir`` and skip seeds whose folder is ``done``
        with the same resolved config (others run again).
    figures : bool
        ``ctx.figures`` for each seed (off by default: many seeds, many PNGs).
    quiet : bool
        Silence each seed's ``ctx.log`` (on by default).

    A failing seed is recorded (status ``failed``, ``error``) and the others
    go on.  On Ctrl-C the summary of the seeds done so far is written (with
    ``"interrupted": true``) before the interrupt propagates.
    """
    if isinstance(seeds, str):
        seeds = parse_seeds(seeds)
    seeds = list(seeds)
    if not seeds:
        raise ValueError("--seeds: no seeds to run")
    for s in seeds:
        _check_seed(s, "seed")
    resolved = resolve_config(config, seed=seeds[0], backend=backend, overrides=overrides)
    label = f"seeds{seeds[0]}-{seeds[-1] + 1}"
    out = Path(out_dir) if out_dir is not None else default_run_dir(resolved.experiment.name, 0, suffix=label)
    out = prepare_out_dir(out, force=force, resume=resume)
    width = max(4, len(str(max(seeds))))
    rows: list[dict] = []
    t0 = time.perf_counter()
    interrupted = False
    from tqdm.auto import tqdm

    bar = tqdm(seeds, desc=resolved.experiment.name, unit="seed", disable=not progress_enabled(progress), dynamic_ncols=True)
    try:
        for s in bar:
            sub = out / f"s{s:0{width}d}"
            row: dict[str, Any] = {"seed": s, "run_dir": str(sub)}
            one = dataclasses.replace(resolved, seed=s)
            if resume and (sub / "done").exists() and _config_matches(sub, one):
                rows.append({**row, "status": "skipped", **flatten(_read_metrics(sub))})
                continue
            try:
                sub = prepare_out_dir(sub, force=True)
                res = _execute(one, sub, progress=False, figures=figures, quiet=quiet)
                rows.append({**row, "status": "done", **flatten(res.metrics)})
            except KeyboardInterrupt:
                rows.append({**row, "status": "interrupted", **flatten(_read_metrics(sub))})
                raise
            except Exception as exc:
                rows.append({**row, "status": "failed", "error": f"{type(exc).__name__}: {exc}"})
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
    elapsed = time.perf_counter() - t0
    metric_rows = [
        {k: v for k, v in r.items() if k not in ("seed", "run_dir", "status", "error")}
        for r in rows
        if r["status"] in ("done", "skipped")
    ]
    summary = {
        "experiment": resolved.experiment.name,
        "seeds": f"{seeds[0]}:{seeds[-1] + 1}",
        "n_seeds": len(seeds),
        "n_done": sum(r["status"] == "done" for r in rows),
        "n_skipped": sum(r["status"] == "skipped" for r in rows),
        "n_failed": sum(r["status"] == "failed" for r in rows),
        "interrupted": interrupted,
        "elapsed_s": round(elapsed, 3),
        "metrics": summarize_metrics(metric_rows),
    }
    write_csv(out / "seeds.csv", rows, first=("seed", "status"))
    _write_json(out / "summary.json", summary)
    result = SeedsResult(out, rows, summary)
    if interrupted:
        raise KeyboardInterrupt(f"interrupted after {len(metric_rows)} seed(s); summary in {out}")
    return result


def seeds_summary_line(result: SeedsResult) -> str:
    """``<experiment> seeds A:B: N done, M skipped, K failed in T s; <metric stats>``."""
    s = result.summary
    head = (
        f"{s['experiment']} seeds {s['seeds']}: {s['n_done']} done, {s['n_skipped']} skipped, "
        f"{s['n_failed']} failed in {s['elapsed_s']:.1f} s"
    )
    stats = format_summary(s["metrics"])
    return f"{head}; {stats}" if stats else head
