"""VTEAM, linear ion drift (with windows) and the vectorised adaptive integrator,
each against closed forms and scipy's solve_ivp at tight tolerance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from cosim.devices import VTEAM, DeviceError, LinearIonDrift, load_model_card
from cosim.devices.integrate import integrate_adaptive
from cosim.devices.linear_drift import window

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"


def ivp(f, y0: float, t_end: float) -> float:
    """Reference: DOP853 at rtol 1e-12 (independent of our integrator)."""
    sol = solve_ivp(lambda t, y: [f(y[0])], (0.0, t_end), [y0], method="DOP853", rtol=1e-12, atol=1e-14)
    assert sol.success
    return float(sol.y[0, -1])


# ---------------------------------------------------------------- integrator
def test_integrator_against_closed_forms():
    rng = np.random.default_rng(1)
    y0 = rng.uniform(0.1, 1.0, 200)
    k = rng.uniform(0.0, 1e6, 200)
    t_end = rng.uniform(0.0, 1e-4, 200)
    t_end[:5] = 0.0
    k[5:10] = 0.0
    # dy/dt = -k y^2  ->  y = y0 / (1 + k y0 t)
    y = integrate_adaptive(lambda y, idx: -k[idx] * y**2, y0, t_end, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(y, y0 / (1 + k * y0 * t_end), rtol=1e-7, atol=1e-11)
    # dy/dt = -k y  ->  y0 exp(-k t): cells at very different rates in one call
    y = integrate_adaptive(lambda y, idx: -k[idx] * y, y0, t_end, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(y, y0 * np.exp(-k * t_end), rtol=1e-6, atol=1e-11)
    # bounds stop a constant-rate state at the wall
    y = integrate_adaptive(lambda y, idx: np.full(y.shape, 1e3), np.array([0.5]), np.array([1.0]), upper=1.0)
    assert y[0] == 1.0


def test_integrator_gives_up_with_a_named_error():
    with pytest.raises(DeviceError, match="did not finish within 5 steps"):
        integrate_adaptive(lambda y, idx: np.sin(1e9 * y) * 1e9, np.array([0.1]), np.array([1.0]), max_steps=5)


# ------------------------------------------------------------ linear drift
def test_windows_vanish_at_the_ends():
    for p in (1, 2, 10):
        for i in (-1e-3, 1e-3):
            assert window("joglekar", 0.0, i, p) == 0.0
            assert window("joglekar", 1.0, i, p) == 0.0
        # Biolek: zero at the end the state moves toward, one at the end it leaves
        assert window("biolek", 1.0, 1e-3, p) == 0.0
        assert window("biolek", 0.0, -1e-3, p) == 0.0
        assert window("biolek", 0.0, 1e-3, p) == 1.0
        assert window("biolek", 1.0, -1e-3, p) == 1.0
        x = np.linspace(0, 1, 101)
        for kind in ("joglekar", "biolek"):
            f = window(kind, x, 1.0, p)
            assert np.all((f >= 0) & (f <= 1))
    assert window("joglekar", 0.5, 1.0, 3) == 1.0


def drift_rhs(model_kw: dict, v: float, kind: str):
    r_on, r_off = model_kw["r_on_ohm"], model_kw["r_off_ohm"]
    k = 1e-14 * r_on / (10e-9) ** 2

    def f(x):
        i = v / (r_on * x + r_off * (1 - x))
        if kind == "joglekar":
            w = 1 - (2 * x - 1) ** (2 * model_kw["p"])
        elif kind == "biolek":
            w = 1 - (x - (1.0 if i <= 0 else 0.0)) ** (2 * model_kw["p"])
        else:
            w = 1.0
        return k * i * w

    return f


@pytest.mark.parametrize("kind", ["none", "joglekar", "biolek"])
@pytest.mark.parametrize("v", [-2.0, -0.5, 0.7, 2.0])
def test_linear_drift_against_solve_ivp(kind, v):
    kw = dict(r_on_ohm=100.0, r_off_ohm=16000.0, p=2)
    m = LinearIonDrift(window=kind, **kw)
    x0 = np.array([0.2, 0.5, 0.8])
    t = 2e-3  # moves x by O(0.1) without reaching a wall (checked below)
    out = m.advance(x0, v, t)
    f = drift_rhs(kw, v, kind)
    ref = np.array([ivp(f, float(x), t) for x in x0])
    assert np.all((ref > 0.01) & (ref < 0.99))
    assert np.max(np.abs(out - ref)) < 1e-6
    assert np.all(np.sign(out - x0) == np.sign(v))  # positive v raises x (and G)


def test_linear_drift_never_leaves_the_unit_interval():
    rng = np.random.default_rng(7)
    x0 = rng.uniform(0, 1, (6, 6))
    x0[0, :2] = [0.0, 1.0]
    v = rng.choice([-5.0, -1.0, 1.0, 5.0], size=(6, 6))
    for kind in ("none", "joglekar", "biolek"):
        m = LinearIonDrift(window=kind, p=1)
        for t in (1e-3, 1.0, 100.0):
            x = m.advance(x0, v, t)
            assert np.all((x >= 0) & (x <= 1)), kind
    # no window: a long pulse parks the state on the wall it drives toward
    x = LinearIonDrift(window="none").advance(np.array([0.3, 0.3]), np.array([5.0, -5.0]), 100.0)
    np.testing.assert_array_equal(x, [1.0, 0.0])
    # Biolek lets the state leave a wall; Joglekar keeps it stuck there (known)
    assert float(LinearIonDrift(window="biolek").advance(1.0, -2.0, 1e-2)) < 1.0
    assert float(LinearIonDrift(window="joglekar").advance(1.0, -2.0, 1e-2)) == 1.0


def test_linear_drift_resistance_mapping_and_card():
    m = load_model_card(MODELS_DIR / "linear_ion_drift_strukov2008.toml")
    assert m.window == "biolek" and m.raises_conductance == "positive"
    x = np.array([0.0, 0.25, 1.0])
    np.testing.assert_allclose(m.resistance_ohm(x), [16000.0, 12025.0, 100.0])
    np.testing.assert_allclose(m.state_from_resistance(m.resistance_ohm(x)), x, atol=1e-15)
    with pytest.raises(DeviceError, match="resistance 50.0 ohm is outside"):
        m.state_from_resistance(50.0)


# ------------------------------------------------------------------ VTEAM
def vteam_rate(v: float, x: float, kw: dict, window_on: bool) -> float:
    span = 3e-9
    if v > 0.02:
        r, toward = 5e-4 * (v / 0.02 - 1) ** 1, "off"
    elif v < -0.2:
        r, toward = -10.0 * (v / -0.2 - 1) ** 3, "on"
    else:
        return 0.0
    if window_on:
        w = x * span
        wc = span / 30
        if toward == "off":
            r *= np.exp(-np.exp((w - (span - 3 * wc)) / wc))
        else:
            r *= np.exp(-np.exp(-(w - 3 * wc) / wc))
    return r / span


def test_vteam_card_and_thresholds():
    m = load_model_card(MODELS_DIR / "vteam_kvatinsky2015.toml")
    assert m.raises_conductance == "negative"
    x0 = np.full(5, 0.5)
    v = np.array([0.02, 0.019, -0.2, -0.1, 0.0])  # at or inside the thresholds
    np.testing.assert_array_equal(m.advance(x0, v, 1.0), x0)
    up, down = m.advance(0.5, 0.5, 1e-9), m.advance(0.5, -0.3, 1e-12)
    assert up > 0.5 and down < 0.5
    assert m.conductance_s(up) < m.conductance_s(0.5) < m.conductance_s(down)


@pytest.mark.parametrize("v, t", [(0.05, 1e-8), (0.5, 5e-8), (1.0, 3e-8), (-0.25, 2e-10), (-0.6, 5e-12)])
@pytest.mark.parametrize("use_window", [False, True])
def test_vteam_against_solve_ivp(v, t, use_window):
    m = VTEAM(window="kvatinsky" if use_window else "none")
    x0 = np.array([0.1, 0.5, 0.9])
    out = m.advance(x0, v, t)
    ref = np.array([ivp(lambda x: vteam_rate(v, x, {}, use_window), float(x), t) for x in x0])
    ref = np.clip(ref, 0, 1)
    assert np.max(np.abs(out - ref)) < 1e-6
    if not use_window:
        # constant rate: exact straight line until the wall
        np.testing.assert_allclose(out, np.clip(x0 + vteam_rate(v, 0.5, {}, False) * t, 0, 1), rtol=1e-13)


def test_vteam_window_slows_near_the_wall_and_stays_in_bounds():
    m = VTEAM(window="kvatinsky")
    x = m.advance(np.array([0.0, 0.5, 1.0]), 1.0, 1e-3)  # far longer than a full switch
    assert np.all((x >= 0) & (x <= 1))
    assert 0.85 < x[1] <= 1.0
    assert float(m.dstate_dt(0.999, 1.0)) < 1e-6 * float(m.dstate_dt(0.1, 1.0))


def test_vteam_vectorised_mixed_cells():
    rng = np.random.default_rng(5)
    m = VTEAM(window="kvatinsky")
    x0 = rng.uniform(0.05, 0.95, (20, 20))
    v = rng.choice([0.0, 0.01, 0.3, 1.0, -0.21, -0.4], size=(20, 20))
    t = rng.uniform(0, 2e-10, (20, 20))
    out = m.advance(x0, v, t)
    for i, j in [(0, 0), (3, 7), (10, 10), (19, 2), (5, 18), (12, 4)]:
        ref = np.clip(ivp(lambda x, i=i, j=j: vteam_rate(v[i, j], x, {}, True), x0[i, j], t[i, j]), 0, 1)
        assert abs(out[i, j] - ref) < 1e-6


def test_vteam_exponential_iv_and_inverse():
    m = VTEAM(iv="exponential")
    np.testing.assert_allclose(m.resistance_ohm([0.0, 0.5, 1.0]), [50.0, np.sqrt(50.0 * 1000.0), 1000.0])
    x = np.linspace(0, 1, 7)
    np.testing.assert_allclose(m.state_from_resistance(m.resistance_ohm(x)), x, atol=1e-14)
    lin = VTEAM()
    np.testing.assert_allclose(lin.resistance_ohm([0.0, 0.5, 1.0]), [50.0, 525.0, 1000.0])


def test_bad_parameters_named():
    with pytest.raises(DeviceError, match="window must be one of 'none', 'kvatinsky', got 'tanh'"):
        VTEAM(window="tanh")
    with pytest.raises(DeviceError, match="k_on_m_per_s must be < 0, got 1.0"):
        VTEAM(k_on_m_per_s=1.0)
    with pytest.raises(DeviceError, match="v_off_v must be > 0"):
        VTEAM(v_off_v=-0.1)
    with pytest.raises(DeviceError, match="x0 1.5 must be in"):
        VTEAM(x0=1.5)
    with pytest.raises(DeviceError, match="r_on_ohm 2000.0 must be below r_off_ohm"):
        LinearIonDrift(r_on_ohm=2000.0, r_off_ohm=1000.0)
    with pytest.raises(
        DeviceError, match="window must be one of 'none', 'joglekar', 'biolek', 'prodromakis', got 'tanh'"
    ):
        LinearIonDrift(window="tanh")
    with pytest.raises(DeviceError, match=r"x_doped_fraction 1.2 at cell \(1,\) is outside its bounds \[0.0, 1.0\]"):
        LinearIonDrift().advance(np.array([0.5, 1.2]), 1.0, 1e-3)
    with pytest.raises(DeviceError, match="voltage inf"):
        VTEAM().advance(0.5, np.inf, 1e-9)
    with pytest.raises(DeviceError, match="duration nan"):
        VTEAM(window="kvatinsky").advance(0.5, 1.0, np.nan)


def test_rates_check_their_voltage():
    for m, s in ((VTEAM(), 0.5), (LinearIonDrift(), 0.5)):
        with pytest.raises(DeviceError, match="voltage nan"):
            m.dstate_dt(s, float("nan"))
        with pytest.raises(DeviceError, match="does not broadcast"):
            m.dstate_dt(np.full(3, s), np.ones(2))


@pytest.mark.parametrize("cls", [VTEAM, LinearIonDrift], ids=["vteam", "linear_ion_drift"])
def test_shared_checks_of_the_unit_interval_models(cls):
    name = cls.name
    with pytest.raises(DeviceError, match=f"{name}: r_on_ohm 500.0 must be below r_off_ohm 500.0"):
        cls(r_on_ohm=500.0, r_off_ohm=500.0)
    with pytest.raises(DeviceError, match=f"{name}: parameter r_off_ohm must be > 0, got -1.0"):
        cls(r_off_ohm=-1.0)
    with pytest.raises(DeviceError, match=rf"{name}: x0 -0.1 must be in \[0, 1\]"):
        cls(x0=-0.1)
    with pytest.raises(DeviceError, match=f"{name}: parameter rtol must be > 0, got 0.0"):
        cls(rtol=0.0)
    with pytest.raises(
        DeviceError, match=f"{name}: parameter atol must be a number or an array of numbers, got 'tiny'"
    ):
        cls(atol="tiny")
    m = cls(x0=0.25)
    np.testing.assert_array_equal(m.initial_state((2, 3)), np.full((2, 3), 0.25))
    assert m.state_bounds() == (0.0, 1.0)
    r_on, r_off = float(m.r_on_ohm), float(m.r_off_ohm)
    np.testing.assert_allclose(
        m.state_from_resistance([r_on, r_off]), [1.0, 0.0] if name == "linear_ion_drift" else [0.0, 1.0]
    )
    with pytest.raises(
        DeviceError, match=rf"{name}: resistance \[{r_off * 2!r}\] ohm is outside \[r_on_ohm, r_off_ohm\]"
    ):
        m.state_from_resistance([r_off * 2])
    with pytest.raises(DeviceError, match="is outside"):
        m.state_from_resistance(np.nan)
    with pytest.raises(DeviceError, match=f"{name}: {m.state_name} must be numeric, got 'half'"):
        m.conductance_s("half")
