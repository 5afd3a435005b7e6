"""`cosim report`: self-contained HTML whose figures render in headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from cosim.cli import main as cli_main
from cosim.runs.report import report_html, write_report
from cosim.runs.run import run_experiment, run_seeds
from cosim.runs.sweep import SweepSpec, parse_grid, run_sweep

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BASE = {"experiment": "toy_read", "seed": 1, "n_reads": 2}

# appended to a copy of the report by the test only: records each <img>'s decoded width
_CHECK = (
    "<script>window.addEventListener('load',function(){var im=Array.prototype.slice.call(document.images);"
    "var p=document.createElement('pre');p.id='imgcheck';p.textContent='IMGCHECK '+im.length+' '+"
    "im.map(function(i){return i.naturalWidth}).join(',');document.body.appendChild(p);});</script>"
)


def _rendered_image_widths(html_path: Path) -> list[int]:
    probe = html_path.with_name("probe.html")
    probe.write_text(html_path.read_text().replace("</body>", _CHECK + "</body>"))
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=5000",
                "--dump-dom",
                probe.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    m = re.search(r"IMGCHECK (\d+) ([\d,]*)</pre>", proc.stdout)
    assert m, f"chromium did not run the probe: {proc.stderr[-1500:]}"
    widths = [int(w) for w in m.group(2).split(",") if w]
    assert len(widths) == int(m.group(1))
    return widths


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("rep")
    run = run_experiment(BASE, out_dir=root / "run", progress=False, quiet=True).out_dir
    seeds = run_seeds(BASE, "0:5", out_dir=root / "seeds", progress=False).out_dir
    spec = SweepSpec(dict(BASE), parse_grid(["rows=0,2,3", "cols=2,4"]), seeds=[0, 1])
    sweep = run_sweep(spec, out_dir=root / "sweep", workers=1, progress=False, figures=False).out_dir
    return {"run": run, "seeds": seeds, "sweep": sweep}


def test_reports_are_self_contained(folders):
    for kind, folder in folders.items():
        text = report_html(folder)
        assert not re.search(r'(src|href)="(?!data:image/png;base64,)', text), kind  # nothing external
        assert "<script" not in text


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (setup.sh installs it)")
@pytest.mark.parametrize("kind, n_images", [("run", 1), ("seeds", 4), ("sweep", 6)])
def test_report_figures_render_in_chromium(folders, kind, n_images, tmp_path):
    # run: its one saved PNG; seeds: a histogram per numeric metric (reads_done, i_out_mean_a,
    # i_out_abs_max_a, g_mean_s); sweep: a plot per numeric column (those four, elapsed_s, cpu_s)
    out = write_report(folders[kind], tmp_path / f"{kind}.html")
    widths = _rendered_image_widths(out)
    assert len(widths) == n_images and all(w > 100 for w in widths), widths


def test_report_content_and_cli(folders, tmp_path, capsys):
    text = report_html(folders["sweep"])
    assert "ValueError: toy_read: rows must be &gt;= 1, got 0" in text  # failed points listed
    assert text.count('<tr class="failed">') == 2 * 4  # 4 failed runs, in the failed table and in the results
    run_text = report_html(folders["run"])
    assert "<th>n_reads</th><td>2</td>" in run_text and "<th>i_out_mean_a</th>" in run_text
    out = tmp_path / "r.html"
    assert cli_main(["report", str(folders["run"]), "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"report: {out}"
    assert cli_main(["report", str(folders["run"]), "-o", str(out)]) == 2
    assert "exists; use --force" in capsys.readouterr().err
    assert cli_main(["report", str(folders["run"]), "-o", str(out), "--force"]) == 0
    assert cli_main(["report", str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert cli_main(["report", str(tmp_path / "empty")]) == 2
    assert "is not a run folder (config.toml + metrics.json)" in capsys.readouterr().err
