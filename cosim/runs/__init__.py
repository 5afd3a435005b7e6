"""cosim.runs layer (see docs/design.md): configs, run folders, sweeps, reports.

- :mod:`cosim.runs.registry`: experiment name -> (config dataclass, run function),
  auto-discovered from ``cosim/runs/experiments/*.py``.
- :mod:`cosim.runs.config`: TOML configs to typed dataclasses, ``--set`` overrides, TOML out.
- :mod:`cosim.runs.context`: :class:`RunContext`, what an experiment gets.
- :mod:`cosim.runs.run`: :func:`run_experiment` (one run folder), :func:`run_seeds` (many seeds).
- :mod:`cosim.runs.sweep`: :func:`run_sweep` on Dask, tables in CSV and Parquet.
- :mod:`cosim.runs.report`: :func:`write_report`, a self-contained HTML page.
"""

from cosim.runs.config import ConfigError, apply_overrides, from_dict, load_config, to_toml
from cosim.runs.context import RunContext
from cosim.runs.registry import get_experiment, list_experiments, register
from cosim.runs.run import RunResult, SeedsResult, resolve_config, run_experiment, run_seeds


def __getattr__(name):
    # sweeps and reports pull in dask / pandas: load them only when asked for
    if name in ("run_sweep", "SweepSpec", "parse_grid", "load_sweep_file"):
        from cosim.runs import sweep

        return getattr(sweep, name)
    if name == "write_report":
        from cosim.runs.report import write_report

        return write_report
    raise AttributeError(f"module 'cosim.runs' has no attribute {name!r}")


__all__ = [
    "ConfigError",
    "RunContext",
    "RunResult",
    "SeedsResult",
    "apply_overrides",
    "from_dict",
    "get_experiment",
    "list_experiments",
    "load_config",
    "register",
    "resolve_config",
    "run_experiment",
    "run_seeds",
    "run_sweep",
    "to_toml",
    "write_report",
]
