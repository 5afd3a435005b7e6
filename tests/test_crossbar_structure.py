"""Structure of the crossbar solver package: public names, module sizes, no import cycle (issue 9)."""

from __future__ import annotations

import ast
from pathlib import Path

import cosim.solvers
import cosim.solvers.crossbar as crossbar

SOLVERS = Path(cosim.solvers.__file__).parent
PUBLIC = ("CrossbarSolver", "solve_crossbar", "series_split", "crossbar_solution_from_circuit")


def _imports(path: Path) -> set[str]:
    """Every module a file imports (top level or inside functions)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_public_names_importable_from_both_places():
    for name in PUBLIC:
        assert getattr(cosim.solvers, name) is getattr(crossbar, name)
        assert name in crossbar.__all__ and name in cosim.solvers.__all__


def test_crossbar_helpers_never_import_the_solver_module_back():
    # the old cycle: crossbar.py -> _crossbar_ngspice.py -> crossbar.py
    helpers = sorted(SOLVERS.glob("_xbar_*.py")) + [SOLVERS / "_crossbar_ngspice.py"]
    assert len(helpers) >= 6
    for path in helpers:
        assert "cosim.solvers.crossbar" not in _imports(path), path.name


def test_crossbar_modules_are_small():
    for path in [SOLVERS / "crossbar.py", *SOLVERS.glob("_xbar_*.py"), SOLVERS / "_crossbar_ngspice.py"]:
        n = len(path.read_text().splitlines())
        assert n < 520, f"{path.name} has {n} lines"
