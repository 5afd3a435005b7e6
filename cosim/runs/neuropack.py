"""Readers for NeuroPack's input files, so its users can bring their experiments.

NeuroPack (the ArC ONE neural-network module, Huang et al.) describes a run
with three text files; this module reads each into plain NumPy objects with
0-based indices, rejecting bad lines with the file, the line number and the
offending text.

* **Configuration JSON** (``NeuroBase.json``, ``MNIST_LIF.json``): a flat
  object of upper-case keys; :func:`read_config` maps them onto
  :class:`NeuroPackConfig` (see :data:`CONFIG_KEYS` for the key -> field
  table, units and NeuroPack's defaults). Keys we do not map are kept in
  ``extra``. Only ``NETSIZE`` and ``DEPTH`` are required (as in NeuroPack's
  loader). NeuroPack's README spells ``DEVICEINITVAIATION``; both spellings
  are accepted.
* **Connectivity file**: one synapse per line, ``PREID, POSTID, W, B, TYPE``
  -- pre- and post-synaptic neuron ids (1-based), the device's word line
  ``W`` and bit line ``B`` on the ArC crossbar (1-based), and ``TYPE`` +1
  (excitatory) or -1 (inhibitory). ``#`` starts a comment; blank lines are
  skipped. NeuroPack splits on ``", "``; we accept any whitespace around the
  commas.
* **Stimulus file**: ``timestep - id, id, ...`` -- at time step
  ``timestep`` (0-based, as NeuroPack indexes its ``stimin[:, timestep]``)
  the listed neurons (1-based ids) are forced to spike. In the supervised
  LIF set-up the ids above the input count are the output neurons that mark
  the label.

Example (the three-neuron motif that ships with NeuroPack)::

    >>> from pathlib import Path
    >>> from cosim.runs import neuropack
    >>> data = Path(neuropack.__file__).parents[2] / "tests" / "data" / "neuropack"
    >>> conn = neuropack.read_connectivity(data / "motif_connmat.txt")
    >>> conn.pre.tolist(), conn.post.tolist()
    ([0, 1, 2, 0, 2, 1], [1, 2, 0, 2, 1, 0])
    >>> stim = neuropack.read_stimulus(data / "motif_stim.txt")
    >>> stim.to_raster(n_neurons=3)[11:14].tolist()
    [[True, False, False], [False, True, False], [False, False, True]]
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "NeuroPackFormatError",
    "NeuroPackConfig",
    "CONFIG_KEYS",
    "read_config",
    "Connectivity",
    "read_connectivity",
    "Stimulus",
    "read_stimulus",
]


class NeuroPackFormatError(ValueError):
    """A NeuroPack file is malformed; the message names the file, the line and the offending text."""


#: JSON key -> (field of :class:`NeuroPackConfig`, type, NeuroPack's default or ``None`` when it has none).
#: Units: ohm for resistances, volt for pulse amplitudes, second for widths and ``dt``,
#: siemens per unit error for ``LEARNINGRATE`` (weights are conductances).
CONFIG_KEYS: dict[str, tuple[str, type, object]] = {
    "NETSIZE": ("netsize", int, None),
    "DEPTH": ("depth", int, None),
    "LAYER": ("layers", list, None),
    "INPUT": ("n_inputs", int, None),
    "INPUTROW": ("input_rows", int, None),
    "OUTPUT": ("n_outputs", int, None),
    "LEAKAGE": ("leakage", float, 1.0),
    "FIRETH": ("fire_threshold", float, 0.8),
    "LEARNINGRATE": ("learning_rate", float, 1e-6),
    "NOISESCALE": ("noise_scale", float, 1e-6),
    "INITRES": ("init_r_ohm", float, None),
    "DEVICEINITVARIATION": ("init_variation_ohm", float, None),
    "POSVOLTOFPULSELIST": ("pos_pulse_v", list, None),
    "POSPULSEWIDTHOFPULSELIST": ("pos_pulse_width_s", list, None),
    "NEGVOLTOFPULSELIST": ("neg_pulse_v", list, None),
    "NEGPULSEWIDTHOFPULSELIST": ("neg_pulse_width_s", list, None),
    "MAXUPDATESTEPS": ("max_update_steps", int, None),
    "RTOLERANCE": ("r_tolerance", float, None),
    "PFLOOR": ("r_floor_ohm", float, None),
    "PCEIL": ("r_ceil_ohm", float, None),
    "WEIGHTSCALE": ("weight_scale", float, 1.0),
    "NORMALISE": ("normalise", bool, False),
    "dt": ("dt_s", float, None),
    "PATTERN_EPOCH": ("pattern_epoch", int, None),
    "NEURONLOCK_ENABLE": ("neuronlock_enable", int, 0),
    "TEMPORALCODING_ENABLE": ("temporal_coding_enable", int, 0),
    "SPIKETRAIN": ("spike_train", int, 1),
}
_ALIASES = {"DEVICEINITVAIATION": "DEVICEINITVARIATION"}  # NeuroPack README's spelling


@dataclass(frozen=True)
class NeuroPackConfig:
    """A NeuroPack configuration, keys mapped to named, unit-carrying fields.

    Every field of :data:`CONFIG_KEYS` is present; a key absent from the file
    holds NeuroPack's default (or ``None`` where NeuroPack has none).
    ``layers`` is a tuple of ints; the pulse lists are tuples of floats.
    ``init_variation_ohm`` is the *full width* of NeuroPack's uniform initial
    spread: ``R0 = INITRES + (u - 0.5) * DEVICEINITVARIATION``, ``u ~ U[0, 1)``.
    ``extra`` holds the keys we do not map; ``path`` the file read.
    """

    netsize: int
    depth: int
    layers: tuple[int, ...] | None = None
    n_inputs: int | None = None
    input_rows: int | None = None
    n_outputs: int | None = None
    leakage: float = 1.0
    fire_threshold: float = 0.8
    learning_rate: float = 1e-6
    noise_scale: float = 1e-6
    init_r_ohm: float | None = None
    init_variation_ohm: float | None = None
    pos_pulse_v: tuple[float, ...] | None = None
    pos_pulse_width_s: tuple[float, ...] | None = None
    neg_pulse_v: tuple[float, ...] | None = None
    neg_pulse_width_s: tuple[float, ...] | None = None
    max_update_steps: int | None = None
    r_tolerance: float | None = None
    r_floor_ohm: float | None = None
    r_ceil_ohm: float | None = None
    weight_scale: float = 1.0
    normalise: bool = False
    dt_s: float | None = None
    pattern_epoch: int | None = None
    neuronlock_enable: int = 0
    temporal_coding_enable: int = 0
    spike_train: int = 1
    extra: dict = field(default_factory=dict)
    path: str | None = None

    @property
    def pulse_options(self) -> tuple[tuple[float, float], ...]:
        """All (amplitude_v, width_s) options, positive list then negative list."""
        out = []
        for v, w in ((self.pos_pulse_v, self.pos_pulse_width_s), (self.neg_pulse_v, self.neg_pulse_width_s)):
            if v is not None:
                out.extend(zip(v, w))
        return tuple(out)

    def snn_params(self) -> dict:
        """The subset of parameters the cosim LIF/WTA network and verified write use.

        Keys are those of the cosim ``snn`` experiment config (``leakage``,
        ``fire_threshold_v``, ``learning_rate``, ``r_init_ohm``,
        ``r_init_halfwidth_ohm``, ``pulse_amplitudes_v``, ``pulse_widths_s``,
        ``max_steps``, ``r_tolerance``, ``r_min_ohm``, ``r_max_ohm``,
        ``n_inputs``, ``n_outputs``); absent NeuroPack keys are left out.
        """
        out: dict = {}
        if self.layers is not None:
            out["n_inputs"], out["n_outputs"] = int(self.layers[0]), int(self.layers[-1])
        elif self.n_inputs is not None and self.n_outputs is not None:
            out["n_inputs"], out["n_outputs"] = self.n_inputs, self.n_outputs
        out["leakage"] = self.leakage
        out["fire_threshold_v"] = self.fire_threshold
        out["learning_rate"] = self.learning_rate
        for key, val in (
            ("r_init_ohm", self.init_r_ohm),
            ("r_init_halfwidth_ohm", None if self.init_variation_ohm is None else self.init_variation_ohm / 2),
            ("max_steps", self.max_update_steps),
            ("r_tolerance", self.r_tolerance),
            ("r_min_ohm", self.r_floor_ohm),
            ("r_max_ohm", self.r_ceil_ohm),
        ):
            if val is not None:
                out[key] = val
        if self.pulse_options:
            out["pulse_amplitudes_v"] = [float(v) for v, _ in self.pulse_options]
            out["pulse_widths_s"] = [float(w) for _, w in self.pulse_options]
        return out


def _where(path, lineno: int | None = None) -> str:
    return f"{path}" if lineno is None else f"{path}, line {lineno}"


def _convert(path, key: str, value, kind: type):
    """Value of JSON ``key`` as ``kind``; NeuroPackFormatError naming key and value otherwise."""
    bad = NeuroPackFormatError(f"{path}: key {key!r} must be {kind.__name__}, got {value!r}")
    if kind is bool:
        if isinstance(value, bool) or value in (0, 1):
            return bool(value)
        raise bad
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or float(value) != int(value):
            raise bad
        return int(value)
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
            raise bad
        return float(value)
    if kind is list:
        if not isinstance(value, list) or not value:
            raise NeuroPackFormatError(f"{path}: key {key!r} must be a non-empty list, got {value!r}")
        for item in value:
            if isinstance(item, bool) or not isinstance(item, (int, float)) or not np.isfinite(item):
                raise NeuroPackFormatError(f"{path}: key {key!r} holds {item!r}; expected numbers")
        return tuple(value)
    raise TypeError(kind)  # pragma: no cover - table is fixed


def read_config(path: str | Path) -> NeuroPackConfig:
    """Read a NeuroPack configuration JSON.

    Parameters
    ----------
    path : str or Path
        The ``.json`` file.

    Returns
    -------
    NeuroPackConfig

    Raises
    ------
    FileNotFoundError
        No such file.
    NeuroPackFormatError
        Not JSON (line and column named), not an object, ``NETSIZE`` or
        ``DEPTH`` missing, a value of the wrong type (key and value named),
        pulse amplitude and width lists of different lengths, a non-positive
        width, or a ``LAYER`` list whose sum differs from ``NETSIZE``.
    """
    path = Path(path)
    text = path.read_text()
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        bad = text.splitlines()[exc.lineno - 1] if exc.lineno <= len(text.splitlines()) else ""
        raise NeuroPackFormatError(
            f"{_where(path, exc.lineno)}, column {exc.colno}: not valid JSON ({exc.msg}): {bad.strip()!r}"
        ) from None
    if not isinstance(raw, dict):
        raise NeuroPackFormatError(f"{path}: expected a JSON object of parameters, got {type(raw).__name__}")
    for old, new in _ALIASES.items():
        if old in raw and new not in raw:
            raw[new] = raw.pop(old)
    for req in ("NETSIZE", "DEPTH"):
        if req not in raw:
            raise NeuroPackFormatError(f"{path}: missing required parameter {req!r}")
    values: dict = {}
    extra: dict = {}
    for key, value in raw.items():
        if key in CONFIG_KEYS:
            name, kind, _ = CONFIG_KEYS[key]
            values[name] = _convert(path, key, value, kind)
        else:
            extra[key] = value
    if "layers" in values:
        values["layers"] = tuple(_convert(path, "LAYER", v, int) for v in values["layers"])
        if sum(values["layers"]) != values["netsize"]:
            raise NeuroPackFormatError(
                f"{path}: LAYER {list(values['layers'])} sums to {sum(values['layers'])}, but NETSIZE is {values['netsize']}"
            )
    for pol in ("pos", "neg"):
        v, w = values.get(f"{pol}_pulse_v"), values.get(f"{pol}_pulse_width_s")
        vk, wk = f"{pol.upper()}VOLTOFPULSELIST", f"{pol.upper()}PULSEWIDTHOFPULSELIST"
        if (v is None) != (w is None):
            raise NeuroPackFormatError(f"{path}: {vk} and {wk} must be given together")
        if v is not None and len(v) != len(w):
            raise NeuroPackFormatError(f"{path}: {vk} has {len(v)} entries but {wk} has {len(w)}")
        if w is not None and min(w) <= 0:
            raise NeuroPackFormatError(f"{path}: {wk} holds a non-positive width {min(w)!r} s")
    for key in ("netsize", "depth"):
        if values[key] < 1:
            raise NeuroPackFormatError(f"{path}: {key.upper()} must be >= 1, got {values[key]}")
    return NeuroPackConfig(**values, extra=extra, path=str(path))


def _content_lines(path: Path):
    """(line number, stripped text) of every non-blank, non-comment line; inline ``#`` comments cut."""
    with open(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            text = line.split("#", 1)[0].strip()
            if text:
                yield lineno, text, line.rstrip("\n")


@dataclass(frozen=True)
class Connectivity:
    """A NeuroPack connectivity table, 0-based.

    Attributes
    ----------
    pre, post : ndarray of int64, shape (n,)
        Pre- and post-synaptic neuron index (file id - 1).
    row, col : ndarray of int64, shape (n,)
        Device word line and bit line on the crossbar (file ``W`` - 1, ``B`` - 1).
    sign : ndarray of int8, shape (n,)
        +1 excitatory, -1 inhibitory.
    path : str
    """

    pre: np.ndarray
    post: np.ndarray
    row: np.ndarray
    col: np.ndarray
    sign: np.ndarray
    path: str = ""

    def __len__(self) -> int:
        return int(self.pre.size)

    @property
    def array_shape(self) -> tuple[int, int]:
        """Smallest (rows, cols) crossbar holding every device."""
        return (int(self.row.max()) + 1, int(self.col.max()) + 1) if len(self) else (0, 0)

    def layer_layout(self, n_inputs: int, n_outputs: int) -> tuple[np.ndarray, np.ndarray]:
        """Device (row, col) of every synapse of a 2-layer net, each shape (n_inputs, n_outputs).

        Neurons ``0 .. n_inputs-1`` are inputs and ``n_inputs .. n_inputs+n_outputs-1``
        outputs (NeuroPack's numbering). Raises ``NeuroPackFormatError`` when a
        synapse is missing, joins other neurons, or two synapses share a device.
        """
        rows = np.full((n_inputs, n_outputs), -1, dtype=np.int64)
        cols = np.full((n_inputs, n_outputs), -1, dtype=np.int64)
        o = self.post - n_inputs
        ok = (self.pre < n_inputs) & (o >= 0) & (o < n_outputs)
        if not ok.all():
            k = int(np.flatnonzero(~ok)[0])
            raise NeuroPackFormatError(
                f"{self.path}: synapse {self.pre[k] + 1} -> {self.post[k] + 1} is not input -> output "
                f"for {n_inputs} inputs and {n_outputs} outputs"
            )
        rows[self.pre, o] = self.row
        cols[self.pre, o] = self.col
        if (rows < 0).any():
            i, j = np.argwhere(rows < 0)[0]
            raise NeuroPackFormatError(f"{self.path}: no synapse from input {i + 1} to output {n_inputs + j + 1}")
        return rows, cols


_INT = re.compile(r"^[+-]?\d+$")


def read_connectivity(path: str | Path, netsize: int | None = None) -> Connectivity:
    """Read a NeuroPack connectivity file (``PREID, POSTID, W, B, TYPE`` per line, 1-based).

    Parameters
    ----------
    path : str or Path
    netsize : int, optional
        When given, neuron ids must lie in ``1 .. netsize``.

    Raises
    ------
    FileNotFoundError
        No such file.
    NeuroPackFormatError
        A line without exactly five comma-separated integers, an id or device
        coordinate below 1 (or above ``netsize``), ``TYPE`` not +1/-1, a
        synapse listed twice or two synapses on one device: the message
        names the file, the line number and the line.
    """
    path = Path(path)
    cols_ = {"pre": [], "post": [], "row": [], "col": [], "sign": []}
    seen_syn: dict[tuple[int, int], int] = {}
    seen_dev: dict[tuple[int, int], int] = {}
    for lineno, text, line in _content_lines(path):
        fields = [f.strip() for f in text.split(",")]
        where = f"{_where(path, lineno)}: {line!r}"
        if len(fields) != 5:
            raise NeuroPackFormatError(f"{where}: expected 5 fields PREID, POSTID, W, B, TYPE; got {len(fields)}")
        if not all(_INT.match(f) for f in fields):
            raise NeuroPackFormatError(f"{where}: every field must be an integer")
        pre, post, w, b, kind = (int(f) for f in fields)
        for name, val in (("PREID", pre), ("POSTID", post), ("W", w), ("B", b)):
            if val < 1:
                raise NeuroPackFormatError(f"{where}: {name} {val} must be >= 1 (ids are 1-based)")
        if netsize is not None and max(pre, post) > netsize:
            raise NeuroPackFormatError(f"{where}: neuron id {max(pre, post)} exceeds NETSIZE {netsize}")
        if kind not in (1, -1):
            raise NeuroPackFormatError(f"{where}: TYPE {kind} must be +1 (excitatory) or -1 (inhibitory)")
        if (pre, post) in seen_syn:
            raise NeuroPackFormatError(f"{where}: synapse {pre} -> {post} already given on line {seen_syn[pre, post]}")
        if (w, b) in seen_dev:
            raise NeuroPackFormatError(f"{where}: device W={w}, B={b} already used on line {seen_dev[w, b]}")
        seen_syn[pre, post] = lineno
        seen_dev[w, b] = lineno
        for key, val in zip(cols_, (pre - 1, post - 1, w - 1, b - 1, kind)):
            cols_[key].append(val)
    return Connectivity(
        pre=np.asarray(cols_["pre"], dtype=np.int64),
        post=np.asarray(cols_["post"], dtype=np.int64),
        row=np.asarray(cols_["row"], dtype=np.int64),
        col=np.asarray(cols_["col"], dtype=np.int64),
        sign=np.asarray(cols_["sign"], dtype=np.int8),
        path=str(path),
    )


@dataclass(frozen=True)
class Stimulus:
    """A NeuroPack stimulus: which neurons are forced to spike at which time step.

    Attributes
    ----------
    steps : ndarray of int64, shape (m,)
        Time step of each entry (0-based, as in the file).
    neurons : tuple of ndarray of int64
        For entry ``k``, the 0-based neuron indices (file id - 1).
    path : str
    """

    steps: np.ndarray
    neurons: tuple[np.ndarray, ...]
    path: str = ""

    @property
    def n_steps(self) -> int:
        """One past the last time step mentioned."""
        return int(self.steps.max()) + 1 if self.steps.size else 0

    def to_raster(self, n_neurons: int, n_steps: int | None = None) -> np.ndarray:
        """Boolean spike raster, shape (n_steps, n_neurons); steps beyond ``n_steps`` are dropped.

        Raises ``NeuroPackFormatError`` when a neuron index is >= ``n_neurons``.
        """
        n_steps = self.n_steps if n_steps is None else int(n_steps)
        raster = np.zeros((n_steps, n_neurons), dtype=bool)
        for t, ids in zip(self.steps, self.neurons):
            if t >= n_steps:
                continue
            if ids.size and ids.max() >= n_neurons:
                raise NeuroPackFormatError(
                    f"{self.path}: time step {t} stimulates neuron {int(ids.max()) + 1}, beyond {n_neurons} neurons"
                )
            raster[t, ids] = True
        return raster

    def to_samples(self, n_inputs: int, n_outputs: int) -> tuple[np.ndarray, np.ndarray]:
        """Split into input images and labels, NeuroPack's supervised LIF convention.

        Returns ``x`` (n_steps, n_inputs) uint8 and ``labels`` (n_steps,) int64:
        the index of the stimulated output neuron (id - n_inputs - 1), or -1
        when a step stimulates none. Raises ``NeuroPackFormatError`` when a
        step stimulates several output neurons.
        """
        raster = self.to_raster(n_inputs + n_outputs)
        x = raster[:, :n_inputs].astype(np.uint8)
        out = raster[:, n_inputs:]
        several = out.sum(axis=1) > 1
        if several.any():
            t = int(np.flatnonzero(several)[0])
            raise NeuroPackFormatError(f"{self.path}: time step {t} stimulates several output neurons (labels)")
        labels = np.where(out.any(axis=1), out.argmax(axis=1), -1).astype(np.int64)
        return x, labels


def read_stimulus(path: str | Path) -> Stimulus:
    """Read a NeuroPack stimulus file (``timestep - id, id, ...`` per line; ids 1-based).

    Raises
    ------
    FileNotFoundError
        No such file.
    NeuroPackFormatError
        A line without ``" - "``, a time step that is not a non-negative
        integer, an id that is not an integer >= 1, or a time step listed
        twice: the message names the file, the line number and the line.
    """
    path = Path(path)
    steps: list[int] = []
    neurons: list[np.ndarray] = []
    seen: dict[int, int] = {}
    for lineno, text, line in _content_lines(path):
        where = f"{_where(path, lineno)}: {line!r}"
        parts = re.split(r"\s*-\s*", text, maxsplit=1)
        if len(parts) != 2:
            raise NeuroPackFormatError(f"{where}: expected 'timestep - id, id, ...'")
        step_text, ids_text = parts
        if not re.fullmatch(r"\d+", step_text):
            raise NeuroPackFormatError(f"{where}: time step {step_text!r} must be a non-negative integer")
        ids = [f.strip() for f in ids_text.split(",")]
        if not all(re.fullmatch(r"\d+", f) for f in ids):
            bad = next(f for f in ids if not re.fullmatch(r"\d+", f))
            raise NeuroPackFormatError(f"{where}: neuron id {bad!r} must be an integer >= 1")
        vals = np.asarray([int(f) for f in ids], dtype=np.int64)
        if (vals < 1).any():
            raise NeuroPackFormatError(f"{where}: neuron id 0 must be >= 1 (ids are 1-based)")
        step = int(step_text)
        if step in seen:
            raise NeuroPackFormatError(f"{where}: time step {step} already given on line {seen[step]}")
        seen[step] = lineno
        steps.append(step)
        neurons.append(np.unique(vals - 1))
    return Stimulus(np.asarray(steps, dtype=np.int64), tuple(neurons), str(path))
