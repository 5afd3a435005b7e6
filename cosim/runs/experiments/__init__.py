"""cosim.runs.experiments layer (see docs/design.md)."""
