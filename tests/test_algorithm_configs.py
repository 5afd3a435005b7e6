"""Every experiment config shipped in algorithms/ validates against its
experiment's schema (an unknown key, a wrong type or a misspelt experiment
name in a shipped file fails here, not in a user's run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cosim.runs.config import ConfigError
from cosim.runs.run import resolve_config

CONFIGS = sorted(
    p for p in (Path(__file__).resolve().parents[1] / "algorithms").glob("*.toml") if not p.name.endswith(".sweep.toml")
)


def test_there_are_configs_for_every_algorithm_family():
    names = {p.stem for p in CONFIGS}
    for expected in (
        "manhattan_4x4",
        "manhattan_4x4_reference",
        "prezioso_letters",
        "snn_mnist",
        "snn_mnist_software",
        "snn_mnist_neuropack",
        "snn_digits",
        "stdp_digits",
        "read_accuracy",
        "write_disturb",
    ):
        assert expected in names


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_shipped_config_resolves(path):
    resolved = resolve_config(path)
    assert resolved is not None


def test_a_config_with_an_unknown_key_is_refused_naming_it(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        (Path(__file__).resolve().parents[1] / "algorithms" / "stdp_digits.toml").read_text() + "\nn_nuerons = 3\n"
    )
    with pytest.raises(ConfigError, match="n_nuerons"):
        resolve_config(bad)
