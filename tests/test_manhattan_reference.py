"""Reference mode of the 4x4 Manhattan perceptron, checked against an
independent, straightforward per-pattern implementation written here from
the issue's text (loops over patterns, synapses and devices; nothing shared
with the vectorised trainer but the data files)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cosim.algorithms.manhattan_reference import (
    ManhattanConfigError,
    ReferenceSettings,
    load_curve_s,
    reference_shifts_s,
    train_reference,
)

TRAIN = [("0001", (0, 1)), ("1110", (1, 0)), ("0010", (1, 0)), ("1101", (0, 1)), ("0110", (1, 0)), ("1001", (0, 1))]


def _loop_reference(seed, curve, beta=6e6, target=0.8, k=10.0, max_updates=50):
    """The issue's algorithm written as plainly as possible, one pattern at a time."""
    ln = math.log
    rs = np.random.RandomState(seed)
    raw = [float(x) for x in rs.lognormal(mean=ln(5.5e-8), sigma=ln(10) / 5, size=16)]
    lo, hi = min(raw), max(raw)
    shift = [[1e-8 + (1e-7 - 1e-8) * (raw[4 * r + c] - lo) / (hi - lo) for c in range(4)] for r in range(4)]
    m = [[0] * 4 for _ in range(4)]
    hist = []
    for epoch in range(max_updates + 1):
        g = [[k * ((curve[m[r][c]] - curve[0]) + shift[r][c]) for c in range(4)] for r in range(4)]
        acts, curs, deltas = [], [], []
        ok = True
        for bits, lab in TRAIN:
            v = [0.1 if b == "1" else -0.1 for b in bits]
            col = [sum(v[r] * g[r][c] for r in range(4)) for c in range(4)]
            cur = [col[0] - col[1], col[2] - col[3]]
            f = [math.tanh(beta * x) for x in cur]
            for n in range(2):
                if lab[n] == 1 and not f[n] > target:
                    ok = False
                if lab[n] == 0 and not f[n] < -target:
                    ok = False
            tv = [target if lab[n] == 1 else -target for n in range(2)]
            deltas.append([(tv[n] - f[n]) * beta / math.cosh(beta * cur[n]) ** 2 for n in range(2)])
            acts.append(f)
            curs.append(cur)
        entry = {"g": [row[:] for row in g], "m": [row[:] for row in m], "act": acts, "cur": curs, "conv": ok}
        hist.append(entry)
        if ok:
            return hist, True, epoch
        if epoch == max_updates:
            break
        signs = [[0, 0] for _ in range(4)]
        for j in range(4):
            for n in range(2):
                total = 0.0
                for p, (bits, _) in enumerate(TRAIN):
                    total += deltas[p][n] * (0.1 if bits[j] == "1" else -0.1)
                signs[j][n] = (total > 0) - (total < 0)
                if signs[j][n] > 0:
                    m[j][2 * n] += 1
                elif signs[j][n] < 0:
                    m[j][2 * n + 1] += 1
        entry["signs"] = signs
    return hist, False, max_updates


@pytest.fixture(scope="module")
def curve():
    return load_curve_s()


def test_curve_file_is_the_measured_51_points(curve):
    assert curve.shape == (51,)
    # the first value of models/data/conductance_vs_pulse_4x4.csv (the measured curve)
    assert curve[0] == pytest.approx(4.5447996811368545e-07, rel=1e-15)
    # not monotonic: the point after index 18 is lower than it (the outlier)
    assert curve[18] > curve[17] and curve[18] > curve[19]


@pytest.mark.parametrize("seed", [0, 3, 42, 2024])
def test_shifts_are_the_lognormal_draws_rescaled_to_the_exact_range(seed):
    s = reference_shifts_s(seed)
    # legacy lognormal is exp(mean + sigma * standard_normal) of the same stream
    z = np.random.RandomState(seed).standard_normal(16)
    raw = np.exp(math.log(5.5e-8) + math.log(10) / 5 * z)
    expect = 1e-8 + 9e-8 * (raw - raw.min()) / (raw.max() - raw.min())
    np.testing.assert_allclose(s, expect, rtol=1e-12)
    assert s.min() == 1e-8
    assert s.max() == pytest.approx(1e-7, rel=1e-15)
    assert int(np.argmin(s)) == int(np.argmin(z)) and int(np.argmax(s)) == int(np.argmax(z))


@pytest.mark.parametrize("seed", [0, 1, 7, 190, 434])
def test_reference_reproduces_the_plain_loop_draw_for_draw(seed, curve):
    hist, conv, updates = _loop_reference(seed, list(curve))
    b = train_reference([seed], curve_s=curve)
    assert bool(b.converged[0]) == conv
    assert int(b.updates[0]) == updates
    for u, entry in enumerate(hist):
        np.testing.assert_array_equal(b.index[0, u], np.array(entry["m"]))
        np.testing.assert_allclose(b.g_s[0, u], np.array(entry["g"]), rtol=1e-13)
        np.testing.assert_allclose(b.current_a[0, u], np.array(entry["cur"]), rtol=1e-9, atol=1e-22)
        np.testing.assert_allclose(b.activation[0, u], np.array(entry["act"]), rtol=1e-9, atol=1e-14)
        if "signs" in entry:
            np.testing.assert_array_equal(b.signs[0, u], np.array(entry["signs"]))


def test_batch_of_seeds_equals_single_runs(curve):
    seeds = [5, 190, 11]
    b = train_reference(seeds, curve_s=curve)
    for k, s in enumerate(seeds):
        one = train_reference([s], curve_s=curve)
        np.testing.assert_array_equal(b.index[k], one.index[0])
        np.testing.assert_array_equal(b.updates[k], one.updates[0])


def test_defaults_rarely_converge_and_only_through_the_outlier_point(curve):
    b = train_reference(np.arange(1000), curve_s=curve)
    frac = b.converged.mean()
    assert 0 < frac < 0.02
    # every converged run has a device sitting on curve index 18 when it converges
    for s in np.flatnonzero(b.converged):
        assert (b.index[s, b.updates[s]] == 18).any()
    # without the outlier (index 18 replaced by its neighbours' mean) nothing converges
    smooth = curve.copy()
    smooth[18] = 0.5 * (curve[17] + curve[19])
    assert not train_reference(np.flatnonzero(b.converged), curve_s=smooth).converged.any()


def test_error_and_history_are_defined_everywhere(curve):
    b = train_reference([190, 0], curve_s=curve)
    assert np.isfinite(b.error).all() and np.isfinite(b.g_s).all()
    # the converged run's error is 0 at convergence and its state frozen afterwards
    u = int(b.updates[0])
    assert b.error[0, u] == 0.0
    np.testing.assert_array_equal(b.g_s[0, u:], np.broadcast_to(b.g_s[0, u], b.g_s[0, u:].shape))


@pytest.mark.parametrize(
    "kwargs, key",
    [
        ({"beta_per_a": -1.0}, "beta_per_a"),
        ({"target": 1.5}, "target"),
        ({"k_scale": 0.0}, "k_scale"),
        ({"max_updates": 2.5}, "max_updates"),
        ({"v_in_v": float("nan")}, "v_in_v"),
    ],
)
def test_bad_settings_name_the_key(kwargs, key):
    with pytest.raises(ManhattanConfigError, match=key):
        ReferenceSettings(**kwargs)


def test_too_short_curve_is_refused():
    with pytest.raises(ManhattanConfigError, match="curve_s"):
        train_reference([0], curve_s=np.linspace(1e-7, 2e-7, 10))


def test_missing_curve_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        load_curve_s(tmp_path / "nope.csv")
