"""cosim.runs layer (see DESIGN.md)."""
