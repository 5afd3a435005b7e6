"""ngspice backend: run a SPICE deck through ngspice and read the results back.

Two ways to reach ngspice, with identical results and identical keys:

* ``"shared"``: the shared library ``libngspice`` through PySpice's
  ``NgSpiceShared`` (fast: no process start, no file). PySpice 1.5 looks for
  ``libngspice.so``, which Debian ships only in ``libngspice0-dev``; we point it
  at the runtime library found by :func:`ctypes.util.find_library` (Debian:
  ``libngspice.so.0``) or at ``$NGSPICE_LIBRARY_PATH``. PySpice then warns
  "Unsupported Ngspice version 39" and logs every ngspice stderr line as an
  error; both are silenced while we drive the library. The library is a
  process-wide singleton: every use holds a lock, and the circuit and its
  plots are removed afterwards (``destroy all``, ``remcirc``).
* ``"batch"``: ``ngspice -b`` in a temporary directory, with a ``.control``
  section that runs the analysis and writes an ASCII raw file
  (``set filetype=ascii``, ``write ... all``), parsed here at full double
  precision. (PySpice's own subprocess mode is not used: with ngspice 39 and
  numpy 2 it fails to parse the output; see the pitfalls in docs/design.md.)
* ``"auto"``: shared when the library loads, else batch.

PySpice is GPL-3.0 and therefore an optional extra (``pip install
'cosim[pyspice]'``, included in ``cosim[all]``); without it shared mode is
unavailable (its error names the extra), ``"auto"`` uses batch mode, and
batch mode needs only the ``ngspice`` program.

Analysis cards (``.op``, ``.tran``, ``.dc``, ``.print``, ``.save``, ...) and
``.control`` blocks in the text are replaced by the backend's own; ``.options``
and everything else are kept. For an operating point the backend adds
``.options`` tightening ngspice's Newton tolerances (see
:data:`OP_OPTIONS`; its defaults ``reltol=1e-3``, ``vntol=1e-6`` are too loose
to compare against the nodal solver at 1e-6 relative); pass ``options={}`` to
keep ngspice's defaults.

Results use one naming in both modes: node voltages keyed by lower-case node
name (ground ``"0"`` added at 0 V), source currents keyed by lower-case source
name (shared mode's ``name#branch`` and batch mode's ``i(name)`` both become
``name``), SPICE sign convention (current entering the + node).
"""

from __future__ import annotations

import contextlib
import ctypes.util
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np

from cosim.solvers.result import BackendUnavailableError, CircuitSolution, SolverError

__all__ = [
    "ngspice_available",
    "shared_available",
    "batch_available",
    "run_ngspice",
    "run_ngspice_tran",
    "NgspiceError",
    "OP_OPTIONS",
    "MODES",
    "INSTALL_HINT",
]

MODES = ("auto", "shared", "batch")
#: how to install ngspice on Debian/Ubuntu (quoted in every "missing" error)
INSTALL_HINT = "apt-get install -y ngspice libngspice0"
#: how to get shared mode's Python binding (GPL-3.0, so not a hard dependency of MIT cosim)
PYSPICE_HINT = "pip install 'cosim[pyspice]'"
#: ``.options`` added to an operating-point deck unless the caller passes ``options``
OP_OPTIONS = {"reltol": 1e-9, "vntol": 1e-12, "abstol": 1e-15}
#: default wall-clock limit of one ``ngspice -b`` run, second
BATCH_TIMEOUT_S = 600.0

_LIB_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/libngspice.so.0",
    "/usr/lib/aarch64-linux-gnu/libngspice.so.0",
    "/usr/lib/libngspice.so.0",
    "/usr/local/lib/libngspice.so",
    "/usr/local/lib/libngspice.so.0",
)
# cards whose effect the backend controls itself
_DROP_CARDS = (
    ".op",
    ".dc",
    ".ac",
    ".tran",
    ".noise",
    ".tf",
    ".sens",
    ".pz",
    ".disto",
    ".print",
    ".plot",
    ".four",
    ".meas",
    ".measure",
    ".save",
    ".probe",
    ".width",
)
_ERROR_RE = re.compile(r"\berror\b|\baborted\b|\bfatal\b", re.I)

_LOCK = threading.RLock()
_SHARED = {"instance": None, "failed": None}


class NgspiceError(SolverError):
    """ngspice ran but reported an error; the message quotes ngspice."""


# -- availability -------------------------------------------------------------
def _binary() -> str | None:
    return shutil.which(os.environ.get("COSIM_NGSPICE", "ngspice"))


def _library_path() -> str | None:
    env = os.environ.get("NGSPICE_LIBRARY_PATH")
    if env:
        return env if Path(env).exists() else None
    for cand in _LIB_CANDIDATES:
        if Path(cand).exists():
            return cand
    found = ctypes.util.find_library("ngspice")
    return found


def batch_available() -> bool:
    """True when an ``ngspice`` program is on ``PATH``."""
    return _binary() is not None


def shared_available() -> bool:
    """True when PySpice (the ``pyspice`` extra) is installed and can load
    ``libngspice`` (tried once, then cached)."""
    try:
        _shared_instance()
    except BackendUnavailableError:
        return False
    return True


def ngspice_available() -> bool:
    """True when ngspice can be run in at least one mode (library or program)."""
    return batch_available() or shared_available()


@contextlib.contextmanager
def _quiet_pyspice():
    """Silence PySpice's logger (version warning, ngspice stderr as errors)."""
    logger = logging.getLogger("PySpice")
    old = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(old)


def _shared_instance():
    """The process-wide PySpice ``NgSpiceShared`` (created on first use)."""
    with _LOCK:
        if _SHARED["instance"] is not None:
            return _SHARED["instance"]
        if _SHARED["failed"] is not None:
            raise BackendUnavailableError(_SHARED["failed"])
        try:
            import PySpice  # noqa: F401  (only the import test here; the binding loads below)
        except ImportError:
            _SHARED["failed"] = (
                "ngspice shared mode needs PySpice, the optional extra `pyspice` (GPL-3.0): install it with "
                f"`{PYSPICE_HINT}`, or use mode 'batch' (`ngspice -b`), which needs only the ngspice program"
            )
            raise BackendUnavailableError(_SHARED["failed"]) from None
        lib = _library_path()
        if lib is None:
            _SHARED["failed"] = (
                "ngspice shared library (libngspice) not found; install it with "
                f"`{INSTALL_HINT}` or set NGSPICE_LIBRARY_PATH"
            )
            raise BackendUnavailableError(_SHARED["failed"])
        try:
            with _quiet_pyspice():
                from PySpice.Spice.NgSpice.Shared import NgSpiceShared

                NgSpiceShared.LIBRARY_PATH = lib
                inst = NgSpiceShared.new_instance()
        except Exception as exc:  # OSError from dlopen, ImportError, NameError from ngSpice_Init
            _SHARED["failed"] = (
                f"cannot load the ngspice shared library {lib!r} through PySpice ({exc}); "
                f"install it with `{INSTALL_HINT}`"
            )
            raise BackendUnavailableError(_SHARED["failed"]) from None
        _SHARED["instance"] = inst
        return inst


# -- deck preparation -----------------------------------------------------------
def _split_deck(netlist_text: str, keep: tuple[str, ...] = ()) -> tuple[str, list[str]]:
    """Title and body of a deck, without ``.end``, ``.control`` blocks and
    analysis cards (except those in ``keep``)."""
    if not isinstance(netlist_text, str) or not netlist_text.strip():
        raise ValueError("netlist_text must be a non-empty SPICE deck (a str)")
    lines = netlist_text.replace("\r\n", "\n").split("\n")
    title, body = lines[0], []
    in_control = dropping = False
    for line in lines[1:]:
        word = line.strip().split(None, 1)[0].lower() if line.strip() else ""
        if in_control:
            in_control = word != ".endc"
            continue
        if word == ".control":
            in_control = True
            continue
        if word == ".end":
            break
        if word.startswith("+") and dropping:
            continue
        dropping = word in _DROP_CARDS and word not in keep
        if not dropping:
            body.append(line)
    return title, body


def _options_card(options: dict | None) -> list[str]:
    if not options:
        return []
    return [".options " + " ".join(f"{k}={v!r}" if isinstance(v, float) else f"{k}={v}" for k, v in options.items())]


# -- result parsing ---------------------------------------------------------------
def _canonical(name: str) -> str:
    """``v(x)``/``x`` -> ``v(x)``; ``i(v1)``/``v1#branch`` -> ``i(v1)``; lower case."""
    n = name.strip().lower()
    if n.endswith("#branch"):
        return f"i({n[: -len('#branch')]})"
    if re.fullmatch(r"[vi]\(.*\)", n) or n == "time":
        return n
    return f"v({n})"


def _parse_ascii_raw(text: str) -> dict[str, np.ndarray]:
    """Vectors of the (first) plot of an ngspice ASCII raw file, canonical names."""
    m_vars = re.search(r"^No\. Variables:\s*(\d+)", text, re.M)
    m_pts = re.search(r"^No\. Points:\s*(\d+)", text, re.M)
    if not (m_vars and m_pts and "Values:" in text):
        raise NgspiceError("ngspice wrote a raw file that is not an ASCII raw file:\n" + text[:500])
    n_var, n_pts = int(m_vars.group(1)), int(m_pts.group(1))
    head, values = re.split(r"^Values:", text, maxsplit=1, flags=re.M)
    var_block = re.split(r"^Variables:", head, maxsplit=1, flags=re.M)[1].strip().splitlines()[:n_var]
    names = [line.split()[1] for line in var_block]
    tokens = values.split()
    data = np.array(tokens[: n_pts * (n_var + 1)], dtype=float).reshape(n_pts, n_var + 1)[:, 1:]
    return {_canonical(name): data[:, k].copy() for k, name in enumerate(names)}


def _to_solution(vectors: dict[str, np.ndarray], backend: str) -> CircuitSolution:
    nodes = {"0": 0.0}
    sources = {}
    for name, vals in vectors.items():
        val = float(vals[-1]) if vals.size else float("nan")
        if name.startswith("v("):
            nodes[name[2:-1]] = val
        elif name.startswith("i("):
            sources[name[2:-1]] = val
    return CircuitSolution(node_voltages_v=nodes, source_currents_a=sources, backend=backend)


# -- the two modes -----------------------------------------------------------------
def _messages_with_errors(lines: list[str]) -> list[str]:
    # ngspice echoes the title ("Circuit: ..."), which may contain any word
    return [ln for ln in lines if _ERROR_RE.search(ln) and not ln.strip().startswith("Circuit:")]


_NOISE_RE = re.compile(
    r"^(Note: No compatibility|Circuit:|Doing analysis|Trying gmin|Note: One successful|"
    r"Warning: Further gmin|Supplies reduced|Reference value|No\. of Data Rows|ngspice-\d+ done)"
)


def _report(lines: list[str], limit: int = 25) -> str:
    """ngspice's own messages for an error report: boilerplate dropped, the last ``limit`` lines."""
    kept = [ln.rstrip() for ln in lines if ln.strip() and not _NOISE_RE.match(ln.strip())]
    return "\n".join(kept[-limit:]) or "(ngspice printed nothing)"


def _run_shared(title: str, body: list[str], tail: list[str]) -> dict[str, np.ndarray]:
    """Load the deck into libngspice, run its analysis card, return vectors."""
    from PySpice.Spice.NgSpice.Shared import FFI, ffi

    deck = [title or "cosim deck", *body, *tail, ".end"]
    with _LOCK, _quiet_pyspice():
        ng = _shared_instance()
        lib = ng._ngspice_shared

        def command(cmd: str) -> list[str]:
            ng.clear_output()
            lib.ngSpice_Command(cmd.encode("ascii"))
            return ng._stdout + ng._stderr

        command("destroy all")
        try:
            ng.clear_output()
            keep = [ffi.new("char[]", line.encode("utf-8")) for line in deck if line.strip()]
            keep.append(ffi.new("char[]", b""))
            rc = lib.ngSpice_Circ(ffi.new("char *[]", keep + [FFI.NULL]))
            out = ng._stdout + ng._stderr
            errors = _messages_with_errors(out)
            if rc or errors:
                raise NgspiceError("ngspice (shared) refused the netlist:\n" + _report(out))
            out = command("run")
            errors = _messages_with_errors(out)
            plots = [p for p in ng.plot_names if p != "const"]
            if errors or not plots:
                raise NgspiceError("ngspice (shared) analysis failed:\n" + _report(out))
            plot = ng.last_plot
            vectors = {}
            names_c = lib.ngSpice_AllVecs(plot.encode("utf-8"))
            k = 0
            while names_c[k] != FFI.NULL:
                name = ffi.string(names_c[k]).decode("utf-8")
                info = lib.ngGet_Vec_Info(f"{plot}.{name}".encode())
                if info != FFI.NULL and info.v_realdata != FFI.NULL:
                    buf = ffi.buffer(info.v_realdata, info.v_length * 8)
                    vectors[_canonical(name)] = np.frombuffer(buf, dtype=np.float64).copy()
                k += 1
            return vectors
        finally:
            command("destroy all")
            command("remcirc")


def _run_batch(
    title: str, body: list[str], tail: list[str], control: list[str], timeout_s: float
) -> dict[str, np.ndarray]:
    """Run ``ngspice -b`` on the deck with a ``.control`` block writing an ASCII raw file."""
    exe = _binary()
    if exe is None:
        raise BackendUnavailableError(f"the ngspice program was not found on PATH; install it with `{INSTALL_HINT}`")
    deck = [
        title or "cosim deck",
        *body,
        *tail,
        ".control",
        "set filetype=ascii",
        *control,
        "write cosim_out.raw all",
        "quit 0",
        ".endc",
        ".end",
        "",
    ]
    with tempfile.TemporaryDirectory(prefix="cosim_ngspice_") as tmp:
        path = Path(tmp, "deck.cir")
        path.write_text("\n".join(deck))
        try:
            proc = subprocess.run([exe, "-b", path.name], cwd=tmp, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise NgspiceError(f"ngspice -b did not finish within {timeout_s:g} s") from None
        output = (proc.stdout + "\n" + proc.stderr).splitlines()
        raw = Path(tmp, "cosim_out.raw")
        errors = _messages_with_errors(output)
        if proc.returncode != 0 or errors or not raw.exists():
            raise NgspiceError(f"ngspice -b failed (exit code {proc.returncode}):\n" + _report(output))
        return _parse_ascii_raw(raw.read_text())


def _resolve_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"unknown ngspice mode {mode!r}; expected one of {MODES}")
    if mode == "auto":
        if shared_available():
            return "shared"
        if batch_available():
            return "batch"
        raise BackendUnavailableError(
            f"ngspice is not installed (no libngspice and no `ngspice` program); install it with `{INSTALL_HINT}`"
        )
    if mode == "shared":
        _shared_instance()  # raises BackendUnavailableError with the reason
    return mode


def run_ngspice(
    netlist_text: str, mode: str = "auto", *, options: dict | None = None, timeout_s: float = BATCH_TIMEOUT_S
) -> CircuitSolution:
    """DC operating point (``.op``) of a SPICE deck with ngspice.

    Parameters
    ----------
    netlist_text : str
        A SPICE deck (first line = title). Its analysis cards and
        ``.control`` blocks are replaced by an operating point.
    mode : {"auto", "shared", "batch"}
        Library through PySpice, ``ngspice -b``, or shared when it loads.
    options : dict, optional
        ``.options`` added to the deck; default :data:`OP_OPTIONS` (tight
        Newton tolerances); ``{}`` keeps ngspice's defaults.
    timeout_s : float
        Wall-clock limit of a batch run, second.

    Returns
    -------
    CircuitSolution
        ``backend`` is ``"ngspice-shared"`` or ``"ngspice-batch"``.

    Raises
    ------
    BackendUnavailableError
        ngspice is not installed (the message gives the apt command).
    NgspiceError
        ngspice rejected the deck or its analysis failed (ngspice's own
        messages quoted), or a batch run timed out.
    ValueError
        Unknown ``mode`` or empty text.
    """
    resolved = _resolve_mode(mode)
    title, body = _split_deck(netlist_text)
    tail = _options_card(OP_OPTIONS if options is None else options)
    if resolved == "shared":
        vectors = _run_shared(title, body, [*tail, ".op"])
    else:
        vectors = _run_batch(title, body, tail, ["op"], timeout_s)
    return _to_solution(vectors, f"ngspice-{resolved}")


def run_ngspice_tran(
    netlist_text: str,
    vectors: list[str],
    mode: str = "auto",
    *,
    options: dict | None = None,
    timeout_s: float = BATCH_TIMEOUT_S,
) -> dict[str, np.ndarray]:
    """Transient analysis of a SPICE deck with ngspice; the deck's own
    ``.tran`` card sets the time axis.

    Parameters
    ----------
    netlist_text : str
        A SPICE deck with one ``.tran`` card (other analysis cards and
        ``.control`` blocks are dropped).
    vectors : list of str
        Requested vectors: node voltages as ``"v(node)"`` or ``"node"``,
        voltage-source currents as ``"i(vname)"`` or ``"vname#branch"``.
    mode : {"auto", "shared", "batch"}
    options : dict, optional
        ``.options`` to add (default none: the deck's own tolerances).
    timeout_s : float
        Wall-clock limit of a batch run, second.

    Returns
    -------
    dict of str -> ndarray
        ``"time"`` (second) plus every requested vector, keyed exactly as
        requested, each of shape ``(n_points,)``.

    Raises
    ------
    ValueError
        No ``.tran`` card, unknown mode, or a requested vector that ngspice did
        not produce (the available names are listed).
    BackendUnavailableError, NgspiceError
        As for :func:`run_ngspice`.
    """
    resolved = _resolve_mode(mode)
    title, body = _split_deck(netlist_text, keep=(".tran",))
    if not any(ln.strip().lower().startswith(".tran") for ln in body):
        raise ValueError("run_ngspice_tran: the netlist has no .tran card")
    tail = _options_card(options)
    if resolved == "shared":
        raw = _run_shared(title, body, tail)
    else:
        raw = _run_batch(title, body, tail, ["run"], timeout_s)
    if "time" not in raw:
        raise NgspiceError("ngspice produced no transient plot (no 'time' vector)")
    out = {"time": raw["time"]}
    for req in vectors:
        key = _canonical(req)
        if key not in raw:
            raise ValueError(f"ngspice produced no vector {req!r}; available: {sorted(raw)}")
        out[req] = raw[key]
    return out
