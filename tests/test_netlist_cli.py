"""``cosim netlist`` and the reference netlists in netlists/."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from cosim.cli import main
from cosim.netlist.graph import check_floating, find_shorts
from cosim.netlist.spice import load_spice, read_spice, write_spice

REPO = Path(__file__).resolve().parents[1]
NETLISTS = REPO / "netlists"
BASE = ["netlist", "--r-wordline", "2", "--r-bitline", "3"]


def values(c, kind="resistor") -> dict[str, float]:
    t = c.elements[kind]
    return dict(zip(t.names, t.params["value"].tolist()))


def test_cells_file_is_conductance_in_siemens_zero_open(tmp_path, capsys):
    g = np.array([[1e-4, 0.0, 2e-5], [5e-4, 1e-3, 2.5e-6]])
    np.save(tmp_path / "g.npy", g)
    out = tmp_path / "x.cir"
    assert main([*BASE, "--cells", str(tmp_path / "g.npy"), "--inputs", "0.3", "-0.1", "-o", str(out)]) == 0
    assert f"wrote {out}: 2x3 1R crossbar, 5 cells (1 open)" in capsys.readouterr().out
    c = load_spice(out)
    r = values(c)
    assert r["rcell_0_0"] == 1 / 1e-4 and r["rcell_1_2"] == 1 / 2.5e-6
    assert "rcell_0_1" not in r
    assert r["r_wl_1_2"] == 2.0 and r["r_bl_1_2"] == 3.0
    assert values(c, "vsource") == {"v_in_0": 0.3, "v_in_1": -0.1, "v_out_0": 0.0, "v_out_1": 0.0, "v_out_2": 0.0}
    assert c.meta["crossbar"]["cells_present"] == 5


def test_g_uniform_is_seeded_and_in_range(tmp_path):
    paths = [tmp_path / f"{k}.cir" for k in range(3)]
    for path, seed in zip(paths, (5, 5, 6)):
        args = [
            *BASE,
            "--rows",
            "3",
            "--cols",
            "4",
            "--g-uniform",
            "1e-5",
            "2e-5",
            "--seed",
            str(seed),
            "--cell",
            "1T1R",
            "--r-transistor-on",
            "250",
            "--r-driver",
            "7",
            "--r-sense",
            "9",
            "-o",
            str(path),
        ]
        assert main(args) == 0
    assert paths[0].read_text() == paths[1].read_text() != paths[2].read_text()
    c = load_spice(paths[0])
    r = values(c)
    g_expected = np.random.default_rng(5).uniform(1e-5, 2e-5, (3, 4))
    g_cells = np.array([[1 / r[f"rcell_{i}_{j}"] for j in range(4)] for i in range(3)])
    np.testing.assert_allclose(g_cells, g_expected, rtol=1e-15)
    assert r["rtr_2_3"] == 250.0 and r["r_drv_0"] == 7.0 and r["r_sns_3"] == 9.0
    assert values(c, "vsource")["v_in_2"] == 0.2  # the documented default input


def test_force_is_needed_to_overwrite(tmp_path, capsys):
    out = tmp_path / "x.cir"
    out.write_text("mine")
    args = [*BASE, "--rows", "2", "--cols", "2", "-o", str(out)]
    assert main(args) == 2
    assert f"cosim: error: {out} exists" in capsys.readouterr().err
    assert out.read_text() == "mine"
    assert main([*args, "--force"]) == 0
    assert load_spice(out).title == "cosim crossbar 2x2 1R"


@pytest.mark.parametrize(
    ("extra", "setup", "message"),
    [
        (["--cells", "missing.npy"], None, "--cells file missing.npy not found"),
        (["--cells", "g.npy"], np.ones(4), "holds shape (4,); expected (rows, cols)"),
        (["--cells", "g.npy"], np.array([[1e-4, -2e-4]]), "conductance -0.0002 S at cell (0, 1)"),
        (["--cells", "g.npy"], np.array([[1e-4, np.nan]]), "conductance nan S at cell (0, 1)"),
        (["--cells", "g.npy", "--rows", "3"], np.ones((2, 2)) * 1e-4, "has shape (2, 2), but --rows is 3"),
        (["--cells", "g.npy"], "text", "is not a NumPy .npy array"),
        (["--rows", "2"], None, "--rows and --cols are required unless --cells"),
        (["--rows", "0", "--cols", "2"], None, "--rows must be >= 1, got 0"),
        (["--rows", "2", "--cols", "2", "--g-uniform", "2e-4", "1e-4"], None, "--g-uniform needs 0 <= LO <= HI"),
        (
            ["--rows", "2", "--cols", "2", "--inputs", "1", "2", "3"],
            None,
            "--inputs has 3 values; give one for all rows or 2",
        ),
        (["--rows", "2", "--cols", "2", "--inputs", "nan"], None, "--inputs must be finite volts, got nan"),
        (["--rows", "2", "--cols", "2", "--r-driver", "-1"], None, "r_driver_ohm must be >= 0 ohm, got -1.0"),
        (["--rows", "2", "--cols", "2", "--cell", "1S1R", "--selector-v0", "0"], None, "v_0_v must be finite and > 0"),
        (
            ["--rows", "2", "--cols", "2", "--cell", "1T1R", "--r-transistor-on", "0"],
            None,
            "r_transistor_on_ohm must be > 0 ohm, got 0.0",
        ),
    ],
)
def test_bad_arguments_are_named(tmp_path, capsys, monkeypatch, extra, setup, message):
    monkeypatch.chdir(tmp_path)
    if isinstance(setup, np.ndarray):
        np.save(tmp_path / "g.npy", setup)
    elif setup == "text":
        (tmp_path / "g.npy").write_text("not numpy")
    assert main([*BASE, *extra, "-o", "out.cir"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cosim: error: ") and message in err, err
    assert not (tmp_path / "out.cir").exists()


# -- netlists/ ------------------------------------------------------------------


def test_every_reference_netlist_loads_and_is_sound():
    files = sorted(NETLISTS.glob("*.cir"))
    assert {"divider.cir", "bridge.cir", "crossbar_4x4_1r.cir", "crossbar_3x3_1s1r.cir"} <= {f.name for f in files}
    for f in files:
        c = load_spice(f)
        check_floating(c)
        assert find_shorts(c) == [], f
        text = write_spice(c)
        assert write_spice(read_spice(text)) == text, f
    listed = (NETLISTS / "README.md").read_text()
    for name in ("divider.cir", "bridge.cir", "crossbar_4x4_1r.cir", "crossbar_3x3_1s1r.cir"):
        assert f"`{name}`" in listed, f"netlists/README.md has no line for {name}"


def _linear_solve(c):
    from test_netlist_generate import dense_mna  # the tests' own independent MNA

    return dense_mna(c)


def test_divider_and_bridge_match_their_closed_forms():
    volts, amps = _linear_solve(load_spice(NETLISTS / "divider.cir"))
    # divider.cir's closed form: 1.2 V * 2k / (1k + 2k), and -1.2 V / 3k (SPICE sign)
    assert volts["mid"] == pytest.approx(0.8, rel=1e-12)
    assert amps["v1"] == pytest.approx(-0.4e-3, rel=1e-12)
    _, amps = _linear_solve(load_spice(NETLISTS / "bridge.cir"))
    v_th = 10 * (2 / 3 - 4 / 7)
    r_th = 1e3 * 2e3 / 3e3 + 3e3 * 4e3 / 7e3
    assert amps["vg"] == pytest.approx(v_th / (r_th + 500), rel=1e-12)


def test_generated_reference_netlists_are_reproduced_by_their_documented_commands(tmp_path, monkeypatch):
    """netlists/README.md gives the command behind each generated file; rerunning it gives the same text."""
    monkeypatch.chdir(tmp_path)
    commands = re.findall(r"`cosim (netlist [^`]+)`", (NETLISTS / "README.md").read_text())
    assert len(commands) >= 2
    for command in commands:
        argv = shlex.split(command)
        target = argv[argv.index("-o") + 1]
        argv[argv.index("-o") + 1] = str(tmp_path / Path(target).name)
        assert main(argv) == 0
        assert (tmp_path / Path(target).name).read_text() == (REPO / target).read_text(), target
        assert write_spice(load_spice(REPO / target)) == (REPO / target).read_text()


@pytest.mark.ngspice
@pytest.mark.skipif(shutil.which("ngspice") is None, reason="ngspice not installed")
def test_ngspice_agrees_with_bridge_closed_form():
    out = subprocess.run(
        ["ngspice", "-b", str(NETLISTS / "bridge.cir")], capture_output=True, text=True, timeout=60
    ).stdout
    i_g = float(re.search(r"^\s*vg#branch\s+(\S+)", out, flags=re.M).group(1))
    assert i_g == pytest.approx(20 / 60500, rel=1e-6)
