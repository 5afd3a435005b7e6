"""cosim.plots layer (see DESIGN.md): figures of runs (matplotlib, Agg backend, PNG)."""
