"""Run folders under real faults: SIGTERM to a real ``cosim run`` process, two real
processes writing into one folder, resumed ``--seeds`` with another range, and
inputs that used to be ignored (issue 13, items 4-6 and 10)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cosim.cli import main as cli_main
from cosim.runs.config import ConfigError
from cosim.runs.rundir import RunLock, RunLockedError, seed_dir, seed_dir_name
from cosim.runs.run import resolve_config, run_seeds

ROOT = Path(__file__).resolve().parents[1]

# A real `cosim` process (cosim.cli.main, the console script's entry point) with one test
# experiment registered: it draws from ctx.rng, checkpoints every step and, while the file
# named by `block` exists, waits at step `block_at` (so that the test can signal it there).
DRIVER = textwrap.dedent("""
    import sys, time
    from dataclasses import dataclass
    from pathlib import Path
    from cosim.runs import registry

    @dataclass
    class SlowCfg:
        steps: int = 6
        block_at: int = 3
        block: str = ""

    def run_slow(cfg, ctx):
        ctx.checkpoint_interval_s = 0.0
        total = 0.0
        for k in range(cfg.steps):
            total += float(ctx.rng.random())
            ctx.checkpoint({"steps_done": k + 1, "total": total})
            if k == cfg.block_at and cfg.block:
                (ctx.out_dir / "waiting").write_text(str(k))
                while Path(cfg.block).exists():
                    time.sleep(0.02)
                (ctx.out_dir / "waiting").unlink()
        return {"steps_done": cfg.steps, "total": total}

    registry.register("test_slow", SlowCfg, run_slow)
    from cosim.cli import main
    sys.exit(main(sys.argv[1:]))
""")


@pytest.fixture
def driver(tmp_path):
    path = tmp_path / "driver.py"
    path.write_text(DRIVER)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COSIM_NO_PROGRESS": "1"}

    def start(*args):
        return subprocess.Popen(
            [sys.executable, str(path), *map(str, args)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    return start


def _config(tmp_path, block: Path) -> Path:
    cfg = tmp_path / "slow.toml"
    cfg.write_text(f'experiment = "test_slow"\nseed = 2\nblock = "{block}"\n')
    return cfg


def _wait_for(path: Path, proc, timeout_s: float = 60.0) -> None:
    t0 = time.monotonic()
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"process ended early ({proc.returncode}): {proc.stderr.read()}")
        if time.monotonic() - t0 > timeout_s:
            proc.kill()
            raise AssertionError(f"{path} did not appear")
        time.sleep(0.02)


def test_sigterm_to_a_real_cosim_run_records_interrupted_and_keeps_the_checkpoint(tmp_path, driver):
    block = tmp_path / "block"
    block.touch()
    out = tmp_path / "run"
    proc = driver("run", _config(tmp_path, block), "--out", out, "--quiet")
    _wait_for(out / "waiting", proc)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr  # 128 + SIGTERM, as a shell reports it
    assert stderr.strip().splitlines() == ["cosim: interrupted: terminated by signal 15 (SIGTERM)"]
    run = json.loads((out / "run.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    assert run["status"] == "interrupted"
    assert metrics["interrupted"] is True and metrics["steps_done"] == 4  # the checkpoint of step 3 (0-based)
    assert json.loads((out / "checkpoint.json").read_text())["steps_done"] == 4
    assert not (out / "done").exists() and not (out / ".lock").exists()


def test_sigterm_to_seeds_writes_the_partial_summary_and_resume_continues(tmp_path, driver):
    block = tmp_path / "block"
    block.touch()
    cfg = _config(tmp_path, block)
    out = tmp_path / "seeds"
    # seed 2's run blocks at step 3 (every seed does, while `block` exists): release seeds 0 and 1 first
    block.unlink()
    proc = driver("run", cfg, "--seeds", "0:4", "--out", out, "--quiet", "--set", "steps=6")
    proc.communicate(timeout=120)
    assert proc.returncode == 0
    clean = {s: json.loads((seed_dir(out, s) / "metrics.json").read_text()) for s in range(4)}
    # now a real interrupted one: seeds 0, 1 done, SIGTERM while seed 2 waits
    out2 = tmp_path / "seeds2"
    proc = driver("run", cfg, "--seeds", "0:2", "--out", out2, "--quiet")
    proc.communicate(timeout=120)
    block.touch()
    proc = driver("run", cfg, "--seeds", "0:4", "--out", out2, "--quiet", "--resume")
    _wait_for(out2 / seed_dir_name(2) / "waiting", proc)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr
    assert "interrupted after 2 seed(s); summary in" in stderr
    summary = json.loads((out2 / "summary.json").read_text())
    assert summary["interrupted"] is True and summary["n_skipped"] == 2 and summary["n_done"] == 0
    assert json.loads((out2 / seed_dir_name(2) / "run.json").read_text())["status"] == "interrupted"
    block.unlink()
    proc = driver("run", cfg, "--seeds", "0:4", "--out", out2, "--quiet", "--resume")
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert "2 done, 2 skipped, 0 failed" in stdout
    # the reference: the same seeds run without interruption give the same metrics
    for s in range(4):
        assert json.loads((seed_dir(out2, s) / "metrics.json").read_text()) == clean[s]


def test_a_second_writer_into_a_locked_run_folder_is_refused_naming_the_holder(tmp_path, driver):
    block = tmp_path / "block"
    block.touch()
    cfg = _config(tmp_path, block)
    out = tmp_path / "run"
    first = driver("run", cfg, "--out", out, "--quiet")
    _wait_for(out / "waiting", first)
    second = driver("run", cfg, "--out", out, "--quiet", "--force", "--seed", "7")
    _, err2 = second.communicate(timeout=60)
    assert second.returncode == 2
    assert len(err2.strip().splitlines()) == 1
    assert f"is in use by pid {first.pid}" in err2 and str(out) in err2
    block.unlink()
    _, err1 = first.communicate(timeout=60)
    assert first.returncode == 0, err1
    # the folder is the first run's alone: its seed, its config, its metrics
    assert (out / "seed.txt").read_text() == "2\n"
    assert json.loads((out / "metrics.json").read_text())["steps_done"] == 6
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []  # no lock, no temp files


def test_two_concurrent_forced_runs_never_mix_their_files(tmp_path, driver):
    # no blocking: both race for the folder; each either runs alone or is refused by the lock
    cfg = tmp_path / "fast.toml"
    cfg.write_text('experiment = "test_slow"\nsteps = 300\n')
    out = tmp_path / "run"
    procs = [driver("run", cfg, "--out", out, "--quiet", "--force", "--seed", s) for s in (11, 12)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert all(rc in (0, 2) for rc, _ in results), results
    assert any(rc == 0 for rc, _ in results)
    for rc, err in results:
        if rc == 2:
            assert "is in use by pid" in err
    seed = int((out / "seed.txt").read_text())
    assert tomllib_seed(out) == seed == json.loads((out / "run.json").read_text())["seed"]


def tomllib_seed(out: Path) -> int:
    import tomllib

    return tomllib.loads((out / "config.toml").read_text())["seed"]


def test_lock_in_process_names_the_holder_and_is_released(tmp_path):
    lock = RunLock(tmp_path).acquire()
    with pytest.raises(RunLockedError, match=f"pid {os.getpid()}"):
        RunLock(tmp_path).acquire()
    lock.release()
    with RunLock(tmp_path):
        pass
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- seed folders and resume
def _toy(tmp_path) -> Path:
    path = tmp_path / "toy.toml"
    path.write_text('experiment = "toy_read"\nrows = 2\ncols = 2\n')
    return path


def test_seed_folder_names_do_not_depend_on_the_range(tmp_path):
    cfg = _toy(tmp_path)
    out = tmp_path / "s"
    run_seeds(cfg, [0, 1], out_dir=out, progress=False)
    res = run_seeds(cfg, [0, 1, 10000], out_dir=out, progress=False, resume=True)
    # before: the names were padded to the widest seed (s00000 once 10000 was in range): all re-ran
    assert [r["status"] for r in res.rows] == ["skipped", "skipped", "done"]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["s0000", "s0001", "s10000"]


def test_resume_finds_seed_folders_written_with_the_old_padding(tmp_path):
    cfg = _toy(tmp_path)
    out = tmp_path / "s"
    run_seeds(cfg, [3], out_dir=out, progress=False)
    (out / "s0003").rename(out / "s00003")  # as the old naming wrote it for a range reaching 10000
    res = run_seeds(cfg, [3, 4], out_dir=out, progress=False, resume=True)
    assert [r["status"] for r in res.rows] == ["skipped", "done"]
    assert seed_dir(out, 3).name == "s00003"


# ---------------------------------------------------------------- ignored input
def test_set_experiment_is_refused_naming_it(tmp_path, capsys):
    cfg = _toy(tmp_path)
    with pytest.raises(
        ConfigError,
        match=r"--set experiment=read_accuracy: the experiment cannot be overridden "
        r"\(this config runs 'toy_read'\)",
    ):
        resolve_config(cfg, overrides=["experiment=read_accuracy"])
    assert cli_main(["run", str(cfg), "--set", "experiment=read_accuracy", "--out", str(tmp_path / "r")]) == 2
    assert "the experiment cannot be overridden" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_report_on_a_corrupt_metrics_json_is_an_error_naming_it(tmp_path, capsys):
    cfg = _toy(tmp_path)
    out = tmp_path / "r"
    assert cli_main(["run", str(cfg), "--out", str(out), "--quiet"]) == 0
    (out / "metrics.json").write_text('{"truncated": ')
    assert cli_main(["report", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cosim: error: ") and "metrics.json' is not valid JSON" in err
    assert not (out / "report.html").exists()


def test_negative_read_noise_is_refused_naming_it(tmp_path):
    # it used to be dropped silently (`if read_noise > 0 else None`), i.e. run as noise-free
    from cosim.runs.run import run_experiment

    with pytest.raises(ValueError, match=r"write.read_noise must be a finite fraction >= 0 .*got -0.01"):
        run_experiment(
            ROOT / "algorithms" / "snn_digits.toml",
            overrides=["write.read_noise=-0.01", "n_train=10", "n_test=10", "figures=false"],
            out_dir=tmp_path / "r",
            progress=False,
            quiet=True,
            figures=False,
        )
