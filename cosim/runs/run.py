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
    start time (UTC, ISO 8601), wall time ``elapsed_s``, CPU time ``cpu_s`` and
    ``timing`` (durations the experiment measured, ``ctx.timing``).  Timings are
    never in ``metrics.json``, which is bit-identical for the same seed.
``done``
    An empty marker written last, only when the run finished: a sweep that is
    run again skips points whose folder has it.

Every file is written to a temporary name and renamed into place
(:mod:`cosim.atomic`), and the folder is locked while a run writes into it
(:class:`cosim.runs.rundir.RunLock`): a second ``cosim run --force`` into the
same folder is refused with a message naming the first.  The folder
machinery lives in :mod:`cosim.runs.rundir`; its names are re-exported here.
"""

from __future__ import annotations

import dataclasses
import re
import time
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
)
from cosim.runs.context import progress_enabled
from cosim.runs.registry import Experiment, get_experiment
from cosim.runs.rundir import (  # noqa: F401  (re-exported: their home before rundir existed)
    RUN_FILES as _RUN_FILES,
    OutputExistsError,
    RunLock,
    RunLockedError,
    _ngspice_version,
    config_matches as _config_matches,
    default_run_dir,
    execute_run,
    prepare_out_dir,
    read_metrics as _read_metrics,
    seed_dir,
    versions,
    write_json as _write_json,
)
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
    cosim.memory.MemoryEstimateError
        When the config's ``memory_estimate_bytes()`` (if its dataclass has
        one) exceeds the memory available: e.g. ``size = 100000``.
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
    run_seed = (
        _check_seed(seed, "--seed") if seed is not None else _check_seed(reserved.get("seed", 0), "config key 'seed'")
    )
    estimate = getattr(cfg, "memory_estimate_bytes", None)
    if callable(estimate):  # refuse what cannot fit before a run folder exists (cosim.memory)
        from cosim.memory import check_fits

        check_fits(f"experiment {exp.name!r} with this config", estimate())
    desc = reserved.get("description")
    if desc is not None and not isinstance(desc, str):
        raise ConfigError(f"config key 'description' must be a string, got {desc!r}")
    return ResolvedConfig(exp, cfg, run_seed, run_backend, desc, source)


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
    resolved = (
        config
        if isinstance(config, ResolvedConfig)
        else resolve_config(config, seed=seed, backend=backend, overrides=overrides)
    )
    out = Path(out_dir) if out_dir is not None else default_run_dir(resolved.experiment.name, resolved.seed)
    lock = RunLock(out)  # acquired by prepare_out_dir once the folder exists, before it clears anything
    try:
        out = prepare_out_dir(out, force=force, lock=lock)
        return _execute(resolved, out, progress=progress, figures=figures, quiet=quiet)
    finally:
        lock.release()


def _execute(resolved: ResolvedConfig, out: Path, *, progress: bool, figures: bool, quiet: bool) -> RunResult:
    """:func:`cosim.runs.rundir.execute_run` as a :class:`RunResult` (the name sweep code used to import)."""
    res = execute_run(resolved, out, progress=progress, figures=figures, quiet=quiet)
    return RunResult(Path(out), res.metrics, "done", resolved.seed, res.elapsed_s, res.cpu_s)


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

    The seed folders are named by the seed alone (``s0007``, ``s12345``:
    :func:`cosim.runs.rundir.seed_dir_name`), so a resumed run with another
    range finds the seeds already done.  The parent folder is locked while the
    seeds run (a second writer is refused, naming this process).

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
    lock = RunLock(out)
    try:
        out = prepare_out_dir(out, force=force, resume=resume, lock=lock)
        return _run_seeds_locked(resolved, seeds, out, progress=progress, resume=resume, figures=figures, quiet=quiet)
    finally:
        lock.release()


def _run_seeds_locked(
    resolved: ResolvedConfig, seeds: list[int], out: Path, *, progress: bool, resume: bool, figures: bool, quiet: bool
) -> SeedsResult:
    rows: list[dict] = []
    t0 = time.perf_counter()
    interrupted: Any = False
    from tqdm.auto import tqdm

    bar = tqdm(
        seeds, desc=resolved.experiment.name, unit="seed", disable=not progress_enabled(progress), dynamic_ncols=True
    )
    try:
        for s in bar:
            sub = seed_dir(out, s)
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
    except KeyboardInterrupt as exc:
        interrupted = type(exc)  # re-raised below as the same kind (Ctrl-C or SIGTERM)
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
        "interrupted": bool(interrupted),
        "elapsed_s": round(elapsed, 3),
        "metrics": summarize_metrics(metric_rows),
    }
    write_csv(out / "seeds.csv", rows, first=("seed", "status"))  # atomic (summary.write_csv)
    _write_json(out / "summary.json", summary)
    result = SeedsResult(out, rows, summary)
    if interrupted:
        raise interrupted(f"interrupted after {len(metric_rows)} seed(s); summary in {out}")
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
