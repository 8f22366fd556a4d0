"""The matcher's compiled modules: which they are, whether this install has them, and how to
run their Python sources instead.

`pip install` compiles MODULES to C extension modules with mypyc (setup.py): the same source
files, their type hints turned into C types, behaving the same and matching 1.5-1.9x
faster (bench/matching.py prints both). An extension module (``names.cpython-311-....so``)
sits beside its ``.py`` and Python imports it first.

``MONITOR_PURE_PYTHON=1`` turns that off: set at install, nothing is compiled; set when the
monitor runs, the compiled modules are skipped and their ``.py`` sources imported, to compare
or debug the two. An install on a machine without a C compiler is plain Python too.

Stdlib only: setup.py reads MODULES before any dependency is installed.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import shutil
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

__all__ = ["MODULES", "compiled_modules", "compiler_found", "describe_build", "prefer_sources",
           "pure_python_requested", "source_of", "stale_extensions"]

# The modules on the per-token and per-match path of matching (bench/matching.py); the rest
# of the package is not worth a compile step.
# mypyc's group: every compiled module's code is in one shared library in monitor/match/,
# named GROUP_LIBRARY + the extension suffix.
GROUP = "monitor.match._native"
GROUP_LIBRARY = GROUP.rsplit(".", 1)[1] + "__mypyc"
MODULES = (
    "monitor.match.automaton",
    "monitor.match.glosses",
    "monitor.match.langdata",
    "monitor.match.placeforms",
    "monitor.match.rules",
    "monitor.match.titles",
    "monitor.match.normalize",
    "monitor.match.variants",
    "monitor.match.transliterate",
    "monitor.match.names",
    "monitor.match.insertions",
    "monitor.match.arabicwords",
    "monitor.match.crossscript",
    "monitor.match.overlaps",
    "monitor.match.shortforms",
    "monitor.match.matcher",
)
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # the directory holding monitor/


def source_of(name: str, root: Path = _PACKAGE_ROOT) -> Path:
    """The .py file of module `name` (one of MODULES) under `root`."""
    return root.joinpath(*name.split(".")).with_suffix(".py")


def compiler_found() -> bool:
    """Whether the C compiler Python's extension builds use is on PATH."""
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(compiler) is not None


def is_compiled(module: ModuleType) -> bool:
    """Whether `module` was loaded from an extension module rather than Python source."""
    file = getattr(module, "__file__", None) or ""
    return file.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def compiled_modules() -> list[str]:
    """Those of MODULES that this process runs compiled (importing them)."""
    return [name for name in MODULES if is_compiled(importlib.import_module(name))]


def stale_extensions(root: Path = _PACKAGE_ROOT) -> list[str]:
    """The sources under `root` of MODULES edited after they were compiled: their extension
    module, imported first, would run the old code (a development install; rebuild with
    `pip install -e .`)."""
    stale = []
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    for name in MODULES:
        source = source_of(name, root)
        shims = [p for suffix in suffixes if (p := source.with_name(source.stem + suffix)).exists()]
        if not shims:
            continue
        # The code is in the group's shared library (GROUP): a rebuild that leaves a
        # module's own small extension, which only loads the library, as it was rewrites
        # the library alone.
        library = [p for suffix in suffixes
                   if (p := source.with_name(GROUP_LIBRARY + suffix)).exists()]
        if source.stat().st_mtime > max(p.stat().st_mtime for p in shims + library):
            stale.append(str(source.relative_to(root)))
    return stale


def describe_build() -> str:
    """One line for `monitor check`: whether this process matches with compiled code."""
    done = compiled_modules()
    if len(done) == len(MODULES):
        return f"compiled by mypyc ({len(done)} modules)"
    if pure_python_requested():
        return "plain Python (MONITOR_PURE_PYTHON is set)"
    if not done:
        return ("plain Python: not compiled at install (no C compiler?); matching is "
                "slower, see README \"Compiled matching\"")
    return (f"partly compiled ({len(done)} of {len(MODULES)} modules); reinstall to "
            "compile the rest")


class _SourcesFirst(importlib.abc.MetaPathFinder):
    """Finds MODULES as their .py sources, ahead of the extension modules beside them."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MODULES:
            return None
        return importlib.util.spec_from_file_location(fullname, source_of(fullname))


def prefer_sources() -> None:
    """Import MODULES from their Python sources from now on (before any of them is imported:
    a module already imported stays as it is)."""
    if not any(isinstance(f, _SourcesFirst) for f in sys.meta_path):
        sys.meta_path.insert(0, _SourcesFirst())


def pure_python_requested(environ: dict[str, str] | None = None) -> bool:
    """Whether MONITOR_PURE_PYTHON asks for plain Python (set, and not "0" or empty)."""
    value = (os.environ if environ is None else environ).get("MONITOR_PURE_PYTHON", "")
    return value.strip() not in ("", "0")
