"""Prezioso et al. 2015 letters task, the circuit study, and the ngspice backend
of the Manhattan trainer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cosim.algorithms.datasets_letters import CLASSES, LETTERS, letter_patterns
from cosim.algorithms.manhattan import ManhattanRule, letters_task, measured_4x4_array, reference_task, train_manhattan
from cosim.algorithms.manhattan_reference import reference_shifts_s
from cosim.runs.experiments.manhattan import LettersConfig, train_letters
from cosim.runs.run import run_experiment

ALGOS = Path(__file__).resolve().parents[1] / "algorithms"


def test_letters_are_30_distinct_patterns_one_flip_from_their_letter():
    x, y = letter_patterns()
    assert x.shape == (30, 9) and np.bincount(y).tolist() == [10, 10, 10]
    assert len({tuple(r) for r in x}) == 30
    for k, name in enumerate(CLASSES):
        d = (x[y == k] != LETTERS[name].ravel()).sum(axis=1)
        assert sorted(d.tolist()) == [0] + [1] * 9
    # every flipped variant is still nearer its own letter than any other (the task is learnable)
    dist = np.stack([(x != LETTERS[n].ravel()).sum(axis=1) for n in CLASSES], axis=1)
    assert (np.argmin(dist, axis=1) == y).all()


def test_letters_task_inputs():
    t = letters_task(0.1, 0.1)
    assert t.inputs_v.shape == (30, 10) and set(np.unique(t.inputs_v)) == {-0.1, 0.1}
    assert (t.inputs_v[:, 9] == 0.1).all()
    assert (t.labels.sum(axis=1) == 1).all()


def test_letters_ideal_equals_nodal_with_zero_wires_and_reaches_100_percent():
    cfg = LettersConfig(max_updates=30)
    h_i, _ = train_letters(cfg, np.random.default_rng(3), "ideal")
    h_n, _ = train_letters(cfg, np.random.default_rng(3), "nodal")
    assert h_i.converged and h_i.accuracy[-1] == 1.0
    assert h_n.updates == h_i.updates
    np.testing.assert_array_equal(h_n.signs, h_i.signs)
    np.testing.assert_allclose(h_n.state, h_i.state, rtol=1e-12)
    # V/2 with -1.2 V potentiating pulses: a half-selected Messaris device sees -0.6 V and
    # r_n(-0.6 V) = 22.8 kohm lies above every R0 (10-12 kohm), so it must not move: the devices
    # that were never selected keep their initial resistance exactly
    assert h_n.v_unselected_max_v.max() == pytest.approx(0.6, rel=1e-12)
    never = np.ones((12, 12), bool)
    never[:10, :6] = False
    np.testing.assert_array_equal(h_n.state[-1][never], h_n.state[0][never])


def test_wire_resistance_weakens_the_selected_pulses_and_slows_training():
    base = LettersConfig(max_updates=40)
    h0, _ = train_letters(base, np.random.default_rng(0), "nodal")
    import dataclasses

    h10, _ = train_letters(dataclasses.replace(base, r_wire_ohm=10.0), np.random.default_rng(0), "nodal")
    assert np.nanmin(h0.v_selected_min_v) == pytest.approx(1.2, rel=1e-12)
    assert np.nanmin(h10.v_selected_min_v) < 1.15
    assert h0.converged and (not h10.converged or h10.updates > h0.updates)


def test_letters_and_study_configs_run(tmp_path):
    run_experiment(ALGOS / "prezioso_letters.toml", out_dir=tmp_path / "l", progress=False, quiet=True, figures=False)
    m = json.loads((tmp_path / "l" / "metrics.json").read_text())
    assert m["converged"] is True and m["epochs_to_100_percent"] == m["updates"]
    run_experiment(
        ALGOS / "manhattan_study.toml",
        out_dir=tmp_path / "s",
        progress=False,
        quiet=True,
        figures=False,
        overrides=["array_sizes=[12]", "r_wire_ohm=[0.0]", 'schemes=["v2"]', "letters.max_updates=20"],
    )
    rows = (tmp_path / "s" / "study.csv").read_text().splitlines()
    assert rows[0].startswith("array_size,r_wire_ohm,scheme") and len(rows) == 2
    with pytest.raises(ValueError, match="array_sizes"):
        run_experiment(
            ALGOS / "manhattan_study.toml",
            out_dir=tmp_path / "b",
            progress=False,
            quiet=True,
            figures=False,
            overrides=["array_sizes=[4]"],
        )


def test_letters_bad_values_named(tmp_path):
    for n, (override, key) in enumerate(
        (
            ("array_size=8", "array_size"),
            ("r_wire_ohm=-1", "r_wire_ohm"),
            ("device_card=nope.toml", "device_card"),
            ("device_card=measured_4x4.toml", "device_card"),
            ("r0_min_ohm=0", "r0_min_ohm"),
        )
    ):
        with pytest.raises((ValueError, FileNotFoundError), match=key):
            run_experiment(
                ALGOS / "prezioso_letters.toml",
                out_dir=tmp_path / f"x{n}",
                overrides=[override],
                progress=False,
                quiet=True,
                figures=False,
            )


@pytest.mark.ngspice
def test_letters_on_the_vteam_card_train_and_wires_slow_them():
    import dataclasses

    cfg = LettersConfig(
        device_card="vteam_kvatinsky2015.toml",
        r0_min_ohm=600.0,
        r0_max_ohm=800.0,
        amplitude_v=0.3,
        width_s=3e-11,
        beta_per_a=1e3,
        max_updates=40,
    )
    h0, _ = train_letters(cfg, np.random.default_rng(0), "nodal")
    h1, _ = train_letters(dataclasses.replace(cfg, r_wire_ohm=1.0), np.random.default_rng(0), "nodal")
    assert h0.converged and h0.accuracy[-1] == 1.0
    # the V/2 half-select (-0.15 V) stays inside VTEAM's v_on = -0.2 V threshold: never-selected cells keep R0
    never = np.ones((12, 12), bool)
    never[:10, :6] = False
    np.testing.assert_array_equal(h0.state[-1][never], h0.state[0][never])
    assert not h1.converged or h1.updates > h0.updates


@pytest.mark.ngspice
def test_ngspice_backend_trains_like_the_nodal_one():
    from cosim.solvers.ngspice import ngspice_available

    if not ngspice_available():
        pytest.skip("ngspice is not installed")
    sh = reference_shifts_s(190).reshape(4, 4)
    out = {}
    for be in ("nodal", "ngspice"):
        arr = measured_4x4_array(sh, backend=be, r_wire_ohm=2000.0, r_driver_ohm=500.0, r_sense_ohm=500.0)
        out[be] = train_manhattan(arr, reference_task(), ManhattanRule(max_updates=3, scheme="v2"))
    a, b = out["nodal"], out["ngspice"]
    np.testing.assert_array_equal(a.state, b.state)
    np.testing.assert_allclose(b.currents_a, a.currents_a, rtol=1e-6, atol=1e-15)
    np.testing.assert_allclose(b.v_selected_min_v, a.v_selected_min_v, rtol=1e-6)
