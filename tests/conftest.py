"""Shared test scaffolding (keep it small and generic).

Reference tools must not go missing silently: a test marked ``ngspice`` or
``badcrossbar`` that is skipped (the tool is absent) is turned into a failure
when the environment variable ``COSIM_REQUIRE_REFERENCES`` is set to a
non-empty value other than ``0`` (``.ci/run`` sets it). On a developer's
machine such skips stay skips.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from cosim.devices.base import DeviceModel

#: markers of tests whose reference is an external tool (pyproject.toml declares them)
REFERENCE_MARKERS = ("ngspice", "badcrossbar")


def references_required() -> bool:
    """True when skipped reference tests must fail (``COSIM_REQUIRE_REFERENCES``)."""
    return os.environ.get("COSIM_REQUIRE_REFERENCES", "") not in ("", "0")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and references_required()):
        return
    marks = [m for m in REFERENCE_MARKERS if item.get_closest_marker(m) is not None]
    if not marks or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    reason = reason.removeprefix("Skipped: ")
    report.outcome = "failed"
    report.longrepr = (
        f"{item.nodeid}: a {'/'.join(marks)} reference test was skipped ({reason}); "
        "COSIM_REQUIRE_REFERENCES is set, so a missing reference tool fails the run (setup.sh installs it)"
    )


class LeakyConductance(DeviceModel):
    """Volatile test device whose state *is* its conductance (siemens, in [0, 1]).

    ``advance`` adds ``rate_s_per_v_s * v * t``; ``relax`` decays toward
    ``g_rest_s`` as ``g_rest + (g - g_rest) exp(-t / tau_s)``, so tests can
    write the expected state by hand.
    """

    name = "leaky_test"

    def __init__(self, rate_s_per_v_s: float = 1e-3, g_rest_s: float = 1e-5, tau_s: float = 1e-3) -> None:
        self.rate_s_per_v_s, self.g_rest_s, self.tau_s = rate_s_per_v_s, g_rest_s, tau_s

    def initial_state(self, shape, rng=None):
        return np.full(shape, 1e-4)

    def state_bounds(self):
        return 0.0, 1.0

    def conductance_s(self, state):
        return np.asarray(state, float)

    def advance(self, state, v_v, duration_s, rng=None):
        return np.asarray(state, float) + self.rate_s_per_v_s * np.asarray(v_v) * duration_s

    def relax(self, state, idle_s):
        return self.g_rest_s + (np.asarray(state, float) - self.g_rest_s) * np.exp(-idle_s / self.tau_s)


@pytest.fixture
def leaky_device():
    """Factory of :class:`LeakyConductance` test devices (keywords: rate, rest, tau)."""
    return LeakyConductance
