"""crossbar_circuit: the naming contract (hand-listed), and the electrical
topology checked against closed forms with a tiny dense MNA written here
(independent of cosim.solvers)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.netlist.bias import BiasError, read_bias, write_bias
from cosim.netlist.circuit import Circuit
from cosim.netlist.crossbar import CrossbarSpec, CrossbarSpecError
from cosim.netlist.generate import crossbar_circuit
from reference_formulas import series_current_a


def elements(c: Circuit) -> dict[str, tuple]:
    """name -> (kind, n_plus name, n_minus name, params...)"""
    out = {}
    for kind, t in c.elements.items():
        for k, name in enumerate(t.names):
            vals = tuple(float(t.params[p][k]) for p in sorted(t.params))
            out[name] = (kind, c.node_names[t.n_plus[k]], c.node_names[t.n_minus[k]], *vals)
    return out


def dense_mna(c: Circuit) -> tuple[dict, dict]:
    """Linear DC solve (R, V, I only): node voltages and V-source currents (SPICE sign)."""
    n = c.num_nodes - 1
    vs = c.elements["vsource"]
    m = len(vs)
    a = np.zeros((n + m, n + m))
    z = np.zeros(n + m)
    r = c.elements["resistor"]
    for p, q, val in zip(r.n_plus, r.n_minus, r.params.get("value", [])):
        if np.isinf(val):
            continue
        g = 1.0 / val
        for x, y, s in ((p, p, g), (q, q, g), (p, q, -g), (q, p, -g)):
            if x and y:
                a[x - 1, y - 1] += s
    for k, (p, q, val) in enumerate(zip(vs.n_plus, vs.n_minus, vs.params.get("value", []))):
        if p:
            a[p - 1, n + k] += 1
            a[n + k, p - 1] += 1
        if q:
            a[q - 1, n + k] -= 1
            a[n + k, q - 1] -= 1
        z[n + k] = val
    isrc = c.elements["isource"]
    for p, q, val in zip(isrc.n_plus, isrc.n_minus, isrc.params.get("value", [])):
        if p:
            z[p - 1] -= val
        if q:
            z[q - 1] += val
    x = np.linalg.solve(a, z)
    volts = {name: (x[i - 1] if i else 0.0) for i, name in enumerate(c.node_names)}
    amps = {name: x[n + k] for k, name in enumerate(vs.names)}
    return volts, amps


def test_naming_contract_2x2_with_driver_sense_and_shorts():
    spec = CrossbarSpec(
        2,
        2,
        r_wordline_ohm=[[1.0, 2.0], [0.0, 4.0]],
        r_bitline_ohm=[[5.0, 0.0], [7.0, 8.0]],
        r_driver_ohm=[10.0, 0.0],
        r_sense_ohm=[0.0, 20.0],
    )
    c = crossbar_circuit(spec, [[100.0, 200.0], [300.0, 400.0]], read_bias([0.2, 0.3], 2))
    expected = {
        "v_in_0": ("vsource", "in_0", "0", 0.2),
        "v_in_1": ("vsource", "in_1", "0", 0.3),
        "v_out_0": ("vsource", "out_0", "0", 0.0),
        "v_out_1": ("vsource", "out_1", "0", 0.0),
        "r_drv_0": ("resistor", "in_0", "drv_0", 10.0),
        "r_wl_0_0": ("resistor", "drv_0", "wl_0_0", 1.0),
        "r_wl_0_1": ("resistor", "wl_0_0", "wl_0_1", 2.0),
        "vshort_wl_1_0": ("vsource", "in_1", "wl_1_0", 0.0),
        "r_wl_1_1": ("resistor", "wl_1_0", "wl_1_1", 4.0),
        "r_bl_0_0": ("resistor", "bl_0_0", "bl_1_0", 5.0),
        "vshort_bl_0_1": ("vsource", "bl_0_1", "bl_1_1", 0.0),
        "r_bl_1_0": ("resistor", "bl_1_0", "out_0", 7.0),
        "r_bl_1_1": ("resistor", "bl_1_1", "sns_1", 8.0),
        "r_sns_1": ("resistor", "sns_1", "out_1", 20.0),
        "rcell_0_0": ("resistor", "wl_0_0", "bl_0_0", 100.0),
        "rcell_0_1": ("resistor", "wl_0_1", "bl_0_1", 200.0),
        "rcell_1_0": ("resistor", "wl_1_0", "bl_1_0", 300.0),
        "rcell_1_1": ("resistor", "wl_1_1", "bl_1_1", 400.0),
    }
    assert elements(c) == expected
    assert "drv_1" not in c.node_names and "sns_0" not in c.node_names
    meta = c.meta["crossbar"]
    assert (meta["rows"], meta["cols"], meta["cell"]) == (2, 2, "1R")
    assert (meta["r_driver_ohm_min"], meta["r_driver_ohm_max"]) == (0.0, 10.0)


def test_1s1r_cells_have_device_then_selector():
    spec = CrossbarSpec(1, 2, r_wordline_ohm=1.0, r_bitline_ohm=1.0, cell="1S1R")
    c = crossbar_circuit(spec, [[1e3, 2e3]], read_bias([0.5], 2))
    e = elements(c)
    assert e["rcell_0_1"] == ("resistor", "wl_0_1", "mid_0_1", 2e3)
    # params sorted: i_s_a, v_0_v
    assert e["xsel_0_1"] == ("selector", "mid_0_1", "bl_0_1", spec.selector.i_s_a, spec.selector.v_0_v)
    assert c.meta["crossbar"]["selector_v_0_v"] == spec.selector.v_0_v


def test_1t1r_access_resistor_follows_gate():
    spec = CrossbarSpec(
        2, 2, r_wordline_ohm=1.0, r_bitline_ohm=1.0, cell="1T1R", r_transistor_on_ohm=500.0, r_transistor_off_ohm=1e9
    )
    bias = write_bias("v2", (2, 2), [1], [0], 1.0)  # gate on only for row 1
    c = crossbar_circuit(spec, np.full((2, 2), 1e4), bias)
    e = elements(c)
    assert e["rtr_0_0"] == ("resistor", "mid_0_0", "bl_0_0", 1e9)
    assert e["rtr_1_1"] == ("resistor", "mid_1_1", "bl_1_1", 500.0)


def test_open_cells_ideal_selector_and_floating_lines_are_omitted():
    spec = CrossbarSpec(3, 3, r_wordline_ohm=1.0, r_bitline_ohm=1.0, cell="1S1R")
    r = np.full((3, 3), 1e4)
    r[0, 0] = np.inf
    c = crossbar_circuit(spec, r, read_bias([0.1, 0.1, 0.1], 3))
    e = elements(c)
    assert "rcell_0_0" not in e and "xsel_0_0" not in e and "mid_0_0" not in c.node_names
    assert len(c.elements["selector"]) == 8 and c.meta["crossbar"]["cells_present"] == 8

    c = crossbar_circuit(spec, np.full((3, 3), 1e4), write_bias("ideal", (3, 3), [1], [2], 1.0))
    assert c.elements["selector"].names == ["xsel_1_2"]

    c = crossbar_circuit(spec, np.full((3, 3), 1e4), write_bias("floating", (3, 3), [1], [2], 1.0))
    sources = set(c.elements["vsource"].names)
    assert {"v_in_1", "v_out_2"} <= sources
    assert not {"v_in_0", "v_in_2", "v_out_0", "v_out_1"} & sources


def test_1x1_with_all_wire_resistances_is_a_series_chain():
    spec = CrossbarSpec(1, 1, r_wordline_ohm=3.0, r_bitline_ohm=7.0, r_driver_ohm=11.0, r_sense_ohm=13.0)
    c = crossbar_circuit(spec, [[1000.0]], read_bias([0.5], 1))
    _, amps = dense_mna(c)
    # SPICE sign: current entering out_0 through v_out_0 to ground = output current
    i = series_current_a(0.5, 11, 3, 1000, 7, 13)  # driver, word line, cell, bit line, sense
    assert amps["v_out_0"] == pytest.approx(i, rel=1e-12)
    assert amps["v_in_0"] == pytest.approx(-i, rel=1e-12)


def test_ideal_wires_give_g_transpose_v():
    rng = np.random.default_rng(4)
    r = rng.uniform(1e3, 1e5, (4, 5))
    v = rng.uniform(-0.3, 0.3, 4)
    c = crossbar_circuit(CrossbarSpec(4, 5), r, read_bias(v, 5))
    _, amps = dense_mna(c)
    got = np.array([amps[f"v_out_{j}"] for j in range(5)])
    np.testing.assert_allclose(got, (1.0 / r).T @ v, rtol=1e-10)


def test_2x2_hand_derived_currents():
    # word-line segments 1 ohm, bit lines ideal, cells 1 kohm; row 0 at 1 V, row 1 at 0 V.
    # Row 0: 1 ohm -> node a -> (1k to gnd) and 1 ohm -> node b -> 1k to gnd.
    # Node b sees 1001 ohm to gnd; a sees 1k || 1001; total from source 1 + that.
    spec = CrossbarSpec(2, 2, r_wordline_ohm=1.0, r_bitline_ohm=0.0)
    c = crossbar_circuit(spec, np.full((2, 2), 1e3), read_bias([1.0, 0.0], 2))
    volts, amps = dense_mna(c)
    r_par = 1e3 * 1001 / 2001
    va = r_par / (1 + r_par)
    vb = va * 1e3 / 1001
    assert volts["wl_0_0"] == pytest.approx(va, rel=1e-12)
    assert volts["wl_0_1"] == pytest.approx(vb, rel=1e-12)
    assert amps["v_out_0"] == pytest.approx(va / 1e3, rel=1e-12)
    assert amps["v_out_1"] == pytest.approx(vb / 1e3, rel=1e-12)
    assert volts["wl_1_0"] == 0.0


@pytest.mark.parametrize(
    ("cells", "bias_shape", "match"),
    [
        (np.ones((2, 3)) * 1e3, (2, 2), r"r_cell_ohm has shape \(2, 3\)"),
        ([[1e3, 0.0], [1e3, 1e3]], (2, 2), r"r_cell_ohm must be > 0 ohm, got 0 at index \(0, 1\)"),
        ([[1e3, -5.0], [1e3, 1e3]], (2, 2), r"-5\.0"),
        ([[1e3, np.nan], [1e3, 1e3]], (2, 2), r"NaN"),
        (np.ones((2, 2)) * 1e3, (3, 2), r"bias is for a \(3, 2\) array; the crossbar is \(2, 2\)"),
    ],
)
def test_bad_inputs_are_refused_by_name(cells, bias_shape, match):
    bias = read_bias(np.zeros(bias_shape[0]), bias_shape[1])
    with pytest.raises((CrossbarSpecError, BiasError), match=match):
        crossbar_circuit(CrossbarSpec(2, 2), cells, bias)


def test_spec_and_bias_types_checked():
    with pytest.raises(CrossbarSpecError, match="CrossbarSpec"):
        crossbar_circuit((2, 2), np.ones((2, 2)), read_bias([0, 0], 2))
    with pytest.raises(BiasError, match="Bias"):
        crossbar_circuit(CrossbarSpec(2, 2), np.ones((2, 2)), [0.1, 0.2])


def test_large_array_is_built_with_consistent_tables():
    spec = CrossbarSpec(64, 64, r_wordline_ohm=1.0, r_bitline_ohm=1.0, cell="1S1R")
    c = crossbar_circuit(spec, np.full((64, 64), 1e4), read_bias(np.full(64, 0.2), 64))
    assert len(c.elements["resistor"]) == 3 * 64 * 64
    assert len(c.elements["selector"]) == 64 * 64
    assert c.num_nodes == 1 + 64 + 3 * 64 * 64 + 64
    assert c.node_names[c.elements["selector"].n_minus[-1]] == "bl_63_63"


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**32 - 1), st.sampled_from(["1R", "1T1R"]))
def test_random_crossbars_conserve_current_and_reduce_to_g_transpose_v(rows, cols, seed, cell):
    """Any mix of zero / non-zero segments and open cells: the circuit is solvable, the
    current into the array equals the current out of it, and with the wires made ideal
    (and a 1T1R access resistor folded into the cell) the outputs are G^T v."""
    rng = np.random.default_rng(seed)
    r_cell = rng.uniform(1e3, 1e5, (rows, cols))
    r_cell[rng.random((rows, cols)) < 0.2] = np.inf
    wl = np.where(rng.random((rows, cols)) < 0.4, 0.0, rng.uniform(0.5, 5, (rows, cols)))
    bl = np.where(rng.random((rows, cols)) < 0.4, 0.0, rng.uniform(0.5, 5, (rows, cols)))
    drv = np.where(rng.random(rows) < 0.5, 0.0, 10.0)
    sns = np.where(rng.random(cols) < 0.5, 0.0, 20.0)
    v = rng.uniform(-0.3, 0.3, rows)
    spec = CrossbarSpec(
        rows,
        cols,
        r_wordline_ohm=wl,
        r_bitline_ohm=bl,
        r_driver_ohm=drv,
        r_sense_ohm=sns,
        cell=cell,
        r_transistor_on_ohm=500.0,
    )
    _, amps = dense_mna(crossbar_circuit(spec, r_cell, read_bias(v, cols)))
    i_in = -sum(amps[f"v_in_{i}"] for i in range(rows))
    i_out = sum(amps[f"v_out_{j}"] for j in range(cols))
    assert i_in == pytest.approx(i_out, rel=1e-9, abs=1e-15)

    ideal = CrossbarSpec(rows, cols, cell=cell, r_transistor_on_ohm=500.0)
    _, amps = dense_mna(crossbar_circuit(ideal, r_cell, read_bias(v, cols)))
    r_total = r_cell + (500.0 if cell == "1T1R" else 0.0)
    expected = (1.0 / r_total).T @ v
    got = np.array([amps[f"v_out_{j}"] for j in range(cols)])
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-15)
