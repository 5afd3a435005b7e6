"""The ``verified_write_study`` experiment, held to facts that do not come from its own code:
the definition of the ideal backend and of an ideal selector, a closed-form read energy, and
the circuit-aware predictor's purpose (it predicts with the voltage the wires actually deliver)."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from cosim.devices.registry import load_model_card
from cosim.runs import run_experiment
from cosim.runs.experiments.verified_write_study import VerifiedWriteStudyConfig, draw_problem

SMALL = {"size": 12, "n_cells": 20}


def _run(tmp_path: pathlib.Path, name: str, seed: int = 0, **kw) -> dict:
    cfg = {"experiment": "verified_write_study", **SMALL, **kw}
    res = run_experiment(cfg, seed=seed, out_dir=tmp_path / name, progress=False, quiet=True, figures=False)
    return res.metrics


def test_ideal_backend_predictors_agree_and_nothing_else_moves(tmp_path):
    # Ideal backend: no wires, ideal selectors, so the circuit delivers exactly the nominal
    # voltage and the two predictors must make the same choices, pulse for pulse.
    nom = _run(tmp_path, "nom", backend="ideal", predictor="nominal", r_wire_ohm=5.0, scheme="v2")
    cir = _run(tmp_path, "cir", backend="ideal", predictor="circuit", r_wire_ohm=5.0, scheme="v2")
    for key in (
        "steps_mean",
        "steps_max",
        "pulses_per_write",
        "energy_per_write_j",
        "rel_error_mean",
        "true_rel_error_max",
        "converged_fraction",
    ):
        assert nom[key] == cir[key], key
    assert nom["steps_mean"] > 0
    # an ideal selector blocks every cell that is not fully selected: no disturb at all
    assert nom["disturb_max_abs_rel_change"] == 0.0
    # noiseless reads of an ideal array see the device itself
    assert nom["rel_error_mean"] == pytest.approx(nom["true_rel_error_mean"], rel=1e-9)


def test_nodal_zero_wires_predictors_agree(tmp_path):
    # zero wire resistance on the circuit: every selected device gets the nominal voltage,
    # so the circuit-aware prediction equals the nominal one
    nom = _run(tmp_path, "nom", predictor="nominal", r_wire_ohm=0.0, scheme="ideal")
    cir = _run(tmp_path, "cir", predictor="circuit", r_wire_ohm=0.0, scheme="ideal")
    assert cir["predictor_solves"] > 0 and nom["predictor_solves"] == 0
    assert nom["steps_mean"] == cir["steps_mean"]
    assert nom["rel_error_mean"] == pytest.approx(cir["rel_error_mean"], rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1])
def test_circuit_predictor_helps_with_wires(tmp_path, seed):
    # 10-ohm segments on a 16 x 16 array: the selected cells get noticeably less than the nominal
    # amplitude; a predictor that knows this needs no more pulses and ends at least as close
    # (by the controller's own verify read, the criterion it works to)
    kw = dict(size=16, n_cells=32, r_wire_ohm=10.0, scheme="ideal")
    nom = _run(tmp_path, "nom", seed=seed, predictor="nominal", **kw)
    cir = _run(tmp_path, "cir", seed=seed, predictor="circuit", **kw)
    assert cir["steps_mean"] <= nom["steps_mean"]
    assert cir["rel_error_mean"] <= nom["rel_error_mean"]
    assert cir["converged_fraction"] >= nom["converged_fraction"]


def test_read_only_energy_matches_closed_form(tmp_path):
    # tolerance so wide that every cell is within it at the first read: no pulse, and the
    # energy is that of the verify reads alone: each distinct row driven at v_read with the
    # other word lines and all bit lines at 0 V dissipates v_read**2 * sum_j G_ij * t_read
    cfg = VerifiedWriteStudyConfig(**SMALL, backend="ideal", tolerance=1e3)
    m = _run(tmp_path, "wide", seed=3, backend="ideal", tolerance=1e3)
    assert m["steps_max"] == 0 and m["pulses_per_write"] == 0.0 and m["converged_fraction"] == 1.0
    r_init, rows, _, _ = draw_problem(cfg, np.random.default_rng(3))
    model = load_model_card(cfg.model_card)
    g = np.asarray(model.conductance_s(r_init))
    t_read_s = 1e-6  # CrossbarArray's default read width
    expected = sum(cfg.v_read_v**2 * g[i].sum() * t_read_s for i in np.unique(rows))
    assert m["energy_per_write_j"] * cfg.n_cells == pytest.approx(expected, rel=1e-9)
    assert m["disturb_max_abs_rel_change"] == 0.0


def test_energy_positive_and_grows_with_pulses(tmp_path):
    one = _run(tmp_path, "one", max_steps=1, scheme="v2", r_wire_ohm=1.0)
    many = _run(tmp_path, "many", max_steps=8, scheme="v2", r_wire_ohm=1.0)
    assert 0 < one["energy_per_write_j"] < many["energy_per_write_j"]
    assert one["pulses_per_write"] < many["pulses_per_write"]
    assert one["steps_max"] == 1 and many["steps_max"] <= 8
    # V/2 half-selects every other cell on a selected line: they move, unlike under a selector
    assert many["disturb_max_abs_rel_change"] > 0


@pytest.mark.parametrize(
    "kw, fragment",
    [
        ({"n_cells": 200, "size": 10}, "n_cells must be in 1..size**2 = 100, got 200"),
        ({"r_wire_ohm": -1.0}, "r_wire_ohm must be a finite resistance >= 0, got -1.0"),
        ({"tolerance": 0.0}, "tolerance must be a finite relative error > 0, got 0.0"),
        ({"r_target_min_ohm": 2e4, "r_target_max_ohm": 1e4}, "r_target_min_ohm <= r_target_max_ohm"),
    ],
)
def test_bad_config_is_named(kw, fragment):
    with pytest.raises(ValueError, match=fragment.replace("*", r"\*").replace("(", r"\(")):
        VerifiedWriteStudyConfig(**kw)


def test_plot_study_summary_panels_and_bad_column():
    import pandas as pd

    from cosim.plots.studies import plot_study_summary

    table = pd.DataFrame(
        {
            "r_wire_ohm": [0.0, 0.0, 1.0, 1.0] * 2,
            "predictor": ["nominal"] * 4 + ["circuit"] * 4,
            "steps_mean": [1.0, 3.0, 2.0, 4.0, 1.0, 1.0, 2.0, 2.0],
            "status": ["done"] * 8,
        }
    )
    fig = plot_study_summary(table, "r_wire_ohm", [("steps_mean", "pulses", 1.0)], ["predictor"], title="t")
    ax = fig.axes[0]
    lines = {c.get_label(): c.lines[0].get_ydata() for c in ax.containers}
    # mean over the two seeds of each point
    assert list(lines["nominal"]) == [2.0, 3.0] and list(lines["circuit"]) == [1.0, 2.0]
    with pytest.raises(KeyError, match="column 'energy' is not in the sweep table"):
        plot_study_summary(table, "r_wire_ohm", [("energy", "E", 1.0)], ["predictor"])
