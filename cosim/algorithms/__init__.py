"""cosim.algorithms layer (see DESIGN.md)."""
