"""cosim.array layer (see docs/design.md): the co-simulated crossbar.

:class:`CrossbarArray` = geometry (:class:`~cosim.netlist.crossbar.CrossbarSpec`)
+ a device model + per-cell state + a backend (``"ideal"``, ``"nodal"``,
``"ngspice"``); reads and pulses go through the circuit.
"""

from cosim.array.backends import BACKENDS
from cosim.array.core import ArrayError, CrossbarArray, PulseReport, ReadReport

__all__ = ["BACKENDS", "ArrayError", "CrossbarArray", "PulseReport", "ReadReport"]
