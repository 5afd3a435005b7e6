"""The trace: one record per primitive event run by a :class:`~cosim.engine.Timeline`.

Per event (index ``k``):

* ``time_s[k]``, ``duration_s[k]``: start time and duration, second;
* ``kind[k]``: ``"read"``, ``"pulse"``, ``"write"`` or ``"idle"`` (an idle
  gap the time line inserted before a later-scheduled event has label ``"gap"``);
* ``label[k]``: the event's label, or the enclosing composite's label;
* ``energy_cells_j[k]``, ``energy_wires_j[k]`` (and ``energy_j``): joule;
* ``disturb[k]``: largest ``|state_after - state_before|`` of a cell outside
  the touched cells (half-select / read disturb), in the model's state unit;
* ragged per-event arrays (``trace.get(name, k)``):

  - ``cells``: (n, 2) int row/column indices of the touched cells, i.e. the
    cells a pulse or write *selects* (every cell advances; the others are
    summarised by ``disturb``); empty for reads and idles;
  - ``v_applied_v``: nominal voltage of each touched cell, volt;
  - ``v_actual_v``: voltage the device actually saw (sub-step average), volt;
  - ``state_before``, ``state_after``: state of each touched cell;
  - ``v_in_v``, ``i_out_a``: read inputs (volt) and bit-line currents (ampere);
  - ``full_state_after``: the whole (rows, cols) state after the event, only
    when the array has at most ``full_state_max_cells`` cells (default 1024);
    ``trace.initial_state`` then holds the state before the first event.

``Trace.save(path)`` writes one ``.npz`` (ragged fields as concatenated data
+ offsets + shapes, no pickles); ``Trace.load(path)`` reads it back equal.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from cosim.engine.events import EngineError

SCALARS = ("time_s", "duration_s", "energy_cells_j", "energy_wires_j", "disturb")
STRINGS = ("kind", "label")
RAGGED = (
    "cells",
    "v_applied_v",
    "v_actual_v",
    "state_before",
    "state_after",
    "v_in_v",
    "i_out_a",
    "full_state_after",
)
_MAX_NDIM = 3


class Trace:
    """Event records of a time line (see the module docstring for the fields).

    Parameters
    ----------
    full_state_max_cells : int, default 1024
        Record the whole state after each event when the array has at most
        this many cells.
    meta : dict, optional
        JSON-serialisable metadata saved with the trace (shape, backend, model).
    """

    def __init__(self, full_state_max_cells: int = 1024, meta: dict | None = None) -> None:
        self.full_state_max_cells = int(full_state_max_cells)
        self.meta = dict(meta or {})
        self.initial_state: np.ndarray | None = None
        self._scalars = {k: [] for k in SCALARS}
        self._strings = {k: [] for k in STRINGS}
        self._ragged = {k: [] for k in RAGGED}

    # -- recording -------------------------------------------------------
    def append(
        self, *, time_s, duration_s, kind, label="", energy_cells_j=0.0, energy_wires_j=0.0, disturb=0.0, **arrays
    ) -> None:
        """Add one record; ``arrays`` are any of the ragged fields (missing ones are empty)."""
        sc = self._scalars
        sc["time_s"].append(float(time_s))
        sc["duration_s"].append(float(duration_s))
        sc["energy_cells_j"].append(float(energy_cells_j))
        sc["energy_wires_j"].append(float(energy_wires_j))
        sc["disturb"].append(float(disturb))
        self._strings["kind"].append(str(kind))
        self._strings["label"].append(str(label))
        for name in RAGGED:
            val = arrays.pop(name, None)
            self._ragged[name].append(None if val is None else np.asarray(val))
        if arrays:
            raise EngineError(f"unknown trace field(s) {sorted(arrays)}; expected {RAGGED}")

    # -- access ----------------------------------------------------------
    def __len__(self) -> int:
        return len(self._scalars["time_s"])

    def _column(self, name: str) -> np.ndarray:
        if name in SCALARS:
            return np.asarray(self._scalars[name], dtype=float)
        return np.asarray(self._strings[name], dtype=str)

    time_s = property(lambda self: self._column("time_s"), doc="Start time of each event, second.")
    duration_s = property(lambda self: self._column("duration_s"), doc="Duration of each event, second.")
    energy_cells_j = property(lambda self: self._column("energy_cells_j"), doc="Energy in cells per event, joule.")
    energy_wires_j = property(lambda self: self._column("energy_wires_j"), doc="Energy in wires per event, joule.")
    disturb = property(lambda self: self._column("disturb"), doc="Largest state change outside the touched cells.")
    kind = property(lambda self: self._column("kind"), doc="Event kind per event (str array).")
    label = property(lambda self: self._column("label"), doc="Event or composite label per event (str array).")

    @property
    def energy_j(self) -> np.ndarray:
        """Energy per event (cells + wires), joule."""
        return self.energy_cells_j + self.energy_wires_j

    def get(self, name: str, k: int) -> np.ndarray:
        """Ragged field ``name`` of record ``k`` (an empty array when not recorded)."""
        if name not in RAGGED:
            raise EngineError(f"unknown trace field {name!r}; expected one of {RAGGED}")
        val = self._ragged[name][k]
        if val is None:
            return np.zeros((0, 2), dtype=np.int64) if name == "cells" else np.zeros(0)
        return val

    def record(self, k: int) -> dict:
        """Record ``k`` as a dict of every field."""
        out = {name: self._scalars[name][k] for name in SCALARS}
        out.update({name: self._strings[name][k] for name in STRINGS})
        out.update({name: self.get(name, k) for name in RAGGED})
        return out

    def __repr__(self) -> str:
        return f"Trace({len(self)} events)"

    # -- files -----------------------------------------------------------
    def save(self, path, *, overwrite: bool = False) -> Path:
        """Write the trace to ``path`` (``.npz``); refuses an existing file unless ``overwrite``."""
        path = Path(path)
        if path.suffix != ".npz":
            raise EngineError(f"trace path must end in .npz, got {str(path)!r}")
        if path.exists() and not overwrite:
            raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
        out = {name: np.asarray(self._scalars[name], dtype=float) for name in SCALARS}
        for name in STRINGS:
            out[name] = np.asarray(self._strings[name], dtype=str)
        n = len(self)
        for name in RAGGED:
            vals = self._ragged[name]
            shapes = np.full((n, _MAX_NDIM + 1), -1, dtype=np.int64)  # column 0: ndim, -1 = not recorded
            sizes = np.zeros(n, dtype=np.int64)
            chunks = []
            for k, v in enumerate(vals):
                if v is None:
                    continue
                shapes[k, 0] = v.ndim
                shapes[k, 1 : 1 + v.ndim] = v.shape
                sizes[k] = v.size
                chunks.append(v.ravel())
            dtype = np.int64 if name == "cells" else float
            out[f"{name}__data"] = np.concatenate(chunks).astype(dtype) if chunks else np.zeros(0, dtype)
            out[f"{name}__shapes"] = shapes
            out[f"{name}__offsets"] = np.concatenate([[0], np.cumsum(sizes)])
        out["meta_json"] = np.asarray(json.dumps(self.meta))
        out["full_state_max_cells"] = np.asarray(self.full_state_max_cells)
        if self.initial_state is not None:
            out["initial_state"] = np.asarray(self.initial_state, dtype=float)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **out)
        return path

    @classmethod
    def load(cls, path) -> Trace:
        """Read a trace written by :meth:`save`.

        Raises ``FileNotFoundError`` for a missing file and ``EngineError`` for a
        file that is not a cosim trace (naming the missing field).
        """
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no trace file {path}")
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in SCALARS + STRINGS + ("meta_json",) if k not in data.files]
            if missing:
                raise EngineError(f"{path} is not a cosim trace: missing field {missing[0]!r}")
            tr = cls(int(data["full_state_max_cells"]), json.loads(str(data["meta_json"])))
            for name in SCALARS:
                tr._scalars[name] = data[name].tolist()
            for name in STRINGS:
                tr._strings[name] = data[name].tolist()
            n = len(tr._scalars["time_s"])
            for name in RAGGED:
                flat = data[f"{name}__data"]
                shapes = data[f"{name}__shapes"]
                offs = data[f"{name}__offsets"]
                vals = []
                for k in range(n):
                    nd = shapes[k, 0]
                    if nd < 0:
                        vals.append(None)
                    else:
                        vals.append(flat[offs[k] : offs[k + 1]].reshape(tuple(shapes[k, 1 : 1 + nd])))
                tr._ragged[name] = vals
            if "initial_state" in data.files:
                tr.initial_state = data["initial_state"]
        return tr
