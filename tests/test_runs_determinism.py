"""The README's promise: the same seed and config give a bit-identical ``metrics.json``.

Every shipped experiment is run twice on a small setting into two folders; the
two ``metrics.json`` files must be equal byte for byte (timings live in
``run.json``, which is allowed to differ).  The reference is the first run
itself: any wall-clock time, unseeded draw or iteration-order dependence in the
results makes the bytes differ.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cosim.runs.registry import list_experiments
from cosim.runs.run import run_experiment

ALG = Path(__file__).resolve().parents[1] / "algorithms"

#: experiment -> (shipped config, overrides that make it take a second or two)
SMALL = {
    "toy_read": ({"experiment": "toy_read", "seed": 4}, []),
    "read_accuracy": (ALG / "read_accuracy.toml", ["size=8", "n_reads=2"]),
    "write_disturb": (ALG / "write_disturb.toml", ["size=6", 'schemes=["v2"]']),
    "verified_write_study": (ALG / "verified_write_study.toml", ["size=6", "n_cells=4", "max_steps=3"]),
    "manhattan_4x4": (ALG / "manhattan_4x4.toml", ["max_updates=3"]),
    "manhattan_4x4_seeds": (ALG / "manhattan_study_seeds.toml", ["n_seeds=20"]),
    "prezioso_letters": (ALG / "prezioso_letters.toml", ["max_updates=2"]),
    "manhattan_study": (
        ALG / "manhattan_study.toml",
        ["array_sizes=[12]", "r_wire_ohm=[0.0]", 'schemes=["v2"]', "letters.max_updates=2"],
    ),
    "snn_wta": (ALG / "snn_digits.toml", ["n_train=40", "n_test=20", "figures=false"]),
    "snn_compare": (
        {
            "experiment": "snn_compare",
            "seed": 1,
            "base": {"dataset": "digits", "n_train": 30, "n_test": 10, "figures": False},
            "variants": {"software": "weights=software", "memristive": ""},
        },
        [],
    ),
    "stdp_wta": (ALG / "stdp_digits.toml", ["n_train=20", "n_test=10", "n_neurons=4", "figures=false"]),
    "izhikevich_presets": (ALG / "izhikevich_presets.toml", ['presets=["regular_spiking"]', "duration_ms=50"]),
    "tempotron_latency": (
        ALG / "tempotron_latency.toml",
        ["n_afferents=10", "loads=[0.5]", "report_load=0.5", "epochs=2"],
    ),
    "tempotron_digits": (ALG / "tempotron_digits.toml", ["n_train=20", "n_test=10", "epochs=1"]),
    "drtp_digits": (ALG / "drtp_digits.toml", ["n_train=20", "n_test=10", "n_hidden=8", "epochs=1"]),
    "user_core": (ALG / "user_core_digits.toml", ["n_train=20", "n_test=10", "epochs=1"]),
}


def test_every_shipped_experiment_has_a_small_setting_here():
    assert set(SMALL) == set(list_experiments()), "add the new experiment to SMALL"


@pytest.mark.parametrize("name", sorted(SMALL))
def test_metrics_json_is_bit_identical_for_the_same_seed(name, tmp_path):
    config, overrides = SMALL[name]
    folders = []
    for k in range(2):
        res = run_experiment(
            config, overrides=overrides, out_dir=tmp_path / f"r{k}", progress=False, quiet=True, figures=False
        )
        folders.append(res.out_dir)
    a, b = ((f / "metrics.json").read_bytes() for f in folders)
    assert a == b
    run = json.loads((folders[0] / "run.json").read_text())
    assert run["status"] == "done" and isinstance(run["timing"], dict) and run["elapsed_s"] >= 0
    # the timings the experiments measure are in run.json, never among the results
    flat = json.dumps(json.loads(a))
    assert "train_time_s" not in flat and "elapsed" not in flat
