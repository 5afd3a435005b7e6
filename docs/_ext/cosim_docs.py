"""Sphinx directives that generate cosim's reference pages from the code.

``.. cosim-cli::``
    One section per ``cosim`` sub-command, read from the argparse parsers
    that :func:`cosim.cli.build_parser` builds (the commands are discovered,
    so a new ``cmd_<name>.py`` appears without editing any page): the
    description, the usage line and a table of every argument with its
    default and choices.
``.. cosim-config::``
    One section per registered experiment (:func:`cosim.runs.registry.list_experiments`):
    every config key (nested dataclasses as dotted keys, which is how
    ``--set`` and the TOML sections name them), its type, its default and
    its meaning from the config dataclass's numpydoc ``Attributes`` section,
    and the shipped configs in ``algorithms/`` that run it.

Both produce reStructuredText that is parsed in place, so use them inside an
``{eval-rst}`` block of a MyST page.  An experiment field without a
description in ``Attributes`` is a build warning (so ``-W`` fails on it):
the config reference is complete or the docs do not build.
"""

from __future__ import annotations

import argparse
import dataclasses
import tomllib
import typing
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]


def _cell(text: str) -> str:
    """One line of table-cell text (list-table cells are indented blocks)."""
    return " ".join(str(text).split())


def _literal(text: str) -> str:
    return f"``{text}``" if text else ""


# -- command line ---------------------------------------------------------


def _option_name(action: argparse.Action) -> str:
    if action.option_strings:
        names = ", ".join(action.option_strings)
        if action.nargs == 0:
            return names
        metavar = action.metavar or action.dest.upper()
        if isinstance(metavar, tuple):
            metavar = " ".join(metavar)
        if action.nargs in ("*", "+"):
            metavar = f"{metavar} ..."
        elif isinstance(action.nargs, int) and action.nargs > 1 and not isinstance(action.metavar, tuple):
            metavar = " ".join([metavar] * action.nargs)
        return f"{names} {metavar}"
    return str(action.metavar or action.dest)


def _option_help(action: argparse.Action) -> str:
    text = (action.help or "").replace("%(default)s", str(action.default)).replace("%%", "%")
    extras = []
    if action.choices and not isinstance(action, argparse._SubParsersAction):
        extras.append("one of " + ", ".join(_literal(str(c)) for c in action.choices))
    default = action.default
    if (
        action.option_strings
        and action.nargs != 0
        and default not in (None, argparse.SUPPRESS, [], "")
        and "default" not in text
    ):
        extras.append(f"default {_literal(repr(default) if isinstance(default, str) else str(default))}")
    if action.required and action.option_strings:
        extras.append("required")
    if extras:
        text = f"{text} ({'; '.join(extras)})" if text else "; ".join(extras)
    return _cell(text) or "(no help text)"


def _escape(text: str) -> str:
    """Help text into RST: ``*`` and ``|`` are literal (the ````code```` spans the help texts use stay)."""
    for ch in ("\\", "*", "|"):
        text = text.replace(ch, "\\" + ch)
    return text


def cli_rst(parser: argparse.ArgumentParser) -> list[str]:
    """RST lines: one section per sub-command of ``parser``."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help for a in sub._choices_actions}
    lines: list[str] = []
    for name, p in sub.choices.items():
        title = f"cosim {name}"
        lines += [title, "-" * len(title), ""]
        summary = p.description or helps.get(name) or ""
        if summary:
            lines += [_escape(_cell(summary)), ""]
        lines += ["::", ""]
        usage = p.format_usage().strip()
        lines += ["    " + line for line in usage.splitlines()] + [""]
        actions = [a for a in p._actions if not isinstance(a, argparse._HelpAction)]
        if actions:
            lines += [".. list-table::", "   :header-rows: 1", "   :widths: 30 70", ""]
            lines += ["   * - argument", "     - what"]
            for a in actions:
                lines += [f"   * - ``{_option_name(a)}``", f"     - {_escape_keep_literals(_option_help(a))}"]
            lines.append("")
        if p.epilog:
            lines += [_escape(_cell(p.epilog)), ""]
    return lines


def _escape_keep_literals(text: str) -> str:
    """Escape everything except the ````literal```` spans."""
    parts = text.split("``")
    return "``".join(part if i % 2 else _escape(part) for i, part in enumerate(parts))


class CosimCli(SphinxDirective):
    """``.. cosim-cli::``: the command-line reference, from the parsers."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from cosim.cli import build_parser

        parser = build_parser()
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(cli_rst(parser), "cosim.cli"), node)
        return node.children


# -- config reference -----------------------------------------------------


def _type_name(tp: typing.Any) -> str:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Literal:
        return "{" + ", ".join(repr(a).replace("'", '"') for a in args) + "}"
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return " | ".join(_type_name(a) for a in args)
    if origin is not None:
        return f"{getattr(origin, '__name__', str(origin))}[{', '.join(_type_name(a) for a in args)}]"
    if tp is type(None):
        return "None"
    if tp is Ellipsis:
        return "..."
    return getattr(tp, "__name__", str(tp).replace("typing.", ""))


def _attribute_docs(cls: type) -> dict[str, str]:
    """Field name -> description from the class's numpydoc ``Attributes`` section."""
    from numpydoc.docscrape import NumpyDocString

    docs: dict[str, str] = {}
    for entry in NumpyDocString(cls.__doc__ or "")["Attributes"]:
        for name in entry.name.split(","):
            docs[name.strip()] = " ".join(entry.desc)
    return docs


def _default(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
    else:
        return "(required)"
    return _literal(repr(value).replace("'", '"'))


def config_rows(cls: type, prefix: str = "") -> list[tuple[str, str, str, str]]:
    """(key, type, default, meaning) of every field, nested dataclasses flattened."""
    hints = typing.get_type_hints(cls)
    docs = _attribute_docs(cls)
    rows = []
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        key = prefix + f.name
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            rows += config_rows(tp, key + ".")
            continue
        if not docs.get(f.name):
            logger.warning(f"config reference: {cls.__module__}.{cls.__qualname__}.{f.name} has no description "
                           "in the class's numpydoc 'Attributes' section")
        rows.append((key, _type_name(tp), _default(f), _cell(docs.get(f.name, ""))))
    return rows


def shipped_configs() -> dict[str, list[str]]:
    """Experiment name -> the config files under ``algorithms/`` that run it."""
    found: dict[str, list[str]] = {}
    for path in sorted((REPO / "algorithms").glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError):
            continue
        name = data.get("experiment")
        if isinstance(name, str):
            found.setdefault(name, []).append(path.name)
    return found


def config_rst() -> list[str]:
    from cosim.runs.registry import list_experiments

    configs = shipped_configs()
    lines: list[str] = []
    for name, exp in list_experiments().items():
        cls = exp.config_cls
        lines += [name, "-" * len(name), ""]
        summary = (cls.__doc__ or "").strip().split("\n\n")[0]
        lines += [" ".join(summary.split()), ""]
        lines += [f"``experiment = \"{name}\"``; config class "
                  f":class:`{cls.__module__}.{cls.__qualname__}`, run by :func:`{exp.run.__module__}.{exp.run.__qualname__}`.", ""]
        if configs.get(name):
            lines += ["Shipped configs: " + ", ".join(f"``algorithms/{c}``" for c in configs[name]) + ".", ""]
        lines += [".. list-table::", "   :header-rows: 1", "   :widths: 22 18 18 42", ""]
        lines += ["   * - key", "     - type", "     - default", "     - meaning"]
        for key, tp, default, meaning in config_rows(cls):
            lines += [f"   * - ``{key}``", f"     - ``{tp}``", f"     - {default}", f"     - {meaning}"]
        lines.append("")
    return lines


class CosimConfig(SphinxDirective):
    """``.. cosim-config::``: every experiment's config keys, from the dataclasses."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(config_rst(), "cosim.runs.registry"), node)
        return node.children


def setup(app):
    app.add_directive("cosim-cli", CosimCli)
    app.add_directive("cosim-config", CosimConfig)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
