"""The read_accuracy study against closed-form circuits."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.runs.config import ConfigError
from cosim.runs.experiments.read_accuracy import ReadAccuracyConfig, conductances
from cosim.runs.run import run_experiment
from reference_formulas import series_current_a


def _run(tmp_path, name="r", **params):
    cfg = {"experiment": "read_accuracy", "seed": 3, **params}
    res = run_experiment(cfg, out_dir=tmp_path / name, progress=False, quiet=True, figures=False)
    draw = conductances(ReadAccuracyConfig(**{k: v for k, v in params.items()}), np.random.default_rng(3))
    return res.metrics, draw, np.load(tmp_path / name / "trace.npz")


def test_single_cell_with_wires_closed_form(tmp_path):
    # 1 x 1 array: I = V / (R + r_wl + r_bl + r_drv + r_sns), reference V / R
    r, rd, rs, r_off = 7.0, 3.0, 5.0, 2e4
    m, _, tr = _run(tmp_path, size=1, r_wire_ohm=r, r_driver_ohm=rd, r_sense_ohm=rs, r_off_ohm=r_off, r_on_ohm=1e3)
    series = 2 * r + rd + rs
    assert m["rel_error"] == pytest.approx(series / (r_off + series), rel=1e-9)
    assert m["rel_error_vs_vg"] == pytest.approx(series / (r_off + series), rel=1e-9)
    np.testing.assert_allclose(tr["i_out_a"][:, 0], series_current_a(tr["v_in_v"][:, 0], r_off, series), rtol=1e-9)
    assert m["sneak_fraction_floating"] == pytest.approx(0.0, abs=1e-12)


def test_two_by_two_floating_sneak_fraction_closed_form(tmp_path):
    # far cell (0, 1) read with WL1 and BL0 floating, ideal wires: one sneak path
    # WL0 -> (0,0) -> BL0 -> (1,0) -> WL1 -> (1,1) -> BL1, so the sneak share is
    # R01 / (R01 + R00 + R10 + R11)
    m, (g, sel), _ = _run(tmp_path, size=2, r_wire_ohm=0.0, selected_state="random")
    assert sel == (0, 1)
    r = 1.0 / g
    r_sneak = r[0, 0] + r[1, 0] + r[1, 1]
    assert m["sneak_fraction_floating"] == pytest.approx(r[0, 1] / (r[0, 1] + r_sneak), rel=1e-9)
    assert m["single_read_error_floating"] == pytest.approx(r[0, 1] / r_sneak, rel=1e-9)
    assert m["sneak_paths_3cell"] == 1 and m["sneak_g3_s"] == pytest.approx(1.0 / r_sneak)
    assert m["sneak_fraction_grounded"] == 0.0  # unselected lines at 0 V: nothing sneaks with ideal wires
    assert m["rel_error"] == 0.0


def test_ideal_wires_give_v_at_g(tmp_path):
    m, (g, _), tr = _run(tmp_path, size=8, r_wire_ohm=0.0)
    np.testing.assert_allclose(tr["i_out_a"], tr["v_in_v"] @ g, rtol=1e-12)
    assert m["rel_error"] == 0.0 and m["rel_error_vs_vg"] < 1e-12


def test_error_grows_with_wire_resistance_and_size(tmp_path):
    errs = {}
    for n in (4, 16):
        for r in (0.5, 5.0):
            errs[n, r] = _run(tmp_path, name=f"{n}-{r}", size=n, r_wire_ohm=r)[0]["rel_error"]
    assert errs[4, 0.5] < errs[4, 5.0] and errs[16, 0.5] < errs[16, 5.0]
    assert errs[4, 0.5] < errs[16, 0.5] and errs[4, 5.0] < errs[16, 5.0]


def test_1t1r_closed_form_and_gates_cut_sneak_paths(tmp_path):
    r_tr = 2e3
    m, (g, _), tr = _run(tmp_path, size=1, cell="1T1R", r_wire_ohm=0.0, r_transistor_on_ohm=r_tr)
    assert m["rel_error"] == 0.0
    r = 1.0 / g[0, 0]
    assert m["rel_error_vs_vg"] == pytest.approx(r_tr / (r + r_tr), rel=1e-9)
    m2, _, _ = _run(tmp_path, name="t2", size=8, cell="1T1R", r_wire_ohm=1.0)
    m1, _, _ = _run(tmp_path, name="r2", size=8, cell="1R", r_wire_ohm=1.0)
    assert m2["sneak_fraction_floating"] < 1e-3 < 0.5 < m1["sneak_fraction_floating"]


def test_1s1r_single_cell_satisfies_the_series_equation(tmp_path):
    i_s, v0 = 1e-7, 0.1
    m, (g, _), tr = _run(tmp_path, size=1, cell="1S1R", r_wire_ohm=0.0, selector_i_s_a=i_s, selector_v_0_v=v0)
    i = tr["i_out_a"][:, 0]
    v = tr["v_in_v"][:, 0]
    # device and selector in series: V = I R + v0 asinh(I / i_s)
    np.testing.assert_allclose(i / g[0, 0] + v0 * np.arcsinh(i / i_s), v, rtol=1e-8, atol=1e-12)
    assert m["rel_error"] == 0.0


@pytest.mark.ngspice
def test_ngspice_backend_agrees(tmp_path):
    from cosim.solvers.ngspice import ngspice_available

    if not ngspice_available():
        pytest.skip("ngspice is not installed")
    a, _, _ = _run(tmp_path, name="n", size=3, r_wire_ohm=2.0, backend="nodal")
    b, _, _ = _run(tmp_path, name="s", size=3, r_wire_ohm=2.0, backend="ngspice")
    for k in ("rel_error", "sneak_fraction_floating", "sneak_fraction_grounded"):
        assert b[k] == pytest.approx(a[k], rel=1e-5, abs=1e-12), k


@pytest.mark.parametrize(
    "params, needle",
    [
        ({"backend": "ideal"}, "config key 'backend' must be one of 'nodal', 'ngspice', got 'ideal'"),
        ({"size": 0}, "size must be >= 1, got 0"),
        ({"r_on_ohm": 1e6, "r_off_ohm": 1e4}, "need 0 < r_on_ohm <= r_off_ohm"),
        ({"cell": "2R"}, "config key 'cell' must be one of '1R', '1S1R', '1T1R'"),
        ({"r_wire_ohm": -1.0}, "r_wire_ohm must be a finite resistance >= 0, got -1.0"),
    ],
)
def test_bad_config_named(tmp_path, params, needle):
    with pytest.raises(ConfigError) as info:
        run_experiment({"experiment": "read_accuracy", **params}, out_dir=tmp_path / "x", progress=False)
    assert needle in str(info.value)
