"""cosim.devices layer (see DESIGN.md)."""
