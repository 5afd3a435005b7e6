"""`cosim plot` and the crossbar maps: the netlist is mapped back to the right
grids (checked against the crossbar solver on the same circuit), the PNG is
written, and existing files / non-crossbar netlists are refused."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.netlist.bias import read_bias
from cosim.netlist.crossbar import CrossbarSpec, CrossbarSpecError
from cosim.netlist.generate import crossbar_circuit
from cosim.netlist.spice import load_spice, save_spice
from cosim.solvers import solve_circuit
from cosim.solvers.crossbar import CrossbarSolver, crossbar_solution_from_circuit

SPEC = CrossbarSpec(5, 4, r_wordline_ohm=3.0, r_bitline_ohm=2.0, r_driver_ohm=1.0, r_sense_ohm=4.0, cell="1S1R")


@pytest.fixture
def netlist(tmp_path):
    rng = np.random.default_rng(3)
    r = rng.uniform(1e3, 1e5, SPEC.shape)
    r[1, 2] = np.inf
    v = rng.uniform(0.3, 0.9, SPEC.rows)
    path = tmp_path / "xbar.cir"
    save_spice(crossbar_circuit(SPEC, r, read_bias(v, SPEC.cols)), path)
    return path, r, v


def test_netlist_maps_back_to_the_solver_grids(netlist):
    path, r, v = netlist
    circuit = load_spice(path)
    xsol = crossbar_solution_from_circuit(circuit, solve_circuit(circuit))
    ref = CrossbarSolver(SPEC).read(1 / r, v)
    for attr in ("cell_voltages_v", "device_voltages_v", "wordline_voltages_v", "bitline_voltages_v"):
        np.testing.assert_allclose(getattr(xsol, attr), getattr(ref, attr), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(xsol.cell_currents_a, ref.cell_currents_a, rtol=1e-8, atol=1e-16)
    np.testing.assert_allclose(xsol.output_currents_a, ref.output_currents_a, rtol=1e-8)
    np.testing.assert_allclose(xsol.driver_currents_a, ref.driver_currents_a, rtol=1e-8)
    np.testing.assert_allclose(xsol.power_w, ref.power_w, rtol=1e-8)
    assert xsol.cell_currents_a[1, 2] == 0.0


def _cosim(*args, cwd):
    """Run the command line in-process (as the console script does) from ``cwd``."""
    import contextlib
    import io
    import os
    import types

    from cosim.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(old)
    return types.SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def test_cli_writes_png_and_refuses_to_overwrite(netlist, tmp_path):
    path, _, _ = netlist
    proc = _cosim("plot", str(path), "-o", "maps.png", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    png = tmp_path / "maps.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "crossbar 5x4 solved by nodal" in proc.stdout
    again = _cosim("plot", str(path), "-o", "maps.png", cwd=tmp_path)
    assert again.returncode == 2 and "maps.png exists" in again.stderr
    assert _cosim("plot", str(path), "-o", "maps.png", "--force", cwd=tmp_path).returncode == 0


def test_cli_refuses_missing_and_non_crossbar_files(tmp_path):
    (tmp_path / "div.cir").write_text("divider\nv1 a 0 1\nr1 a b 1k\nr2 b 0 1k\n.op\n.end\n")
    proc = _cosim("plot", "div.cir", "-o", "d.png", cwd=tmp_path)
    assert proc.returncode == 2 and "div.cir" in proc.stderr and "not a crossbar" in proc.stderr
    proc = _cosim("plot", "nope.cir", "-o", "d.png", cwd=tmp_path)
    assert proc.returncode == 2 and "nope.cir" in proc.stderr
    assert not (tmp_path / "d.png").exists()


def test_plot_function_four_panels_and_batch_index():
    from cosim.plots.crossbar import plot_crossbar_solution

    rng = np.random.default_rng(0)
    sol = CrossbarSolver(CrossbarSpec(4, 6, r_wordline_ohm=1.0, r_bitline_ohm=1.0)).read(
        1 / rng.uniform(1e3, 1e5, (4, 6)), rng.uniform(0, 1, (3, 4))
    )
    with pytest.raises(ValueError, match="batch of 3"):
        plot_crossbar_solution(sol)
    fig = plot_crossbar_solution(sol, index=1)
    titles = [ax.get_title() for ax in fig.axes]
    assert {
        "cell voltages (V)",
        "cell currents (A)",
        "word-line node voltages (V)",
        "bit-line node voltages (V)",
    } <= set(titles)
    assert len(fig.axes) == 8  # four maps, four colour bars
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), sol.cell_voltages_v[1])


def test_not_a_crossbar_circuit_is_named():
    from cosim.netlist.circuit import Circuit

    c = Circuit("just a divider")
    c.add("vsource", ["vin"], ["in"], ["0"], value=[1.0])
    c.add("resistor", ["r1", "r2"], ["in", "mid"], ["mid", "0"], value=[1e3, 1e3])
    with pytest.raises(CrossbarSpecError, match="just a divider"):
        crossbar_solution_from_circuit(c, solve_circuit(c))


def test_cli_refuses_an_output_that_is_not_png(netlist, tmp_path):
    path, _, _ = netlist
    proc = _cosim("plot", str(path), "-o", "maps.pdf", cwd=tmp_path)
    assert proc.returncode == 2 and "output 'maps.pdf' must be a .png file" in proc.stderr
    assert not (tmp_path / "maps.pdf").exists()


@pytest.mark.ngspice
def test_cli_ngspice_gets_zero_ohm_segments_exactly(netlist, tmp_path):
    from cosim.solvers.ngspice import ngspice_available

    if not ngspice_available():
        pytest.skip("ngspice is not installed")
    path, _, _ = netlist
    # a hand-edited netlist: one word-line segment set to 0 ohm (ngspice would clamp it to 1 mohm)
    text = path.read_text()
    assert "\nr_wl_2_1 wl_2_0 wl_2_1 3.0\n" in text
    edited = tmp_path / "edited.cir"
    edited.write_text(text.replace("\nr_wl_2_1 wl_2_0 wl_2_1 3.0\n", "\nr_wl_2_1 wl_2_0 wl_2_1 0\n"))
    outs = {}
    for backend in ("nodal", "ngspice"):
        proc = _cosim("plot", "edited.cir", "--backend", backend, "-o", f"{backend}.png", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        line = next(x for x in proc.stdout.splitlines() if x.startswith("output currents (A):"))
        outs[backend] = np.array(line.split(":")[1].split(), dtype=float)
    assert "0-ohm resistors are given to ngspice as 0 V sources" in proc.stderr
    # (the 1 mohm clamp would move these currents by less than 1e-6: which text ngspice gets is checked here)
    from cosim.cli.cmd_solve import ngspice_text

    assert ngspice_text(load_spice(edited), edited, "ngspice") is None  # cosim writes it: an exact 0 V source
    assert ngspice_text(load_spice(path), path, "ngspice") == text  # otherwise the user's own file
    assert ngspice_text(load_spice(path), path, "nodal") is None
    np.testing.assert_allclose(outs["ngspice"], outs["nodal"], rtol=1e-5)  # printed to 6 digits
    # the reference: the crossbar solver with that segment at exactly 0 ohm
    r_wl = np.full(SPEC.shape, 3.0)
    r_wl[2, 1] = 0.0
    spec = CrossbarSpec(5, 4, r_wordline_ohm=r_wl, r_bitline_ohm=2.0, r_driver_ohm=1.0, r_sense_ohm=4.0, cell="1S1R")
    _, r, v = netlist
    np.testing.assert_allclose(outs["nodal"], CrossbarSolver(spec).read(1 / r, v).output_currents, rtol=1e-5)


def test_plot_function_refusals_name_the_value(tmp_path):
    from cosim.plots.crossbar import plot_crossbar_solution, save_crossbar_maps

    sol = CrossbarSolver(CrossbarSpec(2, 3)).read(np.full((2, 3), 1e-4), np.ones((2, 2)))
    with pytest.raises(ValueError, match="index 2 out of range for a batch of 2"):
        plot_crossbar_solution(sol, index=2)
    png = tmp_path / "m.png"
    png.write_bytes(b"mine")
    with pytest.raises(FileExistsError, match=f"{png} exists"):
        save_crossbar_maps(sol, png, index=0)
    assert png.read_bytes() == b"mine"
