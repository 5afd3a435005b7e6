"""Every sweep file in algorithms/ names a base config and grid keys its experiment has."""

from __future__ import annotations

from pathlib import Path

import pytest

from cosim.runs.run import resolve_config
from cosim.runs.sweep import _validate_keys, load_sweep_file

FILES = sorted((Path(__file__).resolve().parents[1] / "algorithms").glob("*.sweep.toml"))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_sweep_file_is_valid(path):
    spec, _ = load_sweep_file(path)
    _validate_keys(spec)  # raises naming an unknown key
    # the first and the last point resolve against the experiment's schema
    for params in (spec.points()[0], spec.points()[-1]):
        resolve_config(
            spec.base, seed=spec.seeds[0], overrides=spec.overrides + [f"{k}={v}" for k, v in params.items()]
        )
    assert spec.seeds
