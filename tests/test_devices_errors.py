"""Every refused device input, fed on purpose: the error is a DeviceError (a
ValueError) whose message names the model and the offending value."""

from __future__ import annotations

import re

import numpy as np
import pytest

from cosim.devices import NEUROPACK_2022, DeviceError, MeasuredCurve, Messaris2017, get_model
from cosim.devices.variability import CycleNoise, Volatile, spread_params, spread_state, stuck_state


@pytest.fixture
def messaris():
    return Messaris2017(**NEUROPACK_2022)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m: m.advance(11e3, "high", 1e-6), "messaris2017: voltage must be numeric, got 'high'"),
        (lambda m: m.advance(11e3, -1.2, "long"), "messaris2017: duration must be numeric, got 'long'"),
        (lambda m: m.advance(11e3, [-1.2, np.inf], 1e-6), "voltage inf at cell (1,) is not a finite number"),
        (
            lambda m: m.advance([11e3, 11e3], -1.2, [1e-6, -2e-6]),
            "duration -2e-06 s at cell (1,) must be finite and >= 0",
        ),
        (
            lambda m: m.advance(np.full(3, 11e3), np.ones(2), 1e-6),
            "voltage of shape (2,) does not broadcast to the state shape (3,)",
        ),
        (
            lambda m: m.advance(11e3, -1.2, np.ones(4)),
            "duration of shape (4,) does not broadcast to the state shape ()",
        ),
        (
            lambda m: m.conductance_s([11e3, 2e6]),
            "resistance_ohm 2000000.0 at cell (1,) is outside its bounds [100.0, 1000000.0]",
        ),
        (lambda m: m.with_params(a_q=1.0), "messaris2017: unknown parameter(s) ['a_q']"),
        (lambda m: m.with_params(a_p=np.array([0.2, -0.1])), "parameter a_p must be >= 0, got -0.1"),
        (lambda m: m.with_params(t_p_v=np.nan), "parameter t_p_v must be finite, got nan"),
        (lambda m: m.with_params(r_min_ohm=2e6), "r_min_ohm 2000000.0 must be below r_max_ohm"),
        (lambda m: m.with_params(r0_ohm=50.0), "r0_ohm 50.0 is outside [r_min_ohm, r_max_ohm]"),
        (
            lambda m: m.with_params(a_p=np.full(3, 0.2)).advance(np.full((2, 2), 11e3), 1.2, 1e-6),
            "parameter a_p of shape (3,) does not broadcast to the state shape (2, 2)",
        ),
        (lambda m: m.with_params(a_p=np.full((2, 2), 0.2)).spice_subckt(), "a_p is an array of shape (2, 2)"),
    ],
)
def test_messaris_refusals_name_the_value(messaris, call, message):
    with pytest.raises(DeviceError) as err:
        call(messaris)
    assert message in str(err.value)


def test_registry_and_measured_curve_refusals():
    # (the CSV reader's and the registry's other refusals are in test_devices_measured / test_devices_cards_cli)
    with pytest.raises(DeviceError, match="vteam: unknown parameter\\(s\\) r_middle_ohm"):
        get_model("vteam", r_middle_ohm=1.0)
    with pytest.raises(
        DeviceError, match=re.escape("g_table_s must be a 1-D table of at least 2 conductances, got shape (1,)")
    ):
        MeasuredCurve(g_table_s=[1e-6])
    with pytest.raises(
        DeviceError, match=re.escape("g_table_s must be a 1-D table of at least 2 conductances, got shape (2, 2)")
    ):
        MeasuredCurve(g_table_s=np.full((2, 2), 1e-6))
    with pytest.raises(DeviceError, match="on_overflow must be one of 'clamp', 'error', got 'wrap'"):
        MeasuredCurve(g_table_s=[1e-6, 2e-6], on_overflow="wrap")


def test_variability_refusals_name_the_value(messaris):
    with pytest.raises(DeviceError, match="needs a seeded numpy.random.Generator, got int"):
        spread_params(messaris, (2, 2), 0, {"a_p": 0.1})
    with pytest.raises(DeviceError, match="spread_params: model str has no parameters to spread"):
        spread_params("messaris", (2, 2), np.random.default_rng(0), {"a_p": 0.1})
    with pytest.raises(DeviceError, match="needs a seeded numpy.random.Generator, got NoneType"):
        spread_state(messaris, 11e3, (2, 2), None, sigma=0.1)
    state = np.full((2, 2), 11e3)
    with pytest.raises(DeviceError, match=re.escape("masks of shape (3,) / (2, 2) do not match the state (2, 2)")):
        stuck_state(messaris, state, np.zeros(3, bool), np.zeros((2, 2), bool))
    both = np.zeros((2, 2), bool)
    both[1, 0] = True
    with pytest.raises(
        DeviceError, match=re.escape("stuck_state: cell (1, 0) is in both the stuck-on and the stuck-off mask")
    ):
        stuck_state(messaris, state, both, both)
    with pytest.raises(DeviceError, match="CycleNoise wraps a DeviceModel, got dict"):
        CycleNoise({"a_p": 1.0}, sigma=0.1)
    with pytest.raises(DeviceError, match="Volatile: tau_s -1.0 must be finite and > 0"):
        Volatile(messaris, tau_s=-1.0, rest_state=11e3)
    with pytest.raises(
        DeviceError, match="Volatile: rest_state: messaris2017: resistance_ohm 5.0 at cell \\(\\) is outside"
    ):
        Volatile(messaris, tau_s=1e-3, rest_state=5.0)
