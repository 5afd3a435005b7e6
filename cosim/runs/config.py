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
dataclass instance, :func:`apply_overrides` applies ``key=value`` strings typed
by the dataclass fields, :func:`to_toml` writes a resolved config that
``tomllib`` reads back identically.

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

from __future__ import annotations

import copy
import dataclasses
import math
import re
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Union

from cosim.shipped import config_path

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
]

#: top-level keys every config may hold besides its dataclass fields
RESERVED = ("experiment", "seed", "description", "backend")


class ConfigError(ValueError):
    """A config value or key is wrong; the message names the dotted key."""


# ----------------------------------------------------------------------------- reading


def load_config(path: str | Path) -> dict:
    """Read a TOML config file into a dict.

    Parameters
    ----------
    path : str or Path
        The ``.toml`` file, or the name of a shipped config (``"manhattan_4x4"``;
        see :mod:`cosim.shipped`).

    Returns
    -------
    dict
        The parsed TOML (no validation yet: see :func:`from_dict`).

    Raises
    ------
    FileNotFoundError
        When ``path`` is neither a file nor a shipped config (the path is
        named, the shipped configs listed).
    ConfigError
        When the file is not valid TOML (file name and tomllib's line/column).
    """
    path = config_path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from None


def split_reserved(mapping: Mapping, config_cls: type | None = None) -> tuple[dict, dict]:
    """Split a config mapping into (reserved top-level keys, dataclass fields).

    ``backend`` stays among the fields too when ``config_cls`` has a
    ``backend`` field.
    """
    field_names = {f.name for f in dataclasses.fields(config_cls)} if config_cls else set()
    reserved, fields = {}, {}
    for key, value in mapping.items():
        if key in RESERVED and key not in field_names:
            reserved[key] = value
        else:
            fields[key] = value
    if "backend" in field_names and "backend" in mapping:
        reserved["backend"] = mapping["backend"]
    return reserved, fields


# ----------------------------------------------------------------------------- typing helpers


def _hints(cls: type) -> dict[str, Any]:
    # resolves `from __future__ import annotations` strings in the dataclass' module
    try:
        return typing.get_type_hints(cls)
    except NameError:
        pass
    # a class defined in a function or doctest: its nested types are not module
    # globals, but the defaults' factories name them
    import sys

    localns: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        for candidate in (f.default, f.default_factory):
            if isinstance(candidate, type):
                localns[candidate.__name__] = candidate
            elif candidate is not dataclasses.MISSING and dataclasses.is_dataclass(candidate):
                localns[type(candidate).__name__] = type(candidate)
    globalns = dict(vars(sys.modules.get(cls.__module__, typing)))
    return typing.get_type_hints(cls, globalns=globalns, localns=localns)


def _type_name(tp: Any) -> str:
    if tp is type(None):
        return "None"
    if isinstance(tp, type) and not typing.get_args(tp):
        return tp.__name__
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    return str(tp).replace("typing.", "")


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


def _convert(value: Any, tp: Any, key: str) -> Any:
    """Check ``value`` against type ``tp``; return it converted (int -> float, list -> tuple)."""
    if tp is Any or tp is typing.Any:
        return value
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if dataclasses.is_dataclass(value) and isinstance(value, tp):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError(f"config key {key!r} must be a table (section) of {tp.__name__}, got {_describe(value)}")
        return _from_mapping(tp, value, key + ".")
    if origin is Literal:
        for allowed in args:
            if value == allowed and type(value) is type(allowed):
                return value
        raise ConfigError(f"config key {key!r} must be one of {', '.join(repr(a) for a in args)}, got {value!r}")
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for alt in args:
            if alt is type(None):
                continue
            try:
                return _convert(value, alt, key)
            except ConfigError as exc:
                errors.append(exc)
        raise ConfigError(f"config key {key!r} must be {_type_name(tp)}, got {_describe(value)}")
    if origin in (list, Sequence, typing.List) or tp is list:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"config key {key!r} must be a list, got {_describe(value)}")
        item_tp = args[0] if args else Any
        return [_convert(v, item_tp, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is tuple or tp is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"config key {key!r} must be a list, got {_describe(value)}")
        if not args or (len(args) == 2 and args[1] is Ellipsis):
            item_tp = args[0] if args else Any
            return tuple(_convert(v, item_tp, f"{key}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise ConfigError(f"config key {key!r} must be a list of {len(args)} items, got {len(value)}: {value!r}")
        return tuple(_convert(v, t, f"{key}[{i}]") for i, (v, t) in enumerate(zip(value, args)))
    if origin in (dict, Mapping) or tp is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"config key {key!r} must be a table, got {_describe(value)}")
        val_tp = args[1] if len(args) == 2 else Any
        return {str(k): _convert(v, val_tp, f"{key}.{k}") for k, v in value.items()}
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"config key {key!r} must be bool (true/false), got {_describe(value)}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"config key {key!r} must be int, got {_describe(value)}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"config key {key!r} must be float, got {_describe(value)}")
    if tp is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"config key {key!r} must be str, got {_describe(value)}")
    if isinstance(tp, type):
        if isinstance(value, tp):
            return value
        raise ConfigError(f"config key {key!r} must be {tp.__name__}, got {_describe(value)}")
    return value


def _from_mapping(cls: type, mapping: Mapping, prefix: str) -> Any:
    fields = [f for f in dataclasses.fields(cls) if f.init]
    names = [f.name for f in fields]
    for key in mapping:
        if key not in names:
            raise ConfigError(f"unknown config key {prefix + str(key)!r}; valid keys: {', '.join(names)}")
    hints = _hints(cls)
    kwargs = {}
    for f in fields:
        if f.name in mapping:
            kwargs[f.name] = _convert(mapping[f.name], hints.get(f.name, Any), prefix + f.name)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"config key {prefix + f.name!r} is required ({_type_name(hints.get(f.name, Any))})")
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (ValueError, TypeError) as exc:
        where = f" in section {prefix[:-1]!r}" if prefix else ""
        raise ConfigError(f"invalid config{where}: {exc}") from exc


def from_dict(cls: type, mapping: Mapping) -> Any:
    """Build and validate a config dataclass from a (TOML) mapping.

    Parameters
    ----------
    cls : dataclass type
        The experiment's config schema; nested dataclass fields take TOML tables.
    mapping : Mapping
        Field values; missing fields take their defaults.  Reserved top-level
        keys (:data:`RESERVED`) are *not* accepted here: strip them with
        :func:`split_reserved` first.

    Returns
    -------
    instance of ``cls``

    Raises
    ------
    ConfigError
        Unknown key (dotted key named, valid keys listed), wrong type (key,
        expected type and the value given), value not among a ``Literal``'s
        choices, a required field missing, or the dataclass' own
        ``__post_init__`` check failing.
    """
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"from_dict needs a dataclass type, got {cls!r}")
    if not isinstance(mapping, Mapping):
        raise ConfigError(f"a config must be a table of keys, got {_describe(mapping)}")
    return _from_mapping(cls, mapping, "")


def to_dict(obj: Any) -> Any:
    """A dataclass instance (or mapping) as plain dicts/lists/scalars (tuples -> lists)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): to_dict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "shape", None) == ():
        return obj.item()  # numpy scalar
    if hasattr(obj, "tolist") and callable(obj.tolist):
        return obj.tolist()  # numpy array
    return obj


# ----------------------------------------------------------------------------- overrides

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _toml_value(text: str) -> Any:
    """Parse ``text`` as a TOML value, or None when it is not one."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return None


def _parse_scalar(text: str, tp: Any, key: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    s = text.strip()
    if origin in (Union, types.UnionType):
        if type(None) in args and s.lower() in ("none", "null"):
            return None
        for alt in args:
            if alt is type(None):
                continue
            try:
                return _parse_scalar(s, alt, key)
            except ConfigError:
                pass
        raise ConfigError(f"--set {key}={text}: expected {_type_name(tp)}")
    if origin is Literal:
        for allowed in args:
            try:
                parsed = _parse_scalar(s, type(allowed), key)
            except ConfigError:
                continue
            if parsed == allowed:
                return allowed
        raise ConfigError(f"--set {key}={text}: must be one of {', '.join(repr(a) for a in args)}")
    if origin in (list, tuple, Sequence) or tp in (list, tuple):
        parsed = _toml_value(s) if s.startswith("[") else None
        items = parsed if isinstance(parsed, list) else [p for p in s.split(",") if p.strip()] if s else []
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            item_types = list(args)
            if len(items) != len(item_types):
                raise ConfigError(f"--set {key}={text}: expected {len(item_types)} comma-separated values")
        else:
            item_types = [args[0] if args else Any] * len(items)
        out = []
        for i, (v, t) in enumerate(zip(items, item_types)):
            sub = f"{key}[{i}]"
            out.append(_parse_scalar(v, t, sub) if isinstance(v, str) else _convert(v, t, sub))
        return tuple(out) if origin is tuple else out
    if tp is bool:
        if s.lower() in _TRUE:
            return True
        if s.lower() in _FALSE:
            return False
        raise ConfigError(f"--set {key}={text}: expected bool (true/false)")
    if tp is int:
        try:
            return int(s)
        except ValueError:
            try:
                f = float(s)
            except ValueError:
                f = math.nan
            if math.isfinite(f) and f.is_integer():
                return int(f)
            raise ConfigError(f"--set {key}={text}: expected int") from None
    if tp is float:
        try:
            return float(s)
        except ValueError:
            raise ConfigError(f"--set {key}={text}: expected float") from None
    if tp is str:
        if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
            return s[1:-1]
        return text
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        raise ConfigError(f"--set {key}=...: {key!r} is a section; set its keys as {key}.<name>=value")
    # untyped: a TOML literal if it is one, else the string
    parsed = _toml_value(s)
    return text if parsed is None else parsed


def parse_override(item: str) -> tuple[list[str], str]:
    """Split ``"a.b=value"`` into (``["a", "b"]``, ``"value"``).

    Raises
    ------
    ConfigError
        When there is no ``=`` or the key is empty.
    """
    if "=" not in item:
        raise ConfigError(f"--set {item!r}: expected key=value")
    key, value = item.split("=", 1)
    parts = [p.strip() for p in key.strip().split(".")]
    if not key.strip() or any(not p for p in parts):
        raise ConfigError(f"--set {item!r}: empty key")
    return parts, value


def apply_overrides(mapping: Mapping, overrides: Sequence[str], config_cls: type | None = None) -> dict:
    """Apply ``key=value`` overrides to a config mapping, typed by the schema.

    Parameters
    ----------
    mapping : Mapping
        The config as read from TOML (not modified).
    overrides : sequence of str
        ``"key=value"`` or ``"section.key=value"``.  The value is parsed by the
        dataclass field's type: bool (``true/false/yes/no/1/0``), int, float,
        str, Literal choices, lists (``1,2,3`` or ``[1, 2, 3]``), ``none`` for
        optional fields.  ``seed`` (int), ``backend`` and ``description``
        (str) are always accepted.
    config_cls : dataclass type, optional
        The schema.  When omitted it is looked up from ``mapping["experiment"]``
        in the registry; without one the value is typed by the existing value.

    Returns
    -------
    dict
        A new mapping with the overrides applied.

    Raises
    ------
    ConfigError
        Unknown key (named, with the valid keys) or a value that does not
        parse as the field's type.
    """
    out = copy.deepcopy(dict(mapping))
    if config_cls is None and isinstance(mapping.get("experiment"), str):
        from cosim.runs.registry import get_experiment

        config_cls = get_experiment(mapping["experiment"]).config_cls
    for item in overrides:
        parts, text = parse_override(item)
        key = ".".join(parts)
        field_names = {f.name for f in dataclasses.fields(config_cls)} if config_cls else set()
        if len(parts) == 1 and parts[0] in RESERVED and parts[0] not in field_names:
            tp = int if parts[0] == "seed" else str
            out[parts[0]] = _parse_scalar(text, tp, key)
            continue
        cls, tp, target = config_cls, None, out
        for depth, name in enumerate(parts):
            last = depth == len(parts) - 1
            if cls is not None and dataclasses.is_dataclass(cls):
                names = [f.name for f in dataclasses.fields(cls) if f.init]
                if name not in names:
                    where = ".".join(parts[:depth])
                    scope = f" in {where!r}" if where else ""
                    raise ConfigError(f"unknown config key {key!r}; valid keys{scope}: {', '.join(names)}")
                tp = _hints(cls)[name]
            elif cls is not None and typing.get_origin(cls) in (dict, Mapping):
                args = typing.get_args(cls)
                tp = args[1] if len(args) == 2 else Any
            elif cls is None:
                existing = target.get(name) if isinstance(target, dict) else None
                if existing is None and not last:
                    raise ConfigError(f"unknown config key {key!r}")
                tp = type(existing) if existing is not None and not isinstance(existing, dict) else None
            else:
                raise ConfigError(f"config key {'.'.join(parts[:depth])!r} is not a section; cannot set {key!r}")
            if last:
                if tp is None:
                    parsed = _toml_value(text.strip())
                    target[name] = text if parsed is None else parsed
                else:
                    target[name] = to_dict(_parse_scalar(text, tp, key))
            else:
                nxt = target.get(name)
                if nxt is None:
                    nxt = target[name] = {}
                elif dataclasses.is_dataclass(nxt):
                    nxt = target[name] = to_dict(nxt)
                elif not isinstance(nxt, dict):
                    raise ConfigError(f"config key {'.'.join(parts[: depth + 1])!r} is not a section; cannot set {key!r}")
                target = nxt
                cls = tp if tp is not None and (dataclasses.is_dataclass(tp) or typing.get_origin(tp) in (dict, Mapping)) else None
                if tp is not None and cls is None:
                    # optional nested dataclass: `Sub | None`
                    for alt in typing.get_args(tp):
                        if isinstance(alt, type) and dataclasses.is_dataclass(alt):
                            cls = alt
                    if cls is None:
                        raise ConfigError(f"config key {'.'.join(parts[: depth + 1])!r} is not a section; cannot set {key!r}")
    return out


# ----------------------------------------------------------------------------- writing

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _string(s: str) -> str:
    """A TOML basic string: quote, backslash and control characters (DEL too) escaped."""
    out = []
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _key(k: str) -> str:
    return k if _BARE_KEY.fullmatch(k) else _string(k)


def _scalar(v: Any, where: str) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_scalar(x, where) for x in v) + "]"
    if isinstance(v, Mapping):
        items = [f"{_key(str(k))} = {_scalar(x, where)}" for k, x in v.items() if x is not None]
        return "{" + ", ".join(items) + "}"
    if v is None:
        raise ValueError(f"to_toml: {where} holds None inside a list; TOML has no null")
    raise TypeError(f"to_toml: {where} has a value of type {type(v).__name__} that TOML cannot hold: {v!r}")


def _emit_table(d: Mapping, path: list[str], lines: list[str]) -> None:
    simple = [(k, v) for k, v in d.items() if not isinstance(v, Mapping) and v is not None]
    tables = [(k, v) for k, v in d.items() if isinstance(v, Mapping)]
    if path and (simple or not tables):
        if lines:
            lines.append("")
        lines.append("[" + ".".join(_key(p) for p in path) + "]")
    for k, v in simple:
        lines.append(f"{_key(str(k))} = {_scalar(v, '.'.join(path + [str(k)]))}")
    for k, v in tables:
        _emit_table(v, path + [str(k)], lines)


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
    """
    data = to_dict(obj)
    if not isinstance(data, Mapping):
        raise TypeError(f"to_toml needs a mapping or dataclass, got {type(obj).__name__}")
    lines: list[str] = []
    _emit_table(data, [], lines)
    return "\n".join(lines) + "\n"
