"""``--set key=value`` overrides, typed by the config dataclass' fields."""

from __future__ import annotations

import copy
import dataclasses
import math
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Union

from cosim.runs.config.schema import RESERVED, ConfigError, _convert, _hints, _type_name, to_dict

__all__ = ["apply_overrides", "parse_override"]

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
            pass
        # the rule of the config file (cosim.values): a float is not an int, even 4.0 or 1e3
        # (the file refuses `size = 4.0`, so --set size=4.0 is refused the same way)
        try:
            f = float(s)
        except ValueError:
            f = None
        if f is not None:
            hint = f" (write it as {int(f)})" if math.isfinite(f) and f.is_integer() else ""
            raise ConfigError(f"--set {key}={text}: expected int, got float {text.strip()}{hint}")
        raise ConfigError(f"--set {key}={text}: expected int")
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
        (str) are always accepted; ``experiment`` is refused (a config's
        keys belong to its experiment).
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
        if parts == ["experiment"]:
            # the file's other keys belong to its experiment: switching it here would
            # silently run another experiment's defaults, or fail on the first key
            current = mapping.get("experiment")
            raise ConfigError(
                f"--set {item}: the experiment cannot be overridden (this config runs {current!r}); "
                "run a config file of that experiment instead (shipped ones: algorithms/*.toml)"
            )
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
                    raise ConfigError(
                        f"config key {'.'.join(parts[: depth + 1])!r} is not a section; cannot set {key!r}"
                    )
                target = nxt
                cls = (
                    tp
                    if tp is not None and (dataclasses.is_dataclass(tp) or typing.get_origin(tp) in (dict, Mapping))
                    else None
                )
                if tp is not None and cls is None:
                    # optional nested dataclass: `Sub | None`
                    for alt in typing.get_args(tp):
                        if isinstance(alt, type) and dataclasses.is_dataclass(alt):
                            cls = alt
                    if cls is None:
                        raise ConfigError(
                            f"config key {'.'.join(parts[: depth + 1])!r} is not a section; cannot set {key!r}"
                        )
    return out
