"""Build: the matcher's hot modules compiled to C by mypyc (monitor/compiled.py says which,
and why; README, "Compiled matching").

pyproject.toml holds the rest of the build. With MONITOR_PURE_PYTHON=1 set, or without a C
compiler, the package is installed as plain Python (slower, otherwise the same).
"""

from __future__ import annotations

import runpy
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
# By path: the package cannot be imported before its dependencies are installed.
_compiled = runpy.run_path(str(HERE / "monitor" / "compiled.py"))


def ext_modules() -> list:
    if _compiled["pure_python_requested"]() or not _compiled["compiler_found"]():
        return []
    from mypyc.build import mypycify

    # relative to the project root, which setuptools runs this from
    paths = [str(_compiled["source_of"](name, Path())) for name in _compiled["MODULES"]]
    # One shared library inside the package (not a hash-named module at the top level of
    # site-packages), which the per-module extensions import.
    return mypycify(paths, opt_level="3", group_name=_compiled["GROUP"])


setup(ext_modules=ext_modules())
