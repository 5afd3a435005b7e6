"""The 4x4 Manhattan-rule perceptron exactly as its authors ran it (reference mode).

A 4-input, 2-neuron single-layer perceptron on a 4x4 crossbar. Neuron ``i``
is the column pair ``(2i, 2i+1)`` (G+ and G-); its output current is
``I_i = I(2i) - I(2i+1)`` and its activation ``f_i = tanh(beta * I_i)``.
Training is batch Manhattan: once per epoch the sign of
``Delta_ji = sum_p delta_i(p) V_j(p)``, with
``delta_i = (t_i - f_i) * beta / cosh(beta I_i)^2`` and ``t = +target`` for a 1,
``-target`` for a 0, decides whether synapse ``(j, i)`` gets one pulse on G+
(sign > 0), on G- (sign < 0) or none (sign 0). A pulse moves that device one
step forward along the measured conductance-vs-pulse curve; nothing moves a
device back. The conductance of a device that has had ``m`` pulses is::

    G = K * ((Gexp[m] - Gexp[0]) + shift)

with ``shift`` drawn per device from
``numpy.random.RandomState(seed).lognormal(ln(5.5e-8), ln(10)/5, 16)``
(row-major 4x4) and min-max rescaled to exactly ``[1e-8, 1e-7]`` siemens.

Convergence is checked on the state *before* each update (strict
inequalities: every '1' output above ``+target``, every '0' below
``-target``); ``updates`` is the number of updates done before the check that
passed. As in the authors' program, at most ``max_updates`` updates are made
and the state after the last one is not checked.

This module is plain NumPy, vectorised over seeds (one run is a slice of the
batch), so the 1,000-seed statistics take milliseconds. The circuit version
of the same rule lives in :mod:`cosim.algorithms.manhattan` and is held equal
to this one on the ideal backend by the tests.

Quirks of the authors' program that are *not* copied (see the docs page
``docs/layers/algorithms-manhattan.md``): it evaluates its test set on doubly scaled conductances
(``(K*(dG + shift) + shift) * K``), and it fills its history arrays with
``numpy.empty`` so the entries of epochs it never reaches (after convergence,
and the error of epoch 0) are uninitialised memory. Here the test set is
evaluated on the trained conductances and every history entry is defined.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cosim.shipped import shipped_path

#: training set of the 4x4 experiment: input bits (row 0 first) -> targets of the 2 neurons
TRAIN_SET: tuple[tuple[str, tuple[int, int]], ...] = (
    ("0001", (0, 1)),
    ("1110", (1, 0)),
    ("0010", (1, 0)),
    ("1101", (0, 1)),
    ("0110", (1, 0)),
    ("1001", (0, 1)),
)
#: test set: the other 10 patterns of 4 bits
TEST_SET: tuple[tuple[str, tuple[int, int]], ...] = (
    ("0100", (1, 0)),
    ("0111", (1, 0)),
    ("1000", (0, 1)),
    ("1011", (0, 1)),
    ("0000", (0, 0)),
    ("0011", (0, 0)),
    ("0101", (0, 0)),
    ("1010", (0, 0)),
    ("1100", (0, 0)),
    ("1111", (0, 0)),
)

#: the shipped measured curve (``models/data/`` of the source tree; package data of a wheel)
CURVE_FILE = shipped_path("models", "data/conductance_vs_pulse_4x4.csv")


UPDATE_RULES = ("forward", "bidirectional")
DELTA_RULES = ("reference", "hinge")


class ManhattanConfigError(ValueError):
    """A Manhattan-perceptron setting is invalid; the message names the key and the value."""


def patterns_to_arrays(patterns: tuple[tuple[str, tuple[int, ...]], ...]) -> tuple[np.ndarray, np.ndarray]:
    """Bit strings and targets as arrays.

    Returns
    -------
    bits : ndarray of int, shape (patterns, inputs)
    labels : ndarray of int, shape (patterns, neurons), 1 or 0
    """
    bits = np.array([[int(c) for c in p] for p, _ in patterns], dtype=np.int64)
    labels = np.array([t for _, t in patterns], dtype=np.int64)
    return bits, labels


def input_voltages_v(bits: np.ndarray, v_in_v: float = 0.1) -> np.ndarray:
    """Bit 1 -> ``+v_in_v``, bit 0 -> ``-v_in_v`` (volt), same shape as ``bits``."""
    return np.where(np.asarray(bits) == 1, v_in_v, -v_in_v).astype(float)


def load_curve_s(path: str | Path | None = None) -> np.ndarray:
    """The measured conductance-vs-pulse curve in siemens, shape (points,).

    A one-column CSV with a header line. ``path`` defaults to
    the shipped ``models/data/conductance_vs_pulse_4x4.csv`` (:data:`CURVE_FILE`).

    Raises
    ------
    FileNotFoundError
        The file does not exist (the path is named).
    ManhattanConfigError
        The file holds fewer than 2 values, or a value that is not a
        positive finite number (the line is named).
    """
    p = Path(CURVE_FILE if path is None else path)
    if not p.is_file():
        raise FileNotFoundError(f"measured curve file {str(p)!r} not found")
    values = []
    for lineno, line in enumerate(p.read_text().splitlines(), start=1):
        text = line.strip().split(",")[0]
        if not text:
            continue
        try:
            val = float(text)
        except ValueError:
            if lineno == 1:  # the header line
                continue
            raise ManhattanConfigError(f"{p}: line {lineno}: {text!r} is not a number") from None
        if not (np.isfinite(val) and val > 0):
            raise ManhattanConfigError(f"{p}: line {lineno}: conductance {val!r} must be > 0 siemens")
        values.append(val)
    if len(values) < 2:
        raise ManhattanConfigError(f"{p}: needs at least 2 conductance values, found {len(values)}")
    return np.asarray(values)


def reference_shifts_s(
    seed: int, *, g_min_s: float = 1e-8, g_max_s: float = 1e-7, spread_divisor: float = 5.0, size: int = 16
) -> np.ndarray:
    """The authors' per-device shifts, drawn draw for draw.

    ``RandomState(seed).lognormal(mean=ln((g_min+g_max)/2),
    sigma=ln(g_max/g_min)/spread_divisor, size)``, then min-max rescaled to
    exactly ``[g_min_s, g_max_s]`` (siemens). Legacy ``RandomState`` is used
    on purpose: it is what the reference program draws from.

    Returns
    -------
    ndarray, shape (size,)
        Row-major order: reshape to (4, 4) for the 4x4 array.
    """
    if not (0 < g_min_s < g_max_s):
        raise ManhattanConfigError(f"shift range needs 0 < g_min_s < g_max_s, got {g_min_s!r}, {g_max_s!r}")
    mu = np.log((g_min_s + g_max_s) / 2.0)
    sigma = abs(np.log(g_max_s / g_min_s) / spread_divisor)
    raw = np.random.RandomState(int(seed)).lognormal(mean=mu, sigma=sigma, size=size)
    return g_min_s + (g_max_s - g_min_s) * (raw - raw.min()) / (raw.max() - raw.min())


@dataclass(frozen=True)
class ReferenceSettings:
    """Settings of the reference 4x4 experiment (the authors' defaults).

    Attributes
    ----------
    beta_per_a : float
        Gain of the activation ``tanh(beta * I)``, per ampere (6e6).
    target : float
        Output target magnitude, in (0, 1) (0.8).
    k_scale : float
        Multiplication factor K of the conductances (10).
    max_updates : int
        At most this many batch updates (50).
    v_in_v : float
        Input voltage magnitude, volt (0.1): bit 1 -> +v, bit 0 -> -v.
    update_rule : {"forward", "bidirectional"}
        ``"forward"`` (the authors' rule): sign > 0 pulses G+ one step
        forward, sign < 0 pulses G- one step forward. ``"bidirectional"``
        (not in the reference): sign > 0 moves G+ one step forward *and* G-
        one step back along the curve (sign < 0 the other way round), as a
        device with a depressing pulse polarity allows. Indices stay within
        the curve (clamped at 0 and at its last point).
    delta_rule : {"reference", "hinge"}
        ``"reference"`` (the authors'): ``delta = (t - f) f'`` for every
        output, which also pulls outputs that are already beyond the target
        back toward it, so batch updates oscillate. ``"hinge"`` (not in the
        reference): outputs already strictly beyond their target contribute
        nothing.
    """

    beta_per_a: float = 6e6
    target: float = 0.8
    k_scale: float = 10.0
    max_updates: int = 50
    v_in_v: float = 0.1
    update_rule: str = "forward"
    delta_rule: str = "reference"

    def __post_init__(self) -> None:
        if not (np.isfinite(self.beta_per_a) and self.beta_per_a > 0):
            raise ManhattanConfigError(f"beta_per_a must be > 0 per ampere, got {self.beta_per_a!r}")
        if not (0 < self.target < 1):
            raise ManhattanConfigError(f"target must be in (0, 1), got {self.target!r}")
        if not (np.isfinite(self.k_scale) and self.k_scale > 0):
            raise ManhattanConfigError(f"k_scale must be > 0, got {self.k_scale!r}")
        if isinstance(self.max_updates, bool) or int(self.max_updates) != self.max_updates or self.max_updates < 1:
            raise ManhattanConfigError(f"max_updates must be an integer >= 1, got {self.max_updates!r}")
        if not (np.isfinite(self.v_in_v) and self.v_in_v > 0):
            raise ManhattanConfigError(f"v_in_v must be > 0 volt, got {self.v_in_v!r}")
        if self.update_rule not in UPDATE_RULES:
            raise ManhattanConfigError(f"update_rule must be one of {UPDATE_RULES}, got {self.update_rule!r}")
        if self.delta_rule not in DELTA_RULES:
            raise ManhattanConfigError(f"delta_rule must be one of {DELTA_RULES}, got {self.delta_rule!r}")


@dataclass
class ReferenceBatch:
    """Histories of reference-mode runs, one per seed (all entries defined).

    ``U = max_updates``; index ``u`` of a history is the state after ``u``
    updates (``u = 0`` is the initial state). After a run has converged its
    state is frozen, so later entries repeat the converged state.

    Attributes
    ----------
    seeds : ndarray (S,)
    shifts_s : ndarray (S, 4, 4)
        Per-device shifts, siemens.
    converged : ndarray of bool (S,)
    updates : ndarray of int (S,)
        Updates done before convergence (``U`` when not converged).
    index : ndarray of int (S, U+1, 4, 4)
        Pulse count ``m`` of every device.
    g_s : ndarray (S, U+1, 4, 4)
        Conductances, siemens.
    current_a : ndarray (S, U+1, P, 2)
        Neuron output currents ``I(2i) - I(2i+1)`` per training pattern, ampere.
    activation : ndarray (S, U+1, P, 2)
    error : ndarray (S, U+1)
        Total error of each state.
    signs : ndarray of int8 (S, U, 4, 2)
        ``sign(Delta_ji)`` of each update (0 where no update was made).
    test_activation : ndarray (S, T, 2)
        Activations of the test set on the final conductances.
    test_accuracy : ndarray (S,)
        Fraction of test patterns whose every output is on the right side of
        its target band (> +target for 1, < -target for 0).
    """

    seeds: np.ndarray
    shifts_s: np.ndarray
    converged: np.ndarray
    updates: np.ndarray
    index: np.ndarray
    g_s: np.ndarray
    current_a: np.ndarray
    activation: np.ndarray
    error: np.ndarray
    signs: np.ndarray
    test_activation: np.ndarray
    test_accuracy: np.ndarray


def total_error(activation: np.ndarray, labels: np.ndarray, target: float) -> np.ndarray:
    """``sum max(0, target - f)`` over '1' outputs plus ``sum max(0, f + target)`` over '0' outputs.

    ``activation`` (..., P, N) and ``labels`` (P, N) -> error (...).
    """
    err = np.where(labels == 1, np.maximum(0.0, target - activation), np.maximum(0.0, activation + target))
    return err.sum(axis=(-2, -1))


def output_deltas(
    activation: np.ndarray, current_a: np.ndarray, labels: np.ndarray, target: float, beta_per_a: float, rule: str
) -> np.ndarray:
    """``delta = (t - f) * beta / cosh(beta I)^2`` with ``t = +-target``; shapes (..., P, N).

    With ``rule="hinge"`` the outputs already strictly beyond their target get 0.
    """
    t = np.where(labels == 1, target, -target)
    err = t - activation
    if rule == "hinge":
        err = np.where(np.where(labels == 1, activation > target, activation < -target), 0.0, err)
    return err * beta_per_a / np.cosh(beta_per_a * current_a) ** 2


def all_in_band(activation: np.ndarray, labels: np.ndarray, target: float) -> np.ndarray:
    """True where every output is strictly beyond its target: (..., P, N) -> (...)."""
    ok = np.where(labels == 1, activation > target, activation < -target)
    return ok.all(axis=(-2, -1))


def band_accuracy(activation: np.ndarray, labels: np.ndarray, target: float) -> np.ndarray:
    """Fraction of patterns with every output strictly beyond its target: (..., P, N) -> (...)."""
    ok = np.where(labels == 1, activation > target, activation < -target)
    return ok.all(axis=-1).mean(axis=-1)


def train_reference(
    seeds,
    settings: ReferenceSettings | None = None,
    *,
    curve_s: np.ndarray | None = None,
    shifts_s: np.ndarray | None = None,
) -> ReferenceBatch:
    """Run the reference 4x4 experiment for every seed at once.

    Parameters
    ----------
    seeds : int or sequence of int
        One run per seed; seed ``s`` draws the shifts of
        :func:`reference_shifts_s`.
    settings : ReferenceSettings, optional
        Defaults to the authors' settings.
    curve_s : ndarray (points,), optional
        Measured conductance-vs-pulse curve, siemens (default
        :func:`load_curve_s`). It must have more than ``max_updates`` points,
        since a device can be pulsed once per update.
    shifts_s : ndarray (S, 4, 4) or (4, 4), optional
        Use these shifts instead of drawing them.

    Returns
    -------
    ReferenceBatch
    """
    st = settings or ReferenceSettings()
    seeds = np.atleast_1d(np.asarray(seeds, dtype=np.int64))
    curve = load_curve_s() if curve_s is None else np.asarray(curve_s, dtype=float)
    if curve.ndim != 1 or (st.update_rule == "forward" and curve.size <= st.max_updates):
        raise ManhattanConfigError(
            f"curve_s has {curve.size} points; max_updates={st.max_updates} needs at least {st.max_updates + 1}"
        )
    dcurve = curve - curve[0]
    n_seeds, U = seeds.size, int(st.max_updates)
    if shifts_s is None:
        shifts = np.stack([reference_shifts_s(int(s)).reshape(4, 4) for s in seeds])
    else:
        shifts = np.broadcast_to(np.asarray(shifts_s, dtype=float), (n_seeds, 4, 4)).copy()

    bits, labels = patterns_to_arrays(TRAIN_SET)
    v = input_voltages_v(bits, st.v_in_v)  # (P, 4)
    n_pat = v.shape[0]

    index = np.zeros((n_seeds, U + 1, 4, 4), dtype=np.int64)
    g_hist = np.zeros((n_seeds, U + 1, 4, 4))
    cur_hist = np.zeros((n_seeds, U + 1, n_pat, 2))
    act_hist = np.zeros((n_seeds, U + 1, n_pat, 2))
    err_hist = np.zeros((n_seeds, U + 1))
    sign_hist = np.zeros((n_seeds, U, 4, 2), dtype=np.int8)
    converged = np.zeros(n_seeds, dtype=bool)
    updates = np.full(n_seeds, U, dtype=np.int64)

    m = np.zeros((n_seeds, 4, 4), dtype=np.int64)
    for u in range(U + 1):
        g = st.k_scale * (dcurve[m] + shifts)
        col_i = np.einsum("pj,sjc->spc", v, g)  # bit-line currents (S, P, 4)
        cur = col_i[..., 0::2] - col_i[..., 1::2]
        act = np.tanh(st.beta_per_a * cur)
        index[:, u], g_hist[:, u], cur_hist[:, u], act_hist[:, u] = m, g, cur, act
        err_hist[:, u] = total_error(act, labels, st.target)
        if u == U:
            break  # the state after the last update is recorded, not checked (as the authors do)
        newly = ~converged & all_in_band(act, labels, st.target)
        updates[newly] = u
        converged |= newly
        active = ~converged
        if not active.any():
            index[:, u + 1 :], g_hist[:, u + 1 :] = m[:, None], g[:, None]
            cur_hist[:, u + 1 :], act_hist[:, u + 1 :] = cur[:, None], act[:, None]
            err_hist[:, u + 1 :] = err_hist[:, u][:, None]
            break
        delta = output_deltas(act, cur, labels, st.target, st.beta_per_a, st.delta_rule)  # (S, P, 2)
        sgn = np.sign(np.einsum("pj,spi->sji", v, delta)).astype(np.int8)  # (S, 4 inputs, 2 neurons)
        sgn[~active] = 0
        sign_hist[:, u] = sgn
        m[:, :, 0::2] += sgn > 0
        m[:, :, 1::2] += sgn < 0
        if st.update_rule == "bidirectional":
            m[:, :, 0::2] -= sgn < 0
            m[:, :, 1::2] -= sgn > 0
        np.clip(m, 0, curve.size - 1, out=m)

    test_bits, test_labels = patterns_to_arrays(TEST_SET)
    g_final = g_hist[:, -1]
    test_col = np.einsum("pj,sjc->spc", input_voltages_v(test_bits, st.v_in_v), g_final)
    test_act = np.tanh(st.beta_per_a * (test_col[..., 0::2] - test_col[..., 1::2]))
    return ReferenceBatch(
        seeds=seeds,
        shifts_s=shifts,
        converged=converged,
        updates=updates,
        index=index,
        g_s=g_hist,
        current_a=cur_hist,
        activation=act_hist,
        error=err_hist,
        signs=sign_hist,
        test_activation=test_act,
        test_accuracy=band_accuracy(test_act, test_labels, st.target),
    )
