"""The Manhattan experiments through the runs layer: configs in algorithms/,
metrics.json keys, the trace, figures, and bad values refused with the key named."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cosim.algorithms.manhattan_reference import ReferenceSettings, train_reference
from cosim.runs.run import resolve_config, run_experiment

ALGOS = Path(__file__).resolve().parents[1] / "algorithms"


def test_reference_config_reproduces_the_reference_run(tmp_path):
    res = run_experiment(
        ALGOS / "manhattan_4x4_reference.toml",
        seed=190,
        out_dir=tmp_path / "r",
        progress=False,
        quiet=True,
        figures=True,
    )
    m = json.loads((tmp_path / "r" / "metrics.json").read_text())
    ref = train_reference([190], ReferenceSettings())
    assert m["converged"] is bool(ref.converged[0]) is True
    assert m["updates"] == int(ref.updates[0])
    assert m["final_error"] == pytest.approx(0.0)
    assert 0.0 <= m["test_accuracy"] <= 1.0
    trace = np.load(tmp_path / "r" / "trace.npz")
    n = int(ref.updates[0]) + 1
    np.testing.assert_array_equal(trace["state"], ref.index[0, :n])
    np.testing.assert_allclose(trace["g_s"], ref.g_s[0, :n], rtol=1e-13)
    for png in ("conductances", "weights", "activations", "error", "final_conductances_3d"):
        assert (tmp_path / "r" / f"{png}.png").stat().st_size > 5000
    assert res.metrics["updates"] == m["updates"]


def test_well_posed_config_on_the_nodal_backend_with_wires(tmp_path):
    run_experiment(
        ALGOS / "manhattan_4x4.toml",
        seed=0,
        backend="nodal",
        out_dir=tmp_path / "n",
        overrides=["circuit.r_wire_ohm=100", "circuit.r_driver_ohm=50", "circuit.scheme=v2"],
        progress=False,
        quiet=True,
        figures=False,
    )
    m = json.loads((tmp_path / "n" / "metrics.json").read_text())
    assert m["backend"] == "nodal"
    assert isinstance(m["converged"], bool) and isinstance(m["updates"], int)
    # IR drop: a selected cell sees less than the 1 V applied, and V/2 reaches the half-selected ones
    assert 0.6 < m["v_selected_min_v"] < 1.0
    assert m["v_unselected_max_v"] == pytest.approx(0.5, abs=0.01)


def test_seed_statistics_experiment(tmp_path):
    run_experiment(
        ALGOS / "manhattan_study_seeds.toml",
        out_dir=tmp_path / "s",
        overrides=["n_seeds=200"],
        progress=False,
        quiet=True,
        figures=False,
    )
    m = json.loads((tmp_path / "s" / "metrics.json").read_text())
    ref = train_reference(np.arange(200))
    assert m["fraction_converged"] == pytest.approx(ref.converged.mean())
    assert m["outlier_curve_index"] == 18


@pytest.mark.parametrize(
    "override, key",
    [
        ("k_scale=-1", "k_scale"),
        ("circuit.r_wire_ohm=-5", "circuit.r_wire_ohm"),
        ("circuit.amplitude_v=0", "circuit.amplitude_v"),
        ("beta_per_a=0", "beta_per_a"),
        ("target=2", "target"),
        ("circuit.v_threshold_v=-1", "circuit.v_threshold_v"),
    ],
)
def test_bad_values_are_refused_with_the_key_named(tmp_path, override, key):
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        run_experiment(
            ALGOS / "manhattan_4x4.toml",
            out_dir=tmp_path / "x",
            overrides=[override],
            progress=False,
            quiet=True,
            figures=False,
        )


@pytest.mark.parametrize(
    "override, key", [("circuit.scheme=v5", "circuit.scheme"), ("betaa=1", "betaa"), ("delta_rule=soft", "delta_rule")]
)
def test_bad_keys_and_choices_are_refused_before_running(override, key):
    with pytest.raises(ValueError, match=key):
        resolve_config(ALGOS / "manhattan_4x4.toml", overrides=[override])
