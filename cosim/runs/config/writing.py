"""Writing configs as TOML, with ``tomli-w`` (the reader is the standard library's ``tomllib``).

``tomli-w`` is the writer that pairs with ``tomllib`` (same authors, the TOML
1.0 spec, tested for round trips), so a resolved config written here reads
back identically; what it does not do, and cosim needs, is done here first:
dataclasses, numpy scalars/arrays and tuples become plain data
(:func:`cosim.runs.config.schema.to_dict`) and ``None`` fields are left out
(TOML has no null; reading the file back gives the field's default).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import tomli_w

from cosim.runs.config.schema import to_dict

__all__ = ["to_toml", "toml_inline"]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _prune(v: Any, where: str) -> Any:
    """Drop None mapping entries; refuse None in lists and types TOML cannot hold (naming ``where``)."""
    if isinstance(v, Mapping):
        return {str(k): _prune(x, f"{where}.{k}" if where else str(k)) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        if any(x is None for x in v):
            raise ValueError(f"to_toml: {where} holds None inside a list; TOML has no null")
        return [_prune(x, where) for x in v]
    if isinstance(v, (bool, int, float, str)):
        return v
    raise TypeError(f"to_toml: {where} has a value of type {type(v).__name__} that TOML cannot hold: {v!r}")


def to_toml(obj: Any) -> str:
    """Write a config (dataclass instance or mapping) as TOML text.

    ``tomllib.loads(to_toml(d)) == d`` for every mapping of TOML-representable
    values (numpy scalars/arrays and tuples are written as numbers/lists).
    Fields that are ``None`` are left out: TOML has no null, and reading the
    file back gives the field's default (``None`` for optional fields).

    Raises
    ------
    TypeError
        For a value TOML cannot hold (the dotted key is named).
    ValueError
        For ``None`` inside a list (the dotted key is named).

    Examples
    --------
    >>> print(to_toml({"size": 4, "wires": {"r_wordline_ohm": 2.5}, "limit": None}), end="")
    size = 4
    <BLANKLINE>
    [wires]
    r_wordline_ohm = 2.5
    """
    data = to_dict(obj)
    if not isinstance(data, Mapping):
        raise TypeError(f"to_toml needs a mapping or dataclass, got {type(obj).__name__}")
    return tomli_w.dumps(_prune(data, ""))


def toml_inline(v: Any) -> str:
    """One value as a one-line TOML literal (lists inline), e.g. for ``--set`` strings and folder names.

    >>> toml_inline([8, 16]), toml_inline("1S1R"), toml_inline(2.5), toml_inline(True)
    ('[8, 16]', '"1S1R"', '2.5', 'true')
    >>> toml_inline({"a": 1, "b c": [1.5]})
    '{a = 1, "b c" = [1.5]}'
    """
    v = to_dict(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_inline(x) for x in v) + "]"
    if isinstance(v, Mapping):
        items = (
            f"{k if _BARE_KEY.fullmatch(str(k)) else toml_inline(str(k))} = {toml_inline(x)}"
            for k, x in v.items()
            if x is not None
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return tomli_w.dumps({"v": _prune(v, "value")})[len("v = ") :].rstrip("\n")
