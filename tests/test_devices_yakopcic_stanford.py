"""Yakopcic and Stanford-PKU models and the window functions.

Independent references: the published equations integrated with
``scipy.integrate.solve_ivp`` (DOP853, rtol 1e-12) written out here from the
papers, not through the models' code; hand-derived window values; ngspice
``.tran`` of the models' behavioural subcircuits; brentq for a device behind
a wire; the ideal backend (every cell at its row voltage) for a zero-wire
nodal circuit.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from cosim.array import CrossbarArray
from cosim.devices import DeviceError, LinearIonDrift, StanfordPKU, Yakopcic, load_model_card
from cosim.devices.windows import window
from cosim.netlist.crossbar import CrossbarSpec
from cosim.solvers.ngspice import ngspice_available, run_ngspice_tran

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
Q_C, KB = 1.602176634e-19, 1.380649e-23

# pulse trains of both polarities: (amplitude V, width s, count)
YAK_TRAIN = [(0.5, 1e-4, 12), (-0.45, 2e-4, 15), (0.25, 5e-4, 6), (0.1, 1e-3, 2), (-0.6, 1e-4, 6)]
# the generic windows vanish at both walls, so a state that leaves a wall is ill-conditioned
# (any difference grows exponentially, the "terminal state" problem): their train stays inside
GENERIC_TRAIN = [(0.25, 1e-4, 5), (-0.3, 1e-4, 8), (0.1, 1e-3, 2), (0.4, 5e-5, 4)]


def ivp(f, y0: float, t_end: float, **kw) -> float:
    sol = solve_ivp(lambda t, y: [f(y[0])], (0.0, t_end), [y0], method="DOP853", rtol=1e-12, atol=1e-15, **kw)
    assert sol.success
    return float(sol.y[0, -1])


# ------------------------------------------------------------------ Yakopcic
def yakopcic_rate(v, kw, win="yakopcic", p=2.0, eta=1.0):
    """Yakopcic et al. 2011 eqs. as published (g(V), f(x) with w_p, w_n), times eta (2013)."""
    if v > kw["vp"]:
        g = kw["ap"] * (math.exp(v) - math.exp(kw["vp"]))
    elif v < -kw["vn"]:
        g = -kw["an"] * (math.exp(-v) - math.exp(kw["vn"]))
    else:
        g = 0.0
    rate = eta * g

    def f(x):
        if win == "yakopcic":
            if rate > 0:
                wp = (kw["xp"] - x) / (1 - kw["xp"]) + 1
                return math.exp(-kw["alpha_p"] * (x - kw["xp"])) * wp if x >= kw["xp"] else 1.0
            wn = x / (1 - kw["xn"])
            return math.exp(kw["alpha_n"] * (x + kw["xn"] - 1)) * wn if x <= 1 - kw["xn"] else 1.0
        if win == "joglekar":
            return 1 - (2 * x - 1) ** (2 * p)
        if win == "biolek":
            return 1 - (x - (0.0 if rate > 0 else 1.0)) ** (2 * p)
        if win == "prodromakis":
            return 1 - ((x - 0.5) ** 2 + 0.75) ** p
        return 1.0

    return lambda x: rate * f(x)


OBLEA = dict(vp=0.16, vn=0.15, ap=4000.0, an=4000.0, xp=0.3, xn=0.5, alpha_p=1.0, alpha_n=5.0)


@pytest.mark.parametrize("win", ["yakopcic", "joglekar", "biolek", "prodromakis"])
def test_yakopcic_pulse_trains_match_solve_ivp(win):
    m = Yakopcic(window=win)
    x_ref = [0.11, 0.5, 0.9] if win == "yakopcic" else [0.2, 0.4, 0.6]
    x = np.array(x_ref)
    for amp, width, count in YAK_TRAIN if win == "yakopcic" else GENERIC_TRAIN:
        for _ in range(count):
            x = m.advance(x, amp, width)
            x_ref = [ivp(yakopcic_rate(amp, OBLEA, win), xr, width) for xr in x_ref]
            np.testing.assert_allclose(x, x_ref, rtol=0, atol=2e-8)
    assert np.ptp(x) > 0  # the trains moved the cells


def test_yakopcic_card_numbers_and_per_cell_parameters():
    m = load_model_card(MODELS_DIR / "yakopcic2011_oblea.toml")
    assert m.name == "yakopcic" and not m.ohmic and m.raises_conductance == "positive"
    assert (float(m.a1_a), float(m.b_per_v), float(m.vp_v), float(m.vn_v), float(m.x0)) == (
        0.17,
        0.05,
        0.16,
        0.15,
        0.11,
    )
    # per-cell Ap (device-to-device spread) against one solve_ivp per cell
    ap = np.array([[2000.0, 4000.0], [6000.0, 8000.0]])
    mm = m.with_params(ap_per_s=ap)
    x = mm.advance(np.full((2, 2), 0.2), 0.4, 3e-4)
    ref = [[ivp(yakopcic_rate(0.4, {**OBLEA, "ap": a}), 0.2, 3e-4) for a in row] for row in ap]
    np.testing.assert_allclose(x, ref, atol=2e-8)
    # eta = -1 reverses the motion (2013 form)
    neg = Yakopcic(eta=-1)
    assert neg.raises_conductance == "negative"
    xn_ = neg.advance(0.6, 0.5, 1e-4)
    assert xn_ == pytest.approx(ivp(yakopcic_rate(0.5, OBLEA, eta=-1.0), 0.6, 1e-4), abs=2e-8)
    assert xn_ < 0.6


def test_yakopcic_iv_and_resistance():
    m = Yakopcic(a1_a=0.17, a2_a=0.1)
    x = np.array([0.2, 0.7])
    v = np.array([0.3, -0.4])
    np.testing.assert_allclose(m.current_a(x, v), [0.17 * 0.2 * np.sinh(0.05 * 0.3), 0.1 * 0.7 * np.sinh(-0.02)])
    h = 1e-6
    num = (m.current_a(x, v + h) - m.current_a(x, v - h)) / (2 * h)
    np.testing.assert_allclose(m.dcurrent_dv_s(x, v), num, rtol=1e-8)
    r = m.resistance_ohm(x)
    np.testing.assert_allclose(r, 0.1 / (0.17 * x * np.sinh(0.005)))
    np.testing.assert_allclose(m.state_from_resistance(r), x, rtol=1e-12)
    with pytest.raises(DeviceError, match=r"resistance 10.0 ohm is outside \[R\(x=1\), inf\)"):
        m.state_from_resistance(10.0)


def test_yakopcic_bad_parameters_are_named():
    with pytest.raises(DeviceError, match="eta must be 1 or -1, got 0.5"):
        Yakopcic(eta=0.5)
    with pytest.raises(DeviceError, match="xp 1.0 must be below 1"):
        Yakopcic(xp=1.0)
    with pytest.raises(DeviceError, match="a1_a must be > 0"):
        Yakopcic(a1_a=-1.0)
    with pytest.raises(DeviceError, match="window must be one of 'yakopcic', 'none', 'joglekar'"):
        Yakopcic(window="tanh")
    with pytest.raises(DeviceError, match=r"x_normalised 1.5 at cell \(0,\) is outside"):
        Yakopcic().advance([1.5], 0.5, 1e-6)


# ------------------------------------------------------------- Stanford-PKU
def stanford_rate(v, kw=None):
    """Guan 2012 / Jiang 2016 equations as published (gap in nm), v1.0.0 minimum field."""
    p = dict(
        i0=1e-3,
        g0=0.25e-9,
        v0=0.25,
        vel0=10.0,
        ea=0.6,
        a0=0.25e-9,
        tox=12e-9,
        gamma0=16.0,
        beta=0.8,
        t0=298.0,
        rth=2.1e3,
        fmin=1.4e9,
        **(kw or {}),
    )

    def f(g_nm):
        g = g_nm * 1e-9
        i = p["i0"] * math.exp(-g / p["g0"]) * math.sinh(v / p["v0"])
        temp = p["t0"] + abs(v * i) * p["rth"]
        gamma = p["gamma0"] - p["beta"] * (g / 1e-9) ** 3
        if gamma * abs(v) / p["tox"] < p["fmin"]:
            gamma = 0.0
        return (
            -p["vel0"]
            * math.exp(-Q_C * p["ea"] / (KB * temp))
            * math.sinh(gamma * p["a0"] * Q_C * v / (p["tox"] * KB * temp))
            / 1e-9
        )

    return f


def stanford_ref(g0_m, v, t):
    # stop at the gap range like the model (terminal events at the walls)
    walls = [lambda t, y: y[0] - 0.2, lambda t, y: y[0] - 1.7]
    for w in walls:
        w.terminal = True
    return ivp(stanford_rate(v), g0_m / 1e-9, t, events=walls) * 1e-9


STANFORD_TRAIN = [(-1.3, 5e-9, 6), (-1.6, 5e-9, 4), (1.2, 10e-9, 5), (1.5, 2e-9, 3), (0.8, 1e-6, 1), (-1.1, 1e-8, 2)]


def test_stanford_pulse_trains_match_solve_ivp():
    m = StanfordPKU()
    g = np.array([0.3e-9, 0.8e-9, 1.5e-9])
    g_ref = list(g)
    for amp, width, count in STANFORD_TRAIN:
        for _ in range(count):
            g = m.advance(g, amp, width)
            g_ref = [stanford_ref(gr, amp, width) for gr in g_ref]
            np.testing.assert_allclose(g / 1e-9, np.array(g_ref) / 1e-9, rtol=0, atol=1e-7)
    assert np.ptp(g) > 0


def test_stanford_minimum_field_and_reset_stop():
    m = StanfordPKU()
    # below the field threshold nothing moves: gamma(1.6 nm) * 1.1 V / 12 nm = 1.17e9 < 1.4e9 V/m
    assert m.advance(1.6e-9, 1.1, 1e-3) == 1.6e-9
    assert m.advance(0.5e-9, 0.9, 1e-3) == 0.5e-9  # 16 * 0.9 / 12e-9 = 1.2e9 < F_min at any gap
    # a long RESET at -1.3 V stops where gamma(g*) |V| / tox = F_min (hand-derived g*)
    g_star = ((16.0 - 1.4e9 * 12e-9 / 1.3) / 0.8) ** (1 / 3) * 1e-9
    assert m.reset_stop_gap_m(-1.3) == pytest.approx(g_star, rel=1e-14) and g_star < 1.7e-9
    assert m.reset_stop_gap_m(-1.6) == 1.7e-9  # g* beyond gap_max_m: the wall stops it
    assert float(m.advance(0.4e-9, -1.3, 1e-5)) == pytest.approx(g_star, rel=1e-12)


def test_stanford_iv_temperature_and_resistance():
    m = load_model_card(MODELS_DIR / "stanford_pku_rram.toml")
    assert m.name == "stanford_pku" and not m.ohmic and m.raises_conductance == "positive"
    g = np.array([0.2e-9, 1.0e-9, 1.7e-9])
    v = np.array([0.5, -0.3, 1.0])
    i = 1e-3 * np.exp(-g / 0.25e-9) * np.sinh(v / 0.25)
    np.testing.assert_allclose(m.current_a(g, v), i, rtol=1e-14)
    np.testing.assert_allclose(m.temperature_k(g, v), 298.0 + np.abs(v * i) * 2.1e3, rtol=1e-14)
    h = 1e-6
    num = (m.current_a(g, v + h) - m.current_a(g, v - h)) / (2 * h)
    np.testing.assert_allclose(m.dcurrent_dv_s(g, v), num, rtol=1e-7)
    r = m.resistance_ohm(g)
    np.testing.assert_allclose(r, 0.1 / (1e-3 * np.exp(-g / 0.25e-9) * np.sinh(0.4)), rtol=1e-14)
    np.testing.assert_allclose(m.state_from_resistance(r), g, rtol=1e-12)
    with pytest.raises(DeviceError, match="resistance 100.0 ohm is outside"):
        m.state_from_resistance(100.0)
    with pytest.raises(DeviceError, match=r"gap_m 3e-09 at cell \(0,\) is outside its bounds"):
        m.advance([3e-9], 1.0, 1e-9)
    with pytest.raises(DeviceError, match="gap_min_m 2e-09 must be below gap_max_m"):
        StanfordPKU(gap_min_m=2e-9, gap0_m=2e-9)


def test_stanford_gap_noise_is_seeded_and_scaled():
    m = StanfordPKU(gap_noise_m=0.01e-9)
    g0 = np.full(20000, 1.0e-9)
    v = -1.2  # a RESET pulse; the kick is measured against the noiseless model
    clean = StanfordPKU().advance(g0, v, 1e-9)
    a = m.advance(g0, v, 1e-9, rng=np.random.default_rng(5))
    b = m.advance(g0, v, 1e-9, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(m.advance(g0, v, 1e-9), clean)  # no rng: deterministic
    # kick = N(0, 1) gap_noise s(T), s(T) = 1 / (1 + exp((450 - T) / 500)) at the start temperature
    temp = m.temperature_k(1.0e-9, v)
    s = 1.0 / (1.0 + np.exp((450.0 - temp) / 500.0))
    kick = a - clean
    assert np.std(kick) == pytest.approx(0.01e-9 * s, rel=0.03)
    assert abs(np.mean(kick)) < 4 * 0.01e-9 * s / np.sqrt(kick.size)


# --------------------------------------------------------------- windows
def test_prodromakis_window_and_linear_drift_with_it():
    x = np.linspace(0, 1, 11)
    for p in (1, 2, 7):
        f = window("prodromakis", x, 1.0, p)
        assert f[0] == 0.0 and abs(f[-1]) < 1e-15
        assert float(window("prodromakis", 0.5, 1.0, p)) == pytest.approx(1 - 0.75**p)
        assert np.all(f >= -1e-15) and np.all(f <= 1 - 0.75**p + 1e-15)
    assert float(window("prodromakis", 0.5, 1.0, 2, j=0.5)) == pytest.approx(0.5 * (1 - 0.75**2))
    m = LinearIonDrift(window="prodromakis", p=2.0)
    k = 1e-14 * 100.0 / (10e-9) ** 2

    def f(xx):
        return k * (1.0 / (100.0 * xx + 16000.0 * (1 - xx))) * (1 - ((xx - 0.5) ** 2 + 0.75) ** 2)

    assert float(m.advance(0.3, 1.0, 5e-3)) == pytest.approx(ivp(f, 0.3, 5e-3), abs=1e-8)


# ------------------------------------------------------------------ ngspice
@pytest.mark.ngspice
@pytest.mark.parametrize("v, x0", [(0.5, 0.11), (-0.5, 0.9), (0.3, 0.5)])
def test_yakopcic_ngspice_tran_matches(v, x0):
    if not ngspice_available():
        pytest.skip("ngspice is not installed")
    m = load_model_card(MODELS_DIR / "yakopcic2011_oblea.toml")
    deck = (
        f"yakopcic single device\nvin in 0 dc {v}\nxdev in 0 cosim_yakopcic x0={x0}\n{m.spice_subckt()}"
        ".tran 1e-7 1e-3 0 1e-7 uic\n.end\n"
    )
    out = run_ngspice_tran(deck, ["v(xdev.x)", "i(vin)"], options={"reltol": 1e-7, "vntol": 1e-10})
    t, x_spice = out["time"], out["v(xdev.x)"]
    mine = m.advance(np.full(t.shape, x0), v, t)
    # stated tolerance 1e-7 absolute in x over 1 ms (measured: <= 2.5e-8; ngspice's own step error)
    np.testing.assert_allclose(x_spice, mine, rtol=0, atol=1e-7)
    assert abs(mine[-1] - x0) > 0.1
    np.testing.assert_allclose(-out["i(vin)"], m.current_a(x_spice, v), rtol=1e-9)


@pytest.mark.ngspice
@pytest.mark.parametrize("v, g0_nm", [(1.3, 1.0), (-1.4, 0.4), (-1.6, 0.4), (1.1, 1.6)])
def test_stanford_ngspice_tran_matches(v, g0_nm):
    if not ngspice_available():
        pytest.skip("ngspice is not installed")
    m = StanfordPKU()
    deck = (
        f"stanford single device\nvin in 0 dc {v}\nxdev in 0 cosim_stanford_pku gap0={g0_nm}\n"
        f"{m.spice_subckt()}.tran 1e-11 2e-8 0 1e-11 uic\n.end\n"
    )
    out = run_ngspice_tran(deck, ["v(xdev.g)", "i(vin)"], options={"reltol": 1e-7, "vntol": 1e-10})
    t, g_spice_nm = out["time"], out["v(xdev.g)"]
    mine_nm = m.advance(np.full(t.shape, g0_nm * 1e-9), v, t) / 1e-9
    # stated 1e-4 nm (measured <= 1.1e-5 nm, largest where the RESET stops at the field threshold)
    np.testing.assert_allclose(g_spice_nm, mine_nm, rtol=0, atol=1e-4)
    np.testing.assert_allclose(-out["i(vin)"], m.current_a(g_spice_nm * 1e-9, v), rtol=1e-6)


def test_spice_subckts_refuse_what_they_cannot_write():
    with pytest.raises(DeviceError, match="ap_per_s is an array of shape"):
        Yakopcic(ap_per_s=np.full((2, 2), 4000.0)).spice_subckt()
    with pytest.raises(DeviceError, match="supports window 'yakopcic' only"):
        Yakopcic(window="biolek").spice_subckt()
    with pytest.raises(DeviceError, match="i0_a is an array of shape"):
        StanfordPKU(i0_a=np.full((2, 2), 1e-3)).spice_subckt()


# ------------------------------------------------------------ on the array
@pytest.mark.parametrize(
    "card, state_range, pulses",
    [
        ("yakopcic2011_oblea.toml", (0.2, 0.8), [(2, 1, 0.6, 1e-4), (0, [0, 1, 2], -0.5, 2e-4)]),
        ("stanford_pku_rram.toml", (0.5e-9, 1.5e-9), [(2, 1, 1.4, 5e-9), (0, [0, 1, 2], -1.5, 5e-9)]),
    ],
)
def test_new_models_on_ideal_and_nodal_backends(card, state_range, pulses):
    model = load_model_card(MODELS_DIR / card)
    s0 = np.random.default_rng(3).uniform(*state_range, (3, 3))
    ideal = CrossbarArray(model, s0)
    nodal = CrossbarArray(model, s0, spec=CrossbarSpec(3, 3), backend="nodal")
    v = np.array([[0.1, -0.2, 0.15], [0.3, 0.05, -0.1]])
    # ideal reference by hand: every cell at its row voltage, currents summed down each bit line
    expected = np.einsum("bij->bj", model.current_a(s0[None], v[:, :, None]))
    np.testing.assert_allclose(ideal.read(v), expected, rtol=1e-13)
    np.testing.assert_allclose(nodal.read(v), expected, rtol=1e-9)
    for rows, cols, amp, width in pulses:
        ri = ideal.write(rows, cols, amp, width, scheme="ideal")
        rn = nodal.write(rows, cols, amp, width, scheme="ideal")
        np.testing.assert_allclose(rn.v_device_v, ri.v_device_v, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(nodal.state, ideal.state, rtol=1e-9)
    assert np.any(ideal.state != s0)
    # one cell behind 150 ohm of wire: the device voltage is the root of I(s, u) = (V - u) / 150
    s1 = np.array([[s0[0, 0]]])
    one = CrossbarArray(
        model,
        s1,
        spec=CrossbarSpec(1, 1, r_wordline_ohm=100.0, r_bitline_ohm=50.0),
        backend="nodal",
        split_tolerance=np.inf,
    )
    u = brentq(lambda u: float(model.current_a(s1[0, 0], u)) - (0.3 - u) / 150.0, 0.0, 0.3, xtol=1e-15)
    assert one.read([0.3])[0] == pytest.approx((0.3 - u) / 150.0, rel=1e-9)


@pytest.mark.parametrize(
    "card, pulse", [("yakopcic2011_oblea.toml", ["0.5", "1e-4"]), ("stanford_pku_rram.toml", ["-1.5", "1e-8"])]
)
def test_cosim_device_runs_the_new_cards(card, pulse, capsys):
    import json

    from cosim.cli import main

    assert main(["device", str(MODELS_DIR / card), "--pulse", *pulse, "--count", "3", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)["resistance_ohm"]
    m = load_model_card(MODELS_DIR / card)
    s = m.initial_state(())
    expected = []
    for _ in range(3):
        s = m.advance(s, float(pulse[0]), float(pulse[1]))
        expected.append(float(m.resistance_ohm(s)))
    np.testing.assert_allclose(res, expected, rtol=1e-12)


# ---------------------------------------------------------- in training
@pytest.mark.slow
@pytest.mark.parametrize(
    "config, updates", [("prezioso_letters_yakopcic.toml", 8), ("prezioso_letters_stanford.toml", 18)]
)
def test_letters_training_runs_with_the_new_cards(tmp_path, config, updates):
    import json

    from cosim.runs.run import run_experiment

    algos = Path(__file__).resolve().parents[1] / "algorithms"
    run_experiment(algos / config, seed=0, out_dir=tmp_path / "r", progress=False, quiet=True, figures=False)
    m = json.loads((tmp_path / "r" / "metrics.json").read_text())
    # the numbers the config header states (seed 0)
    assert m["converged"] and m["final_train_accuracy"] == 1.0
    assert m["updates"] == updates and m["pulses"] == 10 * updates
