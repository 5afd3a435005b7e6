"""Sphinx configuration of the cosim documentation.

Build (warnings are errors, as in CI)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Pages are MyST Markdown; the API reference is generated from the numpydoc
docstrings (autosummary + numpydoc), the command-line reference from the
argparse parsers and the config reference from the experiments' config
dataclasses (both by the small extension in ``docs/_ext/cosim_docs.py``), so
none of them can drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
# the checkout being documented comes first, whatever is installed
sys.path.insert(0, str(DOCS.parent))
sys.path.insert(0, str(DOCS / "_ext"))

import cosim  # noqa: E402

project = "cosim"
author = "the cosim developers"
copyright = "the cosim developers"
release = cosim.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "cosim_docs",
]

# .rst first: autosummary writes its generated stubs with the first suffix
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "README.md", "**/README.md"]
templates_path = ["_templates"]

# MyST: ``$ cosim ...`` console blocks and ``>>>`` doctests are plain fences;
# heading anchors let pages link to sections (``page.md#section``)
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3

# API reference: one page per module, generated at build time
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"show-inheritance": True}
autodoc_typehints = "none"  # numpydoc sections carry the types, with units
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "alabaster"
html_title = f"cosim {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "Circuit-level co-simulation of memristor crossbars",
    "fixed_sidebar": True,
    "page_width": "1280px",  # the study tables are wide
    "sidebar_width": "250px",
}
smartquotes = False  # "--out" stays two hyphens, as typed
