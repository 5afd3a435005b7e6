"""Izhikevich neurons: the paper's scheme by hand, Euler against scipy, and the Fig. 2 firing patterns.

References: a step of the paper's scheme computed by hand; ``scipy.integrate.solve_ivp``
with a threshold event (the equations integrated independently, reset by hand).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from cosim.algorithms.cores import PRESETS, CoreError, Izhikevich
from cosim.runs.experiments.izhikevich import simulate


def reference_spike_times(a, b, c, d, current, t_end_ms, v0=-65.0):
    """Spike times (ms) of v' = 0.04 v^2 + 5 v + 140 - u + I, u' = a (b v - u), v >= 30 -> (c, u + d)."""

    def rhs(t, y):
        return [0.04 * y[0] ** 2 + 5 * y[0] + 140 - y[1] + current, a * (b * y[0] - y[1])]

    def hit(t, y):
        return y[0] - 30.0

    hit.terminal, hit.direction = True, 1
    t, y, times = 0.0, [v0, b * v0], []
    while t < t_end_ms:
        r = solve_ivp(rhs, (t, t_end_ms), y, events=hit, rtol=1e-9, atol=1e-9, max_step=0.5)
        if not r.t_events[0].size:
            break
        t = float(r.t_events[0][0])
        times.append(t)
        y = [c, r.y_events[0][0][1] + d]
    return np.array(times)


def test_one_paper_step_by_hand():
    # v=-65, u=b v=-13, I=10: v -> -61.5 -> -58.105 (two half steps), u -> -13 + 0.02 (0.2 (-58.105) + 13)
    n = Izhikevich.preset("regular_spiking")
    spk, s = n(np.array([10.0]), n.init_state(1))
    assert not spk[0]
    assert s[0, 0] == pytest.approx(-58.105)
    assert s[1, 0] == pytest.approx(-13 + 0.02 * (0.2 * -58.105 + 13))


def test_reset_after_threshold():
    n = Izhikevich(0.02, 0.2, -50.0, 2.0)
    spk, s = n(np.array([0.0]), np.array([[29.0], [-10.0], [29.0]]))
    assert spk[0] and s[0, 0] == -50.0 and s[2, 0] == 30.0
    # the u jump is d on top of u's own step with the (overshot) v, as the paper's code does
    v_mid = 29.0 + 0.5 * (0.04 * 29**2 + 5 * 29 + 140 + 10)
    v_end = v_mid + 0.5 * (0.04 * v_mid**2 + 5 * v_mid + 140 + 10)
    assert s[1, 0] == pytest.approx(-10 + 0.02 * (0.2 * v_end + 10) + 2.0)


@pytest.mark.parametrize("name", ["regular_spiking", "intrinsically_bursting", "chattering"])
def test_fine_euler_matches_scipy(name):
    a, b, c, d = PRESETS[name]
    ref = reference_spike_times(a, b, c, d, 10.0, 200.0)
    dt = 0.005
    v, idx = simulate(Izhikevich(a, b, c, d, scheme="euler", dt_ms=dt), np.full(int(200 / dt), 10.0))
    got = (idx + 1) * dt
    assert abs(got.size - ref.size) <= 1
    k = min(got.size, ref.size, 8)
    np.testing.assert_allclose(got[:k], ref[:k], atol=0.3)


def _patterns(times_ms: np.ndarray) -> dict:
    isi = np.diff(times_ms)
    return {"n": times_ms.size, "first": isi[0], "late": np.median(isi[-4:]), "min": isi.min(), "max": isi.max()}


@pytest.mark.parametrize("source", ["paper_scheme", "scipy"])
def test_fig2_firing_patterns(source):
    """The qualitative Fig. 2 behaviours, from the paper's scheme and from the independent integration."""
    t_end = 500.0
    p = {}
    for name, (a, b, c, d) in PRESETS.items():
        if source == "scipy":
            times = reference_spike_times(a, b, c, d, 10.0, t_end)
        else:
            _, idx = simulate(Izhikevich(a, b, c, d), np.full(int(t_end), 10.0))
            times = idx + 1.0
        p[name] = _patterns(times)
    rs, ib, ch, fs, lts = (
        p[k]
        for k in ("regular_spiking", "intrinsically_bursting", "chattering", "fast_spiking", "low_threshold_spiking")
    )
    assert rs["late"] / rs["first"] > 1.5  # RS: tonic spikes whose rate adapts
    assert rs["max"] / rs["late"] < 1.5  # ... without bursts
    assert ib["first"] < 8 and ib["late"] > 25  # IB: a burst at onset, then single spikes
    assert ch["min"] < 6 and ch["max"] > 30  # CH: repeated high-frequency bursts
    assert fs["n"] > 2 * rs["n"]  # FS: much faster than RS
    assert lts["n"] > rs["n"] and lts["late"] > lts["first"]  # LTS: fast, with adaptation


def test_presets_and_errors():
    assert set(PRESETS) >= {
        "regular_spiking",
        "intrinsically_bursting",
        "chattering",
        "fast_spiking",
        "low_threshold_spiking",
    }
    with pytest.raises(CoreError, match="unknown Izhikevich preset 'regular'"):
        Izhikevich.preset("regular")
    with pytest.raises(CoreError, match="scheme"):
        Izhikevich(scheme="rk4")


def test_vectorised_over_neurons_equals_one_by_one():
    names = list(PRESETS)
    a, b, c, d = (np.array([PRESETS[k][j] for k in names]) for j in range(4))
    many = Izhikevich(a, b, c, d)
    s = many.init_state(len(names))
    counts = np.zeros(len(names), dtype=int)
    for _ in range(300):
        spk, s = many(np.full(len(names), 10.0), s)
        counts += spk
    single = [simulate(Izhikevich.preset(k), np.full(300, 10.0))[1].size for k in names]
    assert counts.tolist() == single


def test_presets_experiment(tmp_path):
    from pathlib import Path

    from cosim.runs.run import run_experiment

    cfg = Path(__file__).resolve().parents[1] / "algorithms" / "izhikevich_presets.toml"
    res = run_experiment(cfg, out_dir=tmp_path / "r", progress=False, quiet=True)
    m = res.metrics["presets"]
    assert m["regular_spiking"]["adaptation"] > 1.3
    assert m["fast_spiking"]["spike_count"] > 2 * m["regular_spiking"]["spike_count"]
    assert (res.out_dir / "presets.png").stat().st_size > 0
