"""The write_disturb study against the Messaris closed form on ideal wires."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.runs.config import ConfigError
from cosim.runs.run import run_experiment
from reference_formulas import messaris_r_ohm


def _run(tmp_path, **params):
    cfg = {
        "experiment": "write_disturb",
        "seed": 2,
        "size": 4,
        "r_wire_ohm": 0.0,
        "amplitude_v": 1.2,
        "width_s": 1e-4,
        "schemes": ["v2", "v3"],
        **params,
    }
    res = run_experiment(cfg, out_dir=tmp_path / "w", progress=False, quiet=True, figures=False)
    return res.metrics, np.load(tmp_path / "w" / "trace.npz")


def test_one_cell_write_on_ideal_wires_matches_the_closed_form(tmp_path):
    m, tr = _run(tmp_path, n_pulses=2)
    r0 = tr["r_init_ohm"]
    sel = tuple(tr["selected"])
    assert sel == (2, 2)
    line = np.zeros((4, 4), bool)
    line[sel[0], :] = line[:, sel[1]] = True
    line[sel] = False
    for scheme, v_half, v_other in (("v2", 0.6, 0.0), ("v3", 0.4, -0.4)):
        v = np.where(line, v_half, v_other)
        v[sel] = 1.2
        expected = messaris_r_ohm(messaris_r_ohm(r0, v, 1e-4), v, 1e-4)
        np.testing.assert_allclose(tr[f"one_cell_{scheme}"], expected, rtol=1e-9)
        rel = (expected - r0) / r0
        assert m["one_cell"][scheme]["selected_rel_change"] == pytest.approx(rel[sel], rel=1e-6)
        assert m["one_cell"][scheme]["half_selected_max_abs_rel_change"] == pytest.approx(
            np.abs(rel[line]).max(), rel=1e-6
        )
    # -0.4 V leaves these cells alone (R < r_n(-0.4 V) = 29.7 kohm): only V/2's and V/3's half-selected move
    assert m["one_cell"]["v3"]["unselected_max_abs_rel_change"] == 0.0


def test_row_by_row_update_matches_sequential_closed_form(tmp_path):
    m, tr = _run(tmp_path, update_fraction=0.5, schemes=["v2"])
    r = tr["r_init_ohm"].copy()
    target = tr["target"]
    for i in range(4):  # the same rows, in the same order, V/2 scheme written out by hand
        if not target[i].any():
            continue
        wl = np.full(4, 0.6)
        wl[i] = 1.2
        bl = np.where(target[i], 0.0, 0.6)
        r = messaris_r_ohm(r, wl[:, None] - bl[None, :], 1e-4)
    np.testing.assert_allclose(tr["row_update_v2"], r, rtol=1e-9)
    rel = (r - tr["r_init_ohm"]) / tr["r_init_ohm"]
    assert m["row_update"]["v2"]["intended_mean_rel_change"] == pytest.approx(rel[target].mean(), rel=1e-6)
    assert m["row_update"]["v2"]["unintended_max_abs_rel_change"] == pytest.approx(np.abs(rel[~target]).max(), rel=1e-6)


def test_wires_and_floating_lines_run_and_disturb(tmp_path):
    m, tr = _run(tmp_path, size=6, r_wire_ohm=5.0, amplitude_v=-1.2, schemes=["ideal", "floating"], n_pulses=1)
    # the ideal selector touches nothing but the target: exactly zero disturb
    assert m["one_cell"]["ideal"]["half_selected_max_abs_rel_change"] == 0.0
    assert m["row_update"]["ideal"]["unintended_max_abs_rel_change"] == 0.0
    assert m["one_cell"]["floating"]["selected_rel_change"] < -0.01  # SET lowers R


@pytest.mark.parametrize(
    "params, needle",
    [
        ({"schemes": ["v4"]}, "config key 'schemes[0]' must be one of 'ideal', 'v2', 'v3', 'floating'"),
        ({"size": 1}, "size must be >= 2, got 1"),
        ({"update_fraction": 1.5}, "update_fraction must be in [0, 1], got 1.5"),
        ({"model_card": "nope.toml"}, "model card 'nope.toml' not found"),
    ],
)
def test_bad_config_named(tmp_path, params, needle):
    with pytest.raises((ConfigError, FileNotFoundError)) as info:
        _run(tmp_path, **params)
    assert needle in str(info.value)
