"""cosim.solvers layer (see DESIGN.md)."""
