"""User-defined cores: a core in the user's own file (config key) or behind an entry point, run by `cosim run`.

References: the worked example's first update computed by hand (integrate-and-fire counts
and the delta rule); the file and entry-point routes must give bit-identical runs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cosim.algorithms.cores import CoreSpec, ExactSynapses
from cosim.runs.experiments.user_core import UserCoreConfig, UserCoreError, load_core_file, make_user_core
from cosim.runs.run import run_experiment

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "delta_rule_core.py"
SMALL = ["n_train=200", "n_test=100", "epochs=1", "synapses.weights=software", "figures=false"]


def test_worked_example_first_update_by_hand():
    make = load_core_file(EXAMPLE)
    spec = make({"threshold": 0.5, "learning_rate": 0.1}, 3, 4, np.random.default_rng(0))
    assert isinstance(spec, CoreSpec) and spec.w_init.shape == (3, 4)
    from cosim.algorithms.cores import Core

    w = np.array([[0.6, 0.2, 0.0, -0.1], [0.3, 0.3, 0.3, 0.3], [0.0, 0.0, 0.0, 0.0]])
    core = Core(ExactSynapses(w), spec.neuron, spec.rule)
    x = np.array([1.0, 0.0, 1.0])  # currents 0.6, 0.2, 0.0, -0.1 each step
    seen, _ = core.step(np.tile(x, (5, 1)), 1)
    # threshold 0.5, reset to 0: 0.6 fires every step (5); 0.2 fires at its 3rd step only (1); the rest never
    assert seen.counts.tolist() == [5, 1, 0, 0]
    rate = np.array([1.0, 0.2, 0.0, 0.0])
    np.testing.assert_allclose(core.weights(), w + 0.1 * np.outer(x, [0, 1, 0, 0] - rate))


def test_config_key_names_the_file_and_cosim_run_runs_it(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the shipped config's core_file is relative to the repository root
    res = run_experiment(
        ROOT / "examples" / "delta_rule_digits.toml",
        overrides=SMALL,
        out_dir=tmp_path / "f",
        progress=False,
        quiet=True,
    )
    assert res.metrics["test_accuracy"] > 0.6  # chance: 0.1


def test_cli_runs_the_example_on_a_memristive_array(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "cosim",
            "run",
            "algorithms/user_core_digits.toml",
            "--quiet",
            "--out",
            str(tmp_path / "m"),
            "--set",
            "n_train=60",
            "--set",
            "n_test=20",
            "--set",
            "epochs=1",
            "--set",
            "figures=false",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "test_accuracy=" in out.stdout
    import json

    m = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert m["weights"] == "memristive" and m["pulses"] > 0


def _install_entry_point(tmp_path: Path, monkeypatch) -> None:
    """A fake installed distribution: a module plus a dist-info whose entry_points.txt declares the core."""
    shutil.copy(EXAMPLE, tmp_path / "my_user_cores.py")
    info = tmp_path / "my_user_cores-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: my-user-cores\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[cosim.cores]\ndelta = my_user_cores:make_core\n")
    monkeypatch.syspath_prepend(str(tmp_path))


def test_entry_point_core_equals_the_file_core(tmp_path, monkeypatch):
    (tmp_path / "site").mkdir()
    _install_entry_point(tmp_path / "site", monkeypatch)
    monkeypatch.chdir(ROOT)
    base = {
        "experiment": "user_core",
        "dataset": "digits",
        "n_train": 100,
        "n_test": 50,
        "n_steps": 5,
        "figures": False,
        "params": {"threshold": 0.5, "learning_rate": 0.01},
        "synapses": {"weights": "software"},
    }
    by_ep = run_experiment({**base, "core": "delta"}, out_dir=tmp_path / "ep", progress=False, quiet=True, seed=4)
    by_file = run_experiment(
        {**base, "core_file": str(EXAMPLE)}, out_dir=tmp_path / "file", progress=False, quiet=True, seed=4
    )
    a, b = np.load(by_ep.out_dir / "trace.npz"), np.load(by_file.out_dir / "trace.npz")
    np.testing.assert_array_equal(a["w_after"], b["w_after"])
    assert by_ep.metrics["test_accuracy"] == by_file.metrics["test_accuracy"]


def test_template_runs_and_learns_nothing(tmp_path):
    cfg = {
        "experiment": "user_core",
        "core_file": str(ROOT / "examples" / "core_template.py"),
        "n_train": 20,
        "n_test": 10,
        "figures": False,
        "synapses": {"weights": "software"},
    }
    res = run_experiment(cfg, out_dir=tmp_path / "t", progress=False, quiet=True)
    tr = np.load(res.out_dir / "trace.npz")
    np.testing.assert_array_equal(tr["w_before"], tr["w_after"])  # its rule returns None until filled in


def test_errors_name_the_problem(tmp_path):
    def make(**kw):
        return make_user_core(UserCoreConfig(**kw), 4, 2, np.random.default_rng(0), "ideal")

    with pytest.raises(UserCoreError, match="exactly one of core_file"):
        make()
    with pytest.raises(UserCoreError, match="exactly one of core_file"):
        make(core_file="a.py", core="b")
    with pytest.raises(UserCoreError, match="'nope.py' does not exist"):
        make(core_file="nope.py")
    bad = tmp_path / "bad.py"
    bad.write_text("x = 1\n")
    with pytest.raises(UserCoreError, match="defines no function make_core"):
        make(core_file=str(bad))
    with pytest.raises(UserCoreError, match="no entry point 'hebb' in the group 'cosim.cores'"):
        make(core="hebb")
    wrong = tmp_path / "wrong.py"
    wrong.write_text(
        "import numpy as np\nfrom cosim.algorithms.cores import CoreSpec\n"
        "def make_core(p, n_in, n_out, rng):\n    return CoreSpec(None, None, np.zeros((3, 3)))\n"
    )
    with pytest.raises(UserCoreError, match=r"w_init has shape \(3, 3\); the layer is \(4, 2\)"):
        make(core_file=str(wrong))


def test_user_core_on_the_nodal_circuit_equals_the_ideal_array_without_wires(tmp_path):
    cfg = {
        "experiment": "user_core",
        "core_file": str(EXAMPLE),
        "n_train": 10,
        "n_test": 10,
        "n_steps": 5,
        "figures": False,
        "params": {"threshold": 0.5, "learning_rate": 0.05},
        "synapses": {"weights": "memristive", "tolerance": 0.01, "r_wire_ohm": 0.0},
    }
    runs = {
        b: run_experiment({**cfg, "backend": b}, out_dir=tmp_path / b, progress=False, quiet=True)
        for b in ("ideal", "nodal")
    }
    assert runs["ideal"].metrics["pulses"] > 0 and runs["nodal"].metrics["backend"] == "nodal"
    w = {b: np.load(r.out_dir / "trace.npz")["w_after"] for b, r in runs.items()}
    np.testing.assert_allclose(w["nodal"], w["ideal"], atol=1e-6)
