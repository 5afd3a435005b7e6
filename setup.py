"""Build step that makes the wheel carry the shipped files.

The model cards (``models/``) and experiment configs (``algorithms/``) live at
the top of the source tree, outside the ``cosim`` package.  ``build_py``
copies them into the built package as ``cosim/_shipped/models`` and
``cosim/_shipped/algorithms``, where :mod:`cosim.shipped` finds them with
``importlib.resources``.  An editable install (or a checkout on
``PYTHONPATH``) has no copy: :mod:`cosim.shipped` then reads the top-level
folders themselves.  Everything else is declared in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("models", "algorithms")


class BuildPyWithShippedFiles(build_py):
    """``build_py`` plus a copy of ``models/`` and ``algorithms/`` into ``cosim/_shipped/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the editable package reads the source folders directly
        for kind in SHIPPED:
            src = HERE / kind
            dst = Path(self.build_lib) / "cosim" / "_shipped" / kind
            for path in sorted(src.rglob("*")):
                rel = path.relative_to(src)
                if path.is_dir() or any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
                    continue
                (dst / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dst / rel)


setup(cmdclass={"build_py": BuildPyWithShippedFiles})
