"""Impossible sizes refused up front with the estimate, MemoryError as one line, an unreachable
Dask scheduler after a bounded wait, long device runs that say what they cost (issue 13, item 11)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cosim.cli import main as cli_main
from cosim.memory import MemoryEstimateError, check_fits, crossbar_solve_bytes
from cosim.runs.run import resolve_config

ROOT = Path(__file__).resolve().parents[1]
CARD = ROOT / "models" / "messaris2017_neuropack.toml"


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cosim: error: "), err
    return err[0]


@pytest.mark.parametrize(
    "argv, what",
    [
        (
            ["netlist", "--rows", "100000", "--cols", "100000", "--r-wordline", "1", "--r-bitline", "1", "-o", "x.cir"],
            "a 100000 x 100000 netlist needs about 15.0 TB",
        ),
        (
            ["demo", "--rows", "100000", "--cols", "100000", "--out", "d"],
            "100000 x 100000 crossbar needs about 60.0 TB",
        ),
    ],
)
def test_cli_refuses_sizes_that_cannot_fit_before_allocating(argv, what, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli_main(argv) == 2
    line = _one_error_line(capsys)
    assert what in line and "available" in line
    assert list(tmp_path.iterdir()) == []  # refused before anything was written


def test_a_config_size_that_cannot_fit_is_refused_at_resolve(tmp_path, capsys):
    cfg = tmp_path / "big.toml"
    cfg.write_text('experiment = "read_accuracy"\nsize = 100000\n')
    with pytest.raises(MemoryEstimateError, match="experiment 'read_accuracy' with this config needs about 60.0 TB"):
        resolve_config(cfg)
    assert cli_main(["run", str(cfg), "--out", str(tmp_path / "r")]) == 2
    assert "needs about 60.0 TB" in _one_error_line(capsys)
    assert not (tmp_path / "r").exists()


def test_the_estimate_is_above_a_measured_peak():
    # the reference: cosim demo 256 x 256 peaked at 465 MB resident (/usr/bin/time -f %M), 110 MB of it
    # the interpreter; the estimate must not be below the measured growth
    assert crossbar_solve_bytes(256, 256) >= 465e6 - 110e6
    check_fits("a small thing", 1e6)  # passes


def test_memory_error_anywhere_is_one_line(tmp_path, monkeypatch, capsys):
    import cosim.cli.cmd_device as dev

    def boom(*a, **k):
        raise MemoryError("Unable to allocate 74.5 GiB for an array with shape (100000, 100000)")

    monkeypatch.setattr("cosim.cli._cost.pulse_train_with_cost", boom)
    assert dev is not None
    assert cli_main(["device", str(CARD), "--pulse", "-1.2", "1e-4", "--count", "3"]) == 2
    line = _one_error_line(capsys)
    assert "out of memory" in line and "74.5 GiB" in line


def test_unreachable_scheduler_is_one_line_after_a_bounded_wait(tmp_path, monkeypatch, capsys):
    import time

    import cosim.runs.sweep as sweep

    monkeypatch.setattr(sweep, "SCHEDULER_TIMEOUT_S", 2.0)
    cfg = tmp_path / "toy.toml"
    cfg.write_text('experiment = "toy_read"\nrows = 2\ncols = 2\n')
    t0 = time.monotonic()
    # port 9 (discard) on loopback: nothing listens there
    assert (
        cli_main(
            [
                "sweep",
                str(cfg),
                "--grid",
                "rows=2,3",
                "--scheduler",
                "tcp://127.0.0.1:9",
                "--out",
                str(tmp_path / "sw"),
                "--quiet",
            ]
        )
        == 2
    )
    assert time.monotonic() - t0 < 30
    line = _one_error_line(capsys)
    assert "cannot reach the Dask scheduler 'tcp://127.0.0.1:9' within 2 s" in line
    assert json.loads((tmp_path / "sw" / "sweep.json").read_text())["status"] == "failed"


def test_a_long_device_run_says_what_it_costs_and_gives_the_same_result(monkeypatch, capsys):
    import cosim.cli._cost as cost
    from cosim.cli.cmd_device import pulse_train
    from cosim.devices import load_model_card

    monkeypatch.setattr(cost, "LOUD_PULSES", 2000)
    model = load_model_card(CARD)
    s0 = np.asarray(model.state_from_resistance(11000.0), dtype=float)
    got = cost.pulse_train_with_cost(model, s0, -1.2, 1e-6, 2500)
    err = capsys.readouterr().err
    assert "cosim device: 2500 pulses: about " in err and "(timed on the first 1000)" in err and "20.0 kB" in err
    # the reference: the plain loop of cmd_device
    np.testing.assert_array_equal(got, pulse_train(model, s0, -1.2, 1e-6, 2500))


def test_an_impossible_device_count_is_refused_up_front(capsys):
    assert cli_main(["device", str(CARD), "--pulse", "-1.2", "1e-4", "--count", "100000000000", "--json"]) == 2
    assert "cosim device --count 100000000000 needs about" in _one_error_line(capsys)
