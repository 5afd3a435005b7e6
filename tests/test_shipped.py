"""cosim.shipped: bare names resolve to the shipped files, paths to the user's."""

from __future__ import annotations

from pathlib import Path

import pytest

from cosim import shipped
from cosim.cli import main
from cosim.devices import load_model_card

REPO = Path(__file__).resolve().parents[1]


def test_from_a_checkout_the_shipped_folders_are_the_top_level_ones():
    # no cosim/_shipped in a source tree (setup.py makes it inside the wheel only)
    assert not (REPO / "cosim" / "_shipped").exists()
    assert shipped.shipped_root("models") == REPO / "models"
    assert shipped.shipped_root("algorithms") == REPO / "algorithms"
    assert shipped.shipped_cards() == sorted(p.stem for p in (REPO / "models").glob("*.toml"))
    assert "read_accuracy.sweep" in shipped.shipped_configs()


@pytest.mark.parametrize(
    "name", ["messaris2017_neuropack", "messaris2017_neuropack.toml", "models/messaris2017_neuropack.toml"]
)
def test_card_names_resolve_from_any_folder(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    assert shipped.card_path(name) == REPO / "models" / "messaris2017_neuropack.toml"


@pytest.mark.parametrize("name", ["manhattan_4x4", "algorithms/manhattan_4x4.toml", "read_accuracy.sweep"])
def test_config_names_resolve_from_any_folder(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    stem = name.split("/")[-1].removesuffix(".toml")
    assert shipped.config_path(name) == REPO / "algorithms" / f"{stem}.toml"


def test_a_user_file_wins_over_the_shipped_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "messaris2017_neuropack.toml"
    mine.write_text('model = "linear_ion_drift"\n[params]\n')
    assert shipped.card_path("messaris2017_neuropack.toml") == Path("messaris2017_neuropack.toml")
    assert load_model_card("messaris2017_neuropack.toml").name == "linear_ion_drift"
    assert load_model_card("messaris2017_neuropack").name == "messaris2017"  # the bare name: shipped


def test_unknown_names_list_what_is_shipped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"model card 'nope' not found.*shipped: .*messaris2017_neuropack"):
        shipped.card_path("nope")
    with pytest.raises(FileNotFoundError, match=r"config file 'sub/nope.toml' not found.*manhattan_4x4"):
        shipped.config_path("sub/nope.toml")
    # an absolute path that does not exist is the user's, never looked up among the shipped files
    with pytest.raises(FileNotFoundError, match="not found"):
        shipped.card_path(tmp_path / "messaris2017_neuropack.toml")
    for bad in ("", "   ", None, 3):
        with pytest.raises(ValueError, match="must be a file path or a shipped name"):
            shipped.card_path(bad)
    with pytest.raises(ValueError, match="unknown shipped folder 'netlists'"):
        shipped.shipped_root("netlists")


def test_cli_list_sections(capsys):
    assert main(["list", "cards"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "cards:"
    lines = {line.split()[0]: line for line in out[1:]}
    assert set(lines) == {p.stem for p in (REPO / "models").glob("*.toml")}
    assert "messaris2017:" in lines["messaris2017_neuropack"]
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "experiments:" in out and "configs:" in out and "read_accuracy.sweep  " in out
    assert "sweep of read_accuracy.toml" in out


def test_a_shipped_sweep_by_name_finds_its_base_beside_it(tmp_path, monkeypatch):
    from cosim.runs.sweep import load_sweep_file

    monkeypatch.chdir(tmp_path)
    spec, _ = load_sweep_file("read_accuracy.sweep")
    assert Path(spec.base_path) == REPO / "algorithms" / "read_accuracy.toml"
    assert spec.base["experiment"] == "read_accuracy"


def test_the_resolver_imports_nothing_from_cosim():
    # every layer, devices included, may use cosim.shipped: it must sit below all of them
    import ast

    tree = ast.parse((REPO / "cosim" / "shipped.py").read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not {m for m in imported if m == "cosim" or m.startswith("cosim.")}
