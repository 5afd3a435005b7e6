"""Advancing only the cells that see a voltage (an exact shortcut of the pulse loop).

A pulse on a large array usually drives a few lines: under the ideal-selector
scheme only the selected cells see any voltage, and on the ideal backend the
same holds for every scheme.  For a device model whose ``advance`` leaves a
cell held at exactly 0 V exactly where it is, and draws nothing from the
random generator, advancing the cells at a non-zero voltage only gives the
same new state, bit for bit, as advancing every cell.  That is *exact*, not a
cut: a cell at 1e-300 V is still advanced.

Which models qualify
--------------------
A model class may declare it with a class attribute ``static_at_zero_v =
True`` (or ``False`` to opt out).  Without the attribute only the models
checked here qualify: :class:`cosim.devices.Messaris2017` (its rate constant
is ``a * expm1(|v| / t) = 0`` at 0 V, so the move is exactly 0; it ignores
``rng``).  Wrappers such as ``CycleNoise`` draw random numbers per cell and do
not qualify.  The model's parameters must be scalars (per-cell parameter
arrays would have to be sliced with the cells).
"""

from __future__ import annotations

import numpy as np

from cosim.devices.base import DeviceModel

__all__ = ["static_at_zero_v", "moving_cells"]


def _known_static() -> tuple[type, ...]:
    from cosim.devices.messaris import Messaris2017

    return (Messaris2017,)


def static_at_zero_v(model: DeviceModel) -> bool:
    """Whether advancing only the cells at a non-zero voltage is exact for ``model``."""
    flag = getattr(type(model), "static_at_zero_v", None)
    if flag is None:
        flag = type(model) in _known_static()
    if not flag:
        return False
    params = getattr(model, "numeric_params", None)
    if params is None:
        return False
    return all(np.ndim(p) == 0 for p in params().values())


#: above this fraction of moving cells, slicing costs more than it saves
MAX_MOVING_FRACTION = 0.5


def moving_cells(v_dev_v: np.ndarray) -> np.ndarray | None:
    """Flat indices of the cells at a non-zero voltage, or None when most cells see one."""
    idx = np.flatnonzero(v_dev_v)
    if idx.size > MAX_MOVING_FRACTION * v_dev_v.size:
        return None
    return idx
