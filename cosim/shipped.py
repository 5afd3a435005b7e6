"""The files cosim ships: model cards, measured data and experiment configs.

In the source tree they live in the top-level folders ``models/`` (cards,
``models/data/`` measured curves) and ``algorithms/`` (experiment and sweep
configs).  A built wheel carries copies of both as package data under
``cosim/_shipped/`` (``setup.py`` copies them at build time), found here with
:mod:`importlib.resources`.  Where that package data is absent (a source
checkout on ``PYTHONPATH`` or an editable install) the checkout's own folders
are used.  This module is the only place that knows where they are; it imports
nothing else from cosim, so every layer may use it.

Names
-----
A card or config can be given as

* a path to a file that exists (absolute, or relative to the working
  directory): the user's file, used as it is;
* a bare name, with or without ``.toml``: ``messaris2017_neuropack``,
  ``manhattan_4x4``, ``read_accuracy.sweep``: the shipped file of that name;
* a path inside the source tree's layout (``models/messaris2017_neuropack.toml``,
  ``algorithms/manhattan_4x4.toml``) that does not exist from the working
  directory: the shipped file (older configs and run folders name cards so).

Anything else is a :class:`FileNotFoundError` listing the shipped names.

Examples
--------
>>> "messaris2017_neuropack" in shipped_cards()
True
>>> card_path("messaris2017_neuropack").name
'messaris2017_neuropack.toml'
>>> config_path("manhattan_4x4").name
'manhattan_4x4.toml'
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

__all__ = [
    "KINDS",
    "shipped_root",
    "shipped_cards",
    "shipped_configs",
    "shipped_path",
    "card_path",
    "config_path",
]

#: the shipped folders, by the name they have in the source tree
KINDS = ("models", "algorithms")

#: where a wheel keeps them inside the package (see setup.py)
PACKAGE_DATA_DIR = "_shipped"


def shipped_root(kind: str) -> Path:
    """The folder holding the shipped ``kind`` files.

    Parameters
    ----------
    kind : {"models", "algorithms"}

    Returns
    -------
    Path
        ``cosim/_shipped/<kind>`` of an installed wheel, else the checkout's
        top-level ``<kind>/`` folder.

    Raises
    ------
    ValueError
        Unknown ``kind``.
    FileNotFoundError
        Neither location exists (a broken install; the message names both).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown shipped folder {kind!r}; expected one of {KINDS}")
    packaged = importlib.resources.files("cosim").joinpath(PACKAGE_DATA_DIR, kind)
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    # a source checkout: cosim/ sits beside models/, algorithms/ and pyproject.toml
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / kind).is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout / kind
    raise FileNotFoundError(
        f"cosim's shipped {kind!r} files are missing (looked in {str(packaged)!r} and {str(checkout / kind)!r}); "
        "reinstall cosim"
    )


def _names(kind: str) -> list[str]:
    return sorted(p.name[: -len(".toml")] for p in shipped_root(kind).glob("*.toml"))


def shipped_cards() -> list[str]:
    """Names of the shipped model cards (``models/*.toml`` without ``.toml``), sorted."""
    return _names("models")


def shipped_configs() -> list[str]:
    """Names of the shipped experiment and sweep configs (``algorithms/*.toml``
    without ``.toml``; sweep files end in ``.sweep``), sorted."""
    return _names("algorithms")


def shipped_path(kind: str, relative: str) -> Path:
    """The shipped file ``relative`` inside ``kind`` (it may not exist).

    >>> shipped_path("models", "data/conductance_vs_pulse_4x4.csv").is_file()
    True
    """
    return shipped_root(kind) / relative


def _resolve(kind: str, what: str, name: str | Path) -> Path:
    if not isinstance(name, (str, Path)) or not str(name).strip():
        raise ValueError(f"{what} must be a file path or a shipped name, got {name!r}")
    given = Path(name)
    if given.is_file():
        return given
    parts = given.parts
    if not given.is_absolute():
        # a bare name, or a path in the source tree's layout (models/<file>)
        rel = Path(*parts[1:]) if len(parts) > 1 and parts[0] == kind else given
        root = shipped_root(kind)
        for cand in (root / rel, root / rel.with_name(rel.name + ".toml")):
            if cand.is_file():
                return cand
    names = ", ".join(_names(kind))
    raise FileNotFoundError(
        f"{what} {str(name)!r} not found: no such file, and no shipped {what} of that name; shipped: {names}"
    )


def card_path(name: str | Path) -> Path:
    """The model card file a name or path stands for (see the module docstring).

    Raises
    ------
    FileNotFoundError
        Neither a file nor a shipped card; the message lists the shipped cards.
    """
    return _resolve("models", "model card", name)


def config_path(name: str | Path) -> Path:
    """The experiment or sweep config file a name or path stands for (see the
    module docstring).

    Raises
    ------
    FileNotFoundError
        Neither a file nor a shipped config; the message lists the shipped configs.
    """
    return _resolve("algorithms", "config file", name)
