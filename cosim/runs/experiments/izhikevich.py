"""``izhikevich_presets``: the Izhikevich paper's Fig. 2 firing patterns under a step current.

Every named preset (:data:`cosim.algorithms.cores.izhikevich.PRESETS`) is
driven by a current step of ``current`` (model units) from ``t_step_ms`` to
the end of ``duration_ms``, integrated with the paper's scheme (or Euler).

Metrics: per preset, ``spike_count``, ``rate_hz`` (over the step),
``first_isi_ms``, ``last_isi_ms`` and ``adaptation`` (last / first ISI; > 1:
the rate adapts). Trace: the membrane of every preset. Figure:
``presets.png`` (membranes side by side with the current step).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from cosim.algorithms.cores.izhikevich import PRESETS, Izhikevich


@dataclass
class IzhikevichPresetsConfig:
    """Settings of ``izhikevich_presets``.

    Attributes
    ----------
    presets : list of str
        Preset names (see ``PRESETS``).
    current : float
        Step amplitude, the model's current units.
    t_step_ms : float
        Onset of the step, ms.
    duration_ms : float
        Simulated time, ms.
    scheme : {"paper", "euler"}
        Integration scheme (the paper's 1 ms scheme, or Euler at ``dt_ms``).
    dt_ms : float
        Euler step, ms.
    figures : bool
        Save the figures.
    """

    presets: list[str] = field(default_factory=lambda: list(PRESETS))
    current: float = 10.0
    t_step_ms: float = 20.0
    duration_ms: float = 300.0
    scheme: Literal["paper", "euler"] = "paper"
    dt_ms: float = 1.0
    figures: bool = True


def simulate(neuron: Izhikevich, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drive one neuron with ``current`` (T,); return (membrane (T,), spike step indices)."""
    state = neuron.init_state(1)
    v = np.empty(len(current))
    spikes = np.zeros(len(current), dtype=bool)
    for t, i in enumerate(current):
        s, state = neuron(np.array([i]), state)
        spikes[t], v[t] = s[0], neuron.potential(state)[0]
    return v, np.flatnonzero(spikes)


def run_presets(config: IzhikevichPresetsConfig, ctx) -> dict:
    cfg = config
    dt = 1.0 if cfg.scheme == "paper" else cfg.dt_ms
    n = int(round(cfg.duration_ms / dt))
    t = np.arange(n) * dt
    current = np.where(t >= cfg.t_step_ms, cfg.current, 0.0)
    out, traces = {}, {}
    for name in cfg.presets:
        neuron = Izhikevich.preset(name, scheme=cfg.scheme, dt_ms=dt)
        v, idx = simulate(neuron, current)
        isi = np.diff(idx) * dt
        traces[name] = v
        out[name] = {
            "spike_count": int(idx.size),
            "rate_hz": float(idx.size / ((cfg.duration_ms - cfg.t_step_ms) * 1e-3)),
            "first_isi_ms": float(isi[0]) if isi.size else None,
            "last_isi_ms": float(isi[-1]) if isi.size else None,
            "adaptation": float(isi[-1] / isi[0]) if isi.size else None,
        }
    ctx.save_trace("trace", t_ms=t, current=current, **{f"v_{k}": v for k, v in traces.items()})
    if cfg.figures and ctx.figures:
        from cosim.plots.cores import membrane_panels

        ctx.save_figure(
            membrane_panels(traces, dt, current, f"Izhikevich presets, step I = {cfg.current}"), "presets.png"
        )
    ctx.log("izhikevich_presets: " + ", ".join(f"{k} {m['spike_count']}" for k, m in out.items()))
    return {"presets": out, "scheme": cfg.scheme}


EXPERIMENTS = {"izhikevich_presets": (IzhikevichPresetsConfig, run_presets)}
