"""cosim.array layer (see DESIGN.md)."""
