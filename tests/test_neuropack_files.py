"""NeuroPack file readers on NeuroPack's own example files, and bad lines rejected clearly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cosim.runs import neuropack as npk

DATA = Path(__file__).parent / "data" / "neuropack"


def test_mnist_lif_config_keys_mapped():
    cfg = npk.read_config(DATA / "MNIST_LIF.json")
    assert (cfg.netsize, cfg.depth, cfg.layers) == (494, 2, (484, 10))
    assert cfg.leakage == -0.3 and cfg.fire_threshold == 0.001 and cfg.learning_rate == 3.5e-6
    assert cfg.init_r_ohm == 11000 and cfg.init_variation_ohm == 1000
    assert cfg.pos_pulse_v == (0.9, 1.1, 1.2, 1.2, 1.2, 1.2)
    assert cfg.neg_pulse_width_s == (1e-6, 1e-6, 1e-6, 5e-6, 1e-5, 5e-5)
    assert cfg.max_update_steps == 5 and cfg.r_tolerance == 0.01
    assert (cfg.r_floor_ohm, cfg.r_ceil_ohm) == (2231, 12854)
    assert len(cfg.pulse_options) == 12 and cfg.pulse_options[6] == (-0.9, 1e-6)
    p = cfg.snn_params()
    # NeuroPack draws R0 = INITRES + (rand - 0.5) * DEVICEINITVARIATION: +-500 ohm
    assert p["r_init_halfwidth_ohm"] == 500 and p["n_inputs"] == 484 and p["n_outputs"] == 10


def test_motif_files():
    conn = npk.read_connectivity(DATA / "motif_connmat.txt", netsize=3)
    # file rows "1, 2, 1, 2, 1" ... -> 0-based
    assert conn.pre.tolist() == [0, 1, 2, 0, 2, 1]
    assert conn.post.tolist() == [1, 2, 0, 2, 1, 0]
    assert conn.row.tolist() == [0, 1, 2, 0, 2, 1] and conn.col.tolist() == [1, 2, 0, 2, 1, 0]
    assert conn.sign.tolist() == [1] * 6 and conn.array_shape == (3, 3)
    stim = npk.read_stimulus(DATA / "motif_stim.txt")
    assert stim.steps.tolist() == list(range(11, 24))
    raster = stim.to_raster(3)
    assert raster.shape == (24, 3) and raster[:11].sum() == 0
    assert raster[23].tolist() == [True, True, False]  # "23 - 1, 2"


def test_mnist_connectivity_is_the_dense_100x100_packing():
    conn = npk.read_connectivity(DATA / "MNIST_LIF_connmat.txt", netsize=494)
    rows, cols = conn.layer_layout(484, 10)
    k = np.arange(484)[:, None] + 484 * np.arange(10)[None, :]  # synapse k = output*484 + input
    np.testing.assert_array_equal(rows, k // 100)
    np.testing.assert_array_equal(cols, k % 100)


def test_supervised_stimulus_split(tmp_path):
    f = tmp_path / "stim.txt"
    f.write_text("# t - ids\n0 - 1, 3, 6\n2 - 2,5\n")
    x, labels = npk.read_stimulus(f).to_samples(n_inputs=4, n_outputs=2)
    assert x.tolist() == [[1, 0, 1, 0], [0, 0, 0, 0], [0, 1, 0, 0]]
    assert labels.tolist() == [1, -1, 0]


@pytest.mark.parametrize(
    "text, match",
    [
        ("1, 2, 1, 2\n", r"line 1: '1, 2, 1, 2': expected 5 fields"),
        ("# c\n1, 2, 1, x, 1\n", r"line 2: '1, 2, 1, x, 1': every field must be an integer"),
        ("0, 2, 1, 2, 1\n", r"line 1: .*PREID 0 must be >= 1"),
        ("1, 2, 1, 2, 2\n", r"line 1: .*TYPE 2 must be \+1"),
        ("1, 2, 1, 2, 1\n1, 2, 3, 3, 1\n", r"line 2: .*synapse 1 -> 2 already given on line 1"),
        ("1, 2, 1, 2, 1\n2, 3, 1, 2, 1\n", r"line 2: .*device W=1, B=2 already used on line 1"),
        ("1, 9, 1, 2, 1\n", r"line 1: .*neuron id 9 exceeds NETSIZE 3"),
    ],
)
def test_bad_connectivity_lines(tmp_path, text, match):
    f = tmp_path / "conn.txt"
    f.write_text(text)
    with pytest.raises(npk.NeuroPackFormatError, match=match) as info:
        npk.read_connectivity(f, netsize=3)
    assert str(f) in str(info.value)


@pytest.mark.parametrize(
    "text, match",
    [
        ("3 1, 2\n", r"line 1: '3 1, 2': expected 'timestep - id, id, ...'"),
        ("x - 1\n", r"line 1: .*time step 'x' must be a non-negative integer"),
        ("1 - 1, a\n", r"line 1: .*neuron id 'a' must be an integer >= 1"),
        ("1 - 0\n", r"line 1: .*neuron id 0 must be >= 1"),
        ("1 - 1\n\n1 - 2\n", r"line 3: .*time step 1 already given on line 1"),
    ],
)
def test_bad_stimulus_lines(tmp_path, text, match):
    f = tmp_path / "stim.txt"
    f.write_text(text)
    with pytest.raises(npk.NeuroPackFormatError, match=match):
        npk.read_stimulus(f)


def test_stimulus_beyond_network_and_two_labels(tmp_path):
    f = tmp_path / "stim.txt"
    f.write_text("0 - 7\n")
    with pytest.raises(npk.NeuroPackFormatError, match="stimulates neuron 7, beyond 6 neurons"):
        npk.read_stimulus(f).to_raster(6)
    f.write_text("0 - 5, 6\n")
    with pytest.raises(npk.NeuroPackFormatError, match="time step 0 stimulates several output neurons"):
        npk.read_stimulus(f).to_samples(4, 2)


def _cfg(tmp_path, **changes):
    raw = json.loads((DATA / "MNIST_LIF.json").read_text())
    raw.update(changes)
    for k, v in list(raw.items()):
        if v is None:
            del raw[k]
    f = tmp_path / "c.json"
    f.write_text(json.dumps(raw, indent=1))
    return f


@pytest.mark.parametrize(
    "changes, match",
    [
        (dict(NETSIZE=None), "missing required parameter 'NETSIZE'"),
        (dict(FIRETH="high"), "key 'FIRETH' must be float, got 'high'"),
        (dict(MAXUPDATESTEPS=2.5), "key 'MAXUPDATESTEPS' must be int, got 2.5"),
        (dict(POSVOLTOFPULSELIST=[0.9, 1.1]), "POSVOLTOFPULSELIST has 2 entries but POSPULSEWIDTHOFPULSELIST has 6"),
        (dict(NEGPULSEWIDTHOFPULSELIST=[1e-6, 0, 1, 1, 1, 1]), "non-positive width 0"),
        (dict(LAYER=[484, 11]), r"LAYER \[484, 11\] sums to 495, but NETSIZE is 494"),
    ],
)
def test_bad_config(tmp_path, changes, match):
    with pytest.raises(npk.NeuroPackFormatError, match=match):
        npk.read_config(_cfg(tmp_path, **changes))


def test_config_json_syntax_error_names_line(tmp_path):
    f = tmp_path / "c.json"
    f.write_text('{\n "NETSIZE": 3,\n "DEPTH": 2,,\n}\n')
    with pytest.raises(
        npk.NeuroPackFormatError, match=r"c.json, line 3, column \d+: not valid JSON .*'\"DEPTH\": 2,,'"
    ):
        npk.read_config(f)


def test_readme_spelling_and_unknown_keys_kept(tmp_path):
    f = tmp_path / "c.json"
    f.write_text('{"NETSIZE": 3, "DEPTH": 1, "DEVICEINITVAIATION": 200, "LTPWIN": 2}')
    cfg = npk.read_config(f)
    assert cfg.init_variation_ohm == 200 and cfg.extra == {"LTPWIN": 2}
    assert cfg.leakage == 1.0 and cfg.fire_threshold == 0.8  # NeuroPack's .get defaults
