"""The general nodal (MNA) solver against closed forms, hand formulas and an
independent scalar root finder; its error paths."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from cosim.netlist.circuit import Circuit
from cosim.netlist.graph import FloatingNodeError
from cosim.solvers import solve_circuit
from cosim.solvers.nodal import (
    FloatingCircuitError,
    NewtonConvergenceError,
    SingularCircuitError,
    solve_nodal,
)
from cosim.solvers.result import SolverError


def divider(v=1.0, r1=1e3, r2=3e3) -> Circuit:
    c = Circuit("divider")
    c.add("vsource", ["vin"], ["in"], ["0"], value=[v])
    c.add("resistor", ["r1", "r2"], ["in", "mid"], ["mid", "0"], value=[r1, r2])
    return c


def test_divider_closed_form():
    sol = solve_nodal(divider(2.5, 1.2e3, 4.7e3))
    assert sol.node_voltages_v["mid"] == pytest.approx(2.5 * 4.7e3 / 5.9e3, rel=1e-14)
    assert sol.node_voltages_v["in"] == 2.5 and sol.node_voltages_v["0"] == 0.0
    # SPICE sign: the source delivers current out of its + node, so its branch current is negative
    assert sol.source_currents_a["vin"] == pytest.approx(-2.5 / 5.9e3, rel=1e-14)
    assert sol.backend == "nodal"


def test_wheatstone_bridge_hand_formula():
    vs, r1, r2, r3, r4, rg = 10.0, 1e3, 2.2e3, 3.3e3, 1.5e3, 470.0
    c = Circuit("bridge")
    c.add("vsource", ["vs"], ["a"], ["0"], value=[vs])
    c.add(
        "resistor",
        ["r1", "r3", "r2", "r4", "rg"],
        ["a", "c", "a", "d", "c"],
        ["c", "0", "d", "0", "d"],
        value=[r1, r3, r2, r4, rg],
    )
    sol = solve_nodal(c)
    # Thevenin equivalent seen by the galvanometer
    v_th = vs * (r3 / (r1 + r3) - r4 / (r2 + r4))
    r_th = r1 * r3 / (r1 + r3) + r2 * r4 / (r2 + r4)
    i_g = v_th / (r_th + rg)
    v = sol.node_voltages_v
    assert (v["c"] - v["d"]) / rg == pytest.approx(i_g, rel=1e-12)
    # total current from the source: through r1 and r2
    i_total = (vs - v["c"]) / r1 + (vs - v["d"]) / r2
    assert -sol.source_currents_a["vs"] == pytest.approx(i_total, rel=1e-12)


def test_current_source_into_resistor_network():
    i_a, r1, r2, r3 = 2e-3, 1e3, 2e3, 6e3
    c = Circuit("isrc")
    # SPICE: current flows from n_plus (ground) through the source into n1
    c.add("isource", ["i1"], ["0"], ["n1"], value=[i_a])
    c.add("resistor", ["r1", "r2", "r3"], ["n1", "n1", "n2"], ["0", "n2", "0"], value=[r1, r2, r3])
    sol = solve_nodal(c)
    r_eq = 1.0 / (1.0 / r1 + 1.0 / (r2 + r3))
    assert sol.node_voltages_v["n1"] == pytest.approx(i_a * r_eq, rel=1e-13)
    assert sol.node_voltages_v["n2"] == pytest.approx(i_a * r_eq * r3 / (r2 + r3), rel=1e-13)
    assert sol.source_currents_a == {}


@pytest.mark.parametrize(
    "v_s, r_ohm, i_s, v0",
    [
        (1.0, 1e3, 1e-7, 0.1),  # mild
        (-0.7, 1e4, 1e-7, 0.1),  # negative polarity
        (3.0, 1e3, 1e-12, 0.02),  # stiff: sinh(150) at the linear start point
        (0.05, 1e5, 1e-6, 0.5),  # nearly linear
        (20.0, 10.0, 1e-15, 0.01),  # very stiff, small series resistor
    ],
)
def test_selector_in_series_matches_scalar_root(v_s, r_ohm, i_s, v0):
    c = Circuit("series selector")
    c.add("vsource", ["vs"], ["in"], ["0"], value=[v_s])
    c.add("resistor", ["r1"], ["in"], ["mid"], value=[r_ohm])
    c.add("selector", ["xs"], ["mid"], ["0"], i_s_a=i_s, v_0_v=v0)
    sol = solve_nodal(c)
    # independent reference: the scalar KCL at "mid", bracketed between 0 and v_s
    f = lambda v: (v_s - v) / r_ohm - i_s * np.sinh(v / v0)  # noqa: E731
    with np.errstate(over="ignore"):  # sinh(2000) = inf at the bracket end is still a valid sign
        v_ref = brentq(f, min(0.0, v_s), max(0.0, v_s), xtol=1e-15, rtol=1e-15)
    assert sol.node_voltages_v["mid"] == pytest.approx(v_ref, rel=1e-9, abs=1e-12)
    assert -sol.source_currents_a["vs"] == pytest.approx((v_s - v_ref) / r_ohm, rel=1e-8)


def test_two_selectors_back_to_back_inverse_iv():
    # selector - node - selector to ground, driven by a current source: each
    # selector carries the source current, so each voltage is the inverse I-V
    i_a, i_s, v0 = 3e-6, 1e-8, 0.05
    c = Circuit("isrc selectors")
    c.add("isource", ["i1"], ["0"], ["a"], value=[i_a])
    c.add("selector", ["x1", "x2"], ["a", "b"], ["b", "0"], i_s_a=[i_s, 2 * i_s], v_0_v=[v0, 2 * v0])
    v = solve_nodal(c).node_voltages_v
    assert v["b"] == pytest.approx(2 * v0 * np.arcsinh(i_a / (2 * i_s)), rel=1e-9)
    assert v["a"] - v["b"] == pytest.approx(v0 * np.arcsinh(i_a / i_s), rel=1e-9)


def random_network(seed: int, n_nodes: int = 12, selectors: bool = True) -> Circuit:
    """A connected random circuit: resistor spanning tree to ground, extra
    resistors, a forest of voltage sources, current sources, selectors."""
    rng = np.random.default_rng(seed)
    c = Circuit(f"random {seed}")
    names = [f"n{k}" for k in range(1, n_nodes + 1)]
    parents = ["0"] + names
    tree_to = [parents[rng.integers(0, k + 1)] for k in range(n_nodes)]
    c.add("resistor", [f"rt{k}" for k in range(n_nodes)], names, tree_to, value=rng.uniform(1e2, 1e5, n_nodes))
    m = 2 * n_nodes
    a, b = rng.integers(0, n_nodes + 1, m), rng.integers(0, n_nodes + 1, m)
    keep = a != b
    c.add(
        "resistor",
        [f"rx{k}" for k in range(keep.sum())],
        [parents[i] for i in a[keep]],
        [parents[i] for i in b[keep]],
        value=rng.uniform(1e2, 1e5, keep.sum()),
    )
    # voltage sources from a node to an earlier one: never a loop
    src = rng.choice(np.arange(1, n_nodes + 1), size=3, replace=False)
    c.add(
        "vsource",
        [f"v{k}" for k in range(3)],
        [parents[i] for i in src],
        [parents[rng.integers(0, i)] for i in src],
        value=rng.uniform(-1.0, 1.0, 3),
    )
    c.add(
        "isource",
        ["i0", "i1"],
        [parents[rng.integers(0, n_nodes + 1)] for _ in range(2)],
        [parents[rng.integers(1, n_nodes + 1)] for _ in range(2)],
        value=rng.uniform(-1e-4, 1e-4, 2),
    )
    if selectors:
        k = 4
        sa, sb = rng.integers(0, n_nodes + 1, k), rng.integers(0, n_nodes + 1, k)
        ok = sa != sb
        c.add(
            "selector",
            [f"xs{j}" for j in range(ok.sum())],
            [parents[i] for i in sa[ok]],
            [parents[i] for i in sb[ok]],
            i_s_a=rng.uniform(1e-8, 1e-6, ok.sum()),
            v_0_v=rng.uniform(0.05, 0.3, ok.sum()),
        )
    return c


def kcl_residuals(c: Circuit, sol) -> np.ndarray:
    """Currents leaving every node, computed element by element (plain loop,
    independent of the solver's incidence matrices)."""
    v = sol.node_voltages_v
    out = {n: 0.0 for n in c.node_names}
    scale = {n: 0.0 for n in c.node_names}
    nn = c.node_names

    def flow(a, b, i):
        out[nn[a]] += i
        out[nn[b]] -= i
        scale[nn[a]] += abs(i)
        scale[nn[b]] += abs(i)

    t = c.elements["resistor"]
    for a, b, r in zip(t.n_plus, t.n_minus, t.params.get("value", [])):
        flow(a, b, (v[nn[a]] - v[nn[b]]) / r)
    t = c.elements["vsource"]
    for name, a, b in zip(t.names, t.n_plus, t.n_minus):
        flow(a, b, sol.source_currents_a[name])
    t = c.elements["isource"]
    for a, b, i in zip(t.n_plus, t.n_minus, t.params.get("value", [])):
        flow(a, b, i)
    t = c.elements["selector"]
    for a, b, i_s, v0 in zip(t.n_plus, t.n_minus, t.params.get("i_s_a", []), t.params.get("v_0_v", [])):
        flow(a, b, i_s * np.sinh((v[nn[a]] - v[nn[b]]) / v0))
    return np.array([abs(out[n]) / max(scale[n], 1e-30) for n in nn[1:]])


@pytest.mark.parametrize("seed", range(6))
def test_random_networks_satisfy_kcl_and_source_values(seed):
    c = random_network(seed)
    sol = solve_nodal(c)
    assert kcl_residuals(c, sol).max() < 1e-9
    t = c.elements["vsource"]
    nn = c.node_names
    for a, b, e in zip(t.n_plus, t.n_minus, t.params["value"]):
        assert sol.node_voltages_v[nn[a]] - sol.node_voltages_v[nn[b]] == pytest.approx(e, abs=1e-12)


def test_linear_random_network_matches_dense_laplacian():
    c = random_network(11, n_nodes=20, selectors=False)
    sol = solve_nodal(c)
    # dense reference: node-by-node Laplacian with sources, built with a plain loop
    n = c.num_nodes
    t_r, t_v, t_i = (c.elements[k] for k in ("resistor", "vsource", "isource"))
    m = len(t_v)
    A = np.zeros((n + m, n + m))
    rhs = np.zeros(n + m)
    for a, b, r in zip(t_r.n_plus, t_r.n_minus, t_r.params["value"]):
        g = 1.0 / r
        A[a, a] += g
        A[b, b] += g
        A[a, b] -= g
        A[b, a] -= g
    for k, (a, b, e) in enumerate(zip(t_v.n_plus, t_v.n_minus, t_v.params["value"])):
        A[a, n + k] += 1
        A[b, n + k] -= 1
        A[n + k, a] += 1
        A[n + k, b] -= 1
        rhs[n + k] = e
    for a, b, i in zip(t_i.n_plus, t_i.n_minus, t_i.params["value"]):
        rhs[a] -= i
        rhs[b] += i
    keep = np.r_[1 : n + m]
    x = np.linalg.solve(A[np.ix_(keep, keep)], rhs[keep])
    got = np.array([sol.node_voltages_v[name] for name in c.node_names[1:]])
    np.testing.assert_allclose(got, x[: n - 1], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose([sol.source_currents_a[f"v{k}"] for k in range(m)], x[n - 1 :], rtol=1e-9, atol=1e-15)


def test_zero_ohm_resistor_is_an_exact_short_and_inf_is_open():
    c = divider(1.0, 1e3, 1e3)
    c.add("resistor", ["rs1", "rs2", "ropen"], ["mid", "mid", "mid"], ["m2", "m2", "in"], value=[0.0, 0.0, np.inf])
    c.add("resistor", ["rload"], ["m2"], ["0"], value=[1e3])
    v = solve_nodal(c).node_voltages_v
    assert v["m2"] == v["mid"]  # merged: identical, not merely close
    assert v["mid"] == pytest.approx(1.0 * 500.0 / 1500.0, rel=1e-14)


def test_zero_volt_source_reports_its_current():
    c = divider(1.0, 1e3, 1e3)
    c.add("vsource", ["vshort"], ["mid"], ["m2"], value=[0.0])
    c.add("resistor", ["rload"], ["m2"], ["0"], value=[1e3])
    sol = solve_nodal(c)
    v_mid = 1.0 * 500.0 / 1500.0
    assert sol.source_currents_a["vshort"] == pytest.approx(v_mid / 1e3, rel=1e-13)


def test_floating_nodes_are_named():
    c = divider()
    c.add("resistor", ["risland"], ["b"], ["c"], value=[1e3])
    c.add("isource", ["ifeed"], ["0"], ["d"], value=[1e-3])  # a current source is no DC path
    with pytest.raises(FloatingCircuitError) as info:
        solve_nodal(c)
    msg = str(info.value)
    assert "'b'" in msg and "'c'" in msg and "'d'" in msg and "DC path" in msg
    assert "'mid'" not in msg
    assert info.value.nodes == ["b", "c", "d"]
    assert isinstance(info.value, FloatingNodeError) and isinstance(info.value, SolverError)


def test_loop_of_voltage_sources_is_singular_and_named():
    c = divider()
    c.add("vsource", ["v2"], ["in"], ["0"], value=[2.0])
    with pytest.raises(SingularCircuitError, match=r"singular matrix: voltage source 'v2' closes a loop"):
        solve_nodal(c)


def test_source_shorted_by_zero_ohm_resistor_is_singular():
    c = divider()
    c.add("resistor", ["rshort"], ["in"], ["0"], value=[0.0])
    with pytest.raises(SingularCircuitError, match="'vin'"):
        solve_nodal(c)


def stiff_selector() -> Circuit:
    c = Circuit("stiff")
    c.add("vsource", ["vs"], ["in"], ["0"], value=[5.0])
    c.add("resistor", ["r1"], ["in"], ["mid"], value=[1e3])
    c.add("selector", ["xs"], ["mid"], ["0"], i_s_a=1e-12, v_0_v=0.01)
    return c


def test_newton_non_convergence_is_an_error_naming_iterations_and_node():
    with pytest.raises(NewtonConvergenceError, match=r"did not converge in 3 iteration\(s\).*residual .* node 'mid'"):
        solve_nodal(stiff_selector(), max_iter=3)
    # with the default limit the same circuit converges (to the scalar root)
    v = solve_nodal(stiff_selector()).node_voltages_v["mid"]
    assert (5.0 - v) / 1e3 == pytest.approx(1e-12 * np.sinh(v / 0.01), rel=1e-9)


def test_one_iteration_never_converges_with_selectors():
    with pytest.raises(NewtonConvergenceError, match="1 iteration"):
        solve_nodal(random_network(0), max_iter=1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"reltol": -1.0}, "reltol must be finite and > 0, got -1.0"),
        ({"vntol_v": 0.0}, "vntol_v must be finite and > 0"),
        ({"abstol_a": float("nan")}, "abstol_a must be finite"),
        ({"max_iter": 0}, "max_iter must be an integer >= 1, got 0"),
        ({"max_iter": 2.5}, "max_iter must be an integer"),
    ],
)
def test_bad_tolerances_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        solve_nodal(divider(), **kwargs)


def test_solve_circuit_dispatch_and_bad_backend():
    assert solve_circuit(divider()).node_voltages_v["mid"] == pytest.approx(0.75)
    with pytest.raises(ValueError, match="unknown backend 'spectre'"):
        solve_circuit(divider(), backend="spectre")
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['tol'\]"):
        solve_circuit(divider(), tol=1e-3)


def test_crossbar_circuit_agrees_with_crossbar_solver():
    # two independent implementations: general MNA on the generated circuit
    # and the structure-exploiting crossbar solver
    import cosim.netlist.generate as netlist
    from cosim.netlist.bias import read_bias
    from cosim.netlist.crossbar import CrossbarSpec
    from cosim.solvers.crossbar import CrossbarSolver

    rng = np.random.default_rng(3)
    for cell, r_wire in (("1R", 2.0), ("1S1R", 5.0), ("1R", 0.0)):
        spec = CrossbarSpec(6, 5, r_wordline_ohm=r_wire, r_bitline_ohm=r_wire, cell=cell)
        r_cell = rng.uniform(1e3, 1e5, spec.shape)
        v_in = rng.uniform(0.1, 1.0, spec.rows)
        sol = solve_nodal(netlist.crossbar_circuit(spec, r_cell, read_bias(v_in, spec.cols)))
        out = np.array([sol.source_currents_a[f"v_out_{j}"] for j in range(spec.cols)])
        ref = CrossbarSolver(spec).read(1.0 / r_cell, v_in).output_currents_a
        np.testing.assert_allclose(out, ref, rtol=1e-8)


def test_newton_converges_on_random_biased_1s1r_crossbars():
    # write biases (V/2, V/3, floating lines), stiff and soft selectors, ideal and
    # resistive wires: Newton must converge and satisfy KCL with the true sinh currents
    import cosim.netlist.generate as gen
    from cosim.devices.selector import SinhSelector
    from cosim.netlist.bias import write_bias
    from cosim.netlist.crossbar import CrossbarSpec

    for seed in range(20):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(2, 9))
        sel = SinhSelector(i_s_a=10 ** rng.uniform(-12, -6), v_0_v=10 ** rng.uniform(-2, -0.5))
        spec = CrossbarSpec(
            n,
            n,
            r_wordline_ohm=rng.choice([0.0, 1.0, 10.0]),
            r_bitline_ohm=rng.choice([0.0, 1.0, 10.0]),
            cell="1S1R",
            selector=sel,
        )
        bias = write_bias(str(rng.choice(["v2", "v3", "floating"])), (n, n), [0], [n - 1], rng.uniform(-5, 5))
        c = gen.crossbar_circuit(spec, rng.uniform(1e2, 1e6, (n, n)), bias)
        sol = solve_nodal(c)
        v = sol.node_voltages_v
        t = c.elements["selector"]
        i_sel = t.params["i_s_a"] * np.sinh(
            np.array([v[c.node_names[a]] - v[c.node_names[b]] for a, b in zip(t.n_plus, t.n_minus)]) / t.params["v_0_v"]
        )
        t = c.elements["resistor"]
        cell = np.array([name.startswith("rcell") for name in t.names])
        i_dev = np.array(
            [
                (v[c.node_names[a]] - v[c.node_names[b]]) / r
                for a, b, r in zip(t.n_plus[cell], t.n_minus[cell], t.params["value"][cell])
            ]
        )
        # device and selector of one cell carry the same current (series), to the solver's tolerance
        np.testing.assert_allclose(i_dev, i_sel, rtol=1e-7, atol=1e-15)


def test_selector_held_by_a_source_converges_fast_to_closed_form():
    # the selector's voltage is fixed by the source: no limiting is needed, so a
    # handful of iterations must do, even at 150 v0 (sinh ~ 1e65)
    e_v, i_s, v0 = 3.0, 1e-9, 0.02
    c = Circuit("direct")
    c.add("vsource", ["v1"], ["a"], ["0"], value=[e_v])
    c.add("selector", ["x1"], ["a"], ["0"], i_s_a=i_s, v_0_v=v0)
    sol = solve_nodal(c, max_iter=4)
    assert -sol.source_currents_a["v1"] == pytest.approx(i_s * np.sinh(e_v / v0), rel=1e-12)


def test_ill_conditioned_floating_lines_converge_by_kcl():
    # floating word/bit lines held only by ~1e-11 A selector currents through 1 ohm
    # wires: voltages are only determined to ~1e-6 V in double precision, so the
    # voltage-step criterion alone would never be met; KCL must still hold
    import cosim.netlist.generate as gen
    from cosim.devices.selector import SinhSelector
    from cosim.netlist.bias import write_bias
    from cosim.netlist.crossbar import CrossbarSpec

    # exact draw that stalled at ~1e-6 V steps before the stall rule existed
    rng = np.random.default_rng(81)
    n = int(rng.integers(2, 12))
    sel = SinhSelector(i_s_a=10 ** rng.uniform(-12, -6), v_0_v=10 ** rng.uniform(-2, -0.5))
    spec = CrossbarSpec(
        n, n, r_wordline_ohm=rng.choice([0, 1, 10]), r_bitline_ohm=rng.choice([0, 1, 10]), cell="1S1R", selector=sel
    )
    bias = write_bias(str(rng.choice(["v2", "v3", "floating", "ideal"])), (n, n), [0], [n - 1], rng.uniform(-5, 5))
    c = gen.crossbar_circuit(spec, rng.uniform(1e2, 1e6, (n, n)), bias)
    assert n == 2 and np.isnan(bias.wordline_v[1]) and spec.r_wordline_ohm[0, 0] == 1.0
    sol = solve_nodal(c)
    assert kcl_residuals(c, sol).max() < 1e-4  # relative to currents of ~1e-10 A: rounding level
    # the two sources carry the same current (all current of v_in_0 returns through v_out_1)
    assert sol.source_currents_a["v_in_0"] == pytest.approx(-sol.source_currents_a["v_out_1"], rel=1e-5)
