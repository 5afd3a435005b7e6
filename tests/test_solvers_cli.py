"""``cosim solve`` and ``cosim demo``: outputs against the netlists' closed
forms and across backends, and their error paths."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cosim.cli import main
from cosim.solvers import ngspice as ng

REPO = Path(__file__).resolve().parents[1]
NETLISTS = sorted((REPO / "netlists").glob("*.cir"))
SMALL_NETLISTS = [p for p in NETLISTS if p.stat().st_size <= 200_000]
HAVE_NGSPICE = ng.ngspice_available()


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_solve_table_on_the_example_netlist(capsys):
    code, out, _ = run(capsys, "solve", str(REPO / "netlists" / "solver_example.cir"))
    assert code == 0
    rows = dict(line.split() for line in out.splitlines() if len(line.split()) == 2 and line[:1].isalnum())
    # Wheatstone bridge part, by its Thevenin equivalent
    vs, r1, r2, r3, r4, rg = 1.0, 1e3, 2.2e3, 3.3e3, 1.5e3, 470.0
    v_th = vs * (r3 / (r1 + r3) - r4 / (r2 + r4))
    r_th = r1 * r3 / (r1 + r3) + r2 * r4 / (r2 + r4)
    assert float(rows["left"]) - float(rows["right"]) == pytest.approx(v_th * rg / (r_th + rg), rel=1e-8)
    # 1S1R part: the sense current equals the current through the 10 kohm device
    i_cell = (float(rows["wl_0_0"]) - float(rows["mid_0_0"])) / 10e3
    assert float(rows["v_out_0"]) == pytest.approx(i_cell, rel=1e-6)
    assert float(rows["v_out_0"]) == pytest.approx(
        1e-7 * np.sinh((float(rows["mid_0_0"]) - float(rows["bl_0_0"])) / 0.1), rel=1e-6
    )


def solve_json(capsys, path, backend):
    code, out, err = run(capsys, "solve", str(path), "--backend", backend, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.ngspice
@pytest.mark.skipif(not HAVE_NGSPICE, reason="ngspice absent")
# large netlists (none today) are left out here: ngspice is slow on them
@pytest.mark.parametrize("path", SMALL_NETLISTS, ids=[p.name for p in SMALL_NETLISTS])
def test_solve_json_same_keys_and_values_across_backends(capsys, path):
    a = solve_json(capsys, path, "nodal")
    b = solve_json(capsys, path, "ngspice")
    assert set(a) == {"node_voltages", "source_currents"}
    assert a["node_voltages"].keys() == b["node_voltages"].keys()
    assert a["source_currents"].keys() == b["source_currents"].keys()
    assert a["node_voltages"]["0"] == 0.0
    for part in ("node_voltages", "source_currents"):
        va, vb = np.array(list(a[part].values())), np.array(list(b[part].values()))
        if va.size:
            np.testing.assert_allclose(va, vb, rtol=1e-6, atol=1e-6 * np.abs(vb).max())


@pytest.mark.ngspice
@pytest.mark.skipif(not HAVE_NGSPICE, reason="ngspice absent")
def test_solve_json_names_are_lower_case_as_ngspice_prints_them(capsys, tmp_path):
    path = tmp_path / "upper.cir"
    path.write_text("Upper case\nVIN In 0 DC 2\nR1 In Mid 1K\nR2 Mid 0 3K\nIbias 0 Mid 1m\n.OP\n.END\n")
    a = solve_json(capsys, path, "nodal")
    b = solve_json(capsys, path, "ngspice")
    assert list(a["node_voltages"]) == list(b["node_voltages"]) == ["0", "in", "mid"]
    assert list(a["source_currents"]) == list(b["source_currents"]) == ["vin"]
    # by hand: superposition at mid, then the source delivers the current through R1
    v_mid = 2.0 * 3e3 / 4e3 + 1e-3 * (1e3 * 3e3 / 4e3)
    for sol in (a, b):
        assert sol["node_voltages"]["mid"] == pytest.approx(v_mid, rel=1e-9)
        assert sol["source_currents"]["vin"] == pytest.approx(-(2.0 - v_mid) / 1e3, rel=1e-9)  # SPICE sign


@pytest.mark.ngspice
@pytest.mark.skipif(not HAVE_NGSPICE, reason="ngspice absent")
def test_solve_json_on_a_generated_1s1r_crossbar(capsys, tmp_path):
    from cosim.netlist.bias import read_bias
    from cosim.netlist.crossbar import CrossbarSpec
    from cosim.netlist.generate import crossbar_circuit
    from cosim.netlist.spice import save_spice

    spec = CrossbarSpec(3, 4, r_wordline_ohm=1.5, r_bitline_ohm=0.0, cell="1S1R")
    rng = np.random.default_rng(7)
    path = save_spice(
        crossbar_circuit(spec, rng.uniform(1e3, 1e5, (3, 4)), read_bias([0.9, 0.5, 1.2], 4)), tmp_path / "xbar.cir"
    )
    a = solve_json(capsys, path, "nodal")
    b = solve_json(capsys, path, "ngspice")
    assert a["source_currents"].keys() == b["source_currents"].keys()
    assert {f"v_out_{j}" for j in range(4)} <= a["source_currents"].keys()
    assert "vshort_bl_0_0" in a["source_currents"]  # zero-ohm bit-line segments are 0 V sources
    np.testing.assert_allclose(
        [a["source_currents"][k] for k in a["source_currents"]],
        [b["source_currents"][k] for k in a["source_currents"]],
        rtol=1e-6,
        atol=1e-15,
    )


def test_solve_missing_file_is_a_clear_error(capsys, tmp_path):
    code, out, err = run(capsys, "solve", str(tmp_path / "nowhere.cir"))
    assert code == 2
    assert "nowhere.cir" in err and "not found" in err and "Traceback" not in err


def test_solve_bad_backend_is_refused(capsys, tmp_path):
    with pytest.raises(SystemExit) as info:
        main(["solve", str(REPO / "netlists" / "solver_example.cir"), "--backend", "hspice"])
    assert info.value.code == 2
    assert "invalid choice: 'hspice'" in capsys.readouterr().err


def test_solve_floating_netlist_names_the_node(capsys, tmp_path):
    path = tmp_path / "float.cir"
    path.write_text("floating\nv1 a 0 1\nr1 a 0 1k\nr2 b c 1k\n.op\n.end\n")
    code, _, err = run(capsys, "solve", str(path))
    assert code == 2
    assert "'b'" in err and "'c'" in err and "DC path" in err


def test_demo_small_array_agrees(capsys, tmp_path):
    out_dir = tmp_path / "demo"
    code, out, err = run(capsys, "demo", "--rows", "4", "--cols", "5", "--seed", "3", "--out", str(out_dir))
    assert code == 0, err
    assert (out_dir / "demo_crossbar.cir").is_file()
    last = out.strip().splitlines()[-1]
    assert last.startswith("agreement: max relative difference ") and last.endswith("(tolerance 1e-06): OK")
    assert float(last.split()[4]) < 1e-6
    report = json.loads((out_dir / "demo_report.json").read_text())
    names = set(report["output_currents_a"])
    assert {"crossbar nodal", "general nodal"} <= names
    if HAVE_NGSPICE:
        assert report["reference"].startswith("ngspice")
    # every backend's currents match the written netlist's closed-form bound: positive, below V/R_min per cell
    for cur in report["output_currents_a"].values():
        assert np.all(np.array(cur) > 0) and np.all(np.array(cur) < 4 * 0.2 / 1e3)


def test_demo_refuses_to_overwrite_and_default_folder_is_fresh(capsys, tmp_path, monkeypatch):
    out_dir = tmp_path / "d"
    assert run(capsys, "demo", "--rows", "2", "--cols", "2", "--skip-ngspice", "--out", str(out_dir))[0] == 0
    code, _, err = run(capsys, "demo", "--rows", "2", "--cols", "2", "--skip-ngspice", "--out", str(out_dir))
    assert code == 2 and "demo_crossbar.cir exists" in err and "--force" in err
    assert run(capsys, "demo", "--rows", "2", "--cols", "2", "--skip-ngspice", "--out", str(out_dir), "--force")[0] == 0
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert run(capsys, "demo", "--rows", "2", "--cols", "2", "--skip-ngspice")[0] == 0
    assert len(list((tmp_path / "out").glob("demo-*/demo_crossbar.cir"))) == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["--rows", "0"], "--rows must be >= 1, got 0"),
        (["--r-wire", "-1"], "--r-wire must be a finite resistance >= 0 ohm, got -1.0"),
        (["--r-min", "5e3", "--r-max", "1e3"], "need 0 < --r-min <= --r-max"),
        (["--tolerance", "0"], "--tolerance must be > 0, got 0.0"),
        (["--cols", "-3"], "--cols must be >= 1, got -3"),
        (["--r-wire", "nan"], "--r-wire must be a finite resistance >= 0 ohm, got nan"),
        (["--r-min", "0"], "need 0 < --r-min <= --r-max < inf ohm, got 0.0 and"),
        (["--r-max", "inf"], "got 1000.0 and inf"),
        (["--v-in", "inf"], "--v-in must be a finite voltage, got inf"),
    ],
)
def test_demo_bad_arguments(capsys, tmp_path, args, message):
    code, _, err = run(capsys, "demo", "--out", str(tmp_path / "x"), *args)
    assert code == 2 and message in err


def test_demo_reports_failure_with_exit_code_1(capsys, tmp_path):
    code, out, _ = run(
        capsys,
        "demo",
        "--rows",
        "6",
        "--cols",
        "6",
        "--skip-ngspice",
        "--tolerance",
        "1e-300",
        "--out",
        str(tmp_path / "f"),
    )
    assert code == 1
    assert out.strip().splitlines()[-1].endswith("(tolerance 1e-300): FAILED")


@pytest.mark.ngspice
@pytest.mark.skipif(not HAVE_NGSPICE, reason="ngspice absent")
def test_solve_zero_ohm_resistor_is_exact_in_both_backends(capsys, tmp_path):
    path = tmp_path / "zero.cir"
    path.write_text("zero\nv1 a 0 1\nr0 a b 0\nr1 b 0 1k\n.op\n.end\n")
    for backend in ("nodal", "ngspice"):
        code, out, err = run(capsys, "solve", str(path), "--backend", backend, "--json")
        assert code == 0
        sol = json.loads(out)
        # an ideal short: V(b) = V(a) exactly (ngspice alone would clamp r0 to 1 mohm)
        assert sol["node_voltages"]["b"] == pytest.approx(1.0, rel=1e-12)
        assert sol["source_currents"] == {"v1": pytest.approx(-1e-3, rel=1e-12)}
        assert ("0 V sources" in err) == (backend == "ngspice")


def test_demo_without_ngspice_says_so_and_runs_nodal(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COSIM_NGSPICE", "/nonexistent/ngspice")
    monkeypatch.setenv("NGSPICE_LIBRARY_PATH", "/nonexistent/libngspice.so.0")
    monkeypatch.setitem(ng._SHARED, "instance", None)
    monkeypatch.setitem(ng._SHARED, "failed", None)
    code, out, _ = run(capsys, "demo", "--rows", "3", "--cols", "3", "--out", str(tmp_path / "n"))
    assert code == 0
    assert "ngspice: not available; install it with `apt-get install -y ngspice libngspice0`" in out
    assert "compared with general nodal" in out and out.strip().endswith(": OK")


def test_demo_out_that_is_a_file_is_refused(capsys, tmp_path):
    target = tmp_path / "taken"
    target.write_text("mine")
    code, _, err = run(capsys, "demo", "--out", str(target), "--skip-ngspice")
    assert code == 2 and f"--out {target} exists and is not a folder" in err
    assert target.read_text() == "mine"
