"""cosim.netlist layer (see docs/design.md): the circuit description, the crossbar
generator, SPICE text out and in, and a networkx graph view for checks.

Re-exports the public names; submodules load lazily, so ``import cosim.netlist``
stays cheap.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Circuit": "circuit",
    "CircuitError": "circuit",
    "CrossbarSpec": "crossbar",
    "CrossbarSpecError": "crossbar",
    "Bias": "bias",
    "BiasError": "bias",
    "read_bias": "bias",
    "write_bias": "bias",
    "CELL_KINDS": "crossbar",
    "wordline_node": "crossbar",
    "bitline_node": "crossbar",
    "cell_internal_node": "crossbar",
    "driver_node": "crossbar",
    "sense_node": "crossbar",
    "SCHEMES": "bias",
    "crossbar_circuit": "generate",
    "crossbar_meta": "generate",
    "write_spice": "spice",
    "save_spice": "spice",
    "read_spice": "spice",
    "load_spice": "spice",
    "SpiceParseError": "spice",
    "parse_value": "spice",
    "circuit_graph": "graph",
    "floating_nodes": "graph",
    "check_floating": "graph",
    "FloatingNodeError": "graph",
    "find_shorts": "graph",
    "sneak_paths": "graph",
    "SneakPath": "graph",
    "Short": "graph",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module 'cosim.netlist' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{mod}"), name)
