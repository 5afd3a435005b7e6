"""cosim: circuit-level co-simulation of memristor crossbar arrays and the
learning algorithms that run on them.

Layers, bottom to top (a layer imports only those below it):
``devices`` -> ``netlist`` -> ``solvers`` -> ``array`` -> ``engine`` ->
``algorithms`` -> ``runs`` / ``plots`` / ``cli``.
"""

__version__ = "0.1.0"


def __getattr__(name):
    # lazy, so that `import cosim` stays cheap and layers load on demand
    if name == "solve_crossbar":
        from cosim.solvers.crossbar import solve_crossbar

        return solve_crossbar
    raise AttributeError(f"module 'cosim' has no attribute {name!r}")
