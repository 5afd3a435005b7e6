"""The ngspice backend (shared library and ``ngspice -b``) against the nodal
solver, against closed forms, and its error paths."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.solvers import ngspice as ng
from cosim.solvers import solve_circuit
from cosim.solvers.ngspice import NgspiceError, run_ngspice, run_ngspice_tran
from cosim.solvers.result import BackendUnavailableError

from test_solvers_nodal import divider, random_network

MODES = [
    pytest.param("shared", marks=pytest.mark.skipif(not ng.shared_available(), reason="libngspice absent")),
    pytest.param("batch", marks=pytest.mark.skipif(not ng.batch_available(), reason="ngspice program absent")),
]
pytestmark = pytest.mark.ngspice


def assert_solutions_close(a, b, rtol=1e-6):
    assert a.node_voltages_v.keys() == b.node_voltages_v.keys()
    assert a.source_currents_a.keys() == b.source_currents_a.keys()
    va = np.array([a.node_voltages_v[k] for k in a.node_voltages_v])
    vb = np.array([b.node_voltages_v[k] for k in a.node_voltages_v])
    np.testing.assert_allclose(va, vb, rtol=rtol, atol=rtol * np.abs(vb).max())
    ia = np.array([a.source_currents_a[k] for k in a.source_currents_a])
    ib = np.array([b.source_currents_a[k] for k in a.source_currents_a])
    if ia.size:
        np.testing.assert_allclose(ia, ib, rtol=rtol, atol=rtol * np.abs(ib).max())


@pytest.mark.parametrize("mode", MODES)
def test_divider_closed_form(mode):
    sol = solve_circuit(divider(2.0, 1e3, 3e3), backend=f"ngspice-{mode}")
    assert sol.backend == f"ngspice-{mode}"
    assert sol.node_voltages_v == pytest.approx({"0": 0.0, "in": 2.0, "mid": 1.5}, rel=1e-12)
    assert sol.source_currents_a == pytest.approx({"vin": -0.5e-3}, rel=1e-12)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed", range(4))
def test_random_circuits_with_selectors_agree_with_nodal(seed, mode):
    c = random_network(seed)
    assert len(c.elements["selector"]) > 0
    assert_solutions_close(solve_circuit(c, backend=f"ngspice-{mode}"), solve_circuit(c), rtol=1e-6)


def test_shared_and_batch_give_identical_keys_and_values():
    if not (ng.shared_available() and ng.batch_available()):
        pytest.skip("needs both libngspice and the ngspice program")
    text = random_network_text(5)
    a, b = run_ngspice(text, mode="shared"), run_ngspice(text, mode="batch")
    assert_solutions_close(a, b, rtol=1e-12)
    assert "0" in a.node_voltages_v and all("#" not in k for k in a.source_currents_a)


def random_network_text(seed: int) -> str:
    from cosim.netlist.spice import write_spice

    return write_spice(random_network(seed))


def test_user_deck_with_uppercase_names_and_control_block():
    # shared mode lower-cases branch names, batch keeps them: both must come back lower case
    deck = "\n".join(
        [
            "user deck: no error, nothing fatal (ngspice echoes this title)",
            "V_Out_0 OUT 0 DC 1",
            "R1 OUT Mid 1k",
            "R2 Mid 0 1k",
            ".print dc v(mid)",
            ".control",
            "echo hello",
            ".endc",
            ".tran 1u 1m",
            ".end",
        ]
    )
    modes = [m for m, ok in (("shared", ng.shared_available()), ("batch", ng.batch_available())) if ok]
    if not modes:  # never a pass without an assertion
        pytest.skip("neither ngspice mode loads")
    for mode in modes:
        sol = run_ngspice(deck, mode=mode)
        # the divider's closed form: 1 V over 1k + 1k
        assert sol.node_voltages_v == pytest.approx({"0": 0.0, "out": 1.0, "mid": 0.5}, rel=1e-12)
        assert sol.source_currents_a == pytest.approx({"v_out_0": -0.5e-3}, rel=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_transient_rc_charging_matches_exponential(mode):
    deck = "\n".join(
        [
            "rc charging",
            "vsrc in 0 pulse(0 1 0 1n 1n 1 2)",
            "r1 in out 1k",
            "c1 out 0 1u",
            ".tran 10u 5m",
            ".end",
        ]
    )
    out = run_ngspice_tran(deck, ["v(out)", "vsrc#branch", "in"], mode=mode)
    t = out["time"]
    assert t[0] == 0.0 and t[-1] == pytest.approx(5e-3) and t.size > 100
    tau = 1e-3
    np.testing.assert_allclose(out["v(out)"], 1.0 - np.exp(-t / tau), atol=2e-4)
    late = t > 1e-5
    # the source current (SPICE sign: negative while it charges the capacitor)
    np.testing.assert_allclose(
        -out["vsrc#branch"][late], (out["in"] - out["v(out)"])[late] / 1e3, rtol=1e-9, atol=1e-12
    )


def test_transient_errors_name_the_problem():
    with pytest.raises(ValueError, match="no .tran card"):
        run_ngspice_tran("x\nv1 a 0 1\nr1 a 0 1k\n.op\n.end", ["v(a)"])
    with pytest.raises(ValueError, match=r"no vector 'v\(nowhere\)'; available: .*'v\(a\)'"):
        run_ngspice_tran("x\nv1 a 0 1\nr1 a 0 1k\n.tran 1u 10u\n.end", ["v(nowhere)"])


@pytest.mark.parametrize("mode", MODES)
def test_bad_deck_quotes_ngspice(mode):
    deck = "bad\nv1 a 0 1\nr1 a b 1k\nq1 a b c nomodel\n.end"
    with pytest.raises(NgspiceError, match=r"(?s)q1 a b c nomodel.*could not find a valid modelname"):
        run_ngspice(deck, mode=mode)
    # the singleton recovers: the next deck solves normally
    assert run_ngspice("ok\nv1 a 0 1\nr1 a 0 2k\n.end", mode=mode).source_currents_a["v1"] == pytest.approx(-5e-4)


@pytest.mark.parametrize("mode", MODES)
def test_source_loop_fails_in_ngspice_too(mode):
    with pytest.raises(NgspiceError, match="aborted|singular|failed"):
        run_ngspice("loop\nv1 a 0 1\nv2 a 0 2\nr1 a 0 1k\n.end", mode=mode)


def test_bad_mode_and_empty_text():
    with pytest.raises(ValueError, match="unknown ngspice mode 'fast'"):
        run_ngspice("x\nv1 a 0 1\nr1 a 0 1k\n.end", mode="fast")
    with pytest.raises(ValueError, match="non-empty SPICE deck"):
        run_ngspice("   ")


def test_missing_ngspice_is_reported_with_apt_command_and_nodal_keeps_working(monkeypatch):
    monkeypatch.setenv("COSIM_NGSPICE", "/nonexistent/ngspice")
    monkeypatch.setenv("NGSPICE_LIBRARY_PATH", "/nonexistent/libngspice.so.0")
    # forget the loaded library for this test only (monkeypatch restores it)
    monkeypatch.setitem(ng._SHARED, "instance", None)
    monkeypatch.setitem(ng._SHARED, "failed", None)
    assert not ng.ngspice_available()
    for backend in ("ngspice", "ngspice-shared", "ngspice-batch"):
        with pytest.raises(BackendUnavailableError, match="apt-get install -y ngspice libngspice0"):
            solve_circuit(divider(), backend=backend)
    assert solve_circuit(divider(), backend="nodal").node_voltages_v["mid"] == pytest.approx(0.75)


def crossbar_cases():
    for rows, cols in ((4, 4), (8, 8)):
        for cell in ("1R", "1S1R"):
            for r_wire in (0.0, 2.0):
                yield pytest.param(rows, cols, cell, r_wire, id=f"{rows}x{cols}-{cell}-r{r_wire:g}")


@pytest.mark.parametrize("rows, cols, cell, r_wire", list(crossbar_cases()))
def test_generated_crossbars_nodal_vs_ngspice(rows, cols, cell, r_wire):
    from cosim.netlist.bias import read_bias
    from cosim.netlist.crossbar import CrossbarSpec
    from cosim.netlist.generate import crossbar_circuit

    rng = np.random.default_rng(rows * 100 + cols + (cell == "1S1R") + int(r_wire))
    spec = CrossbarSpec(
        rows,
        cols,
        r_wordline_ohm=r_wire,
        r_bitline_ohm=r_wire,
        r_driver_ohm=r_wire / 2,
        r_sense_ohm=r_wire / 3,
        cell=cell,
    )
    c = crossbar_circuit(spec, rng.uniform(1e3, 1e5, spec.shape), read_bias(rng.uniform(0.2, 1.0, rows), cols))
    ref = solve_circuit(c, backend="nodal")
    out_ref = np.array([ref.source_currents_a[f"v_out_{j}"] for j in range(cols)])
    modes = [m for m, ok in (("shared", ng.shared_available()), ("batch", ng.batch_available())) if ok]
    if not modes:
        pytest.skip("ngspice absent")
    for mode in modes:
        sol = solve_circuit(c, backend=f"ngspice-{mode}")
        out = np.array([sol.source_currents_a[f"v_out_{j}"] for j in range(cols)])
        np.testing.assert_allclose(out, out_ref, rtol=1e-6)
        assert_solutions_close(sol, ref, rtol=1e-6)


def test_without_pyspice_shared_mode_names_the_extra_and_batch_still_solves(monkeypatch):
    # PySpice (GPL-3.0) is the optional `pyspice` extra: hide it (None in sys.modules makes the
    # import fail) and forget the loaded library for this test only
    import sys

    monkeypatch.setitem(sys.modules, "PySpice", None)
    monkeypatch.setitem(ng._SHARED, "instance", None)
    monkeypatch.setitem(ng._SHARED, "failed", None)
    assert not ng.shared_available()
    with pytest.raises(BackendUnavailableError, match=r"PySpice.*cosim\[pyspice\].*'batch'"):
        solve_circuit(divider(), backend="ngspice-shared")
    if not ng.batch_available():
        pytest.fail("the ngspice program is missing (setup.sh installs it)")
    # auto mode falls back to `ngspice -b`; the divider's closed form 2 V * 3k / 4k
    sol = solve_circuit(divider(2.0, 1e3, 3e3), backend="ngspice")
    assert sol.backend == "ngspice-batch"
    assert sol.node_voltages_v["mid"] == pytest.approx(1.5, rel=1e-12)
