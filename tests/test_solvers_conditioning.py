"""solve_circuit on near-zero resistors, floating and blank circuits, on every backend
(issue 13, items 1 (general MNA solver), 3 and part of 7)."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.netlist.bias import read_bias
from cosim.netlist.circuit import Circuit
from cosim.netlist.crossbar import CrossbarSpec
from cosim.netlist.generate import crossbar_circuit
from cosim.netlist.spice import SpiceParseError, read_spice
from cosim.solvers import solve_circuit
from cosim.solvers import ngspice as ng
from cosim.solvers.nodal import (
    SHORT_RATIO,
    FloatingCircuitError,
    SingularCircuitError,
    check_circuit,
    near_shorts,
)
from cosim.solvers.result import SolverError

NGSPICE = [
    pytest.param(
        "ngspice-shared",
        marks=[pytest.mark.ngspice, pytest.mark.skipif(not ng.shared_available(), reason="libngspice absent")],
    ),
    pytest.param(
        "ngspice-batch",
        marks=[pytest.mark.ngspice, pytest.mark.skipif(not ng.batch_available(), reason="ngspice absent")],
    ),
]


def _crossbar(r_cell_ohm: float) -> Circuit:
    spec = CrossbarSpec(3, 3, r_wordline_ohm=1.0, r_bitline_ohm=1.0)
    return crossbar_circuit(spec, np.full((3, 3), r_cell_ohm), read_bias(np.array([0.3, 0.2, 0.1]), 3))


def _outputs(sol) -> np.ndarray:
    return np.array([sol.source_currents_a[f"v_out_{j}"] for j in range(3)])


def _shorted_reference(c: Circuit) -> Circuit:
    """The same circuit with every cell an exact 0-ohm short (the solver's merge of
    true shorts, an independent, long-tested path), i.e. the limit r_cell -> 0."""
    r = c.elements["resistor"]
    cells = np.array([n.startswith("rcell") or n.startswith("r_cell") for n in r.names])
    assert cells.sum() == 9, r.names[:12]
    r.params["value"] = np.where(cells, 0.0, r.params["value"])
    return c


@pytest.mark.parametrize("r_cell_ohm", [1e-18, 1e-12, 1e-9])
def test_near_zero_cells_behind_wires_give_the_short_limit(r_cell_ohm):
    ref = _outputs(solve_circuit(_shorted_reference(_crossbar(r_cell_ohm))))
    got = _outputs(solve_circuit(_crossbar(r_cell_ohm)))
    # the limit, seen at 1e-6 and 1e-9 ohm: about [0.0759, 0.0586, 0.0500]
    np.testing.assert_allclose(ref, [0.0759, 0.0586, 0.0500], atol=1e-4)
    # before: 1e-18 ohm flipped the sign; now within the merge's bound (< 1/SHORT_RATIO relative)
    np.testing.assert_allclose(got, ref, rtol=1e-8)
    assert np.all(got > 0)


def test_moderately_small_cells_are_solved_not_merged():
    # 1e-6 ohm against 1-ohm wires: a ratio of 1e6 < SHORT_RATIO, solved as conductances;
    # the reference is the series formula's first-order shift from the short limit (~1e-6 relative)
    c = _crossbar(1e-6)
    assert near_shorts(c)[0].size == 0
    got = _outputs(solve_circuit(c))
    ref = _outputs(solve_circuit(_shorted_reference(_crossbar(1e-6))))
    rel = np.abs(got - ref) / ref
    assert np.all(rel > 1e-8) and np.all(rel < 1e-5)


def test_a_divider_with_a_near_short_in_series_hand_derived():
    # 1 V -> 1 ohm -> a -> 1e-18 ohm -> b -> 1 ohm -> 0: I = 0.5 A, v_a = v_b = 0.5 V (to 1e-18)
    c = Circuit("series")
    c.add("vsource", ["v1"], ["in"], ["0"], value=[1.0])
    c.add("resistor", ["r1", "rt", "r2"], ["in", "a", "b"], ["a", "b", "0"], value=[1.0, 1e-18, 1.0])
    sol = solve_circuit(c)
    assert sol.source_currents_a["v1"] == pytest.approx(-0.5, rel=1e-15)
    assert sol.node_voltages_v["a"] == pytest.approx(0.5, rel=1e-15)
    assert sol.node_voltages_v["b"] == pytest.approx(0.5, rel=1e-15)


def test_near_short_rule_spares_a_large_resistance_next_to_small_ones():
    # a 1e15-ohm leak beside 1-ohm wires is *small* conductance: harmless, nothing is merged
    c = Circuit("leak")
    c.add("vsource", ["v1"], ["in"], ["0"], value=[1.0])
    c.add("resistor", ["r1", "r2", "rleak"], ["in", "a", "a"], ["a", "0", "0"], value=[1.0, 1.0, 1e15])
    assert near_shorts(c)[0].size == 0
    assert solve_circuit(c).node_voltages_v["a"] == pytest.approx(0.5, rel=1e-12)


def test_a_near_short_across_a_source_is_solved_directly_hand_derived():
    # merging would short v1; its current is set by the source: I = 1 V / 1e-18 ohm + 1 V / 1 ohm
    c = Circuit("shorted source")
    c.add("vsource", ["v1", "v2"], ["in", "x"], ["0", "0"], value=[1.0, 2.0])
    c.add("resistor", ["rtiny", "r1", "r2"], ["in", "x", "b"], ["0", "b", "0"], value=[1e-18, 1.0, 1.0])
    assert near_shorts(c)[0].size == 1  # a near-short by the rule, but not merged: it would close a loop
    sol = solve_circuit(c)
    assert sol.source_currents_a["v1"] == pytest.approx(-1e18, rel=1e-15)
    assert sol.node_voltages_v["b"] == pytest.approx(1.0, rel=1e-15)


@pytest.mark.parametrize("backend", NGSPICE)
def test_ngspice_refuses_a_near_short_it_cannot_merge(backend):
    with pytest.raises(SingularCircuitError, match=r"resistor 'rcell.*times more conductive.*use the nodal backend"):
        solve_circuit(_crossbar(1e-18), backend=backend)
    # and agrees with the nodal solver where both can solve it (1 ohm cells)
    np.testing.assert_allclose(
        _outputs(solve_circuit(_crossbar(1.0), backend=backend)), _outputs(solve_circuit(_crossbar(1.0))), rtol=1e-6
    )


def _floating_with_isource() -> Circuit:
    c = Circuit("floating")
    c.add("vsource", ["v1"], ["in"], ["0"], value=[1.0])
    c.add("resistor", ["r1"], ["in"], ["0"], value=[1e3])
    c.add("isource", ["i1"], ["0"], ["island"], value=[1e-3])  # only a current source feeds 'island'
    return c


def _isolated_pair() -> Circuit:
    c = Circuit("isolated")
    c.add("vsource", ["v1"], ["in"], ["0"], value=[1.0])
    c.add("resistor", ["r1", "r2"], ["in", "x"], ["0", "y"], value=[1e3, 1e3])
    return c


@pytest.mark.parametrize("backend", ["nodal", *NGSPICE])
@pytest.mark.parametrize("make, nodes", [(_floating_with_isource, ["island"]), (_isolated_pair, ["x", "y"])])
def test_every_backend_refuses_floating_nodes_naming_them(backend, make, nodes):
    with pytest.raises(FloatingCircuitError) as info:
        solve_circuit(make(), backend=backend)
    assert info.value.nodes == nodes


@pytest.mark.parametrize("backend", ["nodal", *NGSPICE])
def test_a_blank_netlist_is_refused_on_every_backend(backend):
    c = read_spice("just a title\n.end\n")
    with pytest.raises(SolverError, match="has no elements"):
        solve_circuit(c, backend=backend)


def test_read_spice_refuses_a_file_name(tmp_path):
    path = tmp_path / "x.cir"
    path.write_text("t\nR1 a 0 1k\nV1 a 0 1\n.end\n")
    with pytest.raises(SpiceParseError, match="looks like a file name.*use load_spice"):
        read_spice(str(path))
    with pytest.raises(SpiceParseError, match="looks like a file name"):
        read_spice("netlists/missing.cir")
    assert read_spice("divider\nR1 a 0 1k\nV1 a 0 1\n").title == "divider"  # a title alone is still a title


def test_check_circuit_passes_a_good_circuit_and_the_ratio_constant():
    check_circuit(_crossbar(1e4))
    assert SHORT_RATIO == pytest.approx(1 / np.sqrt(np.finfo(float).eps))
