"""cosim.netlist layer (see DESIGN.md)."""
