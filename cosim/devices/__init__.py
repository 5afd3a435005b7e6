"""cosim.devices layer (see DESIGN.md): behavioural memristor models,
vectorised over the array, their cards, and variability.

Models: :class:`Messaris2017`, :class:`MeasuredCurve`, :class:`VTEAM`,
:class:`LinearIonDrift`.  Cards: :func:`load_model_card`,
:func:`get_model`.
"""

from cosim.devices.base import DeviceError, DeviceModel
from cosim.devices.linear_drift import LinearIonDrift
from cosim.devices.measured import MeasuredCurve, read_curve_csv
from cosim.devices.messaris import NEUROPACK_2022, Messaris2017
from cosim.devices.vteam import VTEAM
from cosim.devices.registry import MODELS, get_model, load_model_card, read_model_card

__all__ = [
    "DeviceError", "DeviceModel", "LinearIonDrift", "VTEAM", "MeasuredCurve", "read_curve_csv", "MODELS", "Messaris2017", "NEUROPACK_2022",
    "get_model", "load_model_card", "read_model_card",
]
