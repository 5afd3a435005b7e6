"""Graph checks: floating nodes, shorts, sneak paths (hand-counted cases and
cross-checks between the fast paths and plain networkx)."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from cosim.netlist.bias import read_bias, write_bias
from cosim.netlist.circuit import Circuit
from cosim.netlist.crossbar import CrossbarSpec, CrossbarSpecError
from cosim.netlist.generate import crossbar_circuit
from cosim.netlist.graph import (
    FloatingNodeError,
    check_floating,
    circuit_graph,
    find_shorts,
    floating_nodes,
    sneak_paths,
)
from cosim.netlist.spice import read_spice

R3 = np.array([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0], [100.0, 200.0, 300.0]]) * 1e3


def test_3x3_has_four_three_cell_sneak_paths_with_hand_resistances():
    paths = sneak_paths(CrossbarSpec(3, 3), R3, 0, 0)
    # (0,k) -> (m,k) -> (m,0) for k, m in {1, 2}
    expected = sorted(
        [
            (((0, 1), (1, 1), (1, 0)), 2e3 + 20e3 + 10e3),
            (((0, 2), (1, 2), (1, 0)), 3e3 + 30e3 + 10e3),
            (((0, 1), (2, 1), (2, 0)), 2e3 + 200e3 + 100e3),
            (((0, 2), (2, 2), (2, 0)), 3e3 + 300e3 + 100e3),
        ],
        key=lambda p: p[1],
    )
    assert [(p.cells, p.r_series_ohm) for p in paths] == expected


def test_3x3_has_four_five_cell_paths_and_open_cells_carry_none():
    paths = sneak_paths(CrossbarSpec(3, 3), R3, 0, 0, max_cells=5)
    lengths = sorted(len(p.cells) for p in paths)
    assert lengths == [3, 3, 3, 3, 5, 5, 5, 5]  # 2 (first bit line) x 2 (row) x 1 x 1
    five = [p for p in paths if len(p.cells) == 5]
    assert (((0, 1), (1, 1), (1, 2), (2, 2), (2, 0)), 2e3 + 20e3 + 30e3 + 300e3 + 100e3) in [
        (p.cells, p.r_series_ohm) for p in five
    ]
    opened = R3.copy()
    opened[1, 1] = np.inf
    paths = sneak_paths(CrossbarSpec(3, 3), opened, 0, 0, max_len=5)
    assert all((1, 1) not in p.cells for p in paths)
    assert sum(len(p.cells) == 3 for p in paths) == 3


def test_fast_three_cell_paths_equal_networkx_enumeration():
    rng = np.random.default_rng(7)
    r = rng.uniform(1e3, 1e5, (4, 5))
    r[2, 3] = np.inf
    r[0, 1] = r[0, 2]  # a tie, to check the order of equal resistances
    spec = CrossbarSpec(4, 5)
    for row, col in itertools.product(range(4), range(5)):
        fast = sneak_paths(spec, r, row, col)
        slow = [p for p in sneak_paths(spec, r, row, col, max_cells=5) if len(p.cells) == 3]
        assert fast == slow
        # brute-force count: (row, k), (m, k), (m, col) all closed, k != col, m != row
        count = sum(
            np.isfinite(r[row, k] + r[m, k] + r[m, col]) for m in range(4) for k in range(5) if m != row and k != col
        )
        assert len(fast) == count
    full = sneak_paths(spec, rng.uniform(1, 2, (4, 5)), 1, 1)
    assert len(full) == (4 - 1) * (5 - 1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"row": 3, "col": 0}, r"row must be an integer in 0\.\.2, got 3"),
        ({"row": 0, "col": -1}, r"col must be an integer in 0\.\.2, got -1"),
        ({"row": 0, "col": 0, "max_cells": 1}, r"max_cells must be an integer >= 3, got 1"),
    ],
)
def test_sneak_path_arguments_checked(kwargs, match):
    with pytest.raises(CrossbarSpecError, match=match):
        sneak_paths(CrossbarSpec(3, 3), R3, **kwargs)


def _nx_floating(c: Circuit) -> list[str]:
    g = circuit_graph(c)
    dc = nx.Graph()
    dc.add_nodes_from(g.nodes)
    dc.add_edges_from((u, v) for u, v, d in g.edges(data=True) if d["dc"])
    grounded = nx.node_connected_component(dc, "0")
    return [n for n in c.node_names if n not in grounded]


def test_floating_nodes_current_sources_and_open_resistors_are_no_dc_path():
    c = read_spice(
        "t\nI1 0 a 1m\nR1 a b 1k\nV1 c 0 1\nR2 c d 1k\nR3 d 0 1k\nX1 d e cosim_selector\n"
        ".subckt cosim_selector a b\nbsel a b i=is*sinh(v(a,b)/v0)\n.ends\n"
    )
    c.add("resistor", ["ropen"], ["e"], ["f"], value=np.inf)
    assert floating_nodes(c) == ["a", "b", "f"] == _nx_floating(c)
    with pytest.raises(FloatingNodeError, match=r"3 nodes without a DC path to ground: a, b, f$") as info:
        check_floating(c)
    assert info.value.nodes == ["a", "b", "f"] and isinstance(info.value, ValueError)


def test_crossbar_with_floating_row_and_open_cells_is_refused_naming_nodes():
    spec = CrossbarSpec(3, 12, r_wordline_ohm=1.0, r_bitline_ohm=1.0)
    r = np.full((3, 12), 1e4)
    r[1, :] = np.inf  # every cell of row 1 open, and row 1 floats under the floating scheme
    c = crossbar_circuit(spec, r, write_bias("floating", (3, 12), [0], [0], 1.0))
    nodes = floating_nodes(c)
    assert nodes == _nx_floating(c) == ["in_1"] + [f"wl_1_{j}" for j in range(12)]
    with pytest.raises(
        FloatingNodeError, match=r"13 nodes without a DC path to ground: in_1, wl_1_0, .*wl_1_8 and 3 more"
    ):
        check_floating(c)
    check_floating(crossbar_circuit(spec, np.full((3, 12), 1e4), read_bias(np.ones(3), 12)))


def test_find_shorts_reports_self_loops_and_source_loops_by_name():
    c = read_spice(
        "t\nV1 a 0 1\nV2 a 0 2\nR0 a 0 0\nV3 b b 1\nR1 a b 1k\nR2 b 0 1k\nR3 b b 5\n"
        "Va c d 1\nVb d e 1\nVc e c 1\nRc c 0 1\n"
    )
    shorts = {(s.kind, s.elements) for s in find_shorts(c)}
    assert ("source_self_loop", ("v3",)) in shorts
    assert ("element_self_loop", ("r3",)) in shorts
    assert ("source_loop", ("v2", "v1")) in shorts
    assert ("source_loop", ("r0", "v1")) in shorts  # 0-ohm resistor across a source
    assert ("source_loop", ("vc", "va", "vb")) in shorts or ("source_loop", ("vc", "vb", "va")) in shorts
    assert len(shorts) == 5
    messages = [str(s) for s in find_shorts(c)]
    assert "voltage source / 0-ohm resistor v3 has both terminals on node 'b'" in messages


def test_generated_crossbars_have_no_shorts_or_floating_nodes():
    for cell in ("1R", "1S1R", "1T1R"):
        spec = CrossbarSpec(5, 4, r_wordline_ohm=0.0, r_bitline_ohm=0.0, cell=cell)
        c = crossbar_circuit(spec, np.full((5, 4), 1e3), write_bias("v2", (5, 4), [1], [2], 1.0))
        assert find_shorts(c) == []
        assert floating_nodes(c) == []


def test_circuit_graph_has_one_edge_per_element_with_attributes():
    spec = CrossbarSpec(2, 3, r_wordline_ohm=1.0, r_bitline_ohm=0.0, cell="1S1R")
    c = crossbar_circuit(spec, np.full((2, 3), 1e3), read_bias([0.1, 0.2], 3))
    g = circuit_graph(c)
    assert g.number_of_edges() == sum(len(t) for t in c.elements.values())
    assert g.number_of_nodes() == c.num_nodes
    assert g.edges["mid_1_2", "bl_1_2", "xsel_1_2"]["kind"] == "selector"
    assert g.edges["in_1", "0", "v_in_1"]["value"] == 0.2
    assert g.edges["in_1", "0", "v_in_1"]["n_plus"] == "in_1"
