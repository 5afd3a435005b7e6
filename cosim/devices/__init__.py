"""cosim.devices layer (see docs/design.md): behavioural memristor models,
vectorised over the array, their cards, and variability.

Models (all subclass :class:`DeviceModel`; per-cell state arrays, parameters
may be per-cell arrays): :class:`Messaris2017`, :class:`MeasuredCurve`,
:class:`VTEAM`, :class:`LinearIonDrift`, :class:`Yakopcic`,
:class:`StanfordPKU` (window functions: :mod:`cosim.devices.windows`).  Cards: :func:`load_model_card`,
:func:`get_model`, :data:`MODELS`.  Variability: :mod:`cosim.devices.variability`
(:func:`spread_params`, :func:`spread_state`, :class:`CycleNoise`,
:class:`ReadNoise`, :func:`stuck_masks`, :func:`stuck_state`,
:class:`Volatile`).
"""

from cosim.devices.base import DeviceError, DeviceModel
from cosim.devices.linear_drift import LinearIonDrift
from cosim.devices.measured import MeasuredCurve, read_curve_csv
from cosim.devices.messaris import NEUROPACK_2022, Messaris2017
from cosim.devices.registry import MODELS, get_model, load_model_card, read_model_card
from cosim.devices.variability import (
    CycleNoise,
    ReadNoise,
    Volatile,
    relax_exponential,
    spread,
    spread_params,
    spread_state,
    stuck_masks,
    stuck_state,
)
from cosim.devices.stanford_pku import StanfordPKU
from cosim.devices.vteam import VTEAM
from cosim.devices.yakopcic import Yakopcic

__all__ = [
    "DeviceError",
    "DeviceModel",
    "Messaris2017",
    "NEUROPACK_2022",
    "MeasuredCurve",
    "read_curve_csv",
    "VTEAM",
    "LinearIonDrift",
    "Yakopcic",
    "StanfordPKU",
    "MODELS",
    "get_model",
    "load_model_card",
    "read_model_card",
    "CycleNoise",
    "ReadNoise",
    "Volatile",
    "relax_exponential",
    "spread",
    "spread_params",
    "spread_state",
    "stuck_masks",
    "stuck_state",
]
