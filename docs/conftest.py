"""pytest collects the docs' Markdown pages as doctests (``--doctest-glob=*.md``), not
the Sphinx configuration, its extension or the build output."""

collect_ignore = ["conf.py", "_ext"]
collect_ignore_glob = ["_build/*", "reference/_autosummary/*"]
