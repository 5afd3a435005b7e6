"""Measured conductance-versus-pulse table model (the 4x4 experiment's device)."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest

from cosim.devices import DeviceError, MeasuredCurve, load_model_card
from cosim.devices.measured import read_curve_csv

REPO = Path(__file__).resolve().parents[1]
CARD = REPO / "models" / "measured_4x4.toml"
CSV = REPO / "models" / "data" / "conductance_vs_pulse_4x4.csv"


def table_from_csv() -> list[float]:
    """The curve read with the standard library, independently of the package."""
    with CSV.open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["Conductance(S)"]
    return [float(r[0]) for r in rows[1:] if r]


@pytest.fixture(scope="module")
def model() -> MeasuredCurve:
    return load_model_card(CARD)


# SHA-256 of the reference data the curve was copied from (shared/reference/crossbar_4x4/
# conductance_vs_pulse.csv, the 4x4 experiment's measured curve; commit f7fdee8 copied it),
# pinned here so the check needs no folder outside the repository
REFERENCE_SHA256 = "ecffdbc8a736f6e202fbb198a50cdd13d10f0feee4e3359673c5628190221235"


def test_copy_matches_the_shared_reference():
    assert hashlib.sha256(CSV.read_bytes()).hexdigest() == REFERENCE_SHA256


def test_reproduces_the_table_exactly_including_non_monotonic_points(model):
    g = table_from_csv()
    assert len(g) == 51 and model.n_points == 51
    drops = [m for m in range(1, 51) if g[m] < g[m - 1]]
    assert len(drops) > 5  # the curve is not monotonic ...
    m = model.initial_state(())
    seen = [float(model.conductance_s(m))]
    for _ in range(50):
        m = model.advance(m, 1.0, 1e-6)
        seen.append(float(model.conductance_s(m)))
    assert seen == g  # ... and every point, drops included, is reproduced bit for bit
    assert model.raises_conductance == "positive"


def test_manhattan_4x4_parametrisation(model):
    g = np.array(table_from_csv())
    shift = np.linspace(1e-8, 1e-7, 16).reshape(4, 4)
    dev = model.with_params(scale_k=10.0, offset_s=shift)
    rng = np.random.default_rng(0)
    m = rng.integers(0, 51, size=(4, 4)).astype(float)
    expected = 10.0 * ((g[m.astype(int)] - g[0]) + shift)
    np.testing.assert_allclose(dev.conductance_s(m), expected, rtol=1e-15)
    np.testing.assert_allclose(dev.conductance_s(np.zeros((4, 4))), 10.0 * shift, rtol=1e-15)


def test_threshold_polarity_and_duration(model):
    m0 = np.full(6, 3.0)
    v = np.array([0.6, 0.61, 1.0, -1.0, 0.3, 1.0])
    width = np.array([1e-6, 1e-6, 1e-9, 1e-6, 1e-6, 0.0])
    m1 = model.advance(m0, v, width)
    # only strictly above threshold, potentiating polarity, duration > 0
    np.testing.assert_array_equal(m1, [3, 4, 4, 3, 3, 3])
    # the width does not matter: 1 ns and 1 s are both one pulse
    assert float(model.advance(3.0, 1.0, 1e-9)) == float(model.advance(3.0, 1.0, 1.0)) == 4.0
    neg = model.with_params(polarity="negative")
    np.testing.assert_array_equal(neg.advance(m0, v, 1e-6), [3, 3, 3, 4, 3, 3])


def test_overflow_clamp_and_error(model):
    last = np.array([50.0, 10.0])
    np.testing.assert_array_equal(model.advance(last, 1.0, 1e-6), [50.0, 11.0])
    strict = model.with_params(on_overflow="error")
    with pytest.raises(DeviceError, match=r"cell \(0,\) is already at the last point \(pulse index 50\)"):
        strict.advance(last, 1.0, 1e-6)
    # sub-threshold pulses at the end are fine even in error mode
    np.testing.assert_array_equal(strict.advance(last, 0.1, 1e-6), last)


def test_bad_state_and_inputs(model, tmp_path):
    with pytest.raises(DeviceError, match=r"pulse_index 2.5 at cell \(1,\) is not a whole number"):
        model.conductance_s(np.array([1.0, 2.5]))
    with pytest.raises(DeviceError, match=r"pulse_index 51.0 at cell \(0,\) is outside its bounds \[0.0, 50.0\]"):
        model.advance(np.array([51.0]), 1.0, 1e-6)
    with pytest.raises(DeviceError, match="duration -1.0 s"):
        model.advance(0.0, 1.0, -1.0)
    with pytest.raises(DeviceError, match="voltage nan"):
        model.advance(0.0, np.nan, 1e-6)
    with pytest.raises(DeviceError, match="cannot be set from a resistance"):
        model.state_from_resistance(2e6)
    with pytest.raises(DeviceError, match="polarity must be one of 'positive', 'negative', got 'up'"):
        model.with_params(polarity="up")
    with pytest.raises(DeviceError, match="exactly one of g_table_s and curve_csv"):
        MeasuredCurve()
    with pytest.raises(DeviceError, match="offset_s"):
        MeasuredCurve(g_table_s=[1e-6, 2e-6], offset_s=-1e-6)
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        read_curve_csv(tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("G\n1e-6\nabc\n")
    with pytest.raises(DeviceError, match="line 3: 'abc' is not a number"):
        read_curve_csv(bad)
    bad.write_text("G\n1e-6\n-2e-6\n")
    with pytest.raises(DeviceError, match="line 3: conductance -2e-06 S must be finite and > 0"):
        read_curve_csv(bad)
    bad.write_text("G\n1e-6\n")
    with pytest.raises(DeviceError, match="at least 2"):
        read_curve_csv(bad)
