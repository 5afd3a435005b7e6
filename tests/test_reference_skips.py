"""tests/conftest.py: with COSIM_REQUIRE_REFERENCES set, a skipped ngspice- or
badcrossbar-marked test fails the run; other skips, and runs without the
variable, are untouched."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

SAMPLE = """
import pytest

@pytest.mark.ngspice
def test_skipped_in_the_body():
    pytest.skip("ngspice is not installed")

@pytest.mark.badcrossbar
@pytest.mark.skipif(True, reason="badcrossbar absent")
def test_skipped_by_a_mark():
    pass

@pytest.mark.ngspice
def test_runs():
    assert 1 + 1 == 2

def test_other_skip():
    pytest.skip("no chromium")
"""

INI = """[pytest]
markers =
    ngspice: x
    badcrossbar: y
"""


def _pytest(tmp_path: Path, required: str | None) -> subprocess.CompletedProcess:
    shutil.copy(HERE / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "pytest.ini").write_text(INI)
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    env = {k: v for k, v in os.environ.items() if k != "COSIM_REQUIRE_REFERENCES"}
    if required is not None:
        env["COSIM_REQUIRE_REFERENCES"] = required
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "test_sample.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_the_variable_skips_stay_skips(tmp_path):
    for value in (None, "0"):
        res = _pytest(tmp_path, value)
        assert res.returncode == 0, res.stdout
        assert "1 passed, 3 skipped" in res.stdout


def test_with_the_variable_reference_skips_fail(tmp_path):
    res = _pytest(tmp_path, "1")
    assert res.returncode == 1, res.stdout
    # a skip in the body is a failure, a skip by mark (setup phase) an error; the unmarked skip stays
    assert "1 failed, 1 passed, 1 skipped, 1 error" in res.stdout
    assert "a ngspice reference test was skipped (ngspice is not installed)" in res.stdout
    assert "a badcrossbar reference test was skipped (badcrossbar absent)" in res.stdout
