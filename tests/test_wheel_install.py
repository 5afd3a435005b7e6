"""The built wheel works outside the checkout: it carries the shipped model
cards, measured data and configs, and finds them by name.

The wheel is built from a copy of the source tree (so the checkout gets no
``build/``), installed into a fresh virtual environment that sees this
machine's dependencies (``--system-site-packages``, nothing downloaded), and
run from a folder outside the checkout with ``PYTHONPATH`` unset.  The
reference for every number is the same computation in this process, on the
checkout: an installed cosim must give exactly what the source gives.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import numpy as np
import pytest

import cosim
from cosim.cli.cmd_device import pulse_train
from cosim.devices import load_model_card
from cosim.runs.run import run_experiment
from cosim.runs.summary import flatten

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

# what a wheel build needs from the tree (everything else stays behind)
SOURCE = ("cosim", "models", "algorithms", "pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "_shipped", "*.egg-info")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv python, environment, working folder) of a venv with the wheel installed."""
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    src.mkdir()
    for name in SOURCE:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=IGNORE)
        else:
            shutil.copy2(path, src / name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-w",
            str(root / "dist"),
            str(src),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = (root / "dist").glob("cosim-*.whl")
    assert wheel.name.startswith(f"cosim-{cosim.__version__}-")
    # pip comes from the system site (no download); it installs into the venv's prefix
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(root / "venv")
    python = root / "venv" / "bin" / "python"
    inst = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--ignore-installed",
            "--disable-pip-version-check",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
    )
    assert inst.returncode == 0, inst.stderr
    env["PATH"] = f"{root / 'venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    work = root / "work"  # outside the checkout, no models/ or algorithms/ here
    work.mkdir()
    return python, env, work


def _run(installed, *args):
    python, env, work = installed
    return subprocess.run([*args], capture_output=True, text=True, env=env, cwd=work, timeout=300)


def test_cosim_is_imported_from_the_venv_with_its_package_data(installed):
    python, env, work = installed
    out = _run(
        installed,
        str(python),
        "-c",
        "import cosim, cosim.shipped as s; print(cosim.__file__); print(s.shipped_root('models'));"
        "print(cosim.__version__)",
    )
    assert out.returncode == 0, out.stderr
    module, models, version = out.stdout.split()
    venv_dir = (python.parent.parent).resolve()
    assert Path(module).resolve().is_relative_to(venv_dir), module
    assert Path(models).resolve().is_relative_to(venv_dir) and Path(models).name == "models"
    assert version == cosim.__version__
    # the console script is the venv's
    assert shutil.which("cosim", path=env["PATH"]) == str(python.parent / "cosim")


def test_cosim_list_shows_every_shipped_file(installed):
    out = _run(installed, "cosim", "list", "--json")
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)
    # reference: the source tree's folders, globbed here independently of cosim.shipped
    assert sorted(listed["cards"]) == sorted(p.stem for p in (REPO / "models").glob("*.toml"))
    assert sorted(listed["configs"]) == sorted(p.name[:-5] for p in (REPO / "algorithms").glob("*.toml"))
    assert "manhattan_4x4" in listed["experiments"] and "write_disturb" in listed["experiments"]


def test_device_on_a_shipped_card_matches_the_checkout(installed):
    out = _run(
        installed,
        "cosim",
        "device",
        "messaris2017_neuropack",
        "--r0",
        "11000",
        "--pulse",
        "-1.2",
        "1e-6",
        "--count",
        "5",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    got = np.array(json.loads(out.stdout)["resistance_ohm"])
    model = load_model_card(REPO / "models" / "messaris2017_neuropack.toml")
    expected = pulse_train(model, np.asarray(model.state_from_resistance(11000.0)), -1.2, 1e-6, 5)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert np.all(np.diff(got) < 0)  # negative pulses SET this card (its sources say so)


@pytest.mark.parametrize(
    "name, overrides",
    [
        ("manhattan_4x4", []),  # the measured-curve CSV, found as package data
        ("write_disturb", ["size=4"]),  # its model_card names a shipped card
    ],
)
def test_shipped_config_runs_by_name_outside_the_checkout(installed, tmp_path, name, overrides):
    sets = [a for o in overrides for a in ("--set", o)]
    out = _run(installed, "cosim", "run", name, *sets, "--out", "run", "--quiet", "--force")
    assert out.returncode == 0, out.stderr
    work = installed[2]
    got = json.loads((work / "run" / "metrics.json").read_text())
    ref = run_experiment(
        REPO / "algorithms" / f"{name}.toml", overrides=overrides, out_dir=tmp_path / "ref", progress=False, quiet=True
    )
    expected = flatten(json.loads((ref.out_dir / "metrics.json").read_text()))
    got = flatten(got)
    assert got.keys() == expected.keys() and len(got) > 5
    for key, value in expected.items():
        assert got[key] == (pytest.approx(value, rel=1e-12) if isinstance(value, float) else value), key


def test_unknown_name_lists_the_shipped_ones(installed):
    out = _run(installed, "cosim", "run", "no_such_config")
    assert out.returncode == 2
    assert "config file 'no_such_config' not found" in out.stderr and "manhattan_4x4" in out.stderr
    out = _run(installed, "cosim", "device", "no_such_card", "--pulse", "1", "1e-6", "--count", "1")
    assert out.returncode == 2
    assert "model card 'no_such_card' not found" in out.stderr and "messaris2017_neuropack" in out.stderr
