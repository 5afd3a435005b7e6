"""cosim.plots layer (see docs/design.md): figures of runs (matplotlib, Agg backend, PNG)."""
