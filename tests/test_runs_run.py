"""cosim.runs.run and `cosim run`: run folders, seeds, refusing to overwrite, interrupts."""

from __future__ import annotations

import csv
import json
import tomllib
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pytest

from cosim.cli import main as cli_main
from cosim.runs import registry
from cosim.runs.config import ConfigError
from cosim.runs.run import OutputExistsError, parse_seeds, resolve_config, run_experiment, run_seeds


# ---------------------------------------------------------------- test experiments (registered in-process)
@dataclass
class CountCfg:
    steps: int = 5
    interrupt_at: int = -1  # raise KeyboardInterrupt (as Ctrl-C would) at this step
    fail_at: int = -1
    backend: Literal["ideal", "nodal", "ngspice"] = "ideal"


def run_count(config: CountCfg, ctx) -> dict:
    total = 0.0
    for k in range(config.steps):
        if k == config.interrupt_at:
            raise KeyboardInterrupt
        if k == config.fail_at:
            raise RuntimeError(f"step {k} went wrong")
        total += float(ctx.rng.random())
        ctx.checkpoint({"steps_done": k + 1, "total": total})
    return {"steps_done": config.steps, "total": total, "backend_seen": ctx.backend, "ok": total > 1.0}


@pytest.fixture(autouse=True)
def _count_experiment():
    registry.register("test_count", CountCfg, run_count)
    yield
    registry._REGISTERED.pop("test_count", None)


def _toy(tmp_path, **extra):
    lines = ['experiment = "toy_read"', "seed = 3"] + [f"{k} = {v}" for k, v in extra.items()]
    path = tmp_path / "toy.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


# ---------------------------------------------------------------- run folders
def test_run_folder_contents(tmp_path):
    cfg = _toy(tmp_path, rows=3)
    res = run_experiment(cfg, overrides=["cols=5"], out_dir=tmp_path / "run", progress=False, quiet=True)
    names = {p.name for p in res.out_dir.iterdir()}
    assert {
        "config.toml",
        "seed.txt",
        "versions.json",
        "metrics.json",
        "run.json",
        "done",
        "trace.npz",
        "conductance.png",
    } <= names
    assert "checkpoint.json" not in names  # removed once the run is done
    resolved = tomllib.loads((res.out_dir / "config.toml").read_text())
    assert resolved["experiment"] == "toy_read" and resolved["seed"] == 3
    assert resolved["rows"] == 3 and resolved["cols"] == 5 and resolved["n_reads"] == 8  # default filled in
    assert (res.out_dir / "seed.txt").read_text().strip() == "3"
    vers = json.loads((res.out_dir / "versions.json").read_text())
    assert vers["numpy"] == np.__version__ and set(vers) >= {"python", "cosim", "scipy", "ngspice", "platform"}
    assert json.loads((res.out_dir / "run.json").read_text())["status"] == "done"
    # metrics agree with the trace (independent recomputation of I = V @ G)
    tr = np.load(res.out_dir / "trace.npz")
    assert tr["g_s"].shape == (3, 5)
    np.testing.assert_allclose(tr["i_out_a"], tr["v_in_v"] @ tr["g_s"], rtol=1e-12)
    assert json.loads((res.out_dir / "metrics.json").read_text())["i_out_mean_a"] == pytest.approx(tr["i_out_a"].mean())


def test_seeded_runs_are_identical_and_resolved_config_repeats_the_run(tmp_path):
    cfg = _toy(tmp_path)
    a = run_experiment(cfg, seed=11, out_dir=tmp_path / "a", progress=False, quiet=True)
    b = run_experiment(a.out_dir / "config.toml", out_dir=tmp_path / "b", progress=False, quiet=True)
    c = run_experiment(cfg, seed=12, out_dir=tmp_path / "c", progress=False, quiet=True)
    assert a.metrics == b.metrics and a.metrics != c.metrics
    assert (tmp_path / "b" / "seed.txt").read_text().strip() == "11"


def test_seed_and_backend_precedence():
    base = {"experiment": "test_count", "seed": 4, "backend": "nodal"}
    r = resolve_config(base)
    assert (r.seed, r.backend, r.config.backend) == (4, "nodal", "nodal")
    r = resolve_config(base, seed=9, backend="ngspice")
    assert (r.seed, r.backend, r.config.backend) == (9, "ngspice", "ngspice")
    assert resolve_config({"experiment": "test_count"}).seed == 0
    with pytest.raises(ConfigError, match="backend must be one of ideal, nodal, ngspice, got 'spice'"):
        resolve_config(base, backend="spice")
    with pytest.raises(ConfigError, match="config key 'seed' must be a non-negative integer, got -1"):
        resolve_config({"experiment": "test_count", "seed": -1})
    with pytest.raises(ConfigError, match="has no 'experiment"):
        resolve_config({"seed": 1})
    with pytest.raises(ConfigError, match=r"is a sweep file \(\[sweep\] table\); run it with `cosim sweep`"):
        resolve_config({"sweep": {"base": "x.toml"}})
    with pytest.raises(registry.UnknownExperimentError, match="unknown experiment 'nope'; known: .*test_count"):
        resolve_config({"experiment": "nope"})


def test_backend_reaches_the_experiment(tmp_path):
    res = run_experiment({"experiment": "test_count"}, backend="nodal", out_dir=tmp_path / "r", progress=False)
    assert res.metrics["backend_seen"] == "nodal"


def test_refuses_to_overwrite_unless_forced(tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    (out / "mine.txt").write_text("user data")
    with pytest.raises(OutputExistsError, match="exists and is not empty; use --force"):
        run_experiment({"experiment": "test_count"}, out_dir=out, progress=False)
    assert not (out / "metrics.json").exists() and (out / "mine.txt").read_text() == "user data"
    res = run_experiment({"experiment": "test_count"}, out_dir=out, progress=False, force=True)
    assert (res.out_dir / "done").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="is not a folder"):
        run_experiment({"experiment": "test_count"}, out_dir=tmp_path / "file", progress=False, force=True)


def test_interrupt_keeps_the_last_checkpoint(tmp_path):
    out = tmp_path / "r"
    with pytest.raises(KeyboardInterrupt):
        run_experiment({"experiment": "test_count", "steps": 10, "interrupt_at": 4}, out_dir=out, progress=False)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps_done"] == 4 and metrics["interrupted"] is True
    # the partial total is the sum of the first four draws of the seeded generator
    assert metrics["total"] == pytest.approx(np.random.default_rng(0).random(4).sum())
    assert not (out / "done").exists()
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"


def test_failure_writes_error_and_no_done_marker(tmp_path):
    out = tmp_path / "r"
    with pytest.raises(RuntimeError, match="step 2 went wrong"):
        run_experiment({"experiment": "test_count", "fail_at": 2}, out_dir=out, progress=False)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics == {
        "steps_done": 2,
        "total": pytest.approx(np.random.default_rng(0).random(2).sum()),
        "error": "RuntimeError: step 2 went wrong",
    }
    assert "Traceback" in (out / "error.txt").read_text() and not (out / "done").exists()


def test_parse_seeds_errors():
    assert parse_seeds(" 2 : 5 ") == range(2, 5)
    for bad in ("5", "3:3", "a:b", "-1:2", "1:2:3"):
        with pytest.raises(ValueError, match=f"--seeds '{bad}'"):
            parse_seeds(bad)


def test_run_seeds_summary(tmp_path):
    res = run_seeds({"experiment": "test_count", "steps": 3}, "0:6", out_dir=tmp_path / "s", progress=False)
    totals = [np.random.default_rng(s).random(3).sum() for s in range(6)]
    stats = res.summary["metrics"]
    assert res.summary["n_done"] == 6 and res.summary["n_failed"] == 0
    assert stats["total"]["mean"] == pytest.approx(np.mean(totals))
    assert stats["total"]["median"] == pytest.approx(np.median(totals))
    assert stats["total"]["std"] == pytest.approx(np.std(totals, ddof=1))
    assert stats["total"]["min"] == pytest.approx(min(totals)) and stats["total"]["max"] == pytest.approx(max(totals))
    assert stats["ok"] == {"n": 6, "fraction": pytest.approx(np.mean([t > 1.0 for t in totals]))}
    with (tmp_path / "s" / "seeds.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["seed"]) for r in rows] == list(range(6))
    assert [float(r["total"]) for r in rows] == pytest.approx(totals)
    assert all((tmp_path / "s" / f"s{s:04d}" / "done").exists() for s in range(6))
    # resume: nothing re-run, same summary
    again = run_seeds(
        {"experiment": "test_count", "steps": 3}, "0:6", out_dir=tmp_path / "s", progress=False, resume=True
    )
    assert again.summary["n_skipped"] == 6 and again.summary["metrics"]["total"] == stats["total"]
    # resume with another config: nothing is stale-skipped
    other = run_seeds(
        {"experiment": "test_count", "steps": 2}, "0:6", out_dir=tmp_path / "s", progress=False, resume=True
    )
    assert other.summary["n_skipped"] == 0 and other.summary["n_done"] == 6


def test_run_seeds_records_failures_and_goes_on(tmp_path):
    # fail_at=0: every seed fails at its first step; each failure is recorded, the loop goes on
    res = run_seeds({"experiment": "test_count", "fail_at": 0}, range(2), out_dir=tmp_path / "s", progress=False)
    assert res.summary["n_failed"] == 2 and all(r["error"] == "RuntimeError: step 0 went wrong" for r in res.rows)


def test_run_seeds_interrupt_writes_summary_of_what_is_done(tmp_path, monkeypatch):
    calls = []

    def run_stop_third(config, ctx):
        calls.append(ctx.seed)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return {"x": float(ctx.seed)}

    registry.register("test_stop", CountCfg, run_stop_third)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_seeds({"experiment": "test_stop"}, "0:10", out_dir=tmp_path / "s", progress=False)
    finally:
        registry._REGISTERED.pop("test_stop", None)
    summary = json.loads((tmp_path / "s" / "summary.json").read_text())
    assert summary["interrupted"] is True and summary["n_done"] == 2
    assert summary["metrics"]["x"]["mean"] == pytest.approx(0.5)


# ---------------------------------------------------------------- command line
def test_cli_run_and_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = _toy(tmp_path)
    assert cli_main(["run", str(cfg), "--seed", "5", "--set", "rows=2", "--out", "r", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("run: r (") and "i_out_mean_a=" in out
    assert tomllib.loads((tmp_path / "r" / "config.toml").read_text())["rows"] == 2
    assert cli_main(["run", str(cfg), "--out", "r"]) == 2
    assert "output folder 'r' exists and is not empty" in capsys.readouterr().err
    assert cli_main(["run", str(cfg), "--set", "rowz=2", "--quiet"]) == 2
    assert "unknown config key 'rowz'; valid keys: rows, cols" in capsys.readouterr().err
    assert cli_main(["run", "missing.toml"]) == 2
    assert "config file 'missing.toml' not found" in capsys.readouterr().err
    assert cli_main(["run", str(cfg), "--set", "rows=0", "--quiet", "--out", "bad"]) == 2
    assert "toy_read: rows must be >= 1, got 0" in capsys.readouterr().err
    # default folder name
    assert cli_main(["run", str(cfg), "--quiet"]) == 0
    (made,) = [p for p in (tmp_path / "runs").iterdir()]
    assert made.name.startswith("toy_read-") and made.name.endswith("-s3")


def test_cli_seeds(tmp_path, capsys):
    cfg = _toy(tmp_path)
    assert cli_main(["run", str(cfg), "--seeds", "0:4", "--out", str(tmp_path / "s"), "--quiet"]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("toy_read seeds 0:4: 4 done, 0 skipped, 0 failed in ") and "positive" in line
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        "s0000",
        "s0001",
        "s0002",
        "s0003",
        "seeds.csv",
        "summary.json",
    ]
    assert not (tmp_path / "s" / "s0000" / "conductance.png").exists()  # no figures per seed unless --figures


def test_checkpoint_reaches_disk_after_the_interval(tmp_path):
    from cosim.runs.context import RunContext

    ctx = RunContext(0, tmp_path)
    ctx.checkpoint({"epoch": 1})
    assert not (tmp_path / "checkpoint.json").exists()  # not yet: one interval has not passed
    ctx.checkpoint_interval_s = 0.0
    ctx.checkpoint({"epoch": 2, "loss": np.float32(0.5), "curve": np.arange(2)})
    assert json.loads((tmp_path / "checkpoint.json").read_text()) == {"epoch": 2, "loss": 0.5, "curve": [0, 1]}
    assert ctx.last_checkpoint["epoch"] == 2
