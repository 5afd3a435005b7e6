"""Predict-write-verify programming of many crossbar cells at once.

For each cell to program to a target resistance ``R_t``: read it, choose from
a list of pulse options (amplitude, width) the one whose *predicted* result
lands nearest ``R_t``, apply it, read again; stop when
``|R - R_t| / R_t < tolerance`` or after ``max_steps`` pulses. This is
NeuroPack's weight-update loop (``core_LIF_supervisedlearning_wta.plast`` with
``memristorPulses.BestPulseChoice``), here vectorised over all cells of an
update: the only Python loops are over steps and over pulse groups (lines x
options), never over cells.

Steps (per call, for the cells still outside tolerance)
-------------------------------------------------------
1. **Read** every row holding an active cell: one batch read, row ``i``
   driven at ``v_read_v`` and every other word line at 0 V, bit lines at
   virtual ground; ``G_ij = I_j / v_read_v``, ``R = 1 / G``. Read noise is
   the array's (``CrossbarArray(read_noise=...)``); on a circuit backend the
   read includes the wires' IR drop, as a real row read would.
2. **Polarity**: cells with ``R > R_t`` take the options whose polarity
   raises the conductance (``model.raises_conductance``; negative for the
   Messaris card), the others the opposite polarity. As in NeuroPack there is
   no "do nothing" option: a cell outside tolerance always gets a pulse.
3. **Predict** ``R`` after each option of that polarity with the device
   model's exact ``advance`` started from the *read* resistance (the
   controller knows only what it reads):

   * ``predictor="nominal"`` (NeuroPack's): the device sees the option's
     nominal amplitude;
   * ``predictor="circuit"`` (new): the device sees what the circuit will
     deliver. The array is asked for the device voltages of a *candidate*
     bias -- per line group (see 4) and polarity, every active cell of that
     group selected -- without applying it. For linear 1R arrays with ohmic
     devices every voltage in the circuit is proportional to the bias
     amplitude, so one solve at 1 V gives each cell's ratio
     ``v_device / v_nominal`` and the prediction for every amplitude uses
     ``ratio * amplitude`` (``circuit_solves="linear"``, one solve per group
     per step). Non-linear cells (1S1R selectors, non-ohmic models) take one
     solve per distinct amplitude (``"per_amplitude"``). The pulses actually
     applied select only the cells that chose a given option, a subset of the
     candidate selection, so the prediction is approximate where the
     selection pattern changes the IR drop; disturbance by the *other*
     pulses of the step (half-selected under V/2) and the read's own IR drop
     (the prediction starts from the read) are not predicted either. Tested:
     on a 16 x 16 array with 20-ohm segments its prediction error is about a
     third of the nominal predictor's.
4. **Apply**. A single bias can only fully select a block of cells (every
   selected word line crosses every selected bit line), so cells are grouped
   per option and per line: ``grouping="row"`` gives one pulse per (word line,
   option) selecting the cells of that row that chose the option;
   ``"col"`` one per (bit line, option); ``"auto"`` (default) takes, per
   option, whichever axis needs fewer pulses. Polarity is part of the option
   (its amplitude's sign). Under a passive scheme (``"v2"``, ``"v3"``,
   ``"floating"``) on a circuit backend every half-selected cell on the
   selected lines is disturbed by what the circuit gives it; on the ideal
   backend only the selected cells move (ideal selectors). On the ideal
   backend groups of equal width on different lines are merged into one
   ideal-selector bias (each line at its own amplitude, ``merge="auto"``):
   the devices see exactly what separate pulses would give them, in fewer
   array calls.
5. **Verify**: read again (step 1 of the next round); cells now within
   tolerance stop.

The loop runs at most ``max_steps`` rounds, so a cell gets at most
``max_steps`` pulses; a cell within tolerance at the first read gets none.

The same plan runs standalone (:func:`verified_write`) or on the engine's
time line as a composite event (:class:`VerifiedWrite`), whose reads and
writes are then recorded in the trace.

Examples
--------
>>> import numpy as np
>>> from cosim.array import CrossbarArray
>>> from cosim.devices import Messaris2017, NEUROPACK_2022
>>> arr = CrossbarArray(Messaris2017(**NEUROPACK_2022), np.full((2, 3), 11000.0))
>>> rep = verified_write(arr, [0, 1], [2, 0], [10000.0, 11050.0], tolerance=0.01)
>>> rep.converged.tolist(), rep.steps.tolist()     # 11050 is already within 1 %
([True, True], [2, 0])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cosim.algorithms._verified_write_basics import (
    NEUROPACK_OPTIONS,
    PulseOption,
    VerifiedWriteError,
    WriteReport,
    options_from_lists,
    read_cells,
)
from cosim.algorithms._verified_write_plan import _cell_energy, _LineBatch, _make_plan, _plan
from cosim.engine.events import Composite, Pulse, Read

__all__ = [
    "PulseOption",
    "NEUROPACK_OPTIONS",
    "WriteReport",
    "VerifiedWriteError",
    "verified_write",
    "read_cells",
    "VerifiedWrite",
    "options_from_lists",
]


def _apply_batch(array, batch: _LineBatch) -> list:
    """Apply a step's pulses: together when the array can (exact, :mod:`cosim.array.batch`), else one by one."""
    from cosim.array.batch import write_line_batch

    model = array.model
    done = write_line_batch(array, [(r, c, ev.amplitude_v, ev.width_s) for ev, r, c in batch.writes])
    if done is not None:
        return [_cell_energy(model, s0, v, ev.width_s) for (ev, _, _), (s0, v) in zip(batch.writes, done)]
    out = []
    for ev, r, c in batch.writes:
        rep = array.write(ev.rows_sel, ev.cols_sel, ev.amplitude_v, ev.width_s, ev.scheme)
        out.append(_cell_energy(model, rep.state_before[r, c], rep.v_device_v[r, c], rep.width_s))
    return out


def _run_direct(gen, array):
    """Drive a plan generator straight against the array (no time line)."""
    result = None
    try:
        event = gen.send(None)
        while True:
            if isinstance(event, _LineBatch):
                result = _apply_batch(array, event)
            elif isinstance(event, Read):
                result = array.read(event.v_in_v)
            elif isinstance(event, Pulse):
                result = array.pulse(event.bias, event.width_s)
            else:
                result = array.write(event.rows_sel, event.cols_sel, event.amplitude_v, event.width_s, event.scheme)
            event = gen.send(result)
    except StopIteration as stop:
        return stop.value


def verified_write(
    array,
    rows: Iterable[int],
    cols: Iterable[int],
    r_target_ohm,
    *,
    options: Sequence[PulseOption] = NEUROPACK_OPTIONS,
    tolerance: float = 0.01,
    max_steps: int = 5,
    predictor: str = "nominal",
    scheme: str = "ideal",
    grouping: str = "auto",
    v_read_v: float = 0.2,
    circuit_solves: str = "auto",
    r_initial_ohm=None,
    merge="auto",
) -> WriteReport:
    """Program cells ``(rows[k], cols[k])`` of ``array`` to ``r_target_ohm[k]`` by predict-write-verify.

    Parameters
    ----------
    array : cosim.array.CrossbarArray
        The array (any backend); its device model must expose ``advance``
        (and, for non-resistance states, ``state_from_resistance`` /
        ``resistance_ohm``).
    rows, cols : sequence of int, shape (n,)
        Cell coordinates; each cell at most once.
    r_target_ohm : array_like, (n,)
        Target resistances, ohm, > 0.
    options : sequence of PulseOption
        The pulses the controller may choose from; both polarities needed.
        Default: NeuroPack's twelve.
    tolerance : float
        Relative resistance tolerance: a cell stops when
        ``|R - R_t| / R_t < tolerance`` (NeuroPack's ``RTOLERANCE``).
    max_steps : int
        Most pulses per cell (NeuroPack's ``MAXUPDATESTEPS``).
    predictor : {"nominal", "circuit"}
        Device model at the nominal pulse voltage (NeuroPack) or at the
        voltage the circuit will deliver (module docstring, step 3).
    scheme : {"ideal", "v2", "v3", "floating"}
        Write scheme of every pulse (see :func:`cosim.netlist.bias.write_bias`).
    grouping : {"auto", "row", "col"}
        How cells are grouped into biases (module docstring, step 4).
    v_read_v : float
        Read voltage, volt.
    circuit_solves : {"auto", "linear", "per_amplitude"}
        How the circuit predictor solves candidate biases (module docstring).
    r_initial_ohm : array_like (n,), optional
        The controller's latest reading of the cells (e.g. the read it
        computed the targets from, as NeuroPack does); given, the first read
        is skipped.
    merge : {"auto", True, False}
        Let pulses of equal width on different lines share one bias (exact
        on the ideal backend only, where it is the default; see
        ``_pulse_events``). ``True`` on another backend is refused.

    Returns
    -------
    WriteReport

    Raises
    ------
    VerifiedWriteError
        Mismatched shapes, out-of-range or repeated cells, a non-positive or
        non-finite target, bad tolerance / steps / predictor / grouping /
        options (the value is named).
    """
    plan = _make_plan(
        array,
        rows,
        cols,
        r_target_ohm,
        options=options,
        tolerance=tolerance,
        max_steps=max_steps,
        predictor=predictor,
        scheme=scheme,
        grouping=grouping,
        v_read_v=v_read_v,
        circuit_solves=circuit_solves,
        r_initial_ohm=r_initial_ohm,
        merge=merge,
    )
    plan.batch = True
    return _run_direct(_plan(plan), array)


class VerifiedWrite(Composite):
    """The verified write as a composite event of :class:`cosim.engine.Timeline`.

    Same arguments as :func:`verified_write` (without the array, given at
    run time); the time line records every read and pulse, and the event's
    result is the :class:`WriteReport`.
    """

    def __init__(self, rows, cols, r_target_ohm, *, label: str = "verified_write", **kwargs) -> None:
        self.label = label
        self._args = (rows, cols, r_target_ohm)
        self._kwargs = kwargs

    def expand(self, array, now_s: float):
        kw = dict(
            options=NEUROPACK_OPTIONS,
            tolerance=0.01,
            max_steps=5,
            predictor="nominal",
            scheme="ideal",
            grouping="auto",
            v_read_v=0.2,
            circuit_solves="auto",
            merge="auto",
        )
        kw.update(self._kwargs)
        plan = _make_plan(array, *self._args, **kw)
        return _plan(plan)
