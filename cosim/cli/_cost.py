"""Long single-device runs (``cosim device --count N``): refuse what cannot fit, say what the rest costs.

``--count 1000000000`` used to go silent for hours (one Python step per pulse)
and then need 8 GB for the resistances alone.  Now the memory is checked up
front (:mod:`cosim.memory`), and from :data:`LOUD_PULSES` pulses on the first
:data:`PROBE` pulses are timed, the estimated time and memory are printed on
stderr, and a progress bar follows the rest (when stderr is a terminal).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from cosim.memory import check_fits, format_bytes

__all__ = ["pulse_train_with_cost", "LOUD_PULSES", "PROBE"]

#: from this many pulses on, the cost is announced
LOUD_PULSES = 100_000
#: pulses timed for the estimate
PROBE = 1000
# memory per pulse: the float64 result, and with --json the Python floats and their text
_BYTES_PER_PULSE = 8
_BYTES_PER_PULSE_JSON = 8 + 32 + 8 + 24


def _duration(seconds: float) -> str:
    """``3.07e5`` -> ``'85.3 h'``."""
    for unit, scale in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= 2 * scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds:.3g} s"


def pulse_train_with_cost(
    model, state0, amplitude_v: float, width_s: float, count: int, *, as_json: bool = False, return_state: bool = False
):
    """:func:`cosim.cli.cmd_device.pulse_train`, with the memory check, cost line and progress.

    Returns the same resistances (ohm) as ``pulse_train`` for the same arguments;
    with ``return_state``, ``(resistances, final_state)`` so that a next train
    continues from where this one ended.
    """
    per = _BYTES_PER_PULSE_JSON if as_json else _BYTES_PER_PULSE
    check_fits(f"cosim device --count {count}", float(count) * per)
    out = np.empty(count)
    state = state0
    loud = count >= LOUD_PULSES
    t0 = time.perf_counter()
    bar = None
    for k in range(count):
        state = model.advance(state, amplitude_v, width_s)
        out[k] = float(1.0 / model.conductance_s(state))
        if loud and k + 1 == PROBE:
            per_pulse_s = (time.perf_counter() - t0) / PROBE
            print(
                f"cosim device: {count} pulses: about {_duration(per_pulse_s * count)} "
                f"(timed on the first {PROBE}) and {format_bytes(count * per)} of memory",
                file=sys.stderr,
                flush=True,
            )
            from tqdm.auto import tqdm

            from cosim.runs.context import progress_enabled

            bar = tqdm(
                total=count,
                initial=PROBE,
                unit="pulse",
                disable=not progress_enabled(True),
                file=sys.stderr,
                mininterval=1.0,
                dynamic_ncols=True,
            )
        elif bar is not None and (k + 1) % 10_000 == 0:
            bar.update(10_000 if k + 1 - bar.n >= 10_000 else k + 1 - bar.n)
    if bar is not None:
        bar.close()
    return (out, state) if return_state else out
