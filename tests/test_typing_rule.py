"""One typing rule for configs, ``--set``, model cards and the API (issue 13, item 8):
bool, complex, masked and float-for-int values are refused with the value named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cosim.devices import load_model_card
from cosim.devices import DeviceError
from cosim.netlist.circuit import Circuit, CircuitError
from cosim.runs.config import ConfigError
from cosim.runs.run import resolve_config
from cosim.values import check_integer, check_real, real_values

ROOT = Path(__file__).resolve().parents[1]


def _toy(tmp_path, body: str) -> Path:
    path = tmp_path / "toy.toml"
    path.write_text('experiment = "toy_read"\n' + body)
    return path


def test_set_and_file_refuse_a_float_for_an_int_alike(tmp_path):
    with pytest.raises(ConfigError, match=r"config key 'rows' must be int, got float 4.0"):
        resolve_config(_toy(tmp_path, "rows = 4.0\n"))
    with pytest.raises(ConfigError, match=r"--set rows=4.0: expected int, got float 4.0 \(write it as 4\)"):
        resolve_config(_toy(tmp_path, ""), overrides=["rows=4.0"])
    assert resolve_config(_toy(tmp_path, ""), overrides=["rows=4"]).config.rows == 4


def test_set_and_file_refuse_a_bool_for_a_number(tmp_path):
    with pytest.raises(ConfigError, match=r"config key 'rows' must be int, got bool True"):
        resolve_config(_toy(tmp_path, "rows = true\n"))
    with pytest.raises(ConfigError, match=r"--set rows=true: expected int"):
        resolve_config(_toy(tmp_path, ""), overrides=["rows=true"])


def test_a_bool_in_a_model_card_is_refused_naming_the_parameter(tmp_path):
    text = (ROOT / "models" / "messaris2017_neuropack.toml").read_text()
    assert "a_p = " in text
    lines = [("a_p = true" if line.strip().startswith("a_p =") else line) for line in text.splitlines()]
    card = tmp_path / "card.toml"
    card.write_text("\n".join(lines) + "\n")
    with pytest.raises(DeviceError, match=r"card.toml'.*parameter a_p must be a number, got bool true"):
        load_model_card(card)


@pytest.mark.parametrize(
    "value, needle",
    [
        (True, "got bool True"),
        (np.array([True, False]), "got booleans"),
        (np.array([1 + 2j, 3.0]), "got complex values"),
        (np.ma.masked_array([1.0, 2.0], mask=[False, True]), "got a masked array"),
        ("1k", "must be a number or 2 numbers, got .1k."),
    ],
)
def test_circuit_add_refuses_values_that_would_be_coerced(value, needle):
    c = Circuit("t")
    with pytest.raises(CircuitError, match=needle):
        c.add("resistor", ["r1", "r2"], ["a", "a"], ["0", "0"], value=value)


def test_the_rule_helpers():
    assert real_values("x", np.arange(3)).dtype == float
    assert check_real("x", 3) == 3.0 and check_integer("n", np.int64(5)) == 5
    for bad in (True, 2.5, "3"):
        with pytest.raises(TypeError, match="n must be an integer"):
            check_integer("n", bad)
    with pytest.raises(TypeError, match="x must be a real number, got complex"):
        check_real("x", 1j)
