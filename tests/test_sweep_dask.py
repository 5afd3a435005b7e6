"""Sweeps on a local Dask cluster: rows, resume, failures recorded, sweep files, CLI."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest

from cosim.cli import main as cli_main
from cosim.runs.config import ConfigError
from cosim.runs.run import OutputExistsError
from cosim.runs.sweep import SweepSpec, load_sweep_file, parse_grid, run_sweep

BASE = {"experiment": "toy_read", "seed": 0, "n_reads": 3}


@pytest.fixture(scope="module")
def scheduler():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    )
    yield cluster.scheduler_address
    cluster.close()


def _expected_mean_current(seed: int, rows: int, cols: int, n_reads: int = 3) -> float:
    # the toy's draws, reproduced here: G ~ U(1e-6, 1e-4), V ~ U(-0.2, 0.2), I = V @ G
    rng = np.random.default_rng(seed)
    g = rng.uniform(1e-6, 1e-4, size=(rows, cols))
    v = rng.uniform(-0.2, 0.2, size=(n_reads, rows))
    return float((v @ g).mean())


def test_sweep_on_a_local_cluster_rows_resume_and_failures(tmp_path, scheduler):
    spec = SweepSpec(dict(BASE), parse_grid(["rows=0,2", "cols=3"]), seeds=[0, 1], overrides=["g_max_s=1e-4"])
    out = tmp_path / "sw"
    res = run_sweep(spec, out_dir=out, workers=2, progress=False, figures=False)
    assert res.counts == {"done": 2, "skipped": 0, "failed": 2, "cancelled": 0, "stale": 0}
    table = pd.read_parquet(out / "results.parquet")
    csv = pd.read_csv(out / "results.csv")
    assert list(table[["rows", "cols", "seed"]].itertuples(index=False, name=None)) == [
        (0, 3, 0),
        (0, 3, 1),
        (2, 3, 0),
        (2, 3, 1),
    ]
    assert list(csv["status"]) == list(table["status"]) == ["failed", "failed", "done", "done"]
    assert set(table.loc[table.status == "failed", "error"]) == {"ValueError: toy_read: rows must be >= 1, got 0"}
    done = table[table.status == "done"]
    for _, row in done.iterrows():
        assert row.i_out_mean_a == pytest.approx(_expected_mean_current(int(row.seed), 2, 3), rel=1e-12)
        assert json.loads((out / row.run_dir / "metrics.json").read_text())["i_out_mean_a"] == row.i_out_mean_a
        assert (out / row.run_dir / "done").is_file()
    assert table["rows"].dtype.kind == "i" and table["i_out_mean_a"].dtype.kind == "f"
    assert np.allclose(csv["i_out_mean_a"].dropna(), done["i_out_mean_a"])
    assert json.loads((out / "sweep.json").read_text())["counts"]["done"] == 2

    # resume: done points are skipped (their folders untouched), failed ones are tried again
    stamp = (out / done.run_dir.iloc[0] / "metrics.json").stat().st_mtime_ns
    again = run_sweep(
        spec, out_dir=out, scheduler=scheduler, progress=False, figures=False
    )  # resumes on another cluster
    assert again.counts == {"done": 0, "skipped": 2, "failed": 2, "cancelled": 0, "stale": 0}
    assert (out / done.run_dir.iloc[0] / "metrics.json").stat().st_mtime_ns == stamp
    table2 = pd.read_parquet(out / "results.parquet")
    assert list(table2["status"]) == ["failed", "failed", "skipped", "skipped"]
    assert list(table2["i_out_mean_a"].iloc[2:]) == list(done["i_out_mean_a"])
    assert list(table2["rows"]) == [0, 0, 2, 2]

    # a changed fixed override makes the finished points stale: they run again with the new config
    spec.overrides = ["g_max_s=2e-5"]
    spec.grid = {"rows": ["2"], "cols": ["3"]}
    third = run_sweep(spec, out_dir=out, scheduler=scheduler, progress=False, figures=False)
    assert third.counts == {"done": 2, "skipped": 0, "failed": 0, "cancelled": 0, "stale": 2}
    assert list(pd.read_csv(out / "results.csv")["g_mean_s"]) != list(done["g_mean_s"])


def test_sweep_file_and_cli_on_an_existing_scheduler(tmp_path, scheduler, capsys):
    (tmp_path / "base.toml").write_text('experiment = "toy_read"\nseed = 5\nn_reads = 2\n')
    (tmp_path / "s.sweep.toml").write_text(
        '[sweep]\nbase = "base.toml"\nseeds = [5, 6]\nset = ["cols=2"]\n[sweep.grid]\nrows = [1, 3]\ng_max_s = [2e-5]\n'
    )
    spec, out = load_sweep_file(tmp_path / "s.sweep.toml")
    assert spec.grid == {"rows": ["1", "3"], "g_max_s": ["2e-05"]} and spec.seeds == [5, 6] and out is None
    out = tmp_path / "cli"
    code = cli_main(
        [
            "sweep",
            str(tmp_path / "s.sweep.toml"),
            "--grid",
            "cols=2,4",
            "--out",
            str(out),
            "--scheduler",
            scheduler,
            "--quiet",
            "--no-figures",
        ]
    )
    assert code == 0
    assert capsys.readouterr().out.startswith("sweep: 8 done, 0 skipped, 0 failed in ")
    table = pd.read_csv(out / "results.csv")
    assert len(table) == 8 and set(table.seed) == {5, 6} and set(table.cols) == {2, 4} and set(table.g_max_s) == {2e-5}
    # an independent check on one point: G ~ U(1e-6, 2e-5)
    row = table[(table.rows == 3) & (table.cols == 4) & (table.seed == 6)].iloc[0]
    rng = np.random.default_rng(6)
    g = rng.uniform(1e-6, 2e-5, size=(3, 4))
    assert row.g_mean_s == pytest.approx(g.mean(), rel=1e-12)
    assert (
        cli_main(
            [
                "sweep",
                str(tmp_path / "s.sweep.toml"),
                "--grid",
                "cols=2,4",
                "--out",
                str(out),
                "--scheduler",
                scheduler,
                "--quiet",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.startswith("sweep: 0 done, 8 skipped, 0 failed")


def test_bad_sweeps_fail_before_running(tmp_path, capsys):
    base = dict(BASE)
    with pytest.raises(ConfigError, match="unknown config key 'rowz'; valid keys: rows"):
        run_sweep(SweepSpec(base, parse_grid(["rowz=1,2"]), [0]), out_dir=tmp_path / "a", progress=False)
    assert not (tmp_path / "a").exists()
    with pytest.raises(ConfigError, match="--set rows=x: expected int"):
        run_sweep(SweepSpec(base, parse_grid(["rows=x"]), [0]), out_dir=tmp_path / "a", progress=False)
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="is not a sweep folder; use --force"):
        run_sweep(SweepSpec(base, parse_grid(["rows=1"]), [0]), out_dir=tmp_path / "user", progress=False)
    for bad, msg in [
        (["rows"], "expected key=value"),
        (["rows=1,,2"], "no empty value"),
        (["rows=1", "rows=2"], "given twice"),
    ]:
        with pytest.raises(ConfigError, match=msg):
            parse_grid(bad)
    (tmp_path / "bad.sweep.toml").write_text('[sweep]\nbase = "x.toml"\ngird = {a = [1]}\n')
    with pytest.raises(ConfigError, match="unknown key 'sweep.gird'"):
        load_sweep_file(tmp_path / "bad.sweep.toml")
    (tmp_path / "b.toml").write_text('experiment = "toy_read"\n')
    (tmp_path / "bad2.sweep.toml").write_text('[sweep]\nbase = "b.toml"\n[sweep.grid]\nrows = 3\n')
    with pytest.raises(ConfigError, match="'sweep.grid.rows' must be a non-empty list"):
        load_sweep_file(tmp_path / "bad2.sweep.toml")
    assert cli_main(["sweep", str(tmp_path / "b.toml"), "--grid", "rows=1", "--workers", "0"]) == 2
    assert "--workers must be >= 1, got 0" in capsys.readouterr().err


def test_interrupted_sweep_keeps_what_is_done_and_resumes(tmp_path):
    # Ctrl-C (SIGINT) to `cosim sweep` once the first point is done: the tables hold the finished
    # points (done) and the others (cancelled); running it again skips the finished ones only.
    import os
    import signal
    import subprocess
    import sys
    import time

    (tmp_path / "slow.toml").write_text('experiment = "toy_read"\nn_reads = 100000\n')
    out = tmp_path / "sw"
    cmd = [
        sys.executable,
        "-m",
        "cosim",
        "sweep",
        str(tmp_path / "slow.toml"),
        "--grid",
        "rows=1,2,3,4,5,6",
        "--out",
        str(out),
        "--workers",
        "1",
        "--quiet",
        "--no-figures",
    ]
    env = dict(os.environ, COSIM_NO_PROGRESS="1")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(out.glob("*/s*/done")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert proc.poll() is None, f"the sweep ended before it could be interrupted: {proc.communicate()}"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "cosim: interrupted: sweep:" in err and "cancelled" in err
    definition = json.loads((out / "sweep.json").read_text())
    assert definition["status"] == "interrupted"
    table = pd.read_csv(out / "results.csv")
    finished = set(table.loc[table.status == "done", "rows"])
    assert len(table) == 6 and finished and set(table.status) <= {"done", "cancelled"}
    markers = {int(p.parent.parent.name.split("=")[1]) for p in out.glob("rows=*/s0000/done")}
    # a point still running at the interrupt may finish while the cluster shuts down: kept too
    assert finished <= markers and len(markers) < 6
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"sweep: {6 - len(markers)} done, {len(markers)} skipped, 0 failed" in again.stdout
