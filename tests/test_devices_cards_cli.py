"""Model registry, TOML cards (every number sourced) and the ``cosim device`` command."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pytest

from cosim.cli import main
from cosim.devices import MODELS, DeviceError, get_model, load_model_card
from reference_formulas import messaris_r_ohm

REPO = Path(__file__).resolve().parents[1]
CARDS = sorted((REPO / "models").glob("*.toml"))


def test_there_are_cards_for_every_model():
    kinds = {tomllib.loads(p.read_text())["model"] for p in CARDS}
    assert (
        kinds
        == set(MODELS)
        == {"messaris2017", "measured_curve", "vteam", "linear_ion_drift", "yakopcic", "stanford_pku", "veriloga"}
    )


@pytest.mark.parametrize("card", CARDS, ids=[p.name for p in CARDS])
def test_every_card_loads_and_every_parameter_has_a_source(card):
    data = tomllib.loads(card.read_text())
    missing = sorted(set(data["params"]) - set(data["sources"]))
    assert not missing, f"{card.name}: parameters without a [sources] entry: {missing}"
    model = load_model_card(card)
    assert model.name == data["model"]
    state = model.initial_state((2, 2))
    g = model.conductance_s(state)
    assert g.shape == (2, 2) and np.all(g > 0)


# one pulse that programs each card's device (amplitude V, width s), from a state inside its bounds
PROGRAMMING_PULSE = {
    "messaris2017": (1.2, 10e-6, 11000.0),
    "vteam": (0.5, 1e-10, 0.5),
    "linear_ion_drift": (1.0, 1e-3, 0.5),
    "yakopcic": (0.5, 1e-4, 0.5),
    "stanford_pku": (1.4, 5e-9, 1.0e-9),
    "veriloga": (0.5, 1e-10, 0.5),  # models/vteam_va.toml
}


@pytest.mark.parametrize("card", CARDS, ids=[p.name for p in CARDS])
def test_every_card_moves_the_way_its_polarity_says(card):
    """``raises_conductance`` is the polarity that raises G: a pulse of that sign raises it, the
    other sign lowers it (the measured curve: its programming polarity walks up the curve from
    the first point to the last, which is higher; the other polarity does nothing)."""
    model = load_model_card(card)
    sign = 1.0 if model.raises_conductance == "positive" else -1.0
    if model.name == "measured_curve":
        m = np.zeros(1)
        for _ in range(model.n_points - 1):
            m = model.advance(m, sign * 1.0, 1e-6)
        assert m[0] == model.n_points - 1 and model.conductance_s(m)[0] > model.conductance_s(np.zeros(1))[0]
        np.testing.assert_array_equal(model.advance(np.zeros(1), -sign * 1.0, 1e-6), 0.0)
        return
    amp, width, s0 = PROGRAMMING_PULSE[model.name]
    g0 = model.conductance_s(np.array([s0]))[0]
    up = model.conductance_s(model.advance(np.array([s0]), sign * amp, width))[0]
    down = model.conductance_s(model.advance(np.array([s0]), -sign * amp, width))[0]
    assert up > g0 * (1 + 1e-4) and down < g0 * (1 - 1e-4), (g0, up, down)


def test_registry_errors_name_the_offender(tmp_path):
    with pytest.raises(
        DeviceError,
        match="unknown device model 'hp'; known models: linear_ion_drift, measured_curve, messaris2017, stanford_pku, veriloga, vteam, yakopcic",
    ):
        get_model("hp")
    with pytest.raises(DeviceError, match="messaris2017: unknown parameter\\(s\\) Ap"):
        get_model("messaris2017", Ap=1.0)
    with pytest.raises(DeviceError, match="messaris2017: missing parameter\\(s\\) a_p, a_n"):
        get_model("messaris2017", t_p_v=1.0)
    with pytest.raises(FileNotFoundError, match="no_such_card.toml"):
        load_model_card(tmp_path / "no_such_card.toml")
    card = tmp_path / "c.toml"
    card.write_text('model = "vteam"\n[params]\nk_of = 1.0\n')
    with pytest.raises(DeviceError, match=r"c.toml'?: vteam: unknown parameter\(s\) k_of"):
        load_model_card(card)
    card.write_text('model = "memristor9000"\n')
    with pytest.raises(DeviceError, match="unknown device model 'memristor9000'"):
        load_model_card(card)
    card.write_text("[params]\nx = 1\n")
    with pytest.raises(DeviceError, match="has no 'model"):
        load_model_card(card)
    card.write_text('model = "vteam"\nparameters = 3\n')
    with pytest.raises(DeviceError, match="unknown key\\(s\\) parameters"):
        load_model_card(card)
    card.write_text('model = "vteam\n')
    with pytest.raises(DeviceError, match="not valid TOML"):
        load_model_card(card)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_json_matches_the_model(capsys):
    card = str(REPO / "models" / "messaris2017_neuropack.toml")
    code, out, _ = run_cli(
        capsys, "device", card, "--r0", "11000", "--pulse", "-1.2", "1e-6", "--count", "10", "--json"
    )
    assert code == 0
    assert list(json.loads(out)) == ["resistance_ohm"]  # the format: one key, N values
    res = json.loads(out)["resistance_ohm"]
    assert len(res) == 10
    # against the exact solution (tests/reference_formulas.py): 1/(R - r_n) grows by k per second
    expected = messaris_r_ohm(11000.0, -1.2, 1e-6 * np.arange(1, 11))
    np.testing.assert_allclose(res, expected, rtol=1e-12)
    assert res[-1] == pytest.approx(10299, abs=10)  # the "about 10299"


def test_cli_table_state0_and_plot(capsys, tmp_path):
    card = str(REPO / "models" / "measured_4x4.toml")
    png = tmp_path / "r.png"
    code, out, _ = run_cli(
        capsys, "device", card, "--state0", "0", "--pulse", "1.0", "1e-6", "--count", "3", "--plot", str(png)
    )
    assert code == 0 and png.stat().st_size > 1000
    g = [float(x) for x in (REPO / "models/data/conductance_vs_pulse_4x4.csv").read_text().split()[1:]]
    assert f"    3  {1 / g[3]:.2f}" in out
    # an existing plot is not overwritten without --force
    code, _, err = run_cli(capsys, "device", card, "--pulse", "1.0", "1e-6", "--count", "3", "--plot", str(png))
    assert code == 2 and "exists; use --force" in err
    code, _, _ = run_cli(
        capsys, "device", card, "--pulse", "1.0", "1e-6", "--count", "3", "--plot", str(png), "--force"
    )
    assert code == 0
    # below the threshold nothing moves
    code, out, _ = run_cli(capsys, "device", card, "--pulse", "0.5", "1e-6", "--count", "2", "--json")
    assert json.loads(out)["resistance_ohm"] == [1 / g[0]] * 2
    # VTEAM: --r0 goes through the model's R <-> state mapping
    code, out, _ = run_cli(
        capsys,
        "device",
        str(REPO / "models/vteam_kvatinsky2015.toml"),
        "--r0",
        "500",
        "--pulse",
        "0.5",
        "1e-9",
        "--count",
        "2",
        "--json",
    )
    res = json.loads(out)["resistance_ohm"]
    assert code == 0 and 500 < res[0] < res[1]


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(count=["0"]), "--count must be >= 1, got 0"),
        (dict(pulse=["-1.2", "-0.000001"]), "width -1e-06 s must be finite and >= 0"),
        (dict(pulse=["nan", "1e-6"]), "amplitude nan V is not a finite number"),
        (dict(extra=["--r0", "-5"]), "resistance_ohm -5.0 at cell () is outside its bounds"),
        (dict(card="models/none.toml"), "model card 'models/none.toml' not found"),
        (dict(extra=["--plot", "/no/such/dir/x.png"]), "folder '/no/such/dir' does not exist"),
        (dict(extra=["--plot", "/no/such/dir/r.svg"]), "--plot: '/no/such/dir/r.svg' must be a .png file"),
    ],
)
def test_cli_bad_input(capsys, change, message):
    argv = dict(
        card=str(REPO / "models" / "messaris2017_neuropack.toml"), pulse=["-1.2", "1e-6"], count=["3"], extra=[]
    )
    argv.update(change)
    cmd = ["device", argv["card"], "--pulse", *argv["pulse"], "--count", *argv["count"], *argv["extra"]]
    code, _, err = run_cli(capsys, *cmd)
    assert code == 2
    assert message in err
    assert err.startswith("cosim: error:")


def test_cli_r0_refused_for_the_table_model(capsys):
    code, _, err = run_cli(
        capsys, "device", str(REPO / "models/measured_4x4.toml"), "--r0", "2e6", "--pulse", "1", "1e-6", "--count", "1"
    )
    assert code == 2 and "give the index (e.g. --state0 0)" in err
