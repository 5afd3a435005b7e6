"""Reading SPICE decks into a :class:`~cosim.netlist.circuit.Circuit` (and what the writer shares).

Part of :mod:`cosim.netlist.spice` (import from there; :class:`SpiceParseError`
carries that module's name).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from cosim.devices.selector import SinhSelector
from cosim.netlist.circuit import Circuit, CircuitError


SELECTOR_SUBCKT = "cosim_selector"
_DEFAULT_SELECTOR = SinhSelector()
_META_TAG = "* cosim.crossbar "


# characters that would change how SPICE splits or reads a card
_BAD_NAME_CHARS = re.compile(r"[\s=(),;$*'\"{}]")


class SpiceParseError(CircuitError):
    """SPICE text outside the supported subset, or malformed.

    The message starts with ``line N:`` and names the element or card.
    A subclass of :class:`CircuitError` (hence ``ValueError``), so one
    ``except CircuitError`` catches both syntax and semantic problems.
    """

    __module__ = "cosim.netlist.spice"

    def __init__(self, lineno: int | None, message: str) -> None:
        self.lineno = lineno
        super().__init__(f"line {lineno}: {message}" if lineno is not None else message)


_SUFFIX = {
    "t": 1e12,
    "g": 1e9,
    "meg": 1e6,
    "k": 1e3,
    "mil": 25.4e-6,
    "m": 1e-3,
    "u": 1e-6,
    "n": 1e-9,
    "p": 1e-12,
    "f": 1e-15,
}
_EXPONENT = {"t": 12, "g": 9, "meg": 6, "k": 3, "m": -3, "u": -6, "n": -9, "p": -12, "f": -15}
_NUMBER = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(meg|mil|[tgkmunpf])?[a-z]*")


def parse_value(token: str) -> float:
    """A SPICE number: ``1.5k`` -> 1500.0, ``10kohm`` -> 1e4, ``2meg`` -> 2e6.

    Suffixes (case-insensitive): t g meg k m u n p f, and mil; letters after
    the number or suffix (units) are ignored, as SPICE does.

    Raises
    ------
    ValueError
        Not a number, or not finite (the message names the token).

    Examples
    --------
    >>> parse_value("4.7K"), parse_value("1meg"), parse_value("100nF"), parse_value("1.2v")
    (4700.0, 1000000.0, 1e-07, 1.2)
    """
    m = _NUMBER.fullmatch(token.strip().lower())
    if m is None:
        raise ValueError(f"bad number {token!r}")
    mantissa, suffix = m.group(1), m.group(2)
    if suffix is None:
        value = float(mantissa)
    elif suffix == "mil" or "e" in mantissa:
        value = float(mantissa) * _SUFFIX[suffix]
    else:
        # decimal exponent, so "1.5k" is exactly 1500.0 (1.5 * 1e3 is too, but 0.3 * 1e-3 is not 3e-4)
        value = float(f"{mantissa}e{_EXPONENT[suffix]}")
    if not math.isfinite(value):
        raise ValueError(f"bad number {token!r} (not finite)")
    return value


def _strip_inline_comment(line: str) -> str:
    cut = line.find(";")
    if cut >= 0:
        line = line[:cut]
    m = re.search(r"(^|\s)\$(\s|$)", line)
    if m:
        line = line[: m.start()]
    return line


def _cards(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Title and logical cards ``(first line number, lower-case text)``."""
    lines = text.splitlines()
    if not lines:
        raise SpiceParseError(1, "empty netlist: the first line must be the title")
    title = lines[0].strip()
    cards: list[tuple[int, str]] = []
    for lineno, raw in enumerate(lines[1:], start=2):
        stripped = raw.strip()
        if not stripped or stripped.startswith("*"):
            continue
        body = _strip_inline_comment(stripped).strip()
        if stripped.startswith("+"):
            if not cards:
                raise SpiceParseError(lineno, "continuation line '+' with no card before it to continue")
            prev_no, prev = cards[-1]
            cards[-1] = (prev_no, prev + " " + body[1:].strip())
            continue
        if body:
            cards.append((lineno, body.lower()))
    return title, cards


def _tokens(card: str) -> list[str]:
    # "is = 1e-7" and "is=1e-7" read alike
    return re.sub(r"\s*=\s*", "=", card).split()


def _value(lineno: int, name: str, token: str, what: str = "value") -> float:
    try:
        return parse_value(token)
    except ValueError as exc:
        raise SpiceParseError(lineno, f"element {name!r}: {exc} for its {what}") from None


def _params(lineno: int, name: str, tokens: list[str], allowed: dict[str, float]) -> dict[str, float]:
    out = dict(allowed)
    for tok in tokens:
        if tok == "params:":
            continue
        key, eq, val = tok.partition("=")
        if not eq or key not in allowed:
            raise SpiceParseError(
                lineno, f"{name!r}: unexpected {tok!r} (expected parameters {', '.join(k + '=' for k in allowed)})"
            )
        out[key] = _value(lineno, name, val, key)
    return out


def _selector_subckt(cards: list[tuple[int, str]], start: int) -> tuple[dict[str, float], int]:
    """Parse ``.subckt cosim_selector ...`` at ``cards[start]``; defaults and the index after ``.ends``."""
    lineno, card = cards[start]
    tok = _tokens(card)
    if len(tok) < 2:
        raise SpiceParseError(lineno, "'.subckt' needs a name")
    if tok[1] != SELECTOR_SUBCKT:
        raise SpiceParseError(lineno, f"unsupported subcircuit {tok[1]!r} (only {SELECTOR_SUBCKT} is supported)")
    nodes = [t for t in tok[2:] if "=" not in t and t != "params:"]
    if len(nodes) != 2:
        raise SpiceParseError(lineno, f"subcircuit {SELECTOR_SUBCKT} must have 2 terminals, got {len(nodes)}")
    defaults = _params(
        lineno, f".subckt {SELECTOR_SUBCKT}", tok[4:], {"is": _DEFAULT_SELECTOR.i_s_a, "v0": _DEFAULT_SELECTOR.v_0_v}
    )
    for key, val in defaults.items():
        if not val > 0:
            raise SpiceParseError(lineno, f"subcircuit {SELECTOR_SUBCKT}: {key} must be > 0, got {val!r}")
    a, b = nodes
    expected = f"i=is*sinh(v({a},{b})/v0)"
    k = start + 1
    seen_body = False
    while k < len(cards):
        body_no, body = cards[k]
        if body.split()[0] == ".ends":
            rest = body.split()[1:]
            if rest and rest[0] != SELECTOR_SUBCKT:
                raise SpiceParseError(body_no, f"'.ends {rest[0]}' closes {SELECTOR_SUBCKT}")
            if not seen_body:
                raise SpiceParseError(body_no, f"subcircuit {SELECTOR_SUBCKT} has no body")
            return defaults, k + 1
        parts = body.split(None, 3)
        compact = re.sub(r"[\s{}]", "", parts[3]) if len(parts) == 4 else ""
        if seen_body or not body.startswith("b") or parts[1:3] != [a, b] or compact != expected:
            raise SpiceParseError(
                body_no,
                f"the body of subcircuit {SELECTOR_SUBCKT} must be one line 'bsel {a} {b} i=is*sinh(v({a},{b})/v0)', "
                f"got {body!r}",
            )
        seen_body = True
        k += 1
    raise SpiceParseError(lineno, f"subcircuit {SELECTOR_SUBCKT} is not closed by '.ends'")


_SUPPORTED = "supported: R, V, I, X cosim_selector"


def _is_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # a title too long or odd to be a path
        return False


def read_spice(text: str) -> Circuit:
    """Parse SPICE text (the subset in the module docstring) into a :class:`Circuit`.

    Parameters
    ----------
    text : str
        Netlist text; the first line is the title.

    Returns
    -------
    Circuit
        Elements in file order within each kind; ``meta["crossbar"]`` restored
        from a header written by :func:`write_spice`.

    Raises
    ------
    SpiceParseError
        Anything outside the subset or malformed (unsupported element or
        control card, wrong node count, bad number, duplicate name, negative
        resistance, unknown subcircuit, ...): ``line N: ...`` naming the element.

    Examples
    --------
    >>> c = read_spice('''divider
    ... V1 in 0 DC 1.2  ; the supply
    ... R1 in mid 1k
    ... R2 mid 0
    ... + 2k
    ... .op
    ... .end''')
    >>> c.elements["resistor"].names, c.elements["resistor"].params["value"].tolist()
    (['r1', 'r2'], [1000.0, 2000.0])
    >>> read_spice("t\\nC1 a 0 1p")
    Traceback (most recent call last):
    ...
    cosim.netlist.spice.SpiceParseError: line 2: unsupported element 'C1' (supported: R, V, I, X cosim_selector)
    """
    if not isinstance(text, str):
        raise SpiceParseError(None, f"netlist text must be a str, got {type(text).__name__}")
    one_line = text.strip()
    if (
        one_line
        and "\n" not in one_line
        and (Path(one_line).suffix.lower() in (".cir", ".sp", ".spi", ".spice", ".net", ".ckt") or _is_file(one_line))
    ):  # a lone title line would parse as an empty circuit named after the path
        raise SpiceParseError(
            None,
            f"read_spice takes netlist text, got what looks like a file name {one_line!r}; "
            "use load_spice(path) to read a file",
        )
    title, cards = _cards(text)
    # the raw spelling of element names, for messages ('C1' rather than 'c1')
    raw_lines = text.splitlines()

    def raw_name(lineno: int) -> str:
        return raw_lines[lineno - 1].split()[0] if raw_lines[lineno - 1].split() else ""

    # pass 1: subcircuit definitions (SPICE lets them come after their use), .end
    sel_defaults: dict[str, float] | None = None
    element_cards: list[tuple[int, str]] = []
    meta: dict = {}
    k = 0
    while k < len(cards):
        lineno, card = cards[k]
        head = card.split()[0]
        if head == ".end":
            break
        if head == ".subckt":
            if sel_defaults is not None:
                raise SpiceParseError(lineno, f"subcircuit {SELECTOR_SUBCKT} defined twice")
            sel_defaults, k = _selector_subckt(cards, k)
            continue
        if head == ".ends":
            raise SpiceParseError(lineno, "'.ends' without a '.subckt' before it")
        if head == ".title":
            parts = raw_lines[lineno - 1].strip().split(None, 1)
            title = parts[1].strip() if len(parts) > 1 else ""
        elif head in (".op",):
            pass
        elif head.startswith("."):
            raise SpiceParseError(
                lineno,
                f"unsupported control card {head!r} (supported: .op, .end, .title, "
                f".subckt {SELECTOR_SUBCKT} ... .ends)",
            )
        else:
            element_cards.append((lineno, card))
        k += 1

    for raw in raw_lines[1:]:
        s = raw.strip()
        if s.lower().startswith(_META_TAG.strip().lower() + " "):
            for item in s[len(_META_TAG) :].split():
                key, _, val = item.partition("=")
                if key and val:
                    meta[key] = _meta_value(val)

    c = Circuit(title)
    if meta:
        c.meta["crossbar"] = meta
    tables: dict[str, dict[str, list]] = {
        kind: {"names": [], "np": [], "nm": [], **{p: [] for p in params}}
        for kind, params in (
            ("resistor", ("value",)),
            ("vsource", ("value",)),
            ("isource", ("value",)),
            ("selector", ("i_s_a", "v_0_v")),
        )
    }
    seen: dict[str, int] = {}
    for lineno, card in element_cards:
        tok = _tokens(card)
        name = tok[0]
        letter = name[0]
        shown = raw_name(lineno) or name
        if letter not in "rvix":
            raise SpiceParseError(lineno, f"unsupported element {shown!r} ({_SUPPORTED})")
        if _BAD_NAME_CHARS.search(name):
            raise SpiceParseError(lineno, f"element name {shown!r} has a character SPICE cannot carry in a name")
        if name in seen:
            raise SpiceParseError(lineno, f"duplicate element name {shown!r} (first on line {seen[name]})")
        if letter == "r":
            kind = "resistor"
            if len(tok) != 4:
                raise SpiceParseError(
                    lineno, f"resistor {shown!r} needs 2 nodes and a value, got {' '.join(tok[1:])!r}"
                )
            val_tok = tok[3][2:] if tok[3].startswith("r=") else tok[3]
            value = _value(lineno, shown, val_tok)
            if value < 0:
                raise SpiceParseError(lineno, f"resistor {shown!r}: negative resistance {value!r} ohm")
            params = {"value": value}
        elif letter in "vi":
            kind = "vsource" if letter == "v" else "isource"
            rest = tok[3:]
            if len(tok) < 3:
                raise SpiceParseError(lineno, f"source {shown!r} needs 2 nodes, got {len(tok) - 1}")
            if rest and rest[0] == "dc":
                rest = rest[1:]
            elif rest and rest[0].startswith("dc="):
                rest = [rest[0][3:]] + rest[1:]
            if len(rest) > 1 or any(ch in card for ch in "(){}"):
                raise SpiceParseError(
                    lineno, f"source {shown!r}: only a DC value is supported, got {' '.join(tok[3:])!r}"
                )
            params = {"value": _value(lineno, shown, rest[0]) if rest else 0.0}
        else:
            kind = "selector"
            positional = [t for t in tok[1:] if "=" not in t and t != "params:"]
            if len(positional) < 1 or positional[-1] != SELECTOR_SUBCKT:
                sub = positional[-1] if positional else "?"
                raise SpiceParseError(lineno, f"instance {shown!r} of unknown subcircuit {sub!r} ({_SUPPORTED})")
            if len(positional) != 3:
                raise SpiceParseError(
                    lineno, f"instance {shown!r} of {SELECTOR_SUBCKT} needs 2 nodes, got {len(positional) - 1}"
                )
            if sel_defaults is None:
                raise SpiceParseError(
                    lineno,
                    f"instance {shown!r}: subcircuit {SELECTOR_SUBCKT} is not defined "
                    f"('.subckt {SELECTOR_SUBCKT} a b is=.. v0=..' block missing)",
                )
            if tok[1:4] != positional:
                raise SpiceParseError(lineno, f"instance {shown!r}: parameters must follow the subcircuit name")
            p = _params(lineno, shown, tok[4:], sel_defaults)
            for key in ("is", "v0"):
                if not p[key] > 0:
                    raise SpiceParseError(lineno, f"instance {shown!r}: {key} must be > 0, got {p[key]!r}")
            params = {"i_s_a": p["is"], "v_0_v": p["v0"]}
        n_p, n_m = tok[1], tok[2]
        for node in (n_p, n_m):
            if _BAD_NAME_CHARS.search(node) or node == "params:":
                raise SpiceParseError(lineno, f"element {shown!r}: expected a node name, got {node!r}")
        seen[name] = lineno
        t = tables[kind]
        t["names"].append(name)
        t["np"].append(c.node(n_p))
        t["nm"].append(c.node(n_m))
        for key, val in params.items():
            t[key].append(val)

    for kind, t in tables.items():
        if not t["names"]:
            continue
        params = {key: t[key] for key in t if key not in ("names", "np", "nm")}
        try:
            c.add(kind, t["names"], np.asarray(t["np"], dtype=np.int64), np.asarray(t["nm"], dtype=np.int64), **params)
        except CircuitError as exc:  # every check above should have caught it; keep the family
            raise SpiceParseError(None, str(exc)) from None
    return c


def _meta_value(text: str):
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def load_spice(path) -> Circuit:
    """Read a SPICE netlist file (see :func:`read_spice`).

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist or is not a file (the message names it).
    SpiceParseError
        The file is not text, or outside the subset; the message names the
        file, the line and the element.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"netlist {path} not found" if not path.exists() else f"netlist {path} is not a file")
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        raise SpiceParseError(None, f"{path}: not a text file") from None
    try:
        return read_spice(text)
    except SpiceParseError as exc:
        err = SpiceParseError(None, f"{path}: {exc}")
        err.lineno = exc.lineno
        raise err from None
