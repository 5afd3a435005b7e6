"""The documentation site (``docs/``) stays consistent with the code and with itself.

CI builds it with warnings as errors (``.ci/run``); these checks are the fast
part that runs with the test suite: the Markdown structure every page must
have, links that resolve to files, generated references that cover every
command-line option and every config field, and a design page whose layer
table names exactly the packages that exist.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import typing
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import cosim_docs  # noqa: E402  (docs/_ext/cosim_docs.py, the Sphinx extension)

PAGES = sorted(p for p in DOCS.rglob("*.md") if not {"_build", "_autosummary"} & set(p.parts))


def _headings(text: str) -> list[int]:
    """Levels of the Markdown headings outside code fences."""
    levels, fence = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fence = not fence
        elif not fence and (m := re.match(r"^(#{1,6}) \S", line)):
            levels.append(len(m.group(1)))
    return levels


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_page_has_one_title_and_no_skipped_heading_level(page):
    levels = _headings(page.read_text())
    assert levels and levels[0] == 1, f"{page}: must start with one '#' title, headings {levels}"
    assert levels.count(1) == 1, f"{page}: {levels.count(1)} '#' titles"
    for before, after in zip(levels, levels[1:]):
        assert after <= before + 1, f"{page}: heading level {after} follows level {before}"


def test_the_headings_helper_sees_fences():
    text = "# T\n\n```toml\n# a comment, not a heading\n```\n## S\n### U\n"
    assert _headings(text) == [1, 2, 3]


@pytest.mark.parametrize(
    "page", [REPO / "README.md", *PAGES], ids=["README.md", *(str(p.relative_to(DOCS)) for p in PAGES)]
)
def test_relative_links_resolve(page):
    text = page.read_text()
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        path = (page.parent / target.split("#")[0]).resolve()
        assert path.exists(), f"{page.name}: link to {target!r}: {path} does not exist"


def test_readme_links_into_the_docs_and_stays_short():
    text = (REPO / "README.md").read_text()
    for page in (
        "docs/guide/install.md",
        "docs/guide/tutorial.md",
        "docs/reference/cli.md",
        "docs/reference/config.md",
        "docs/reference/api.md",
        "docs/design.md",
        "docs/studies.md",
    ):
        assert f"]({page}" in text, f"README.md does not link to {page}"
    # the reference manual, tutorial and results live in docs/; the README is the front page
    assert len(text.splitlines()) < 200


def test_cli_reference_lists_every_command_and_option():
    from cosim.cli import build_parser

    parser = build_parser()
    rst = "\n".join(cosim_docs.cli_rst(parser))
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert len(sub.choices) >= 8
    for name, p in sub.choices.items():
        assert f"cosim {name}\n" in rst, f"no section for cosim {name}"
        for action in p._actions:
            for opt in action.option_strings:
                if opt not in ("-h", "--help"):
                    assert f"``{opt}" in rst or f", {opt}" in rst, f"cosim {name}: option {opt} missing"


def test_config_reference_has_every_field_with_a_description():
    from cosim.runs.registry import list_experiments

    experiments = list_experiments()
    assert "read_accuracy" in experiments and "snn_wta" in experiments
    for name, exp in experiments.items():
        rows = {key: meaning for key, _, _, meaning in cosim_docs.config_rows(exp.config_cls)}
        expected = []

        def walk(cls, prefix="", expected=expected):
            hints = typing.get_type_hints(cls)
            for f in dataclasses.fields(cls):
                if isinstance(hints[f.name], type) and dataclasses.is_dataclass(hints[f.name]):
                    walk(hints[f.name], prefix + f.name + ".", expected)
                else:
                    expected.append(prefix + f.name)

        walk(exp.config_cls)
        assert sorted(rows) == sorted(expected), name
        undocumented = [k for k, meaning in rows.items() if not meaning]
        assert not undocumented, f"{name}: config fields without an 'Attributes' entry: {undocumented}"


def test_design_page_layer_table_matches_the_packages():
    text = (DOCS / "design.md").read_text()
    table = [line for line in text.splitlines() if line.startswith("| ") and "`cosim." in line]
    named = set(re.findall(r"`(cosim\.\w+)`", "\n".join(table)))
    packages = {f"cosim.{p.name}" for p in (REPO / "cosim").iterdir() if (p / "__init__.py").exists()}
    assert named == packages
