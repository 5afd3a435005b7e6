"""Events of the discrete-event time line.

Primitive events act on a :class:`cosim.array.CrossbarArray` and take time:

* :class:`Read` (``array.read_width_s`` per vector) -> result: bit-line currents;
* :class:`Pulse` (a :class:`~cosim.netlist.bias.Bias` held for ``width_s``) -> result: ``PulseReport``;
* :class:`Write` (a selection + scheme, built into a bias) -> result: ``PulseReport``;
* :class:`Idle` (``duration_s`` with no bias; volatile models relax) -> result: None.

A *composite* event is any object with a method ``expand(array, now_s)``
returning a generator that yields events; the time line runs each yielded
event at once and sends its result back into the generator, so a composite
can decide on the fly (``currents = yield Read(v)``). The generator's
``return`` value is the composite's result. :class:`Composite` is an optional
base class that only adds a ``label``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cosim.netlist.bias import SCHEMES, Bias


class EngineError(ValueError):
    """Bad input to the engine (event, time, trace file); the message names the value."""


def _check_duration(name: str, value) -> float:
    try:
        val = float(value)
    except (TypeError, ValueError):
        raise EngineError(f"{name} must be a number of seconds, got {value!r}") from None
    if not np.isfinite(val) or val < 0:
        raise EngineError(f"{name} must be a finite duration >= 0 s, got {value!r}")
    return val


@dataclass
class Read:
    """Read with word-line voltages ``v_in_v`` (rows,) or (batch, rows), volt."""

    v_in_v: np.ndarray
    label: str = ""
    kind = "read"

    def __post_init__(self) -> None:
        self.v_in_v = np.asarray(self.v_in_v, dtype=float)


@dataclass
class Pulse:
    """Hold ``bias`` for ``width_s`` seconds."""

    bias: Bias
    width_s: float
    label: str = ""
    kind = "pulse"

    def __post_init__(self) -> None:
        if not isinstance(self.bias, Bias):
            raise EngineError(f"Pulse.bias must be a cosim.netlist.bias.Bias, got {type(self.bias).__name__}")
        self.width_s = _check_duration("Pulse.width_s", self.width_s)


@dataclass
class Write:
    """Pulse the block ``rows_sel x cols_sel`` with ``amplitude_v`` for ``width_s`` under ``scheme``."""

    rows_sel: object
    cols_sel: object
    amplitude_v: float
    width_s: float
    scheme: str = "v2"
    label: str = ""
    kind = "write"

    def __post_init__(self) -> None:
        self.width_s = _check_duration("Write.width_s", self.width_s)
        if self.scheme not in SCHEMES:
            raise EngineError(f"Write.scheme: unknown write scheme {self.scheme!r}; expected one of {SCHEMES}")


@dataclass
class Idle:
    """No bias for ``duration_s`` seconds (``model.relax`` for volatile models)."""

    duration_s: float
    label: str = ""
    kind = "idle"

    def __post_init__(self) -> None:
        self.duration_s = _check_duration("Idle.duration_s", self.duration_s)


@dataclass
class Composite:
    """Optional base class of composite events: subclass and define ``expand``.

    ``expand(array, now_s)`` must be a generator yielding events; each
    yield evaluates to that event's result.
    """

    label: str = field(default="", kw_only=True)
    kind = "composite"

    def expand(self, array, now_s: float):  # pragma: no cover - abstract
        raise NotImplementedError
        yield


PRIMITIVES = (Read, Pulse, Write, Idle)
