"""Config validation: a TOML mapping into a typed dataclass instance, and back to plain data."""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Union

from cosim.shipped import config_path

__all__ = ["ConfigError", "RESERVED", "load_config", "split_reserved", "from_dict", "to_dict"]

RESERVED = ("experiment", "seed", "description", "backend")


class ConfigError(ValueError):
    """A config value or key is wrong; the message names the dotted key."""


# shown (tracebacks, doctests) under the public path it has always had
ConfigError.__module__ = "cosim.runs.config"


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
    if origin in (list, Sequence) or tp is list:
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
