"""SPICE text out and in: ngspice-compatible ``.cir`` netlists of a :class:`Circuit`.

Writing
-------
:func:`write_spice` produces a netlist a SPICE user can read and ngspice can
run (``ngspice -b file.cir``): the title line first (SPICE convention), a
header comment with the crossbar geometry and a node-naming legend, the
``cosim_selector`` subcircuit when selectors are used, the elements grouped
under comments, ``.op`` and ``.end``.  Values are written with Python's
shortest round-trip representation (``repr(float)``), so reading the file back
gives bit-identical values and write -> read -> write is the identity.

Two element values have no SPICE spelling and are written exactly instead
(so such a circuit changes once on the way through a file, then the text is
a fixed point):

* a 0-ohm resistor ``<name>`` (an ideal short) becomes a 0 V source
  ``vshort_<name>`` (ngspice would silently clamp a 0-ohm resistor to 1 mohm);
* an ``inf`` resistor (an open element) is left out, with a comment naming it.

The selector is the subcircuit::

    .subckt cosim_selector a b is=1e-07 v0=0.1
    bsel a b i=is*sinh(v(a,b)/v0)
    .ends cosim_selector

with instances ``xsel_i_j mid_i_j bl_i_j cosim_selector is=1e-07 v0=0.1``
(``is`` in ampere, ``v0`` in volt: :class:`cosim.devices.selector.SinhSelector`).

Reading
-------
:func:`read_spice` accepts this subset of SPICE (case-insensitive):

* the first line is the title (always, as in SPICE); ``.title TEXT`` too;
* ``R<name> n1 n2 value`` (or ``r=value``), ohm;
* ``V<name> n+ n- [dc] value`` volt and ``I<name> n+ n- [dc] value`` ampere
  (no value = 0);
* ``X<name> n1 n2 cosim_selector [is=..] [v0=..]`` (defaults from the
  ``.subckt`` line; ``params:`` accepted) and the ``.subckt cosim_selector``
  block itself (its body must be the B-source above);
* full-line ``*`` comments, inline ``;`` and ``$`` comments, ``+``
  continuation lines, blank lines, ``.op``, ``.end`` (text after it is
  ignored);
* numbers with SI suffixes ``t g meg k m u n p f`` (and ``mil``), with
  trailing unit letters ignored as SPICE does (``10kohm``, ``1.2v``).

Anything else raises :class:`SpiceParseError` naming the line number and the
element or card, e.g.
``line 7: unsupported element 'C1' (supported: R, V, I, X cosim_selector)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cosim.netlist._spice_read import (
    _BAD_NAME_CHARS,
    _DEFAULT_SELECTOR,
    _META_TAG,
    SELECTOR_SUBCKT,
    SpiceParseError,
    load_spice,
    parse_value,
    read_spice,
)
from cosim.netlist.circuit import Circuit, CircuitError

__all__ = ["SpiceParseError", "write_spice", "save_spice", "read_spice", "load_spice", "parse_value"]

_KIND_LETTER = {"resistor": "r", "vsource": "v", "isource": "i", "selector": "x"}


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------

# (group heading, kind, name prefixes) in the order they are written; an
# element falls into the first group whose kind and prefix match; consecutive
# groups with one heading share it
_WL_SEGMENTS = "word-line segments r_wl_i_j ending at wl_i_j (0-ohm segments as 0 V sources vshort_wl_i_j)"
_BL_SEGMENTS = "bit-line segments r_bl_i_j starting at bl_i_j (0-ohm segments as 0 V sources vshort_bl_i_j)"
_GROUPS = (
    ("word-line drivers: v_in_i from in_i to ground", "vsource", ("v_in_",)),
    (
        "bit-line sense amplifiers (virtual ground): v_out_j from out_j to ground; its current is the output current",
        "vsource",
        ("v_out_",),
    ),
    ("driver resistors r_drv_i: in_i -> drv_i", "resistor", ("r_drv_",)),
    (_WL_SEGMENTS, "resistor", ("r_wl_",)),
    (_WL_SEGMENTS, "vsource", ("vshort_wl_",)),
    (_BL_SEGMENTS, "resistor", ("r_bl_",)),
    (_BL_SEGMENTS, "vsource", ("vshort_bl_",)),
    ("sense resistors r_sns_j: sns_j -> out_j", "resistor", ("r_sns_",)),
    ("memristive devices rcell_i_j", "resistor", ("rcell_",)),
    ("selectors xsel_i_j (subcircuit cosim_selector, I = is*sinh(V/v0))", "selector", ("xsel_",)),
    ("1T1R access transistors rtr_i_j (on/off resistance per gate line)", "resistor", ("rtr_",)),
    ("resistors", "resistor", ("",)),
    ("voltage sources", "vsource", ("",)),
    ("current sources", "isource", ("",)),
    ("selectors (subcircuit cosim_selector, I = is*sinh(V/v0))", "selector", ("",)),
)


def _fmt(x: float) -> str:
    """Shortest text that reads back to the same float (``repr``)."""
    return repr(float(x))


def _first_bad_name(names: list[str], letter: str) -> str | None:
    """The first name that is not a valid SPICE name starting with ``letter`` (None if all are)."""
    # one regex scan over the joined names: ~10^6 generated names are checked in milliseconds
    if _BAD_NAME_CHARS.search("\x00".join(names)) is None and all(n.startswith(letter) for n in names):
        return None
    return next(n for n in names if _BAD_NAME_CHARS.search(n) or not n.startswith(letter) or not n)


def _check_names(circuit: Circuit) -> None:
    for kind, letter in _KIND_LETTER.items():
        bad = _first_bad_name(circuit.elements[kind].names, letter)
        if bad is not None:
            raise CircuitError(
                f"{kind} {bad!r} cannot be written as SPICE: its name must start with {letter!r} "
                "and contain no blanks or any of =(),;$*'\"{}"
            )
    bad = _first_bad_name(circuit.node_names, "")
    if bad is not None:
        raise CircuitError(f"node {bad!r} cannot be written as SPICE: no blanks or any of =(),;$*'\"{{}} allowed")


def _range_text(lo: float, hi: float, unit: str, zero_note: str) -> str:
    if lo == hi:
        text = f"{_fmt(lo)} {unit}"
        return f"{text} ({zero_note})" if lo == 0 else f"{text} everywhere"
    return f"{_fmt(lo)} .. {_fmt(hi)} {unit} (varies)"


def _numbers(meta: dict, *keys: str) -> bool:
    """True when every key holds a real number (header metadata may come from a hand-edited file)."""
    return all(isinstance(meta.get(k), (int, float)) and not isinstance(meta.get(k), bool) for k in keys)


def _header(circuit: Circuit, counts: dict[str, int], n_nodes: int) -> list[str]:
    bar = "* " + "-" * 74
    lines = [bar, "* Written by cosim (cosim.netlist.spice.write_spice); run with: ngspice -b FILE.cir"]
    lines.append(
        f"* {n_nodes} nodes besides ground; {counts['resistor']} resistors, {counts['vsource']} voltage sources, "
        f"{counts['isource']} current sources, {counts['selector']} selectors"
    )
    meta = circuit.meta.get("crossbar")
    if (
        isinstance(meta, dict)
        and all(isinstance(meta.get(k), int) and not isinstance(meta.get(k), bool) for k in ("rows", "cols"))
        and isinstance(meta.get("cell"), str)
    ):
        rows, cols, cell = meta["rows"], meta["cols"], meta["cell"]
        lines += [
            "*",
            f"* Crossbar: {rows} rows (word lines) x {cols} columns (bit lines), cell {cell}"
            + (f", {meta['cells_present']} of {rows * cols} cells present" if _numbers(meta, "cells_present") else ""),
        ]
        for key, what, note in (
            ("r_wordline_ohm", "word-line segment resistance", "ideal lines, 0 V shorts"),
            ("r_bitline_ohm", "bit-line segment resistance", "ideal lines, 0 V shorts"),
            ("r_driver_ohm", "driver resistance", "ideal drivers"),
            ("r_sense_ohm", "sense resistance", "ideal virtual ground"),
        ):
            if _numbers(meta, f"{key}_min", f"{key}_max"):
                lines.append(f"*   {what}: {_range_text(meta[key + '_min'], meta[key + '_max'], 'ohm', note)}")
        if _numbers(meta, "selector_i_s_a", "selector_v_0_v"):
            lines.append(
                f"*   selector: I = is*sinh(V/v0), is = {_fmt(meta['selector_i_s_a'])} A, "
                f"v0 = {_fmt(meta['selector_v_0_v'])} V"
            )
        if _numbers(meta, "r_transistor_on_ohm", "r_transistor_off_ohm"):
            lines.append(
                f"*   access transistor: {_fmt(meta['r_transistor_on_ohm'])} ohm on, "
                f"{_fmt(meta['r_transistor_off_ohm'])} ohm off"
            )
        lines += [
            "* Node names (i = row / word line, j = column / bit line, from 0):",
            "*   in_i     word-line driver i (+ node of source v_in_i)",
            "*   drv_i    after driver resistor r_drv_i (only when it is > 0 ohm)",
            "*   wl_i_j   word line i at column j;  bl_i_j  bit line j at row i",
            "*   mid_i_j  between device rcell_i_j and selector xsel_i_j / transistor rtr_i_j",
            "*   sns_j    before sense resistor r_sns_j (only when it is > 0 ohm)",
            "*   out_j    sense node of bit line j (+ node of source v_out_j)",
            "* Cell voltage = V(wl_i_j) - V(bl_i_j). The current of v_out_j (SPICE sign:",
            "* into out_j, through the source to ground) is the output current of bit line j.",
        ]
        # machine-readable copy, restored by read_spice into circuit.meta["crossbar"]
        items = [
            f"{k}={_fmt(v) if isinstance(v, float) else v}"
            for k, v in meta.items()
            if isinstance(v, (int, float, str))
            and not isinstance(v, bool)
            and not _BAD_NAME_CHARS.search(str(v))
            and str(v)
        ]
        for k in range(0, len(items), 4):
            lines.append(_META_TAG + " ".join(items[k : k + 4]))
    lines.append(bar)
    return lines


def write_spice(circuit: Circuit) -> str:
    """The circuit as ngspice-compatible SPICE text (an ``.op`` analysis).

    Parameters
    ----------
    circuit : Circuit
        Any circuit; for one from :func:`cosim.netlist.generate.crossbar_circuit`
        the header also describes the crossbar geometry.

    Returns
    -------
    str
        The netlist, ending in ``.end`` and a newline.  Zero-ohm resistors are
        written as 0 V sources ``vshort_<name>``, ``inf`` resistors left out
        (see the module docstring).

    Raises
    ------
    CircuitError
        An element name that does not start with its SPICE letter (``r``,
        ``v``, ``i``, ``x``), or a node or element name SPICE cannot carry
        (blanks, ``=``, parentheses, ...).

    Examples
    --------
    >>> c = Circuit("divider")
    >>> c.add("vsource", ["vin"], ["in"], ["0"], value=[1.0])
    >>> c.add("resistor", ["r1", "r2"], ["in", "mid"], ["mid", "0"], value=[1e3, 2e3])
    >>> print(write_spice(c).split("* " + "-" * 74)[-1].strip())
    * resistors
    r1 in mid 1000.0
    r2 mid 0 2000.0
    <BLANKLINE>
    * voltage sources
    vin in 0 dc 1.0
    <BLANKLINE>
    .op
    .end
    """
    _check_names(circuit)
    nodes = np.array(circuit.node_names, dtype=object)
    body: list[str] = []
    used = np.zeros(circuit.num_nodes, dtype=bool)
    counts = dict.fromkeys(_KIND_LETTER, 0)
    taken = {kind: np.zeros(len(t), dtype=bool) for kind, t in circuit.elements.items()}
    names_arr = {kind: np.array(t.names, dtype=object) for kind, t in circuit.elements.items()}
    last_heading = None
    for heading, kind, prefixes in _GROUPS:
        t = circuit.elements[kind]
        if not len(t):
            continue
        sel = ~taken[kind]
        if prefixes != ("",):
            sel &= np.fromiter((n.startswith(prefixes) for n in t.names), dtype=bool, count=len(t))
        idx = np.flatnonzero(sel)
        if not idx.size:
            continue
        taken[kind][idx] = True
        names = names_arr[kind][idx]
        n_p, n_m = t.n_plus[idx], t.n_minus[idx]
        group: list[str] = []
        if kind == "resistor":
            vals = t.params["value"][idx]
            opened = np.isinf(vals)
            shorted = vals == 0
            ok = ~opened & ~shorted
            group += [
                f"{a} {b} {c} {_fmt(v)}"
                for a, b, c, v in zip(names[ok], nodes[n_p[ok]], nodes[n_m[ok]], vals[ok].tolist())
            ]
            group += [
                f"vshort_{a} {b} {c} dc 0.0 ; 0-ohm resistor {a} as an exact 0 V short"
                for a, b, c in zip(names[shorted], nodes[n_p[shorted]], nodes[n_m[shorted]])
            ]
            group += [
                f"* {a} {b} {c} inf : open (infinite resistance), left out"
                for a, b, c in zip(names[opened], nodes[n_p[opened]], nodes[n_m[opened]])
            ]
            counts["resistor"] += int(ok.sum())
            counts["vsource"] += int(shorted.sum())
            keep = ~opened
            used[n_p[keep]] = True
            used[n_m[keep]] = True
        elif kind == "selector":
            i_s, v_0 = t.params["i_s_a"][idx].tolist(), t.params["v_0_v"][idx].tolist()
            group += [
                f"{a} {b} {c} {SELECTOR_SUBCKT} is={_fmt(s)} v0={_fmt(v)}"
                for a, b, c, s, v in zip(names, nodes[n_p], nodes[n_m], i_s, v_0)
            ]
            counts[kind] += idx.size
            used[n_p] = used[n_m] = True
        else:
            vals = t.params["value"][idx].tolist()
            group += [f"{a} {b} {c} dc {_fmt(v)}" for a, b, c, v in zip(names, nodes[n_p], nodes[n_m], vals)]
            counts[kind] += idx.size
            used[n_p] = used[n_m] = True
        if heading != last_heading:
            body += ["", f"* {heading}"]
            last_heading = heading
        body += group
    # the first line is always the title in SPICE, whatever it starts with
    title = " ".join(str(circuit.title).split())
    out = [title or "untitled"]
    out += _header(circuit, counts, int(used[1:].sum()))
    if counts["selector"]:
        out += [
            "",
            "* selector: I = is*sinh(V(a,b)/v0), is in ampere, v0 in volt",
            f".subckt {SELECTOR_SUBCKT} a b is={_fmt(_DEFAULT_SELECTOR.i_s_a)} v0={_fmt(_DEFAULT_SELECTOR.v_0_v)}",
            "bsel a b i=is*sinh(v(a,b)/v0)",
            f".ends {SELECTOR_SUBCKT}",
        ]
    out += body
    out += ["", ".op", ".end", ""]
    return "\n".join(out)


def save_spice(circuit: Circuit, path, *, overwrite: bool = False) -> Path:
    """Write :func:`write_spice` text to ``path`` (a ``.cir`` file).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False (the message names it).
    FileNotFoundError
        The folder of ``path`` does not exist.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; refusing to overwrite it (pass overwrite=True / --force)")
    if not path.parent.exists():
        raise FileNotFoundError(f"folder {path.parent} does not exist (for netlist {path})")
    text = write_spice(circuit)
    path.write_text(text)
    return path


# ---------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------
