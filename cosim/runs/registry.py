"""Experiment registry: how a config's ``experiment = "<name>"`` maps to code.

Auto-discovery (decided here, nobody edits this file to add an experiment)
--------------------------------------------------------------------------
Every module ``cosim/runs/experiments/<module>.py`` declares a module-level
dictionary::

    EXPERIMENTS = {
        "manhattan_4x4": (ManhattanConfig, run_manhattan),
        "prezioso_letters": (LettersConfig, run_letters),
    }

mapping an experiment name to ``(ConfigDataclass, run_function)``:

``ConfigDataclass``
    A :func:`dataclasses.dataclass` whose fields are the experiment's settings,
    with defaults and a numpydoc ``Attributes`` docstring (units in the names:
    ``r_wire_ohm``, ``width_s``).  Nested dataclass fields become TOML
    sections (``[device]`` ...).  Field types the runs layer understands and
    checks: ``bool``, ``int``, ``float``, ``str``, ``typing.Literal[...]``,
    ``list[T]``, ``tuple[T, ...]``, ``dict[str, T]``, ``T | None`` and nested
    dataclasses.  A field named ``backend`` receives ``cosim run --backend``.
``run_function(config, ctx) -> dict``
    ``config`` is the *validated instance* of ``ConfigDataclass`` (attribute
    access, ``config.r_wire_ohm``; ``dataclasses.asdict(config)`` gives the
    dict), ``ctx`` a :class:`cosim.runs.context.RunContext` (seed, seeded
    ``rng``, ``backend``, ``out_dir``, ``progress``, ``save_trace``,
    ``save_figure``, ``log``, ``checkpoint``).  It returns the metrics, a
    JSON-serialisable dict (numpy scalars and arrays are converted); the runs
    layer writes them to ``metrics.json``.

Module names starting with ``_`` are skipped.  A module that fails to import
does not break the other experiments: the error is reported when (and only
when) one of *its* names is asked for, or by :func:`discovery_errors`.  Two
modules declaring the same name is an error naming both.

Explicit entries
----------------
:data:`EXTRA` maps a name to ``"package.module:attribute"`` where the
attribute is a ``(ConfigDataclass, run_function)`` tuple; it exists for
experiments living outside ``cosim/runs/experiments`` (tests use it through
:func:`register`).
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

__all__ = [
    "Experiment",
    "EXTRA",
    "UnknownExperimentError",
    "get_experiment",
    "list_experiments",
    "register",
    "discovery_errors",
]

#: name -> "module:attribute" of a (ConfigDataclass, run_function) tuple
EXTRA: dict[str, str] = {}

_REGISTERED: dict[str, tuple[type, Callable]] = {}


class UnknownExperimentError(ValueError):
    """The config names an experiment that no module declares."""


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One registered experiment.

    Attributes
    ----------
    name : str
        The value of ``experiment = "..."`` in a config file.
    config_cls : type
        The dataclass describing its configuration.
    run : callable
        ``run(config_instance, ctx) -> dict`` of metrics.
    module : str
        Where it was found (for messages).
    """

    name: str
    config_cls: type
    run: Callable[..., dict]
    module: str


def _check_entry(name: str, entry: Any, where: str) -> tuple[type, Callable]:
    if not (isinstance(entry, tuple) and len(entry) == 2):
        raise TypeError(f"{where}: EXPERIMENTS[{name!r}] must be (ConfigDataclass, run_function), got {entry!r}")
    cls, fn = entry
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"{where}: EXPERIMENTS[{name!r}][0] must be a dataclass type, got {cls!r}")
    if not callable(fn):
        raise TypeError(f"{where}: EXPERIMENTS[{name!r}][1] must be callable, got {fn!r}")
    return cls, fn


def _discover() -> tuple[dict[str, Experiment], dict[str, str]]:
    """Import every experiments module; return (experiments, module -> import error)."""
    from cosim.runs import experiments as pkg

    found: dict[str, Experiment] = {}
    errors: dict[str, str] = {}
    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        modname = f"{pkg.__name__}.{mod.name}"
        try:
            module = importlib.import_module(modname)
        except Exception as exc:  # one broken module must not hide the others
            errors[modname] = f"{type(exc).__name__}: {exc}"
            continue
        table = getattr(module, "EXPERIMENTS", None)
        if table is None:
            continue
        for name, entry in table.items():
            cls, fn = _check_entry(name, entry, modname)
            if name in found:
                raise ValueError(f"experiment {name!r} is declared twice: in {found[name].module} and in {modname}")
            found[name] = Experiment(name, cls, fn, modname)
    for name, target in EXTRA.items():
        modname, _, attr = target.partition(":")
        try:
            entry = getattr(importlib.import_module(modname), attr)
        except Exception as exc:
            errors[modname] = f"{type(exc).__name__}: {exc}"
            continue
        cls, fn = _check_entry(name, entry, target)
        found[name] = Experiment(name, cls, fn, modname)
    for name, (cls, fn) in _REGISTERED.items():
        found[name] = Experiment(name, cls, fn, getattr(fn, "__module__", "?"))
    return found, errors


def register(name: str, config_cls: type, run: Callable[..., dict]) -> None:
    """Register an experiment at run time (tests, notebooks).

    Parameters
    ----------
    name : str
        Experiment name used in configs.
    config_cls : dataclass type
        Its configuration schema.
    run : callable
        ``run(config, ctx) -> dict``.

    Raises
    ------
    TypeError
        When ``config_cls`` is not a dataclass or ``run`` not callable.
    """
    _REGISTERED[name] = _check_entry(name, (config_cls, run), "register()")


def list_experiments() -> dict[str, Experiment]:
    """All experiments that import cleanly, by name (sorted)."""
    found, _ = _discover()
    return dict(sorted(found.items()))


def discovery_errors() -> dict[str, str]:
    """Experiment modules that failed to import: module name -> error text."""
    return _discover()[1]


def get_experiment(name: str) -> Experiment:
    """The experiment called ``name``.

    Raises
    ------
    UnknownExperimentError
        Naming ``name``, the known experiments, and any experiment module
        that failed to import (it may be the one that declares ``name``).

    Examples
    --------
    >>> get_experiment("no_such_thing")
    Traceback (most recent call last):
    ...
    cosim.runs.registry.UnknownExperimentError: unknown experiment 'no_such_thing'; known: ...
    """
    if not isinstance(name, str) or not name:
        raise UnknownExperimentError(f"the config's 'experiment' must be a non-empty string, got {name!r}")
    found, errors = _discover()
    if name in found:
        return found[name]
    msg = f"unknown experiment {name!r}; known: {', '.join(sorted(found)) or '(none)'}"
    if errors:
        msg += "; modules that failed to import: " + "; ".join(f"{m} ({e})" for m, e in errors.items())
    raise UnknownExperimentError(msg)
