"""cosim.engine layer (see DESIGN.md)."""
