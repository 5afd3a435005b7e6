"""The discrete-event time line.

Events wait in a heap ordered by (scheduled time, scheduling order). The
array does one thing at a time: an event starts at ``max(scheduled time,
end of the previous event)`` and the clock advances by its duration. When
the next event is scheduled later than the clock, the gap is an idle period
(``model.relax`` for volatile models) recorded as an ``"idle"`` event with
label ``"gap"``. ``schedule(event)`` without ``at_s`` queues the event at the
present clock, after everything already queued there: a sequence of plain
``schedule`` calls runs in order, back to back.

Every primitive event (also those a composite yields) appends one record to
the :class:`~cosim.engine.trace.Trace`.
"""

from __future__ import annotations

import heapq

import numpy as np

from cosim.engine.events import PRIMITIVES, EngineError, Idle, Pulse, Read, Write
from cosim.engine.trace import Trace


class Timeline:
    """Run events against a :class:`cosim.array.CrossbarArray` in time order.

    Parameters
    ----------
    array : CrossbarArray
        The array the events act on (its state changes in place).
    start_s : float, default 0
        Clock at the start, second.
    trace : Trace, optional
        Where records go (a new one by default, see :attr:`trace`).
    full_state_max_cells : int, default 1024
        For a new trace: record the whole state after each event when the
        array has at most this many cells.
    record : bool, default True
        False: keep no trace (least overhead; results are still returned).

    Examples
    --------
    See the engine page of the docs, ``docs/layers/engine.md``.
    """

    def __init__(
        self,
        array,
        *,
        start_s: float = 0.0,
        trace: Trace | None = None,
        full_state_max_cells: int = 1024,
        record: bool = True,
    ) -> None:
        if not (hasattr(array, "pulse") and hasattr(array, "read_report")):
            raise EngineError(f"Timeline needs a cosim.array.CrossbarArray, got {type(array).__name__}")
        try:
            start = float(start_s)
        except (TypeError, ValueError):
            start = np.nan
        if not np.isfinite(start):
            raise EngineError(f"start_s must be a finite time in seconds, got {start_s!r}")
        self.array = array
        self.now_s = start
        self._queue: list = []
        self._seq = 0
        self.trace = (
            trace
            if trace is not None
            else Trace(
                full_state_max_cells,
                meta={
                    "shape": list(array.shape),
                    "backend": array.backend,
                    "model": array.model.name,
                    "state_name": array.model.state_name,
                },
            )
        )
        self.record = bool(record)
        self._full = self.record and array.rows * array.cols <= self.trace.full_state_max_cells
        if self._full and self.trace.initial_state is None:
            self.trace.initial_state = np.array(array.state)

    # -- queue -----------------------------------------------------------
    def schedule(self, event, at_s: float | None = None):
        """Queue ``event`` at time ``at_s`` (second; None: the present clock). Returns the event.

        Raises
        ------
        EngineError
            ``event`` is neither a primitive event nor has ``expand``; ``at_s``
            is NaN/inf.
        """
        _check_event(event)
        if at_s is None:
            at = self.now_s
        else:
            at = float(at_s)
            if not np.isfinite(at):
                raise EngineError(f"at_s must be a finite time in seconds, got {at_s!r}")
        heapq.heappush(self._queue, (at, self._seq, event))
        self._seq += 1
        return event

    def __len__(self) -> int:
        """Number of queued events."""
        return len(self._queue)

    def run(self, until_s: float | None = None) -> Trace:
        """Run queued events in time order (those scheduled at or before ``until_s``); return the trace."""
        q = self._queue
        while q and (until_s is None or q[0][0] <= until_s):
            at, _, event = heapq.heappop(q)
            if at > self.now_s:
                self._run_primitive(Idle(at - self.now_s, label="gap"), "gap")
            self.execute(event)
        return self.trace

    # -- execution -------------------------------------------------------
    def execute(self, event, label: str | None = None):
        """Run ``event`` now (not queued) and return its result.

        Read -> bit-line currents; Pulse/Write -> ``PulseReport``; Idle -> None;
        composite -> the value its generator returns. Events a composite
        yields are recorded with the composite's label (unless they carry their own).
        """
        if isinstance(event, PRIMITIVES):
            return self._run_primitive(event, event.label or label or "")
        _check_event(event)
        own = getattr(event, "label", "") or label or type(event).__name__
        gen = event.expand(self.array, self.now_s)
        result = None
        try:
            child = gen.send(None)
            while True:
                result = self.execute(child, label=own)
                child = gen.send(result)
        except StopIteration as stop:
            return stop.value

    def _run_primitive(self, event, label: str):
        if not self.record:
            return self._run_unrecorded(event)
        arr = self.array
        t0 = self.now_s
        tr = self.trace
        if isinstance(event, Read):
            before = arr._state if arr.read_disturb else None
            rep = arr.read_report(event.v_in_v)
            disturb = float(np.max(np.abs(arr._state - before))) if before is not None else 0.0
            extra = {"v_in_v": rep.v_in_v, "i_out_a": rep.currents_a}
            if self._full:
                extra["full_state_after"] = np.array(arr._state)
            tr.append(
                time_s=t0,
                duration_s=rep.duration_s,
                kind="read",
                label=label,
                energy_cells_j=rep.energy_cells_j,
                energy_wires_j=rep.energy_wires_j,
                disturb=disturb,
                **extra,
            )
            self.now_s = t0 + rep.duration_s
            return rep.currents_a
        if isinstance(event, (Pulse, Write)):
            if isinstance(event, Pulse):
                rep = arr.pulse(event.bias, event.width_s)
                kind = "pulse"
            else:
                rep = arr.write(event.rows_sel, event.cols_sel, event.amplitude_v, event.width_s, event.scheme)
                kind = "write"
            sel = rep.bias.selected
            ii, jj = np.nonzero(sel)
            change = np.abs(rep.state_after - rep.state_before)
            change[ii, jj] = 0.0
            extra = {
                "cells": np.stack([ii, jj], axis=1),
                "v_applied_v": rep.v_applied_v[ii, jj],
                "v_actual_v": rep.v_device_v[ii, jj],
                "state_before": rep.state_before[ii, jj],
                "state_after": rep.state_after[ii, jj],
            }
            if self._full:
                extra["full_state_after"] = np.array(rep.state_after)
            tr.append(
                time_s=t0,
                duration_s=rep.width_s,
                kind=kind,
                label=label,
                energy_cells_j=rep.energy_cells_j,
                energy_wires_j=rep.energy_wires_j,
                disturb=float(change.max()) if change.size else 0.0,
                **extra,
            )
            self.now_s = t0 + rep.width_s
            return rep
        # Idle
        before = arr._state
        arr.idle(event.duration_s)
        extra = {"full_state_after": np.array(arr._state)} if self._full else {}
        tr.append(
            time_s=t0,
            duration_s=event.duration_s,
            kind="idle",
            label=label,
            disturb=float(np.max(np.abs(arr._state - before))),
            **extra,
        )
        self.now_s = t0 + event.duration_s
        return None

    def _run_unrecorded(self, event):
        arr = self.array
        if isinstance(event, Read):
            rep = arr.read_report(event.v_in_v)
            self.now_s += rep.duration_s
            return rep.currents_a
        if isinstance(event, Pulse):
            rep = arr.pulse(event.bias, event.width_s)
        elif isinstance(event, Write):
            rep = arr.write(event.rows_sel, event.cols_sel, event.amplitude_v, event.width_s, event.scheme)
        else:
            arr.idle(event.duration_s)
            self.now_s += event.duration_s
            return None
        self.now_s += rep.width_s
        return rep


def _check_event(event) -> None:
    if isinstance(event, PRIMITIVES):
        return
    if not callable(getattr(event, "expand", None)):
        raise EngineError(
            f"cannot schedule {event!r}: an event is Read, Pulse, Write, Idle or an object with "
            "expand(array, now_s) yielding events"
        )
