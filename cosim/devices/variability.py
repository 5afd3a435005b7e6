"""Variability and volatility: device-to-device spread, cycle-to-cycle noise,
read noise, stuck-at cells, and relaxation of volatile devices.

All randomness is drawn from a ``numpy.random.Generator`` the caller passes
in, so seeded runs are bit-identical.  The pieces fit the array layer
(:class:`cosim.array.CrossbarArray`): per-cell parameter arrays go into the
model (:func:`spread_params`), initial states into ``state``
(:func:`spread_state`, :func:`stuck_state`), :class:`ReadNoise` is its
``read_noise=`` object, a stuck mask its ``stuck=`` argument, and
:class:`CycleNoise` / :class:`Volatile` wrap a model and are used wherever
a model is.

Distributions (``kind``), for a nominal value ``x`` and spread ``sigma``:

* ``"lognormal"``: ``x * exp(sigma * N(0, 1))`` (median ``x``, ``sigma`` is
  the standard deviation of ``ln``; keeps the sign of ``x``);
* ``"normal"``: ``x * (1 + sigma * N(0, 1))`` (relative), or
  ``x + sigma * N(0, 1)`` with ``relative=False``;
* ``"uniform"``: ``x * (1 + sigma * U(-1, 1))`` (relative), or
  ``x + sigma * U(-1, 1)`` with ``relative=False`` (NeuroPack's initial
  resistances, 11 kohm +- 500 ohm, are ``uniform`` with ``sigma=500``,
  ``relative=False``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cosim.devices.base import DeviceError, DeviceModel

KINDS = ("lognormal", "normal", "uniform")


def _check_rng(rng: Any, who: str) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise DeviceError(f"{who} needs a seeded numpy.random.Generator, got {type(rng).__name__}")
    return rng


def _check_sigma(sigma: Any, who: str) -> float:
    try:
        val = float(sigma)
    except (TypeError, ValueError):
        raise DeviceError(f"{who}: sigma must be a number, got {sigma!r}") from None
    if not (np.isfinite(val) and val >= 0):
        raise DeviceError(f"{who}: sigma must be finite and >= 0, got {sigma!r}")
    return val


def spread(
    value: Any,
    shape: tuple[int, ...],
    rng: np.random.Generator,
    *,
    sigma: float,
    kind: str = "lognormal",
    relative: bool = True,
) -> np.ndarray:
    """Draw a per-cell array around ``value`` (see the module docstring).

    Parameters
    ----------
    value : float or array broadcastable to ``shape``
    shape : tuple of int
    rng : numpy.random.Generator
    sigma : float >= 0
    kind : {"lognormal", "normal", "uniform"}
    relative : bool
        Relative (default) or absolute spread; ``"lognormal"`` is always
        relative.

    Returns
    -------
    ndarray of ``shape``

    Raises
    ------
    DeviceError
        Unknown ``kind``, negative or NaN ``sigma``, missing generator.
    """
    rng = _check_rng(rng, "spread")
    sigma = _check_sigma(sigma, "spread")
    if kind not in KINDS:
        raise DeviceError(f"spread: kind must be one of {', '.join(map(repr, KINDS))}, got {kind!r}")
    x = np.broadcast_to(np.asarray(value, dtype=float), shape)
    if kind == "lognormal":
        return x * np.exp(sigma * rng.standard_normal(shape))
    z = rng.standard_normal(shape) if kind == "normal" else rng.uniform(-1.0, 1.0, shape)
    return x * (1.0 + sigma * z) if relative else x + sigma * z


def spread_params(
    model: DeviceModel,
    shape: tuple[int, ...],
    rng: np.random.Generator,
    sigmas: dict[str, float],
    *,
    kind: str = "lognormal",
    relative: bool = True,
) -> DeviceModel:
    """Device-to-device variation: the model with per-cell parameter arrays.

    Parameters are drawn in the order of ``sigmas`` (so the same dict and
    seed give the same arrays).

    Parameters
    ----------
    model : DeviceModel with ``with_params`` (every cosim model)
    shape : tuple of int
        The array shape.
    rng : numpy.random.Generator
    sigmas : dict name -> sigma
        Which parameters spread, and by how much.
    kind, relative : see :func:`spread`

    Raises
    ------
    DeviceError
        Unknown parameter name, a non-numeric parameter, or a draw that breaks
        the model's constraints (e.g. a ``"normal"`` spread flipping a sign;
        use ``"lognormal"`` for sign-constrained parameters).

    Examples
    --------
    >>> from cosim.devices import Messaris2017, NEUROPACK_2022
    >>> m = spread_params(Messaris2017(**NEUROPACK_2022), (2, 3), np.random.default_rng(0), {"a_p": 0.1})
    >>> m.a_p.shape
    (2, 3)
    """
    params = getattr(model, "params", None)
    if params is None:
        raise DeviceError(f"spread_params: model {type(model).__name__} has no parameters to spread")
    new = {}
    for name, sigma in sigmas.items():
        if name not in params:
            raise DeviceError(
                f"spread_params: {model.name} has no parameter {name!r}; known: {', '.join(sorted(params))}"
            )
        if not isinstance(params[name], np.ndarray):
            raise DeviceError(f"spread_params: {model.name} parameter {name!r} is not numeric")
        new[name] = spread(params[name], shape, rng, sigma=sigma, kind=kind, relative=relative)
    return model.with_params(**new)  # type: ignore[attr-defined]  # every model with params has it


def spread_state(
    model: DeviceModel,
    nominal: Any,
    shape: tuple[int, ...],
    rng: np.random.Generator,
    *,
    sigma: float,
    kind: str = "normal",
    relative: bool = True,
    max_redraws: int = 100,
) -> np.ndarray:
    """Per-cell initial states around ``nominal``, truncated to the model's bounds.

    Draws that fall outside :meth:`DeviceModel.state_bounds` are redrawn
    (a truncated distribution, not a clip), up to ``max_redraws`` rounds.

    Raises
    ------
    DeviceError
        If draws still fall outside the bounds after ``max_redraws`` rounds
        (the spread is too wide for the bounds), or bad ``kind``/``sigma``.
    """
    lo, hi = model.state_bounds()
    lo = np.broadcast_to(lo, shape)
    hi = np.broadcast_to(hi, shape)
    nominal = np.broadcast_to(np.asarray(nominal, dtype=float), shape)
    out = spread(nominal, shape, rng, sigma=sigma, kind=kind, relative=relative)
    for _ in range(max_redraws):
        bad = (out < lo) | (out > hi)
        if not bad.any():
            return out
        redraw = spread(nominal, shape, rng, sigma=sigma, kind=kind, relative=relative)
        out = np.where(bad, redraw, out)
    raise DeviceError(
        f"spread_state: {int(bad.sum())} draw(s) still outside the bounds of {model.name} after "
        f"{max_redraws} redraws; sigma {sigma!r} is too wide for nominal {float(nominal.flat[0])!r}"
    )


# ---------------------------------------------------------------- read noise
@dataclass(frozen=True)
class ReadNoise:
    """Multiplicative read noise on currents or conductances.

    ``kind="uniform"``: ``x * (1 + U(-level, level))`` (``level=0.01`` is
    +-1 %); ``kind="normal"``: ``x * (1 + level * N(0, 1))``.  Use it as the
    array's ``read_noise=`` (it has ``apply(values, rng)`` and is callable).

    Raises
    ------
    DeviceError
        Unknown kind or a negative / non-finite level.
    """

    kind: str = "uniform"
    level: float = 0.01

    def __post_init__(self) -> None:
        if self.kind not in ("uniform", "normal"):
            raise DeviceError(f"ReadNoise: kind must be 'uniform' or 'normal', got {self.kind!r}")
        _check_sigma(self.level, "ReadNoise")

    def apply(self, values: Any, rng: np.random.Generator) -> np.ndarray:
        """Noisy copy of ``values`` (any shape), drawn from ``rng``."""
        rng = _check_rng(rng, "ReadNoise.apply")
        x = np.asarray(values, dtype=float)
        if self.kind == "uniform":
            return x * (1.0 + rng.uniform(-self.level, self.level, x.shape))
        return x * (1.0 + self.level * rng.standard_normal(x.shape))

    __call__ = apply


# ----------------------------------------------------------------- stuck-at
def stuck_masks(
    shape: tuple[int, ...], rng: np.random.Generator, *, p_stuck_on: float = 0.0, p_stuck_off: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Random disjoint boolean masks of stuck-on and stuck-off cells.

    Each cell is stuck-on with probability ``p_stuck_on``, stuck-off with
    ``p_stuck_off`` (one uniform draw per cell).  The array's ``stuck=`` mask
    is ``on | off``; set the stuck values with :func:`stuck_state`.

    Raises
    ------
    DeviceError
        Probabilities outside [0, 1] or summing above 1.
    """
    rng = _check_rng(rng, "stuck_masks")
    for name, p in (("p_stuck_on", p_stuck_on), ("p_stuck_off", p_stuck_off)):
        if not (0.0 <= p <= 1.0):
            raise DeviceError(f"stuck_masks: {name} must be in [0, 1], got {p!r}")
    if p_stuck_on + p_stuck_off > 1.0:
        raise DeviceError(f"stuck_masks: p_stuck_on + p_stuck_off = {p_stuck_on + p_stuck_off!r} exceeds 1")
    u = rng.random(shape)
    on = u < p_stuck_on
    off = (u >= p_stuck_on) & (u < p_stuck_on + p_stuck_off)
    return on, off


def stuck_state(model: DeviceModel, state: Any, on_mask: Any, off_mask: Any) -> np.ndarray:
    """``state`` with stuck-on cells at the high-conductance bound of the
    state and stuck-off cells at the low-conductance bound.

    Which bound is which is read from the model (``conductance_s`` at both
    bounds), so it holds for models whose state rises or falls with G.

    Raises
    ------
    DeviceError
        Masks of another shape than ``state``, or overlapping masks.
    """
    s = model.check_state(state)
    on = np.asarray(on_mask, dtype=bool)
    off = np.asarray(off_mask, dtype=bool)
    if on.shape != s.shape or off.shape != s.shape:
        raise DeviceError(f"stuck_state: masks of shape {on.shape} / {off.shape} do not match the state {s.shape}")
    if np.any(on & off):
        idx = tuple(int(k) for k in np.argwhere(on & off)[0])
        raise DeviceError(f"stuck_state: cell {idx} is in both the stuck-on and the stuck-off mask")
    lo, hi = model.state_bounds()
    lo = np.broadcast_to(np.asarray(lo, dtype=float), s.shape)
    hi = np.broadcast_to(np.asarray(hi, dtype=float), s.shape)
    hi_is_on = model.conductance_s(hi) >= model.conductance_s(lo)
    g_on_state = np.where(hi_is_on, hi, lo)
    g_off_state = np.where(hi_is_on, lo, hi)
    return np.where(on, g_on_state, np.where(off, g_off_state, s))


# ----------------------------------------------------------- model wrappers
class _Wrapper(DeviceModel):
    """Delegates everything to ``self.inner`` unless overridden."""

    def __init__(self, inner: DeviceModel) -> None:
        if not isinstance(inner, DeviceModel):
            raise DeviceError(f"{type(self).__name__} wraps a DeviceModel, got {type(inner).__name__}")
        self.inner = inner
        self.name = inner.name
        self.state_name = inner.state_name
        self.raises_conductance = inner.raises_conductance
        self.ohmic = inner.ohmic

    def __getattr__(self, attr: str) -> Any:
        # only called for attributes not found normally: delegate
        if attr == "inner":
            raise AttributeError(attr)
        return getattr(self.inner, attr)

    def initial_state(self, shape, rng=None):
        return self.inner.initial_state(shape, rng)

    def state_bounds(self):
        return self.inner.state_bounds()

    def check_state(self, state):
        return self.inner.check_state(state)

    def conductance_s(self, state):
        return self.inner.conductance_s(state)

    def current_a(self, state, v_v):
        return self.inner.current_a(state, v_v)

    def dcurrent_dv_s(self, state, v_v):
        return self.inner.dcurrent_dv_s(state, v_v)

    def advance(self, state, v_v, duration_s, rng=None):
        return self.inner.advance(state, v_v, duration_s, rng)

    def relax(self, state, idle_s):
        return self.inner.relax(state, idle_s)


class CycleNoise(_Wrapper):
    """Cycle-to-cycle variation: noise on every state change of ``model``.

    ``advance`` computes the noiseless new state, then scales the change:
    ``s + ds * (1 + sigma * N(0, 1))`` (``relative=True``, default) or adds
    ``sigma * N(0, 1)`` to every cell whose state changed
    (``relative=False``, state units).  Cells that do not move get no noise.
    The result is clipped to the model's state bounds: the device saturates
    there.

    Parameters
    ----------
    model : DeviceModel (not a pulse-counted table model)
    sigma : float >= 0
    relative : bool

    Raises
    ------
    DeviceError
        A pulse-counted model (its state is a whole pulse index), bad sigma,
        or ``advance`` called without a ``numpy.random.Generator``.
    """

    def __init__(self, model: DeviceModel, *, sigma: float, relative: bool = True) -> None:
        super().__init__(model)
        if getattr(model, "pulse_counted", False):
            raise DeviceError(
                f"CycleNoise: {model.name} has a whole-number pulse-index state; noise on it is undefined"
            )
        self.sigma = _check_sigma(sigma, "CycleNoise")
        self.relative = bool(relative)

    def advance(self, state, v_v, duration_s, rng=None):
        rng = _check_rng(rng, "CycleNoise.advance")
        old = self.inner.check_state(state)
        new = self.inner.advance(old, v_v, duration_s, rng)
        delta = new - old
        z = rng.standard_normal(old.shape)
        if self.relative:
            noisy = old + delta * (1.0 + self.sigma * z)
        else:
            noisy = np.where(delta != 0, new + self.sigma * z, new)
        lo, hi = self.inner.state_bounds()
        return np.clip(noisy, lo, hi)

    def __repr__(self) -> str:
        return f"CycleNoise({self.inner!r}, sigma={self.sigma!r}, relative={self.relative!r})"


def relax_exponential(state: Any, idle_s: Any, *, tau_s: Any, rest_state: Any) -> np.ndarray:
    """``rest + (state - rest) * exp(-idle_s / tau_s)``: first-order relaxation.

    Raises
    ------
    DeviceError
        Negative / NaN idle time or non-positive tau.
    """
    idle = np.asarray(idle_s, dtype=float)
    if np.any(~np.isfinite(idle) | (idle < 0)):
        raise DeviceError(f"relax: idle time {idle_s!r} s must be finite and >= 0")
    tau = np.asarray(tau_s, dtype=float)
    if np.any(~np.isfinite(tau) | (tau <= 0)):
        raise DeviceError(f"relax: tau_s {tau_s!r} must be finite and > 0")
    s = np.asarray(state, dtype=float)
    return rest_state + (s - rest_state) * np.exp(-idle / tau)


class Volatile(_Wrapper):
    """A volatile device: idle time relaxes the state toward a resting value.

    Law (first-order, the simplest volatility model; short-term memory of
    e.g. diffusive / Ag-filament devices is often fitted this way):
    ``s(t) = s_rest + (s(0) - s_rest) * exp(-t / tau_s)`` for an idle time
    ``t``; used by :meth:`relax` (called by the time line for idle events).
    Pulses are the wrapped model's (:meth:`advance` unchanged).

    Parameters
    ----------
    model : DeviceModel (not a pulse-counted table model)
    tau_s : float or array, second, > 0
    rest_state : float or array, within the model's state bounds

    Raises
    ------
    DeviceError
        Pulse-counted model, non-positive tau, rest state outside the bounds.

    Examples
    --------
    >>> from cosim.devices import Messaris2017, NEUROPACK_2022
    >>> vol = Volatile(Messaris2017(**NEUROPACK_2022), tau_s=1e-3, rest_state=11000.0)
    >>> round(float(vol.relax(10000.0, 1e-3)), 3)  # 11000 - 1000 / e
    10632.121
    """

    def __init__(self, model: DeviceModel, *, tau_s: Any, rest_state: Any) -> None:
        super().__init__(model)
        if getattr(model, "pulse_counted", False):
            raise DeviceError(
                f"Volatile: {model.name} has a whole-number pulse-index state; it cannot relax continuously"
            )
        tau = np.asarray(tau_s, dtype=float)
        if np.any(~np.isfinite(tau) | (tau <= 0)):
            raise DeviceError(f"Volatile: tau_s {tau_s!r} must be finite and > 0")
        self.tau_s = tau
        try:
            self.rest_state = model.check_state(rest_state)
        except DeviceError as exc:
            raise DeviceError(f"Volatile: rest_state: {exc}") from None

    def relax(self, state, idle_s):
        s = self.inner.check_state(state)
        return relax_exponential(s, idle_s, tau_s=self.tau_s, rest_state=self.rest_state)

    def __repr__(self) -> str:
        return f"Volatile({self.inner!r}, tau_s={self.tau_s!r}, rest_state={self.rest_state!r})"
