"""Every output a command cannot write is one line naming the path and the OS error, exit 2,
and nothing half-written under the final name (issue 13, item 9).

Real faults: a small tmpfs mounted full or read-only (needs root and mount(2); otherwise
skipped with that reason), ``/dev/full`` as standard output, and a folder where a file is
expected and the reverse.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cosim.atomic import OutputError, write_text_atomic
from cosim.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]
CARD = ROOT / "models" / "messaris2017_neuropack.toml"
NETLIST_ARGS = ["netlist", "--rows", "3", "--cols", "3", "--r-wordline", "1", "--r-bitline", "1"]


def _mount(target: Path, *options: str) -> None:
    target.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join(("size=256k", *options)), "tmpfs", str(target)],
        capture_output=True,
        text=True,
    )
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root and mount(2)): {res.stderr.strip()}")


def _umount(target: Path) -> None:
    subprocess.run(["umount", "-l", str(target)], check=False)


@pytest.fixture
def full_fs(tmp_path):
    """A mounted tmpfs with every block taken by one file."""
    mnt = tmp_path / "full"
    _mount(mnt)
    try:
        with open(mnt / "filler", "wb") as fh:
            try:
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
        yield mnt
    finally:
        _umount(mnt)


@pytest.fixture
def ro_fs(tmp_path):
    """A mounted read-only tmpfs."""
    mnt = tmp_path / "ro"
    _mount(mnt, "ro")
    try:
        yield mnt
    finally:
        _umount(mnt)


@pytest.fixture
def netlist_file(tmp_path):
    path = tmp_path / "x.cir"
    assert cli_main([*NETLIST_ARGS, "-o", str(path)]) == 0
    return path


@pytest.fixture
def run_folder(tmp_path):
    cfg = tmp_path / "toy.toml"
    cfg.write_text('experiment = "toy_read"\nrows = 2\ncols = 2\n')
    out = tmp_path / "done_run"
    assert cli_main(["run", str(cfg), "--out", str(out), "--quiet"]) == 0
    return out


def _commands(target: Path, netlist: Path, run_dir: Path, cfg: Path) -> dict[str, tuple[list[str], Path]]:
    """command -> (argv writing under ``target``, the file or folder it would write)."""
    return {
        "netlist": ([*NETLIST_ARGS, "-o", str(target / "a.cir")], target / "a.cir"),
        "plot": (["plot", str(netlist), "-o", str(target / "m.png")], target / "m.png"),
        "device --plot": (
            ["device", str(CARD), "--pulse", "-1.2", "1e-4", "--count", "3", "--plot", str(target / "d.png")],
            target / "d.png",
        ),
        "report": (["report", str(run_dir), "-o", str(target / "r.html")], target / "r.html"),
        "run": (["run", str(cfg), "--out", str(target / "run"), "--quiet"], target / "run" / "config.toml"),
        "run --seeds": (
            ["run", str(cfg), "--seeds", "0:2", "--out", str(target / "seeds"), "--quiet"],
            target / "seeds" / "summary.json",
        ),
        "demo": (
            ["demo", "--rows", "3", "--cols", "3", "--out", str(target / "demo")],
            target / "demo" / "demo_crossbar.cir",
        ),
        "sweep": (
            ["sweep", str(cfg), "--grid", "rows=2,3", "--out", str(target / "sweep"), "--quiet", "--workers", "1"],
            target / "sweep" / "sweep.json",
        ),
    }


def _check_one_line(capsys, path_named: str, reason: str) -> None:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("cosim: error: ") and reason in err[0] and path_named in err[0], err[0]


NAMES = ["netlist", "plot", "device --plot", "report", "run", "run --seeds", "demo", "sweep"]


@pytest.mark.parametrize("name", NAMES)
def test_full_disk_is_one_line_exit_2_and_no_truncated_file(name, full_fs, netlist_file, run_folder, tmp_path, capsys):
    cfg = tmp_path / "toy.toml"
    argv, final = _commands(full_fs, netlist_file, run_folder, cfg)[name]
    capsys.readouterr()
    assert cli_main(argv) == 2
    _check_one_line(capsys, str(full_fs), "No space left on device")
    assert not final.exists() or final.is_dir()
    leftovers = [p.name for p in full_fs.rglob("*") if p.is_file() and p.name != "filler" and p.stat().st_size]
    assert leftovers == [], leftovers  # nothing half-written under any name


@pytest.mark.parametrize("name", NAMES)
def test_read_only_file_system_is_one_line_exit_2(name, ro_fs, netlist_file, run_folder, tmp_path, capsys):
    cfg = tmp_path / "toy.toml"
    argv, final = _commands(ro_fs, netlist_file, run_folder, cfg)[name]
    capsys.readouterr()
    assert cli_main(argv) == 2
    _check_one_line(capsys, str(ro_fs), "Read-only file system")
    assert list(ro_fs.iterdir()) == []


def test_solve_to_dev_full_is_one_line_exit_2(netlist_file):
    if not os.path.exists("/dev/full"):
        pytest.skip("this system has no /dev/full")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open("/dev/full", "w") as full:
        res = subprocess.run(
            [sys.executable, "-m", "cosim", "solve", str(netlist_file)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == ["cosim: error: cannot write to standard output: No space left on device"]


def test_a_folder_where_a_file_is_expected_and_the_reverse(tmp_path, netlist_file, capsys):
    (tmp_path / "adir.cir").mkdir()
    assert cli_main([*NETLIST_ARGS, "-o", str(tmp_path / "adir.cir"), "--force"]) == 2
    _check_one_line(capsys, "adir.cir", "Is a directory")
    (tmp_path / "afile").write_text("mine\n")
    cfg = tmp_path / "toy.toml"
    cfg.write_text('experiment = "toy_read"\n')
    assert cli_main(["run", str(cfg), "--out", str(tmp_path / "afile"), "--quiet"]) == 2
    _check_one_line(capsys, "afile", "is not a folder")
    assert cli_main(["demo", "--rows", "2", "--cols", "2", "--out", str(tmp_path / "afile" / "sub")]) == 2
    _check_one_line(capsys, "afile", "Not a directory")
    assert (tmp_path / "afile").read_text() == "mine\n"  # the user's file is untouched


def test_atomic_write_keeps_the_old_content_when_the_new_one_cannot_be_written(full_fs):
    # the reference is the file system: the old bytes stay, no temporary file remains
    target = full_fs / "keep.txt"
    shutil.move(str(full_fs / "filler"), str(full_fs / "filler2"))  # still full
    with pytest.raises(OSError):
        (full_fs / "probe").write_bytes(b"x" * 4096)
    (full_fs / "probe").unlink(missing_ok=True)
    os.truncate(full_fs / "filler2", os.path.getsize(full_fs / "filler2") - 8192)
    target.write_text("old\n")
    with pytest.raises(OutputError, match="keep.txt'.*No space left on device"):
        write_text_atomic(target, "new " * 100000)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in full_fs.iterdir()) == ["filler2", "keep.txt"]
