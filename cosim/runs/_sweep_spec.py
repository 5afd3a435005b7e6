"""What a sweep is: its spec, the ``--grid`` parser and the sweep-file loader.

Part of :mod:`cosim.runs.sweep` (import from there).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cosim.runs.config import ConfigError, load_config, parse_override, toml_inline
from cosim.runs.run import parse_seeds
from cosim.shipped import config_path


@dataclasses.dataclass
class SweepSpec:
    """What to sweep.

    Attributes
    ----------
    base : dict
        The base config mapping (with ``experiment``).
    grid : dict[str, list[str]]
        Dotted config key -> values, as ``--set`` value strings (typed by the
        config dataclass when applied).
    seeds : list[int]
    overrides : list[str]
        Fixed ``key=value`` overrides applied before the grid's.
    backend : str or None
    base_path : str or None
        Where ``base`` was read from (recorded in ``sweep.json``).
    """

    base: dict
    grid: dict[str, list[str]]
    seeds: list[int]
    overrides: list[str] = dataclasses.field(default_factory=list)
    backend: str | None = None
    base_path: str | None = None

    def points(self) -> list[dict[str, str]]:
        """The grid points (cartesian product, first key slowest)."""
        keys = list(self.grid)
        return [dict(zip(keys, combo)) for combo in itertools.product(*(self.grid[k] for k in keys))]


def _split_values(text: str) -> list[str]:
    """Split ``v1,v2,...`` on commas outside brackets and quotes."""
    out, depth, quote, cur = [], 0, "", []
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur).strip())
    return out


def parse_grid(items: Sequence[str]) -> dict[str, list[str]]:
    """``["r_wire_ohm=0,1,2.5", "cell=1R,1S1R"]`` -> ``{"r_wire_ohm": ["0", "1", "2.5"], ...}``.

    Values are split on commas outside ``[...]`` (so a list value is written
    ``sizes=[8,16],[32]``).

    Raises
    ------
    ConfigError
        No ``=``, an empty value, or a key given twice (named).

    Examples
    --------
    >>> parse_grid(["r_wire_ohm=0,2.5", "sizes=[8,16],[32]"])
    {'r_wire_ohm': ['0', '2.5'], 'sizes': ['[8,16]', '[32]']}
    """
    grid: dict[str, list[str]] = {}
    for item in items:
        parts, text = parse_override(item)
        key = ".".join(parts)
        if key in grid:
            raise ConfigError(f"--grid {key}: given twice")
        values = _split_values(text)
        if not text.strip() or any(v == "" for v in values):
            raise ConfigError(f"--grid {item!r}: expected key=v1,v2,... with no empty value")
        grid[key] = values
    return grid


def _value_text(v: Any) -> str:
    """A TOML-typed grid value as an override string."""
    return v if isinstance(v, str) else toml_inline(v)


def load_sweep_file(path: str | Path) -> tuple[SweepSpec, Path | None]:
    """Read a sweep TOML file (see the module docstring).

    Returns
    -------
    (SweepSpec, out_dir or None)
        ``out_dir`` is the file's ``out`` (relative to the current
        directory), or None.

    Raises
    ------
    ConfigError
        Missing ``[sweep]`` / ``base`` / ``[sweep.grid]``, unknown keys (named),
        a grid entry that is not a non-empty list.
    """
    path = config_path(path)  # a file, or a shipped sweep's name ("read_accuracy.sweep")
    data = load_config(path)
    sweep = data.get("sweep")
    if not isinstance(sweep, Mapping):
        raise ConfigError(f"sweep file {str(path)!r} has no [sweep] table")
    extra = set(data) - {"sweep"}
    if extra:
        raise ConfigError(
            f"sweep file {str(path)!r}: unknown top-level key(s) {', '.join(sorted(extra))}; only [sweep] is read"
        )
    allowed = {"base", "grid", "seeds", "set", "out", "backend"}
    unknown = set(sweep) - allowed
    if unknown:
        raise ConfigError(f"unknown key 'sweep.{sorted(unknown)[0]}'; valid keys: {', '.join(sorted(allowed))}")
    if not isinstance(sweep.get("base"), str):
        raise ConfigError(f"sweep file {str(path)!r}: 'sweep.base' (the base config file) is required")
    base_path = (
        (path.parent / sweep["base"]).resolve() if not Path(sweep["base"]).is_absolute() else Path(sweep["base"])
    )
    grid_in = sweep.get("grid", {})
    if not isinstance(grid_in, Mapping) or not grid_in:
        raise ConfigError(f"sweep file {str(path)!r}: [sweep.grid] with at least one key = [values] is required")
    grid = {}
    for key, values in _flatten_grid(grid_in).items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"'sweep.grid.{key}' must be a non-empty list of values, got {values!r}")
        grid[key] = [_value_text(v) for v in values]
    base = load_config(base_path)
    seeds_in = sweep.get("seeds", None)
    if seeds_in is None:
        seeds = [int(base.get("seed", 0))]
    elif isinstance(seeds_in, str):
        seeds = list(parse_seeds(seeds_in))
    elif isinstance(seeds_in, list) and all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds_in
    ):
        seeds = list(seeds_in)
    else:
        raise ConfigError(f"'sweep.seeds' must be \"A:B\" or a list of non-negative ints, got {seeds_in!r}")
    overrides = sweep.get("set", [])
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        raise ConfigError(f"'sweep.set' must be a list of \"key=value\" strings, got {overrides!r}")
    out = sweep.get("out")
    spec = SweepSpec(base, grid, seeds, list(overrides), sweep.get("backend"), str(base_path))
    return spec, (Path(out) if out else None)


def _flatten_grid(grid: Mapping, prefix: str = "") -> dict[str, Any]:
    # [sweep.grid.device] g_max_s = [..] is the same as "device.g_max_s" = [..]
    out: dict[str, Any] = {}
    for k, v in grid.items():
        if isinstance(v, Mapping):
            out.update(_flatten_grid(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out
