"""Model registry and TOML model cards.

A model card is a TOML file::

    model = "messaris2017"            # a key of MODELS
    description = "..."               # optional, free text
    [params]                          # constructor keywords of the model
    a_p = 0.21388644421061628
    ...
    [sources]                         # where every number came from
    a_p = "Huang et al. 2022 (NeuroPack), Table 2"
    ...

Parameters whose name ends in ``_csv`` or ``_va`` are file paths, resolved
relative to the card's folder (so ``models/measured_4x4.toml`` can say
``curve_csv = "data/conductance_vs_pulse_4x4.csv"``).
"""

from __future__ import annotations

import inspect
import tomllib
from pathlib import Path
from typing import Any

from cosim.devices.base import DeviceError, DeviceModel
from cosim.devices.linear_drift import LinearIonDrift
from cosim.devices.measured import MeasuredCurve
from cosim.devices.messaris import Messaris2017
from cosim.devices.stanford_pku import StanfordPKU
from cosim.devices.veriloga import VerilogAModel
from cosim.devices.vteam import VTEAM
from cosim.devices.yakopcic import Yakopcic
from cosim.shipped import card_path

#: Registry name -> model class.
MODELS: dict[str, type[DeviceModel]] = {
    cls.name: cls for cls in (Messaris2017, MeasuredCurve, VTEAM, LinearIonDrift, Yakopcic, StanfordPKU, VerilogAModel)
}

_CARD_KEYS = {"model", "description", "params", "sources", "references"}


def _model_class(name: Any) -> type[DeviceModel]:
    if name not in MODELS:
        raise DeviceError(f"unknown device model {name!r}; known models: {', '.join(sorted(MODELS))}")
    return MODELS[name]


def model_parameters(name: str) -> list[str]:
    """The keyword parameters the model ``name`` accepts."""
    sig = inspect.signature(_model_class(name).__init__)
    return [p for p in sig.parameters if p != "self"]


def get_model(name: str, **params: Any) -> DeviceModel:
    """Build the registered model ``name`` with ``params``.

    Raises
    ------
    DeviceError
        Unknown model name, unknown or missing parameter (named), or a bad
        parameter value.
    """
    cls = _model_class(name)
    sig = inspect.signature(cls.__init__)
    known = [p for p in sig.parameters if p != "self"]
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise DeviceError(f"{name}: unknown parameter(s) {', '.join(unknown)}; known: {', '.join(known)}")
    missing = [
        p
        for p, spec in sig.parameters.items()
        if p != "self" and spec.default is inspect.Parameter.empty and p not in params
    ]
    if missing:
        raise DeviceError(f"{name}: missing parameter(s) {', '.join(missing)}")
    for key, val in params.items():
        # cosim.values' rule: a bool is not a number (`a_p = true` was read as 1.0), nor is a complex
        spec = sig.parameters[key]
        wants_bool = isinstance(spec.default, bool) or "bool" in str(spec.annotation)
        if isinstance(val, bool) and not wants_bool:
            raise DeviceError(f"{name}: parameter {key} must be a number, got bool {str(val).lower()}")
        if isinstance(val, complex):
            raise DeviceError(f"{name}: parameter {key} must be a real number, got complex {val!r}")
    return cls(**params)


def read_model_card(path: str | Path) -> dict[str, Any]:
    """The parsed card (``model``, ``params`` with paths resolved, ``sources``).

    ``path`` is a card file or the name of a shipped card
    (``"messaris2017_neuropack"``; see :mod:`cosim.shipped`).

    Raises
    ------
    FileNotFoundError
        If ``path`` is neither a file nor a shipped card (the message names it
        and lists the shipped cards).
    DeviceError
        Invalid TOML, a missing ``model`` key, an unknown top-level key.
    """
    path = card_path(path)
    try:
        card = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise DeviceError(f"model card {str(path)!r} is not valid TOML: {exc}") from None
    unknown = sorted(set(card) - _CARD_KEYS)
    if unknown:
        raise DeviceError(
            f"model card {str(path)!r}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_CARD_KEYS))}"
        )
    if "model" not in card:
        raise DeviceError(f"model card {str(path)!r} has no 'model = \"...\"' line")
    params = dict(card.get("params", {}))
    for key, val in params.items():
        if key.endswith(("_csv", "_va")) and isinstance(val, str):
            params[key] = str((path.parent / val).resolve())
    return {
        "model": card["model"],
        "description": card.get("description", ""),
        "params": params,
        "sources": dict(card.get("sources", {})),
    }


def load_model_card(path: str | Path) -> DeviceModel:
    """The model a TOML card describes (see the module docstring).

    Examples
    --------
    >>> load_model_card("messaris2017_neuropack").name
    'messaris2017'
    """
    card = read_model_card(path)
    try:
        return get_model(card["model"], **card["params"])
    except DeviceError as exc:
        raise DeviceError(f"model card {str(path)!r}: {exc}") from None
