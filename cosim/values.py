"""The one typing rule for numbers given to cosim (configs, ``--set``, model cards, the API).

A number is a real ``int`` or ``float`` (or a NumPy array of them).  Refused,
with the value and where it came from named:

- ``bool`` (``True`` is not 1.0; ``a_p = true`` in a card is a mistake, not a number);
- complex numbers (NumPy would drop the imaginary part with only a warning);
- masked arrays (the mask would be ignored and the hidden values used);
- strings, ``None`` and other objects;
- a float where an integer is expected (``4.0`` for a size): it is refused
  rather than truncated, as the config reader always did.

An ``int`` is accepted where a float is expected (it is exact).  The module
imports nothing from cosim, so every layer can apply the same rule.

Examples
--------
>>> real_values("value", [1, 2.5]).tolist()
[1.0, 2.5]
>>> real_values("value", True)
Traceback (most recent call last):
...
TypeError: value must be a real number, got bool True
>>> check_integer("size", 4.0)
Traceback (most recent call last):
...
TypeError: size must be an integer, got float 4.0
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = ["real_values", "check_real", "check_integer"]


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"


def check_real(name: str, value: Any) -> float:
    """``value`` as a float when it is a real int or float (not bool), else TypeError naming it."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    return float(value)


def check_integer(name: str, value: Any) -> int:
    """``value`` as an int when it is an integer (not bool, not a float such as 4.0), else TypeError."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_describe(value)}")
    return int(value)


def real_values(name: str, value: Any) -> np.ndarray:
    """``value`` (a number, sequence or array) as a float ndarray, under the module's rule.

    Raises
    ------
    TypeError
        A bool, complex, masked, string or object value (the value and its type named).
    """
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(
            f"{name} must be a plain array of real numbers, got a masked array "
            "(its mask would be ignored); fill it first, e.g. np.ma.filled(x, fill)"
        )
    if isinstance(value, (bool, np.bool_, complex, str, bytes)) or value is None:
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    arr = np.asarray(value)
    if arr.dtype == bool:
        raise TypeError(f"{name} must hold real numbers, got booleans (dtype bool): {value!r}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must hold real numbers, got complex values (dtype {arr.dtype}): {value!r}")
    if arr.dtype.kind not in "iuf":
        if arr.dtype == object:
            for v in arr.ravel():
                check_real(name, v)
            return arr.astype(float)
        raise TypeError(f"{name} must hold real numbers, got {_describe(arr)}: {value!r}")
    return arr.astype(float)
