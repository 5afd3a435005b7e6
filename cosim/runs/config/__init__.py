"""Config files: TOML to typed dataclasses and back, with ``--set`` overrides.

Config file layout
------------------
A config is one TOML file::

    experiment = "read_accuracy"   # which experiment (see cosim.runs.registry)
    seed = 0                       # optional: default seed (cosim run --seed wins)
    description = "free text"      # optional, kept in the resolved config

    sizes = [16, 64]               # the experiment's own fields, flat ...
    [wires]                        # ... or in sections for nested dataclasses
    r_wordline_ohm = 1.0

Besides the reserved keys (:data:`RESERVED`), every key must be a field of
the experiment's config dataclass: unknown keys are refused with the dotted
key named and the valid keys listed; wrong types are named with the expected
type; ``Literal`` fields are checked against their allowed values.  A
top-level ``backend`` is always accepted (it is given to the experiment as
``ctx.backend``, and into the dataclass when it has a ``backend`` field).

Functions
---------
:func:`load_config` reads a file, :func:`from_dict` validates a mapping into a
dataclass instance (:mod:`cosim.runs.config.schema`), :func:`apply_overrides`
applies ``key=value`` strings typed by the dataclass fields
(:mod:`cosim.runs.config.overrides`), :func:`to_toml` writes a resolved config
that ``tomllib`` reads back identically (:mod:`cosim.runs.config.writing`,
on ``tomli-w``).  Everything is importable from ``cosim.runs.config``.

Examples
--------
>>> from dataclasses import dataclass, field
>>> @dataclass
... class Wires:
...     r_wordline_ohm: float = 1.0
>>> @dataclass
... class Cfg:
...     size: int = 8
...     cell: str = "1R"
...     wires: Wires = field(default_factory=Wires)
>>> cfg = from_dict(Cfg, apply_overrides({"size": 4}, ["wires.r_wordline_ohm=2.5"], Cfg))
>>> cfg
Cfg(size=4, cell='1R', wires=Wires(r_wordline_ohm=2.5))
>>> print(to_toml(cfg), end="")
size = 4
cell = "1R"
<BLANKLINE>
[wires]
r_wordline_ohm = 2.5
>>> from_dict(Cfg, {"sise": 4})
Traceback (most recent call last):
...
cosim.runs.config.ConfigError: unknown config key 'sise'; valid keys: size, cell, wires
"""

# the private helpers are re-exported too: code written before the split imports them from here
from cosim.runs.config.overrides import _parse_scalar, _toml_value, apply_overrides, parse_override  # noqa: F401
from cosim.runs.config.schema import (  # noqa: F401
    RESERVED,
    ConfigError,
    _convert,
    _describe,
    _hints,
    _type_name,
    from_dict,
    load_config,
    split_reserved,
    to_dict,
)
from cosim.runs.config.writing import to_toml, toml_inline

__all__ = [
    "ConfigError",
    "RESERVED",
    "load_config",
    "from_dict",
    "to_dict",
    "apply_overrides",
    "parse_override",
    "split_reserved",
    "to_toml",
    "toml_inline",
]
