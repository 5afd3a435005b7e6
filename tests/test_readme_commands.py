"""Run every ``$ cosim ...`` line of the console blocks of the README and of
every documentation page (``docs/**/*.md``), so the documented command line
cannot rot.

Each command runs from a scratch folder that links the repository's
``algorithms/``, ``models/`` and ``netlists/``; commands of one block share the
folder, in order, so a later line may use a file an earlier one wrote.  A
command passes when it exits 0 and, where the README shows output lines under
it (lines not starting with ``$``), every one of those appears in its output.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


DOC_FILES = [REPO / "README.md"] + sorted(
    p for p in (REPO / "docs").rglob("*.md") if "_build" not in p.parts and "_autosummary" not in p.parts
)


def readme_console_blocks() -> list[list[tuple[str, list[str]]]]:
    """[(command, expected output lines)] per ```console block with `$ cosim` lines."""
    text = "\n".join(p.read_text() for p in DOC_FILES)
    blocks = []
    for body in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        cmds: list[tuple[str, list[str]]] = []
        for line in body.splitlines():
            if line.startswith("$ cosim"):
                cmds.append((line[2:].strip(), []))
            elif cmds and line.strip() and not line.startswith("$"):
                cmds[-1][1].append(line.strip())
        if cmds:
            blocks.append(cmds)
    return blocks


BLOCKS = readme_console_blocks()


@pytest.mark.parametrize("block", BLOCKS, ids=[b[0][0][:60] for b in BLOCKS])
def test_readme_console_block(block, tmp_path):
    for name in ("algorithms", "models", "netlists"):
        (tmp_path / name).symlink_to(REPO / name)
    env = dict(os.environ, MPLBACKEND="Agg", COSIM_NO_PROGRESS="1")
    for command, expected in block:
        argv = [sys.executable, "-m", "cosim", *shlex.split(command)[1:]]
        proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"{command!r} exited {proc.returncode}:\n{proc.stderr[-2000:]}"
        for line in expected:
            if line != "...":
                assert line in proc.stdout, f"{command!r}: expected {line!r} in its output:\n{proc.stdout[-2000:]}"


def test_readme_has_the_two_quick_start_commands():
    text = (REPO / "README.md").read_text()
    assert "bash setup.sh && python -m cosim demo" in text
    assert "bash setup.sh && python -m pytest" in text
