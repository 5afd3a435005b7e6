"""cosim.runs.experiments layer (see DESIGN.md)."""
