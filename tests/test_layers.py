"""The layering rule of docs/design.md, checked on the source: a layer imports only
the layers below it (devices -> netlist -> solvers -> array -> engine ->
algorithms -> runs/plots/cli)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cosim"

# rank of each layer; a module may import cosim.<x> only when rank(x) <= its own rank
RANK = {
    "devices": 0,
    "netlist": 1,
    "solvers": 2,
    "array": 3,
    "engine": 4,
    "algorithms": 5,
    "runs": 6,
    "plots": 6,
    "cli": 7,
}


def _layer_of(module_path: Path) -> str | None:
    rel = module_path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else None


def _imported_layers(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "cosim" and len(parts) > 1 and parts[1] in RANK:
                found.add(parts[1])
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if _layer_of(p) in RANK)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_only_lower_layers(path):
    layer = _layer_of(path)
    tree = ast.parse(path.read_text(), filename=str(path))
    higher = {dep for dep in _imported_layers(tree) if RANK[dep] > RANK[layer]}
    assert not higher, f"{path.relative_to(PACKAGE)} ({layer}) imports higher layer(s) {sorted(higher)}"


def test_rule_catches_an_upward_import():
    # the checker itself must see a violation when there is one
    tree = ast.parse("from cosim.algorithms import manhattan\nimport cosim.array.core\n")
    assert _imported_layers(tree) == {"algorithms", "array"}
