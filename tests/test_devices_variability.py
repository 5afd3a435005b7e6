"""Variability: spread distributions, cycle noise, read noise, stuck-at cells,
volatility against its closed form, and bit-identical seeded runs."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from cosim.devices import NEUROPACK_2022, DeviceError, MeasuredCurve, Messaris2017, VTEAM
from cosim.devices.variability import (
    CycleNoise,
    ReadNoise,
    Volatile,
    relax_exponential,
    spread,
    spread_params,
    spread_state,
    stuck_masks,
    stuck_state,
)


@pytest.fixture(scope="module")
def messaris() -> Messaris2017:
    return Messaris2017(**NEUROPACK_2022)


def test_spread_distributions():
    rng = np.random.default_rng(11)
    n = (400, 500)
    ln = spread(2.0, n, rng, sigma=0.3, kind="lognormal")
    assert np.all(ln > 0)
    assert np.median(ln) == pytest.approx(2.0, rel=0.01)
    assert np.std(np.log(ln)) == pytest.approx(0.3, rel=0.01)
    rel = spread(2.0, n, rng, sigma=0.05, kind="normal")
    assert np.mean(rel) == pytest.approx(2.0, rel=1e-3) and np.std(rel) == pytest.approx(0.1, rel=0.01)
    ab = spread(11000.0, n, rng, sigma=500.0, kind="uniform", relative=False)
    assert ab.min() >= 10500.0 and ab.max() <= 11500.0
    assert np.std(ab) == pytest.approx(500.0 / math.sqrt(3), rel=0.01)
    with pytest.raises(DeviceError, match="kind must be one of"):
        spread(1.0, (2,), rng, sigma=0.1, kind="gamma")
    with pytest.raises(DeviceError, match="sigma must be finite and >= 0, got -0.1"):
        spread(1.0, (2,), rng, sigma=-0.1)
    with pytest.raises(DeviceError, match="needs a seeded numpy.random.Generator"):
        spread(1.0, (2,), None, sigma=0.1)


def test_spread_params_feed_advance(messaris):
    rng = np.random.default_rng(2)
    m = spread_params(messaris, (3, 4), rng, {"a_p": 0.2, "a_n": 0.2})
    assert m.a_p.shape == (3, 4) and np.all(m.a_n < 0)  # lognormal keeps the sign
    r = m.advance(np.full((3, 4), 11000.0), 1.2, 1e-6)
    assert len(np.unique(r)) == 12  # every cell moves differently
    with pytest.raises(DeviceError, match="has no parameter 'Ap'"):
        spread_params(messaris, (2,), rng, {"Ap": 0.1})
    with pytest.raises(DeviceError, match="a_n must be <= 0"):
        # a wide normal spread flips the sign of some a_n: refused by the model
        spread_params(messaris, (100,), rng, {"a_n": 3.0}, kind="normal")


def test_spread_state_is_truncated_not_clipped(messaris):
    rng = np.random.default_rng(4)
    s = spread_state(messaris, 11000.0, (200, 200), rng, sigma=500.0, kind="uniform", relative=False)
    assert s.min() >= 10500 and s.max() <= 11500
    vteam = VTEAM()
    x = spread_state(vteam, 0.02, (300, 300), rng, sigma=0.05, kind="normal", relative=False)
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert np.sum(x == 0.0) == 0  # redrawn, not piled up at the bound
    with pytest.raises(DeviceError, match="still outside the bounds"):
        spread_state(vteam, 0.5, (10,), rng, sigma=1e3, kind="normal", relative=False, max_redraws=3)


def test_cycle_noise(messaris):
    rng = np.random.default_rng(8)
    noisy = CycleNoise(messaris, sigma=0.1)
    r0 = np.full(200_000, 11000.0)
    clean = messaris.advance(r0, -1.2, 1e-6)
    out = noisy.advance(r0, -1.2, 1e-6, rng)
    ratio = (out - r0) / (clean - r0)
    assert np.mean(ratio) == pytest.approx(1.0, abs=2e-3)
    assert np.std(ratio) == pytest.approx(0.1, rel=0.01)
    # a cell that does not move gets no noise
    np.testing.assert_array_equal(noisy.advance(np.full(5, 11000.0), 0.0, 1e-6, rng), 11000.0)
    assert noisy.name == "messaris2017" and noisy.raises_conductance == "negative"
    assert float(noisy.r_p_ohm(1.2)) == pytest.approx(12854.8, abs=0.05)  # delegated
    with pytest.raises(DeviceError, match="needs a seeded numpy.random.Generator"):
        noisy.advance(r0, 1.0, 1e-6)
    with pytest.raises(DeviceError, match="pulse-index state"):
        CycleNoise(MeasuredCurve(g_table_s=[1e-6, 2e-6]), sigma=0.1)
    # deep copies (the array copies itself) work
    assert copy.deepcopy(noisy).sigma == 0.1


def test_read_noise():
    rng = np.random.default_rng(9)
    x = np.full((500, 400), 2e-6)
    u = ReadNoise("uniform", 0.01).apply(x, rng)
    assert np.all(np.abs(u / x - 1) <= 0.01) and np.max(np.abs(u / x - 1)) > 0.0099
    g = ReadNoise("normal", 0.02)(x, rng)
    assert np.std(g / x - 1) == pytest.approx(0.02, rel=0.01)
    with pytest.raises(DeviceError, match="kind must be 'uniform' or 'normal', got 'pink'"):
        ReadNoise("pink", 0.01)
    with pytest.raises(DeviceError, match="sigma must be finite and >= 0"):
        ReadNoise("uniform", float("nan"))


def test_stuck_masks_and_states(messaris):
    rng = np.random.default_rng(10)
    on, off = stuck_masks((500, 500), rng, p_stuck_on=0.02, p_stuck_off=0.05)
    assert not np.any(on & off)
    assert on.mean() == pytest.approx(0.02, abs=0.002) and off.mean() == pytest.approx(0.05, abs=0.003)
    s = stuck_state(messaris, np.full((500, 500), 11000.0), on, off)
    # Messaris: high conductance = low resistance bound
    assert np.all(s[on] == 100.0) and np.all(s[off] == 1e6) and np.all(s[~on & ~off] == 11000.0)
    vteam = VTEAM()
    x = stuck_state(vteam, np.full((2,), 0.5), np.array([True, False]), np.array([False, True]))
    np.testing.assert_array_equal(x, [0.0, 1.0])  # x = 0 is R_on
    with pytest.raises(DeviceError, match="exceeds 1"):
        stuck_masks((2,), rng, p_stuck_on=0.6, p_stuck_off=0.6)
    with pytest.raises(DeviceError, match="both the stuck-on and the stuck-off"):
        stuck_state(vteam, np.full(2, 0.5), np.array([True, False]), np.array([True, False]))


def test_volatile_relaxation_matches_closed_form(messaris):
    vol = Volatile(messaris, tau_s=2e-3, rest_state=11000.0)
    r0 = np.array([5000.0, 11000.0, 20000.0])
    for t in (0.0, 1e-4, 2e-3, 1e-2):
        expected = [11000.0 + (r - 11000.0) * math.exp(-t / 2e-3) for r in r0]
        np.testing.assert_allclose(vol.relax(r0, t), expected, rtol=1e-15)
    # a semigroup: two idle periods equal one of the summed length
    np.testing.assert_allclose(vol.relax(vol.relax(r0, 1e-3), 3e-3), vol.relax(r0, 4e-3), rtol=1e-14)
    # pulses are the inner model's
    np.testing.assert_array_equal(vol.advance(r0, -1.2, 1e-6), messaris.advance(r0, -1.2, 1e-6))
    np.testing.assert_array_equal(messaris.relax(r0, 1.0), r0)  # non-volatile by default
    with pytest.raises(DeviceError, match="idle time -1.0 s"):
        vol.relax(r0, -1.0)
    with pytest.raises(DeviceError, match="tau_s 0.0 must be finite and > 0"):
        Volatile(messaris, tau_s=0.0, rest_state=11000.0)
    with pytest.raises(DeviceError, match="rest_state"):
        Volatile(messaris, tau_s=1.0, rest_state=-5.0)
    with pytest.raises(DeviceError, match="tau_s"):
        relax_exponential(1.0, 1.0, tau_s=-1.0, rest_state=0.0)


def seeded_run(seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    base = Messaris2017(**NEUROPACK_2022)
    model = CycleNoise(spread_params(base, (8, 8), rng, {"a_p": 0.1, "a_n": 0.1}), sigma=0.05)
    r = spread_state(base, 11000.0, (8, 8), rng, sigma=500.0, kind="uniform", relative=False)
    on, off = stuck_masks((8, 8), rng, p_stuck_on=0.05, p_stuck_off=0.05)
    r = stuck_state(base, r, on, off)
    v = rng.choice([-1.2, 1.2], size=(8, 8))
    for _ in range(20):
        r = np.where(on | off, r, model.advance(r, v, 1e-6, rng))
    reads = ReadNoise("normal", 0.01).apply(model.conductance_s(r), rng)
    return r, reads, on, off


def test_seeded_runs_are_bit_identical():
    a, b, c = seeded_run(123), seeded_run(123), seeded_run(124)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])
