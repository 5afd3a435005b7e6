"""Write schemes and the bias / spec contracts: line levels derived by hand from
the scheme definitions (docs/design.md: ideal selector, V/2, V/3, floating), and every
refused input named in its message."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.netlist.bias import Bias, BiasError, read_bias, write_bias
from cosim.netlist.crossbar import CrossbarSpec, CrossbarSpecError


@pytest.mark.parametrize(
    "scheme, wl_unselected, bl_unselected",
    [("ideal", 0.0, 0.0), ("v2", 0.6, 0.6), ("v3", 0.4, 0.8), ("floating", np.nan, np.nan)],
)
def test_scheme_line_levels_and_nominal_cell_voltages(scheme, wl_unselected, bl_unselected):
    bias = write_bias(scheme, (3, 4), [1], [0, 2], 1.2)
    np.testing.assert_allclose(bias.wordline_v, [wl_unselected, 1.2, wl_unselected], rtol=1e-15)
    np.testing.assert_allclose(bias.bitline_v, [0.0, bl_unselected, 0.0, bl_unselected], rtol=1e-15)
    assert bias.selected.sum() == 2 and bias.selected[1, 0] and bias.selected[1, 2]
    np.testing.assert_array_equal(bias.gate_on, [False, True, False])  # 1T1R: only the selected row conducts
    assert bias.ideal_selector == (scheme == "ideal")
    v = bias.nominal_cell_voltages_v()
    assert v[1, 0] == v[1, 2] == pytest.approx(1.2)
    if scheme == "v2":  # half-selected cells see V/2, unselected ones nothing
        assert v[1, 1] == pytest.approx(0.6) and v[0, 0] == pytest.approx(0.6) and v[0, 1] == pytest.approx(0.0)
    if scheme == "v3":  # every cell that is not selected sees +-V/3
        np.testing.assert_allclose(np.abs(v[~bias.selected]), 0.4, rtol=1e-12)
    if scheme == "ideal":
        assert np.all(v[~bias.selected] == 0.0)


def test_negative_amplitude_reverses_every_level_and_masks_select():
    pos = write_bias("v3", (2, 3), np.array([True, False]), np.array([False, True, False]), 0.9)
    neg = write_bias("v3", (2, 3), [0], [1], -0.9)
    np.testing.assert_allclose(neg.wordline_v, -pos.wordline_v)
    np.testing.assert_allclose(neg.bitline_v, -pos.bitline_v + 0.0)
    np.testing.assert_array_equal(neg.selected, pos.selected)


def test_read_bias_drives_rows_grounds_columns_and_turns_every_gate_on():
    bias = read_bias([0.2, -0.1], 3)
    np.testing.assert_array_equal(bias.wordline_v, [0.2, -0.1])
    np.testing.assert_array_equal(bias.bitline_v, [0.0, 0.0, 0.0])
    assert bias.gate_on.all() and bias.selected.all() and not bias.ideal_selector


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: write_bias("v4", (2, 2), [0], [0], 1.0), "unknown write scheme 'v4'"),
        (lambda: write_bias("v2", (2, 2), [0], [0], float("nan")), "amplitude_v must be a finite voltage, got nan"),
        (lambda: write_bias("v2", (2, 2), [0], [0], float("inf")), "got inf"),
        (lambda: write_bias("v2", (2, 2), [2], [0], 1.0), "selected rows index 2 out of range 0..1"),
        (lambda: write_bias("v2", (2, 2), [0], [-1], 1.0), "selected cols index -1 out of range 0..1"),
        (
            lambda: write_bias("v2", (2, 2), np.array([True, False, True]), [0], 1.0),
            "selected rows mask has shape (3,); expected (2,)",
        ),
        (lambda: write_bias("v2", (2, 2), [0], np.zeros(2, bool), 1.0), "no cols selected"),
        (lambda: Bias([1.0, np.inf], [0.0], True, np.ones((2, 1), bool)), "wordline_v[1] is inf"),
        (lambda: Bias([1.0], [0.0, -np.inf], True, np.ones((1, 2), bool)), "bitline_v[1] is -inf"),
        (lambda: Bias([np.nan], [np.nan], True, np.ones((1, 1), bool)), "every line is floating"),
        (lambda: Bias([1.0, 0.0], [0.0], True, np.ones((1, 2), bool)), "selected has shape (1, 2); expected (2, 1)"),
        (lambda: Bias([1.0, 0.0], [0.0], [True] * 3, np.ones((2, 1), bool)), "gate_on has shape (3,)"),
    ],
)
def test_bad_biases_are_named(call, message):
    with pytest.raises(BiasError) as err:
        call()
    assert message in str(err.value)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(rows=0), "rows must be an integer >= 1, got 0"),
        (dict(cols=2.5), "cols must be an integer >= 1, got 2.5"),
        (dict(cell="2T2R"), "got '2T2R'"),
        (dict(r_wordline_ohm=np.inf), "r_wordline_ohm must be finite, got inf at index (0, 0)"),
        (dict(r_bitline_ohm=[[1.0, -2.0], [1.0, 1.0]]), "r_bitline_ohm must be >= 0 ohm, got -2.0 at index (0, 1)"),
        (dict(r_sense_ohm=[1.0, 2.0, 3.0]), "r_sense_ohm has shape (3,); expected a scalar or shape (2,)"),
        (dict(r_driver_ohm="one ohm"), "r_driver_ohm must be a number or an array of numbers in ohm, got 'one ohm'"),
        (dict(r_transistor_on_ohm=0.0), "r_transistor_on_ohm must be > 0 ohm, got 0.0"),
        (dict(r_transistor_off_ohm=float("nan")), "r_transistor_off_ohm must be > 0 ohm, got nan"),
        (dict(r_transistor_on_ohm="1k"), "r_transistor_on_ohm must be > 0 ohm, got '1k'"),
        (dict(selector=0.1), "selector must be a SinhSelector, got float"),
    ],
)
def test_bad_specs_are_named(kwargs, message):
    args = dict(rows=2, cols=2)
    args.update(kwargs)
    with pytest.raises(CrossbarSpecError) as err:
        CrossbarSpec(**args)
    assert message in str(err.value)


def test_cell_array_check_names_shape_and_value():
    spec = CrossbarSpec(2, 2)
    np.testing.assert_array_equal(
        spec.check_cells([[1.0, np.inf], [2.0, 3.0]])[0], [1.0, np.inf]
    )  # open cells are valid
    with pytest.raises(CrossbarSpecError, match=r"r_cell_ohm has shape \(3,\); the crossbar is \(2, 2\)"):
        spec.check_cells([1.0, 2.0, 3.0])
    with pytest.raises(CrossbarSpecError, match=r"r_cell_ohm must be > 0 ohm, got 0 at index \(1, 0\)"):
        spec.check_cells([[1.0, 1.0], [0.0, 1.0]])
