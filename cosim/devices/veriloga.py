"""Device models written in Verilog-A, evaluated with VerilogAE (optional extra ``cosim[veriloga]``).

A Verilog-A card names a ``.va`` file and the variables that hold the cell
current and the state rate; both must be marked ``(*retrieve*)`` in the
module.  VerilogAE (the PyPI package ``verilogae``) compiles the module and
evaluates those variables vectorised over NumPy arrays; cosim integrates the
state itself (:func:`cosim.devices.integrate.integrate_adaptive`, held in
``[state_min, state_max]``), so the model runs through the circuit like the
built-in ones.  The state is the potential of a module node (its branch,
e.g. ``br_x`` for ``V(x)``); the device voltage is another branch (``br_pn``
for ``V(p, n)``).  One state variable per model.

Card example (``models/vteam_va.toml``)::

    model = "veriloga"
    [params]
    model_va = "vteam.va"          # resolved relative to the card's folder
    current_var = "i_cell"
    rate_var = "dx_dt"
    device_branch = "br_pn"
    state_branch = "br_x"
    raises_conductance = "negative"
    [params.va_params]             # the module's parameters (its defaults otherwise)
    k_off_m_per_s = 5e-4
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from cosim.devices._common import ParamsMixin, as_param, check_option, prepare_advance
from cosim.devices.base import DeviceError, DeviceModel, integrator_tolerances
from cosim.devices.integrate import integrate_adaptive

EXTRA_HINT = "Verilog-A cards need the optional extra: pip install 'cosim[veriloga]' (the verilogae package)"


def load_va(path: str | Path):
    """Compile (or load from VerilogAE's cache) the module in ``path``.

    Raises
    ------
    DeviceError
        ``verilogae`` is not installed (the message names the extra), or the
        file does not compile.
    FileNotFoundError
        ``path`` does not exist.
    """
    try:
        import verilogae
    except ImportError:
        raise DeviceError(EXTRA_HINT) from None
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Verilog-A file {str(path)!r} not found")
    # VerilogAE reports "Finished building ..." on the process's stdout (from native code): send
    # it to stderr so that machine-readable output (cosim device --json) stays clean
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        return verilogae.load(str(path))
    except Exception as exc:  # verilogae raises its own error types for compile errors
        raise DeviceError(f"Verilog-A file {str(path)!r} does not compile: {exc}") from None
    finally:
        os.dup2(saved, 1)
        os.close(saved)


class VerilogAModel(ParamsMixin, DeviceModel):
    """A device model from a Verilog-A module (module docstring).

    Parameters
    ----------
    model_va : str
        Path of the ``.va`` file.
    current_var, rate_var : str
        ``(*retrieve*)`` variables: cell current (A) and state rate (state unit per s).
    device_branch, state_branch : str
        VerilogAE branch names of the device voltage and of the state node.
    state_min, state_max : float
        Bounds of the state (the integrator holds it there).
    x0 : float
        Initial state.
    raises_conductance : {"positive", "negative"}
        Polarity that raises the conductance (the module cannot say).
    va_params : dict
        Module parameters (scalars, or arrays broadcastable to the state for spread).
    v_read_v : float, volt, > 0
        Read voltage of :meth:`resistance_ohm` (chord ``v / I``).
    temperature_k : float
        Temperature passed to the module, kelvin.
    rtol, atol : float
        Integrator tolerances.

    Raises
    ------
    DeviceError
        ``verilogae`` missing (naming the extra), a variable or branch the
        module does not have (named, with the ones it has), an unknown
        module parameter, bad bounds.
    """

    name: ClassVar[str] = "veriloga"
    state_name: ClassVar[str] = "va_state"
    ohmic: ClassVar[bool] = False

    def __init__(
        self,
        *,
        model_va: str,
        current_var: str = "i_cell",
        rate_var: str = "dx_dt",
        device_branch: str = "br_pn",
        state_branch: str = "br_x",
        state_min: float = 0.0,
        state_max: float = 1.0,
        x0: float = 0.0,
        raises_conductance: str = "positive",
        va_params: dict | None = None,
        v_read_v: float = 0.1,
        temperature_k: float = 300.0,
        rtol: float = 1e-9,
        atol: float = 1e-12,
    ) -> None:
        n = self.name
        self._va = load_va(model_va)
        funcs = self._va.functions
        for label, var in (("current_var", current_var), ("rate_var", rate_var)):
            if var not in funcs:
                raise DeviceError(
                    f"{n}: {label} {var!r} is not a (*retrieve*) variable of {model_va!r}; "
                    f"it has: {', '.join(sorted(funcs)) or 'none'}"
                )
        self._fi, self._fr = funcs[current_var], funcs[rate_var]
        branches = set(self._fi.voltages) | set(self._fr.voltages)
        for label, br in (("device_branch", device_branch), ("state_branch", state_branch)):
            if br not in branches:
                raise DeviceError(
                    f"{n}: {label} {br!r} is not a branch the variables depend on; "
                    f"they use: {', '.join(sorted(branches))}"
                )
        va_params = dict(va_params or {})
        unknown = sorted(set(va_params) - set(self._va.modelcard))
        if unknown:
            raise DeviceError(
                f"{n}: unknown Verilog-A parameter(s) {', '.join(unknown)}; "
                f"the module has: {', '.join(sorted(self._va.modelcard))}"
            )
        self.va_params = {k: as_param(n, f"va_params.{k}", v) for k, v in va_params.items()}
        self.state_min = float(as_param(n, "state_min", state_min))
        self.state_max = float(as_param(n, "state_max", state_max))
        if not self.state_min < self.state_max:
            raise DeviceError(f"{n}: state_min {state_min!r} must be below state_max {state_max!r}")
        self.x0 = as_param(n, "x0", x0)
        if np.any((self.x0 < self.state_min) | (self.x0 > self.state_max)):
            raise DeviceError(f"{n}: x0 {x0!r} must be in [state_min, state_max]")
        self.raises_conductance = check_option(n, "raises_conductance", raises_conductance, ("positive", "negative"))
        self.v_read_v = float(as_param(n, "v_read_v", v_read_v, sign="positive"))
        self.temperature_k = float(as_param(n, "temperature_k", temperature_k, sign="positive"))
        self.rtol, self.atol = integrator_tolerances(n, rtol, atol)
        self.model_va, self.current_var, self.rate_var = str(model_va), current_var, rate_var
        self.device_branch, self.state_branch = device_branch, state_branch
        self._params = dict(
            model_va=self.model_va,
            current_var=current_var,
            rate_var=rate_var,
            device_branch=device_branch,
            state_branch=state_branch,
            state_min=self.state_min,
            state_max=self.state_max,
            x0=self.x0,
            raises_conductance=self.raises_conductance,
            va_params=dict(self.va_params),
            v_read_v=self.v_read_v,
            temperature_k=self.temperature_k,
            rtol=self.rtol,
            atol=self.atol,
        )

    # -- evaluation ----------------------------------------------------
    def _eval(self, func, state, v, params) -> np.ndarray:
        state = np.asarray(state, dtype=float)
        v = np.asarray(v, dtype=float)
        shape = np.broadcast_shapes(state.shape, v.shape)
        volt = {}
        for br in func.voltages:
            if br == self.device_branch:
                volt[br] = np.broadcast_to(v, shape).ravel()
            elif br == self.state_branch:
                volt[br] = np.broadcast_to(state, shape).ravel()
            else:
                volt[br] = np.zeros(int(np.prod(shape)))
        size = int(np.prod(shape))
        kw = {
            k: (np.broadcast_to(a, shape).ravel() if np.ndim(a) else float(a))
            for k, a in params.items()
            if k in func.parameters
        }
        if size == 0:
            return np.zeros(shape)
        out = func.eval(temperature=self.temperature_k, voltages=volt, **kw)
        return np.broadcast_to(np.asarray(out, dtype=float), (size,)).reshape(shape)

    # -- state ---------------------------------------------------------
    def initial_state(self, shape: tuple[int, ...], rng: np.random.Generator | None = None) -> np.ndarray:
        """``x0`` everywhere."""
        return np.broadcast_to(self.x0, shape).astype(float)

    def state_bounds(self) -> tuple[float, float]:
        """``(state_min, state_max)``."""
        return self.state_min, self.state_max

    def resistance_ohm(self, state: Any) -> np.ndarray:
        """Chord resistance ``v_read / I(state, v_read)`` in ohm."""
        return 1.0 / self.conductance_s(state)

    def state_from_resistance(self, r_ohm: Any) -> np.ndarray:
        """The state whose :meth:`resistance_ohm` is ``r_ohm``, by vectorised bisection
        (R must be monotonic in the state); ``DeviceError`` outside the model's range."""
        r = np.asarray(r_ohm, dtype=float)
        r_a = self.resistance_ohm(np.full(r.shape, self.state_min))
        r_b = self.resistance_ohm(np.full(r.shape, self.state_max))
        lo_r, hi_r = np.minimum(r_a, r_b), np.maximum(r_a, r_b)
        if np.any(~np.isfinite(r) | (r < lo_r * (1 - 1e-12)) | (r > hi_r * (1 + 1e-12))):
            raise DeviceError(
                f"{self.name}: resistance {r_ohm!r} ohm is outside the model's range "
                f"[{float(np.min(lo_r))!r}, {float(np.max(hi_r))!r}]"
            )
        a, b = np.full(r.shape, self.state_min), np.full(r.shape, self.state_max)
        rising = r_b > r_a
        for _ in range(80):  # 80 halvings: below double rounding of the state range
            mid = 0.5 * (a + b)
            above = self.resistance_ohm(mid) > r
            go_low = np.where(rising, above, ~above)
            b = np.where(go_low, mid, b)
            a = np.where(go_low, a, mid)
        return 0.5 * (a + b)

    # -- electrical ----------------------------------------------------
    def conductance_s(self, state: Any) -> np.ndarray:
        """Chord conductance ``I(state, v_read) / v_read`` in siemens."""
        s = self.check_state(state)
        return self._eval(self._fi, s, self.v_read_v, self.va_params) / self.v_read_v

    def current_a(self, state: Any, v_v: Any) -> np.ndarray:
        """The module's ``current_var`` at device voltage ``v_v``, ampere."""
        return self._eval(self._fi, state, v_v, self.va_params)

    def dcurrent_dv_s(self, state: Any, v_v: Any) -> np.ndarray:
        """dI/dV in siemens by a central difference (step 1e-6 V, error ~1e-12 relative for smooth I-V)."""
        v = np.asarray(v_v, dtype=float)
        h = 1e-6
        return (
            self._eval(self._fi, state, v + h, self.va_params) - self._eval(self._fi, state, v - h, self.va_params)
        ) / (2 * h)

    # -- dynamics ------------------------------------------------------
    def dstate_dt(self, state: Any, v_v: Any) -> np.ndarray:
        """The module's ``rate_var`` at ``state`` and ``v_v``."""
        s = self.check_state(state)
        return self._eval(self._fr, s, v_v, self.va_params)

    def advance(
        self,
        state: Any,
        v_v: Any,
        duration_s: Any,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """State after ``v_v`` is held for ``duration_s``: adaptive Dormand-Prince on the
        module's rate, held in ``[state_min, state_max]``."""
        s, v, t = prepare_advance(
            self, state, v_v, duration_s, {f"va_params.{k}": a for k, a in self.va_params.items()}
        )
        shape = s.shape
        v_flat = v.ravel()
        flat = {k: np.broadcast_to(a, shape).ravel() for k, a in self.va_params.items()}

        def rhs(y: np.ndarray, idx: np.ndarray) -> np.ndarray:
            return self._eval(self._fr, y, v_flat[idx], {k: a[idx] for k, a in flat.items()})

        out = integrate_adaptive(
            rhs, s.ravel(), t.ravel(), rtol=self.rtol, atol=self.atol, lower=self.state_min, upper=self.state_max
        )
        return out.reshape(shape)
