"""Fitting a device model to measured pulse trains (``cosim fit``).

:func:`fit_model` adjusts a model's parameters so that, replayed on the
measured pulse trains from each train's initial resistance, the model
reproduces the resistance read after every pulse.  Method: bounded least
squares (``scipy.optimize.least_squares``, trust-region reflective) on the
residuals ``ln R_model - ln R_measured`` of every pulse, in a transformed
space (logarithms of rate prefactors, which span decades), from several
starts: the base card's values plus ``n_starts - 1`` draws scattered around
them (normal, a factor ~e for log-transformed parameters, 30 % of the value
for the others, clipped to the bounds) from a seeded
``numpy.random.Generator``; the start with the lowest cost wins.  The fit
is local: start from a card near the device (a preset of the same kind).

Confidence intervals (95 %) come from the Jacobian ``J`` at the optimum:
``cov = s^2 (J^T J)^-1`` with ``s^2 = SSR / (n - p)``, from the SVD of ``J``;
a parameter with a component along a direction of ``J`` whose singular value
is below ``1e-8`` of the largest is not identified by the data (e.g. the
RESET parameters when only SET pulses were measured) and gets no interval
(``None``).  Intervals of log-transformed parameters are symmetric in the
logarithm.

Which parameters each model fits, and their bounds, is :data:`FIT_SPECS`;
everything else keeps the base card's value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import optimize, stats

from cosim.devices.base import DeviceError, DeviceModel
from cosim.devices.pulse_data import PulseData, simulate_trains
from cosim.devices.registry import get_model


@dataclass(frozen=True)
class FitParam:
    """One fitted parameter: ``name``, bounds ``lo <= value <= hi`` (same sign), ``log`` transform."""

    name: str
    lo: float
    hi: float
    log: bool = False


#: Fitted parameters and bounds per model (everything else keeps the base card's value).
FIT_SPECS: dict[str, tuple[FitParam, ...]] = {
    "messaris2017": (
        FitParam("a_p", 1e-8, 1e3, log=True),
        FitParam("a_n", -1e3, -1e-8, log=True),
        FitParam("t_p_v", 0.05, 10.0),
        FitParam("t_n_v", 0.05, 10.0),
        FitParam("a0p_ohm", 1e2, 1e7, log=True),
        FitParam("a1p_ohm_per_v", -1e7, 1e7),
        FitParam("a0n_ohm", 1e2, 1e7, log=True),
        FitParam("a1n_ohm_per_v", -1e7, 1e7),
    ),
    "vteam": (
        FitParam("r_on_ohm", 1e-1, 1e9, log=True),
        FitParam("r_off_ohm", 1e-1, 1e10, log=True),
        FitParam("k_off_m_per_s", 1e-15, 1e3, log=True),
        FitParam("k_on_m_per_s", -1e3, -1e-15, log=True),
        FitParam("alpha_off", 0.1, 20.0),
        FitParam("alpha_on", 0.1, 20.0),
        FitParam("v_off_v", 1e-3, 5.0),
        FitParam("v_on_v", -5.0, -1e-3),
    ),
    "linear_ion_drift": (
        FitParam("r_on_ohm", 1e-1, 1e9, log=True),
        FitParam("r_off_ohm", 1e-1, 1e10, log=True),
        FitParam("mu_v_m2_per_v_s", 1e-22, 1e-6, log=True),
    ),
    "yakopcic": (
        FitParam("a1_a", 1e-9, 1e3, log=True),
        FitParam("ap_per_s", 1e-3, 1e12, log=True),
        FitParam("an_per_s", 1e-3, 1e12, log=True),
        FitParam("vp_v", 0.0, 5.0),
        FitParam("vn_v", 0.0, 5.0),
        FitParam("xp", 0.0, 0.99),
        FitParam("xn", 0.0, 0.99),
        FitParam("alpha_p", 0.0, 30.0),
        FitParam("alpha_n", 0.0, 30.0),
    ),
}


def _params_of(model: DeviceModel) -> dict[str, Any]:
    """A model's constructor keywords (every fittable model has ``params``, from ParamsMixin)."""
    return dict(getattr(model, "params"))  # noqa: B009 (DeviceModel itself does not declare it)


def _to_u(p: FitParam, value: float) -> float:
    return float(np.log(abs(value))) if p.log else float(value)


def _from_u(p: FitParam, u: float) -> float:
    return float(np.sign(p.lo) * np.exp(u)) if p.log else float(u)


def _u_bounds(p: FitParam) -> tuple[float, float]:
    a, b = _to_u(p, p.lo), _to_u(p, p.hi)
    return min(a, b), max(a, b)


@dataclass
class FitResult:
    """What :func:`fit_model` found.

    Attributes
    ----------
    model : DeviceModel
        The fitted model.
    params : dict of str -> float
        The fitted parameter values (only the fitted ones).
    ci95 : dict of str -> (float, float) or None
        95 % confidence interval of each fitted parameter; None where the
        data do not identify it (module docstring).
    residual : dict of str -> float
        RMS of ``ln R_model - ln R_measured`` per train (a relative error: 0.01 ~ 1 %).
    residual_total : float
        RMS over every pulse of every train.
    data : PulseData
        The data fitted.
    model_name : str
    base_params : dict
        The base card's parameters (the fixed ones are kept from here).
    n_starts : int
    cost : float
        ``0.5 * sum(residual^2)`` at the optimum.
    data_name : str
        How the data are named in the card's sources.
    mirror : bool
        Whether the amplitudes were negated before fitting.
    card : str
        The model card (TOML text) of the fit, with ``[sources]``.
    """

    model: DeviceModel
    params: dict[str, float]
    ci95: dict[str, tuple[float, float] | None]
    residual: dict[str, float]
    residual_total: float
    data: PulseData
    model_name: str
    base_params: dict[str, Any]
    n_starts: int
    cost: float
    seed: int | None
    data_name: str = ""
    mirror: bool = False
    card: str = field(default="", repr=False)

    def predict(self, data: PulseData) -> list[np.ndarray]:
        """Resistance after every pulse of ``data``'s trains under the fitted model (held-out trains)."""
        return simulate_trains(self.model, data)

    def summary(self) -> str:
        """A few lines: residual per train, parameters with their intervals."""
        lines = [
            f"fit of {self.model_name} to {self.data_name}: RMS ln-R residual {self.residual_total:.4g} "
            f"over {self.data.n_pulses} pulses ({self.n_starts} starts)"
        ]
        for t, r in self.residual.items():
            lines.append(
                f"  train {t}: RMS ln-R residual {r:.4g} ({self.data.amplitude_v[self.data.trains.index(t)].size} pulses)"
            )
        for k, v in self.params.items():
            ci = self.ci95[k]
            lines.append(
                f"  {k} = {v:.6g}"
                + (f"  (95 % CI {ci[0]:.4g} .. {ci[1]:.4g})" if ci else "  (not identified by the data)")
            )
        return "\n".join(lines)

    def plot(self, path: str | Path | None = None):
        """Measured and fitted R against pulse number, one panel per train.

        Returns the matplotlib Figure; with ``path`` also saves it (PNG, via a
        temp file and rename)."""
        import matplotlib

        if path is not None:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fitted = simulate_trains(self.model, self.data)
        n = len(self.data.trains)
        cols = min(n, 3)
        rows = -(-n // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
        for j, t in enumerate(self.data.trains):
            ax = axes[j // cols][j % cols]
            meas = np.concatenate([[self.data.r0_ohm[j]], self.data.resistance_ohm[j]])
            fit = np.concatenate([[self.data.r0_ohm[j]], fitted[j]])
            k = np.arange(meas.size)
            ax.plot(k, meas, "o", ms=3, label="measured")
            ax.plot(k, fit, "-", label=f"{self.model_name} fit")
            ax.set_title(f"train {t}: RMS ln R {self.residual[t]:.3g}", fontsize=9)
            ax.set_xlabel("pulse number")
            ax.set_ylabel("resistance (ohm)")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=7)
        for j in range(n, rows * cols):
            axes[j // cols][j % cols].set_visible(False)
        fig.tight_layout()
        if path is not None:
            path = Path(path)
            tmp = path.with_name(path.stem + ".tmp" + path.suffix)
            fig.savefig(tmp, dpi=120)
            tmp.replace(path)
            plt.close(fig)
        return fig


def _toml_value(v: Any) -> str:
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    arr = np.asarray(v)
    if arr.ndim:
        raise DeviceError(f"cannot write a per-cell array parameter of shape {arr.shape} into a card")
    return repr(float(arr))


def _card_text(res: FitResult, base_sources: dict[str, str], base_name: str) -> str:
    fitted = set(res.params)
    out = [
        f"# {res.model_name} fitted by cosim fit to {res.data_name}",
        f"# RMS ln-R residual {res.residual_total:.4g} over {res.data.n_pulses} pulses in "
        f"{len(res.data.trains)} train(s)",
        f'model = "{res.model_name}"',
        f'description = "{res.model_name} fitted to {Path(res.data_name).name} (cosim fit)"',
        "",
        "[params]",
    ]
    for k, v in _params_of(res.model).items():
        if k in ("rtol", "atol") and k not in res.base_params:
            continue
        out.append(f"{k} = {_toml_value(v)}")
    out += [
        "",
        "[sources]",
        f"data = {_toml_value(res.data_name)}",
        f"fit = {_toml_value(f'cosim fit: bounded least squares on ln R (scipy.optimize.least_squares, trf), {res.n_starts} starts, seed {res.seed}; base card {base_name}; ' + ('amplitudes negated (--mirror: the data program with the opposite polarity to the model); ' if res.mirror else '') + f'RMS ln-R residual {res.residual_total:.4g}')}",
    ]
    for k in _params_of(res.model):
        if k in ("rtol", "atol") and k not in res.base_params:
            continue
        if k in fitted:
            ci = res.ci95[k]
            text = f"fitted to {Path(res.data_name).name}" + (
                f" (95 % CI {ci[0]:.4g} .. {ci[1]:.4g})" if ci else " (not identified by the data: no interval)"
            )
        else:
            text = f"fixed, from {base_name}: {base_sources.get(k, 'model default')}"
        out.append(f"{k} = {_toml_value(text)}")
    return "\n".join(out) + "\n"


def fit_model(
    data: PulseData,
    model: str,
    *,
    base: str | Path | dict | None = None,
    fit_params: list[str] | None = None,
    n_starts: int = 4,
    rng: np.random.Generator | int | None = 0,
    data_name: str | None = None,
    max_nfev: int = 200,
    mirror: bool = False,
) -> FitResult:
    """Fit ``model``'s parameters to measured pulse trains.

    Parameters
    ----------
    data : PulseData
        From :func:`cosim.devices.pulse_data.read_pulse_csv`.
    model : {"messaris2017", "vteam", "yakopcic", "linear_ion_drift"}
    base : path of a model card, dict of parameters, or None
        Start values and the fixed parameters (None: the shipped card of
        ``model`` under ``models/``, else the model's defaults).
    fit_params : list of str, optional
        Fit only these (a subset of ``FIT_SPECS[model]``; default all).
    n_starts : int, >= 1
        Number of starts (the base values, then seeded random ones).
    rng : numpy.random.Generator or int
        Source of the random starts (an int seeds a new Generator).
    data_name : str, optional
        How the card's ``[sources]`` names the data (default ``data.source``).
    max_nfev : int
        Residual evaluations per start.
    mirror : bool
        Negate every pulse amplitude first: for data whose programming
        polarity is the opposite of the model's convention (Messaris and VTEAM
        lower R with a negative cell voltage, Yakopcic and linear drift with
        a positive one).  Recorded in the card's sources.

    Returns
    -------
    FitResult

    Raises
    ------
    DeviceError
        Unknown model, a parameter not fittable for it, a bad ``n_starts``,
        or data the model cannot start from.

    Examples
    --------
    >>> import numpy as np
    >>> from cosim.devices import Messaris2017, NEUROPACK_2022
    >>> from cosim.devices.pulse_data import pulse_data_from_model
    >>> truth = Messaris2017(**NEUROPACK_2022)
    >>> data = pulse_data_from_model(truth, 11000.0, [(np.full(20, -1.1), 1e-6), (np.full(20, 1.1), 1e-6)])
    >>> res = fit_model(data, "messaris2017", fit_params=["a_p", "a_n"], n_starts=2)
    >>> round(res.params["a_p"] / NEUROPACK_2022["a_p"], 6), res.residual_total < 1e-8
    (1.0, True)
    """
    if model not in FIT_SPECS:
        raise DeviceError(f"cosim fit: model {model!r} cannot be fitted; choose one of {', '.join(FIT_SPECS)}")
    if isinstance(n_starts, bool) or not isinstance(n_starts, (int, np.integer)) or n_starts < 1:
        raise DeviceError(f"cosim fit: n_starts must be an integer >= 1, got {n_starts!r}")
    seed = rng if isinstance(rng, (int, np.integer)) else None
    rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    base_params, base_sources, base_name = _base(model, base)
    if mirror:
        data = data.mirrored()
    base_params, adapted = _fit_data_range(model, base_params, data)
    for k in adapted:
        base_sources[k] = (
            f"widened by cosim fit to hold the data's resistance range (base card: {base_sources.get(k, 'default')})"
        )
    specs = FIT_SPECS[model]
    if fit_params is not None:
        names = {p.name for p in specs}
        bad = [k for k in fit_params if k not in names]
        if bad:
            raise DeviceError(f"cosim fit: {model} cannot fit {', '.join(bad)}; fittable: {', '.join(sorted(names))}")
        specs = tuple(p for p in specs if p.name in fit_params)
    defaults = _params_of(get_model(model, **base_params))
    lo_u, hi_u = np.array([_u_bounds(p) for p in specs]).T
    r_meas = np.concatenate(data.resistance_ohm)
    ln_meas = np.log(r_meas)
    n_res = ln_meas.size
    penalty = np.full(n_res, 50.0)

    def build(u: np.ndarray) -> DeviceModel:
        vals = {p.name: _from_u(p, ui) for p, ui in zip(specs, u)}
        return get_model(model, **{**base_params, **vals})

    def residuals(u: np.ndarray) -> np.ndarray:
        try:
            sim = np.concatenate(simulate_trains(build(u), data, clip_r0=True))
        except DeviceError:
            return penalty  # trial parameters outside the model's domain (e.g. r_on >= r_off)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.log(sim) - ln_meas
        return np.where(np.isfinite(r), r, 50.0)

    u0 = np.clip([_to_u(p, float(np.asarray(defaults[p.name]))) for p in specs], lo_u, hi_u)
    # random starts scatter around the base values (a factor ~e for log parameters, 30 % of the
    # value or 10 % of the bound range for the others): uniform draws over bounds that span
    # decades land where the model does not move at all and the gradient is zero
    lin_scale = np.array(
        [0.0 if p.log else max(0.3 * abs(_from_u(p, u)), 0.1 * (p.hi - p.lo)) for p, u in zip(specs, u0)]
    )
    scale = np.where([p.log for p in specs], 1.0, lin_scale)
    starts = [u0] + [np.clip(u0 + scale * rng.standard_normal(u0.size), lo_u, hi_u) for _ in range(n_starts - 1)]
    best = None
    for u_start in starts:
        sol = optimize.least_squares(
            residuals,
            u_start,
            bounds=(lo_u, hi_u),
            method="trf",
            x_scale="jac",
            diff_step=1e-6,
            max_nfev=max_nfev,
            xtol=1e-12,
            ftol=1e-12,
            gtol=1e-12,
        )
        if best is None or sol.cost < best.cost:
            best = sol
    fitted = build(best.x)
    ci = _intervals(specs, best.x, best.jac, best.fun)
    sims = simulate_trains(fitted, data, clip_r0=True)
    per_train = {
        t: float(np.sqrt(np.mean((np.log(s) - np.log(m)) ** 2)))
        for t, s, m in zip(data.trains, sims, data.resistance_ohm)
    }
    res = FitResult(
        model=fitted,
        params={p.name: _from_u(p, u) for p, u in zip(specs, best.x)},
        ci95=ci,
        residual=per_train,
        residual_total=float(np.sqrt(np.mean(best.fun**2))),
        data=data,
        model_name=model,
        base_params=base_params,
        n_starts=n_starts,
        cost=float(best.cost),
        seed=None if seed is None else int(seed),
        data_name=data_name or data.source,
        mirror=bool(mirror),
    )
    res.card = _card_text(res, base_sources, base_name)
    return res


def _intervals(specs, u, jac, fun) -> dict[str, tuple[float, float] | None]:
    n, p = jac.shape
    out: dict[str, tuple[float, float] | None] = {sp.name: None for sp in specs}
    if n <= p:
        return out
    _, s, vt = np.linalg.svd(jac, full_matrices=False)
    if s.size == 0 or s[0] == 0:
        return out
    ok = s > 1e-8 * s[0]
    s2 = float(fun @ fun) / (n - p)
    t = float(stats.t.ppf(0.975, n - p))
    null = vt[~ok]
    var = (vt[ok].T ** 2) @ (1.0 / s[ok] ** 2) * s2
    for k, sp in enumerate(specs):
        if null.size and np.max(np.abs(null[:, k])) > 1e-6:
            continue
        half = t * float(np.sqrt(var[k]))
        with np.errstate(over="ignore"):
            a, b = _from_u(sp, u[k] - half), _from_u(sp, u[k] + half)
        if np.isfinite(a) and np.isfinite(b) and a != 0.0 and b != 0.0:
            out[sp.name] = (min(a, b), max(a, b))  # an interval spanning 0 .. inf tells nothing: None
    return out


def _fit_data_range(model: str, params: dict, data: PulseData) -> tuple[dict, list[str]]:
    """Base parameters whose resistance range holds the data (Messaris' validity envelope
    ``r_min_ohm``/``r_max_ohm``; the start values of VTEAM's and linear drift's R_on, R_off).
    Returns the parameters and the names changed."""
    r_all = np.concatenate([data.r0_ohm] + list(data.resistance_ohm))
    lo, hi = float(np.min(r_all)), float(np.max(r_all))
    out, changed = dict(params), []
    defaults = _params_of(get_model(model, **params))
    if model == "messaris2017":
        if float(defaults["r_max_ohm"]) < 2.0 * hi:
            out["r_max_ohm"] = 10.0 * hi
            changed.append("r_max_ohm")
        if float(defaults["r_min_ohm"]) > 0.5 * lo:
            out["r_min_ohm"] = 0.1 * lo
            changed.append("r_min_ohm")
    elif model in ("vteam", "linear_ion_drift"):
        r_on, r_off = float(defaults["r_on_ohm"]), float(defaults["r_off_ohm"])
        if not (r_on < lo and hi < r_off):
            out["r_on_ohm"], out["r_off_ohm"] = min(r_on, lo / 1.2), max(r_off, hi * 1.2)
            changed += ["r_on_ohm", "r_off_ohm"]
    return out, changed


def _base(model: str, base) -> tuple[dict, dict, str]:
    """Base parameters, their sources and a name, from a card path, a dict or the shipped card."""
    from cosim.devices.registry import read_model_card

    if isinstance(base, dict):
        return dict(base), {}, "the given parameters"
    if base is None:
        shipped = {
            "messaris2017": "messaris2017_neuropack.toml",
            "vteam": "vteam_kvatinsky2015.toml",
            "linear_ion_drift": "linear_ion_drift_strukov2008.toml",
            "yakopcic": "yakopcic2011_oblea.toml",
        }
        path = Path(__file__).resolve().parents[2] / "models" / shipped[model]
        if not path.is_file():
            return {}, {}, f"{model} defaults"
        base = path
    card = read_model_card(base)
    if card["model"] != model:
        raise DeviceError(f"cosim fit: base card {str(base)!r} is a {card['model']!r} card, not {model!r}")
    return dict(card["params"]), dict(card["sources"]), Path(base).name
