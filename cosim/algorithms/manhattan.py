"""Manhattan-rule perceptron trained in situ on a :class:`cosim.array.CrossbarArray`.

One code path for every backend: ``ideal`` (``v @ G`` and nominal pulses),
``nodal`` and ``ngspice`` (the circuit decides what each cell sees, so wire
resistance, sneak paths and half-selected cells act on the training).

Layout
------
Input ``j`` of the task drives word line ``input_rows[j]``; neuron ``i`` is
the bit-line pair ``(neuron_cols[2i], neuron_cols[2i+1])`` = (G+, G-), its
output current ``I_i = I(G+ column) - I(G- column)`` and its activation
``f_i = tanh(beta * I_i)``. Word lines that carry no input are held at 0 V
during reads; bit lines that belong to no neuron are still at virtual ground
(their current is simply not used). Cells off the task's sub-array are part
of the circuit (sneak paths through them) but are never pulsed on purpose.

One epoch
---------
1. Read all patterns (one batched read at one conductance state).
2. Stop if every output is strictly beyond its target band (``f > target``
   for a 1, ``f < -target`` for a 0; the reference's criterion), or - with
   ``stop_rule="argmax"`` - if every pattern's largest output is its class.
3. ``Delta_ji = sum_p delta_i(p) V_j(p)`` (:func:`output_deltas`), signs only.
4. Pulses: sign > 0 potentiates G+ of synapse ``(j, i)``, sign < 0
   potentiates G-; with ``update_rule="bidirectional"`` the partner device of
   the pair is depressed in the same epoch. The cells to potentiate (and,
   separately, to depress) are grouped per bit line (``grouping="column"``:
   one pulse selects the rows of that column that need it) or per word line
   (``grouping="row"``, as in Prezioso et al. 2015); each group is one write
   ``array.write(rows, cols, +-amplitude_v, width_s, scheme)``, delivered
   through the circuit. Pulses are applied in the order: groups in
   increasing index, potentiating before depressing.

Whether a pulse moves a device is the device model's business (thresholds,
polarity, saturation): a weakened or half-selected pulse moves it less or
not at all. The polarity that potentiates comes from
``model.raises_conductance``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from cosim.algorithms.manhattan_reference import (
    DELTA_RULES,
    UPDATE_RULES,
    ManhattanConfigError,
    all_in_band,
    band_accuracy,
    output_deltas,
    total_error,
)
from cosim.array import CrossbarArray

GROUPINGS = ("column", "row")
STOP_RULES = ("band", "argmax")
WRITE_SCHEMES = ("ideal", "v2", "v3", "floating")


@dataclass(frozen=True)
class PerceptronTask:
    """A supervised single-layer task.

    Attributes
    ----------
    name : str
    inputs_v : ndarray (P, n_in)
        Read voltage of each input for each training pattern, volt.
    labels : ndarray of int (P, n_out)
        1 for an output that should be high, 0 for low.
    test_inputs_v : ndarray (T, n_in)
    test_labels : ndarray (T, n_out)
    """

    name: str
    inputs_v: np.ndarray
    labels: np.ndarray
    test_inputs_v: np.ndarray | None = None
    test_labels: np.ndarray | None = None

    def __post_init__(self) -> None:
        x = np.asarray(self.inputs_v, dtype=float)
        y = np.asarray(self.labels)
        if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0]:
            raise ManhattanConfigError(
                f"task {self.name!r}: inputs_v {x.shape} and labels {y.shape} must be (P, n_in) and (P, n_out)"
            )
        if not np.isin(y, (0, 1)).all():
            raise ManhattanConfigError(f"task {self.name!r}: labels must be 0 or 1")
        if not np.isfinite(x).all():
            raise ManhattanConfigError(f"task {self.name!r}: inputs_v must be finite volts")
        object.__setattr__(self, "inputs_v", x)
        object.__setattr__(self, "labels", y.astype(np.int64))
        if self.test_inputs_v is not None:
            object.__setattr__(self, "test_inputs_v", np.asarray(self.test_inputs_v, dtype=float))
            object.__setattr__(self, "test_labels", np.asarray(self.test_labels).astype(np.int64))

    @property
    def n_in(self) -> int:
        return self.inputs_v.shape[1]

    @property
    def n_out(self) -> int:
        return self.labels.shape[1]


@dataclass(frozen=True)
class ManhattanRule:
    """How the perceptron is trained (all physical values in SI units).

    Attributes
    ----------
    beta_per_a : float
        Activation gain, per ampere: ``f = tanh(beta * I)``.
    target : float
        Target magnitude in (0, 1).
    max_updates : int
        At most this many batch updates (epochs with pulses).
    delta_rule : {"reference", "hinge"}
        See :func:`cosim.algorithms.manhattan_reference.output_deltas`.
    update_rule : {"forward", "bidirectional"}
        Potentiate one device of the pair, or also depress its partner.
    amplitude_v : float
        Write-pulse amplitude across a selected cell, volt (> 0; the sign is
        chosen from the device's potentiating polarity).
    depress_amplitude_v : float or None
        Amplitude of depressing pulses (default: ``amplitude_v``).
    width_s : float
        Write-pulse width, second.
    scheme : {"ideal", "v2", "v3", "floating"}
        Write scheme for unselected lines (see ``cosim.netlist.bias.write_bias``).
    grouping : {"column", "row"}
        One pulse per bit line or per word line.
    stop_rule : {"band", "argmax"}
        Convergence: every output beyond its band, or every pattern's
        largest output is a labelled 1 (classification).
    check_after_last : bool
        Also check the state after the last allowed update (the reference
        does not).
    """

    beta_per_a: float = 6e6
    target: float = 0.8
    max_updates: int = 50
    delta_rule: str = "reference"
    update_rule: str = "forward"
    amplitude_v: float = 1.0
    depress_amplitude_v: float | None = None
    width_s: float = 1e-6
    scheme: str = "ideal"
    grouping: str = "column"
    stop_rule: str = "band"
    check_after_last: bool = False

    def __post_init__(self) -> None:
        def bad(key, value, what):
            raise ManhattanConfigError(f"{key} must be {what}, got {value!r}")

        if not (np.isfinite(self.beta_per_a) and self.beta_per_a > 0):
            bad("beta_per_a", self.beta_per_a, "> 0 per ampere")
        if not (0 < self.target < 1):
            bad("target", self.target, "in (0, 1)")
        if isinstance(self.max_updates, bool) or int(self.max_updates) != self.max_updates or self.max_updates < 0:
            bad("max_updates", self.max_updates, "an integer >= 0")
        for key, val, allowed in (
            ("delta_rule", self.delta_rule, DELTA_RULES),
            ("update_rule", self.update_rule, UPDATE_RULES),
            ("scheme", self.scheme, WRITE_SCHEMES),
            ("grouping", self.grouping, GROUPINGS),
            ("stop_rule", self.stop_rule, STOP_RULES),
        ):
            if val not in allowed:
                bad(key, val, f"one of {allowed}")
        if not (np.isfinite(self.amplitude_v) and self.amplitude_v > 0):
            bad("amplitude_v", self.amplitude_v, "> 0 volt")
        if self.depress_amplitude_v is not None and not (
            np.isfinite(self.depress_amplitude_v) and self.depress_amplitude_v > 0
        ):
            bad("depress_amplitude_v", self.depress_amplitude_v, "> 0 volt or None")
        if not (np.isfinite(self.width_s) and self.width_s > 0):
            bad("width_s", self.width_s, "> 0 second")


@dataclass
class ManhattanHistory:
    """What a training run did, epoch by epoch (all entries defined).

    ``E`` = number of states read (updates done + 1). Index ``u`` is the state
    after ``u`` updates.

    Attributes
    ----------
    converged : bool
    updates : int
        Updates done before the check that passed (``max_updates`` if none did).
    g_s : ndarray (E, rows, cols)
        Conductance of every cell of the array, siemens.
    state : ndarray (E, rows, cols)
        Device state of every cell.
    currents_a : ndarray (E, P, n_out)
        Neuron output currents, ampere.
    activation : ndarray (E, P, n_out)
    error : ndarray (E,)
        Total error (:func:`total_error`).
    accuracy : ndarray (E,)
        Fraction of training patterns classified right (band rule, or argmax
        with ``stop_rule="argmax"``).
    signs : ndarray of int8 (E-1, n_in, n_out)
        Manhattan sign of each update.
    pulses : ndarray of int (E-1,)
        Write pulses delivered in each update.
    v_selected_min_v, v_selected_max_v : ndarray (E-1,)
        Smallest / largest magnitude of the voltage a *selected* device saw
        in each update (NaN when no pulse), volt.
    v_unselected_max_v : ndarray (E-1,)
        Largest magnitude seen by a cell that was not selected, volt.
    energy_j : ndarray (E-1,)
        Energy of the update's pulses, joule.
    test_activation : ndarray (T, n_out) or None
        Activations of the test set on the final state.
    test_accuracy : float or None
    """

    converged: bool
    updates: int
    g_s: np.ndarray
    state: np.ndarray
    currents_a: np.ndarray
    activation: np.ndarray
    error: np.ndarray
    accuracy: np.ndarray
    signs: np.ndarray
    pulses: np.ndarray
    v_selected_min_v: np.ndarray
    v_selected_max_v: np.ndarray
    v_unselected_max_v: np.ndarray
    energy_j: np.ndarray
    test_activation: np.ndarray | None = None
    test_accuracy: float | None = None
    weights_s: np.ndarray = field(default=None)  # (E, n_in, n_out): G+ - G-

    @property
    def final_error(self) -> float:
        return float(self.error[-1])

    def arrays(self) -> dict[str, np.ndarray]:
        """Every history as a name -> array mapping (for ``.npz`` traces)."""
        out = {
            k: np.asarray(getattr(self, k))
            for k in (
                "g_s",
                "state",
                "currents_a",
                "activation",
                "error",
                "accuracy",
                "signs",
                "pulses",
                "v_selected_min_v",
                "v_selected_max_v",
                "v_unselected_max_v",
                "energy_j",
                "weights_s",
            )
        }
        out["converged"] = np.asarray(self.converged)
        out["updates"] = np.asarray(self.updates)
        if self.test_activation is not None:
            out["test_activation"] = self.test_activation
        return out


def argmax_accuracy(activation: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Fraction of patterns whose largest output carries label 1: (..., P, N) -> (...)."""
    winner = np.argmax(activation, axis=-1)
    hit = np.take_along_axis(np.broadcast_to(labels, activation.shape), winner[..., None], axis=-1)[..., 0]
    return (hit == 1).mean(axis=-1)


def _check_layout(array: CrossbarArray, task: PerceptronTask, input_rows, neuron_cols):
    rows = np.arange(task.n_in) if input_rows is None else np.asarray(input_rows, dtype=np.int64)
    cols = np.arange(2 * task.n_out) if neuron_cols is None else np.asarray(neuron_cols, dtype=np.int64)
    if rows.shape != (task.n_in,) or len(set(rows.tolist())) != rows.size:
        raise ManhattanConfigError(f"input_rows must be {task.n_in} distinct word lines, got {rows.tolist()}")
    if cols.shape != (2 * task.n_out,) or len(set(cols.tolist())) != cols.size:
        raise ManhattanConfigError(
            f"neuron_cols must be {2 * task.n_out} distinct bit lines (G+, G- per neuron), got {cols.tolist()}"
        )
    if rows.min() < 0 or rows.max() >= array.rows:
        raise ManhattanConfigError(f"input_rows {rows.tolist()} do not fit an array of {array.rows} rows")
    if cols.min() < 0 or cols.max() >= array.cols:
        raise ManhattanConfigError(f"neuron_cols {cols.tolist()} do not fit an array of {array.cols} columns")
    return rows, cols


def _read_outputs(array: CrossbarArray, v_task: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    v = np.zeros((v_task.shape[0], array.rows))
    v[:, rows] = v_task
    col_i = np.asarray(array.read(v), dtype=float)[:, cols]
    return col_i[:, 0::2] - col_i[:, 1::2]


def _pulse_groups(mask: np.ndarray, grouping: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """Blocks (rows, cols) covering the True cells of ``mask`` (array coordinates), one per line."""
    groups = []
    if grouping == "column":
        for c in np.flatnonzero(mask.any(axis=0)):
            groups.append((np.flatnonzero(mask[:, c]), np.array([c])))
    else:
        for r in np.flatnonzero(mask.any(axis=1)):
            groups.append((np.array([r]), np.flatnonzero(mask[r])))
    return groups


def train_manhattan(
    array: CrossbarArray,
    task: PerceptronTask,
    rule: ManhattanRule,
    *,
    input_rows: Sequence[int] | None = None,
    neuron_cols: Sequence[int] | None = None,
    on_epoch: Callable[[int, dict], None] | None = None,
) -> ManhattanHistory:
    """Train ``task`` on ``array`` in situ with the batch Manhattan rule.

    Parameters
    ----------
    array : CrossbarArray
        The crossbar (its state is changed in place by the pulses).
    task : PerceptronTask
    rule : ManhattanRule
    input_rows : sequence of int, optional
        Word line of each input (default ``0..n_in-1``).
    neuron_cols : sequence of int, optional
        Bit lines ``[G+_0, G-_0, G+_1, G-_1, ...]`` (default ``0..2 n_out-1``).
    on_epoch : callable, optional
        Called after each read as ``on_epoch(u, {"error": .., "accuracy": ..})``
        (progress bars, checkpoints).

    Returns
    -------
    ManhattanHistory

    Raises
    ------
    ManhattanConfigError
        Layout that does not fit the array (the argument is named).
    """
    rows, cols = _check_layout(array, task, input_rows, neuron_cols)
    pot_sign = 1.0 if array.model.raises_conductance == "positive" else -1.0
    amp_pot = pot_sign * rule.amplitude_v
    amp_dep = -pot_sign * (rule.depress_amplitude_v or rule.amplitude_v)
    labels = task.labels
    U = int(rule.max_updates)

    g_h, st_h, cur_h, act_h, err_h, acc_h = [], [], [], [], [], []
    signs_h, pulses_h, vmin_h, vmax_h, vun_h, en_h = [], [], [], [], [], []
    converged, updates = False, U
    for u in range(U + 1):
        cur = _read_outputs(array, task.inputs_v, rows, cols)
        act = np.tanh(rule.beta_per_a * cur)
        g_h.append(np.array(array.conductance_s))
        st_h.append(np.array(array.state))
        cur_h.append(cur)
        act_h.append(act)
        err_h.append(float(total_error(act, labels, rule.target)))
        if rule.stop_rule == "band":
            acc_h.append(float(band_accuracy(act, labels, rule.target)))
            ok = bool(all_in_band(act, labels, rule.target))
        else:
            acc_h.append(float(argmax_accuracy(act, labels)))
            ok = acc_h[-1] == 1.0
        if on_epoch is not None:
            on_epoch(u, {"error": err_h[-1], "accuracy": acc_h[-1]})
        if u == U and not rule.check_after_last:
            break
        if ok:
            converged, updates = True, u
            break
        if u == U:
            break
        delta = output_deltas(act, cur, labels, rule.target, rule.beta_per_a, rule.delta_rule)
        sgn = np.sign(task.inputs_v.T @ delta).astype(np.int8)  # (n_in, n_out)
        signs_h.append(sgn)
        pot = np.zeros(array.shape, dtype=bool)
        dep = np.zeros(array.shape, dtype=bool)
        r_idx = rows[:, None]
        pot[r_idx, cols[0::2][None, :]] = sgn > 0
        pot[r_idx, cols[1::2][None, :]] = sgn < 0
        if rule.update_rule == "bidirectional":
            dep[r_idx, cols[1::2][None, :]] = sgn > 0
            dep[r_idx, cols[0::2][None, :]] = sgn < 0
        n_p, e_j = 0, 0.0
        vsel, vun = [], 0.0
        for mask, amp in ((pot, amp_pot), (dep, amp_dep)):
            for r_sel, c_sel in _pulse_groups(mask, rule.grouping):
                rep = array.write(r_sel, c_sel, amp, rule.width_s, rule.scheme)
                n_p += 1
                e_j += rep.energy_j
                v_abs = np.abs(rep.v_device_v)
                vsel.append(v_abs[rep.selected])
                if (~rep.selected).any():
                    vun = max(vun, float(v_abs[~rep.selected].max()))
        pulses_h.append(n_p)
        en_h.append(e_j)
        vsel_all = np.concatenate(vsel) if vsel else np.array([np.nan])
        vmin_h.append(float(np.min(vsel_all)))
        vmax_h.append(float(np.max(vsel_all)))
        vun_h.append(vun)

    g = np.array(g_h)
    weights = g[:, rows][:, :, cols[0::2]] - g[:, rows][:, :, cols[1::2]]
    n_upd = len(signs_h)
    hist = ManhattanHistory(
        converged=converged,
        updates=updates if converged else n_upd,
        g_s=g,
        state=np.array(st_h),
        currents_a=np.array(cur_h),
        activation=np.array(act_h),
        error=np.array(err_h),
        accuracy=np.array(acc_h),
        signs=np.array(signs_h, dtype=np.int8).reshape(n_upd, task.n_in, task.n_out),
        pulses=np.array(pulses_h, dtype=np.int64),
        v_selected_min_v=np.array(vmin_h),
        v_selected_max_v=np.array(vmax_h),
        v_unselected_max_v=np.array(vun_h),
        energy_j=np.array(en_h),
        weights_s=weights,
    )
    if task.test_inputs_v is not None:
        test_cur = _read_outputs(array, task.test_inputs_v, rows, cols)
        test_act = np.tanh(rule.beta_per_a * test_cur)
        hist.test_activation = test_act
        if rule.stop_rule == "band":
            hist.test_accuracy = float(band_accuracy(test_act, task.test_labels, rule.target))
        else:
            hist.test_accuracy = float(argmax_accuracy(test_act, task.test_labels))
    return hist


# -- the 4x4 experiment on an array ----------------------------------------------------------
def reference_task(v_in_v: float = 0.1) -> PerceptronTask:
    """The 4x4 experiment's training and test sets as a :class:`PerceptronTask` (bit 1 -> +v, 0 -> -v)."""
    from cosim.algorithms.manhattan_reference import TEST_SET, TRAIN_SET, input_voltages_v, patterns_to_arrays

    bits, labels = patterns_to_arrays(TRAIN_SET)
    tbits, tlabels = patterns_to_arrays(TEST_SET)
    return PerceptronTask(
        "manhattan_4x4", input_voltages_v(bits, v_in_v), labels, input_voltages_v(tbits, v_in_v), tlabels
    )


def measured_4x4_array(
    shifts_s: np.ndarray,
    *,
    k_scale: float = 10.0,
    backend: str = "ideal",
    r_wire_ohm: float = 0.0,
    r_driver_ohm: float = 0.0,
    r_sense_ohm: float = 0.0,
    v_threshold_v: float = 0.6,
    curve_csv=None,
    solver_options: dict | None = None,
) -> CrossbarArray:
    """A 4x4 crossbar of measured-curve devices, every device at pulse index 0.

    ``G = k_scale * ((Gexp[m] - Gexp[0]) + shifts_s)`` (the reference law),
    devices advance one point per pulse whose cell voltage exceeds
    ``v_threshold_v`` (positive polarity). The array never splits a pulse
    (``split_tolerance=inf``): one write is one pulse of the table.

    Parameters
    ----------
    shifts_s : ndarray (4, 4)
        Per-device shifts, siemens.
    r_wire_ohm : float
        Every word- and bit-line segment, ohm (ignored by ``backend="ideal"``).
    r_driver_ohm, r_sense_ohm : float
        Driver and sense resistance, ohm.
    curve_csv : path, optional
        Default ``models/data/conductance_vs_pulse_4x4.csv``.
    """
    from cosim.algorithms.manhattan_reference import CURVE_FILE
    from cosim.devices import MeasuredCurve
    from cosim.netlist.crossbar import CrossbarSpec

    model = MeasuredCurve(
        curve_csv=CURVE_FILE if curve_csv is None else curve_csv,
        scale_k=float(k_scale),
        offset_s=np.asarray(shifts_s, dtype=float),
        v_threshold_v=v_threshold_v,
        polarity="positive",
        on_overflow="clamp",
    )
    spec = CrossbarSpec(
        4, 4, r_wordline_ohm=r_wire_ohm, r_bitline_ohm=r_wire_ohm, r_driver_ohm=r_driver_ohm, r_sense_ohm=r_sense_ohm
    )
    return CrossbarArray(
        model, np.zeros((4, 4)), spec=spec, backend=backend, split_tolerance=np.inf, solver_options=solver_options
    )


def letters_task(v_in_v: float = 0.1, bias_v: float = 0.1) -> PerceptronTask:
    """Prezioso et al. 2015's task: 30 patterns of 3x3 letters (z, v, n), 9 pixel inputs + a bias input.

    Pixel 1 -> ``+v_in_v``, 0 -> ``-v_in_v``; the 10th input is always
    ``bias_v``. Labels are one-hot over the 3 classes (train = test set, as
    in the paper, which reports the classification of the training patterns).
    """
    from cosim.algorithms.datasets_letters import letter_patterns

    x, y = letter_patterns()
    v = np.hstack([np.where(x == 1, v_in_v, -v_in_v), np.full((x.shape[0], 1), float(bias_v))])
    labels = np.eye(3, dtype=np.int64)[y]
    return PerceptronTask("prezioso_letters", v, labels, v, labels)
