"""``cosim device`` with several cards, pulse trains and an I-V loop; ``sine_iv_loop``.

Independent references: the Yakopcic equations under a sinusoid integrated
with ``solve_ivp`` (written out here from the paper); each card's own
``advance`` replayed by hand for the trains; the built-in VTEAM for its
Verilog-A twin.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from cosim.cli import main
from cosim.devices import DeviceError, Yakopcic, load_model_card
from cosim.devices.pulse_data import sine_iv_loop

MODELS = Path(__file__).resolve().parents[1] / "models"


def test_sine_iv_loop_matches_solve_ivp_and_is_pinched():
    m = Yakopcic()
    amp, f = 0.6, 200.0  # Hz: a 5 ms period, the Oblea device switches within it
    loop = sine_iv_loop(m, 0.11, amp, f, steps_per_period=2000)

    def rate(t, y):
        v = amp * math.sin(2 * math.pi * f * t)
        x = y[0]
        if v > 0.16:
            g = 4000 * (math.exp(v) - math.exp(0.16))
        elif v < -0.15:
            g = -4000 * (math.exp(-v) - math.exp(0.15))
        else:
            return [0.0]
        if g > 0:
            w = math.exp(-(x - 0.3)) * ((0.3 - x) / 0.7 + 1) if x >= 0.3 else 1.0
        else:
            w = math.exp(5 * (x - 0.5)) * (x / 0.5) if x <= 0.5 else 1.0
        return [g * w]

    ref = solve_ivp(
        rate, (0, 1 / f), [0.11], t_eval=loop["t_s"], method="DOP853", rtol=1e-11, atol=1e-13, max_step=1 / f / 400
    )
    # midpoint voltage per step: second order, 2000 steps per period
    np.testing.assert_allclose(loop["state"], ref.y[0], atol=2e-5)
    assert np.ptp(loop["state"]) > 0.2
    v = loop["v_v"]
    np.testing.assert_allclose(loop["i_a"], 0.17 * ref.y[0] * np.sinh(0.05 * v), rtol=1e-3, atol=1e-12)
    # pinched: no current at zero voltage, and a loop (different currents at the same voltage)
    assert loop["i_a"][0] == 0.0 and abs(loop["i_a"][len(v) // 2]) < 1e-15
    q = len(v) // 8
    assert not np.isclose(loop["i_a"][q], loop["i_a"][3 * q])  # v(T/8) = v(3T/8), x differs
    with pytest.raises(DeviceError, match="frequency -1.0 Hz must be finite and > 0"):
        sine_iv_loop(m, 0.11, 0.5, -1.0)


def test_device_with_several_cards_trains_and_iv(tmp_path, capsys):
    cards = [MODELS / "vteam_kvatinsky2015.toml", MODELS / "yakopcic2011_oblea.toml"]
    png = tmp_path / "cmp.png"
    argv = [
        "device",
        *map(str, cards),
        "--r0",
        "500",
        "--train",
        "-0.25",
        "1e-10",
        "4",
        "--train",
        "0.3",
        "1e-4",
        "3",
        "--iv",
        "0.5",
        "1e3",
        "--json",
        "--plot",
        str(png),
    ]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)["cards"]
    assert [c["model"] for c in out] == ["vteam", "yakopcic"] and png.stat().st_size > 5000
    for card, got in zip(cards, out):
        m = load_model_card(card)
        s = m.state_from_resistance(500.0)
        expected = []
        for amp, width, count in ((-0.25, 1e-10, 4), (0.3, 1e-4, 3)):
            for _ in range(count):
                s = m.advance(s, amp, width)
                expected.append(float(1.0 / m.conductance_s(s)))
        np.testing.assert_allclose(got["resistance_ohm"], expected, rtol=1e-12)
        assert len(got["iv"]["v_v"]) == 401 and got["iv"]["v_v"][100] == pytest.approx(0.5)
    # the plot is kept unless --force
    assert main(argv) == 2
    assert "exists; use --force" in capsys.readouterr().err


def test_device_needs_a_stimulus_and_keeps_the_one_card_output(capsys):
    card = str(MODELS / "messaris2017_neuropack.toml")
    assert main(["device", card]) == 2
    assert "give --pulse VOLTS WIDTH_S with --count N, one or more --train, or --iv" in capsys.readouterr().err
    assert main(["device", card, "--pulse", "-1.2", "1e-6"]) == 2
    assert "--pulse and --count go together" in capsys.readouterr().err
    assert main(["device", card, "--train", "-1.2", "1e-6", "two"]) == 2
    assert "--train 1: '-1.2' '1e-6' 'two' must be VOLTS WIDTH_S COUNT" in capsys.readouterr().err
    # one card, one train: the documented single-card JSON
    assert main(["device", card, "--r0", "11000", "--train", "-1.2", "1e-6", "2", "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"resistance_ohm"}
