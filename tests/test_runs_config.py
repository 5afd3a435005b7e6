"""cosim.runs.config: TOML <-> typed dataclasses, validation errors name the key, typed overrides."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.runs.config import ConfigError, apply_overrides, from_dict, load_config, to_dict, to_toml


@dataclass
class Device:
    g_max_s: float = 1e-4
    model: Literal["messaris", "vteam"] = "messaris"


@dataclass
class Cfg:
    size: int = 8
    cell: Literal["1R", "1S1R", "1T1R"] = "1R"
    r_wire_ohm: float = 1.0
    verbose: bool = False
    sizes: list[int] = field(default_factory=lambda: [4, 8])
    label: str = "x"
    limit: float | None = None
    window: tuple[float, float] = (0.0, 1.0)
    device: Device = field(default_factory=Device)


def test_defaults_and_nested_section():
    cfg = from_dict(Cfg, {"size": 16, "device": {"g_max_s": 2e-4}})
    assert cfg.size == 16 and cfg.device == Device(g_max_s=2e-4) and cfg.cell == "1R"


def test_int_is_accepted_for_float_and_converted():
    cfg = from_dict(Cfg, {"r_wire_ohm": 2})
    assert isinstance(cfg.r_wire_ohm, float) and cfg.r_wire_ohm == 2.0


@pytest.mark.parametrize(
    "mapping, needle",
    [
        ({"sise": 3}, "unknown config key 'sise'; valid keys: size, cell, r_wire_ohm"),
        ({"device": {"g_max": 1}}, "unknown config key 'device.g_max'; valid keys: g_max_s, model"),
        ({"size": "8"}, "config key 'size' must be int, got str '8'"),
        ({"size": 8.5}, "config key 'size' must be int, got float 8.5"),
        ({"size": True}, "config key 'size' must be int, got bool True"),
        ({"verbose": 1}, "config key 'verbose' must be bool"),
        ({"cell": "2R"}, "config key 'cell' must be one of '1R', '1S1R', '1T1R', got '2R'"),
        ({"device": {"model": "x"}}, "config key 'device.model' must be one of 'messaris', 'vteam'"),
        ({"sizes": [4, "a"]}, "config key 'sizes[1]' must be int, got str 'a'"),
        ({"sizes": 4}, "config key 'sizes' must be a list"),
        ({"device": 3}, "config key 'device' must be a table"),
        ({"window": [1.0]}, "config key 'window' must be a list of 2 items"),
        ({"limit": "a"}, "config key 'limit' must be float or None"),
    ],
)
def test_validation_errors_name_the_key(mapping, needle):
    with pytest.raises(ConfigError) as info:
        from_dict(Cfg, mapping)
    assert needle in str(info.value)


def test_required_field_named():
    @dataclass
    class Need:
        n_cells: int

    with pytest.raises(ConfigError, match="config key 'n_cells' is required"):
        from_dict(Need, {})


def test_post_init_errors_become_config_errors():
    @dataclass
    class Checked:
        size: int = 4

        def __post_init__(self):
            if self.size < 1:
                raise ValueError(f"size must be >= 1, got {self.size}")

    with pytest.raises(ConfigError, match="size must be >= 1, got 0"):
        from_dict(Checked, {"size": 0})


@pytest.mark.parametrize(
    "item, key, expected",
    [
        ("size=16", ("size",), 16),
        ("r_wire_ohm=2.5", ("r_wire_ohm",), 2.5),
        ("r_wire_ohm=3", ("r_wire_ohm",), 3.0),
        ("verbose=true", ("verbose",), True),
        ("verbose=no", ("verbose",), False),
        ("cell=1S1R", ("cell",), "1S1R"),
        ("sizes=16,32,64", ("sizes",), [16, 32, 64]),
        ("sizes=[1, 2]", ("sizes",), [1, 2]),
        ("label=a=b", ("label",), "a=b"),
        ("limit=none", ("limit",), None),
        ("limit=0.5", ("limit",), 0.5),
        ("window=0.1,0.9", ("window",), [0.1, 0.9]),
        ("device.g_max_s=2e-4", ("device", "g_max_s"), 2e-4),
        ("device.model=vteam", ("device", "model"), "vteam"),
        ("seed=7", ("seed",), 7),
    ],
)
def test_overrides_are_typed_by_the_field(item, key, expected):
    out = apply_overrides({"size": 8}, [item], Cfg)
    value = out
    for k in key:
        value = value[k]
    assert value == expected and type(value) is type(expected)
    if key[0] != "seed":
        from_dict(Cfg, {k: v for k, v in out.items() if k != "seed"})  # still valid


def test_overrides_do_not_mutate_input():
    base = {"device": {"g_max_s": 1.0}}
    apply_overrides(base, ["device.g_max_s=2"], Cfg)
    assert base == {"device": {"g_max_s": 1.0}}


@pytest.mark.parametrize(
    "item, needle",
    [
        ("sise=3", "unknown config key 'sise'; valid keys: size, cell"),
        ("device.gmax=3", "unknown config key 'device.gmax'; valid keys in 'device': g_max_s, model"),
        ("size=abc", "--set size=abc: expected int"),
        ("size=2.5", "--set size=2.5: expected int"),
        # one rule with the file (where `size = 4.0` is refused): a float is not an int
        ("size=4.0", "--set size=4.0: expected int, got float 4.0 (write it as 4)"),
        ("size=1e3", "--set size=1e3: expected int, got float 1e3 (write it as 1000)"),
        ("verbose=maybe", "--set verbose=maybe: expected bool"),
        ("cell=2R", "--set cell=2R: must be one of '1R', '1S1R', '1T1R'"),
        ("sizes=1,x", "--set sizes[1]=x: expected int"),
        ("device=3", "'device' is a section"),
        ("size", "--set 'size': expected key=value"),
        ("size.x=1", "config key 'size' is not a section"),
        ("=1", "empty key"),
    ],
)
def test_override_errors_name_the_key(item, needle):
    with pytest.raises(ConfigError) as info:
        apply_overrides({}, [item], Cfg)
    assert needle in str(info.value)


def test_to_toml_roundtrip_of_a_dataclass():
    cfg = Cfg(size=3, cell="1T1R", sizes=[1, 2], label='quote " and \\ and\nnewline', window=(0.5, 2.0))
    text = to_toml(cfg)
    back = tomllib.loads(text)
    assert back == {k: v for k, v in to_dict(cfg).items() if v is not None}  # limit=None is left out
    assert from_dict(Cfg, back) == cfg


_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(),
)
_keys = st.text(min_size=1, max_size=8)
_values = st.recursive(
    st.one_of(_scalars, st.lists(_scalars, max_size=4)),
    lambda children: st.dictionaries(_keys, children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_keys, _values, max_size=6))
def test_to_toml_roundtrip_property(d):
    assert tomllib.loads(to_toml(d)) == d


def test_to_toml_keys_that_need_quotes():
    d = {"0\n": False, "a b": {"c.d": 1, "": 2}, "é": "x"}
    assert tomllib.loads(to_toml(d)) == d


def test_to_toml_nonfinite_and_none():
    back = tomllib.loads(to_toml({"a": math.inf, "b": -math.inf, "c": None, "d": {"e": 1}}))
    assert back["a"] == math.inf and back["b"] == -math.inf and "c" not in back and back["d"] == {"e": 1}
    assert math.isnan(tomllib.loads(to_toml({"x": math.nan}))["x"])


def test_to_toml_refuses_what_toml_cannot_hold():
    with pytest.raises(TypeError, match="x.y"):
        to_toml({"x": {"y": object()}})


def test_load_config_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.toml"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("experiment = \n")
    with pytest.raises(ConfigError, match="bad.toml.*not valid TOML.*line 1"):
        load_config(bad)


@settings(max_examples=100, deadline=None)
@given(_values)
def test_toml_inline_is_one_line_and_reads_back(v):
    # the reference is the standard library's reader: tomllib parses what toml_inline wrote
    from cosim.runs.config import toml_inline

    text = toml_inline(v)
    assert "\n" not in text.replace("\\n", "")
    assert tomllib.loads(f"v = {text}")["v"] == v


def test_config_module_split_keeps_the_old_import_path():
    import cosim.runs.config as cfgmod
    from cosim.runs.config import overrides, schema, writing

    assert cfgmod.ConfigError is schema.ConfigError and cfgmod.apply_overrides is overrides.apply_overrides
    assert cfgmod.to_toml is writing.to_toml
    assert cfgmod.ConfigError.__module__ == "cosim.runs.config"
