"""cosim.algorithms layer (see docs/design.md)."""
