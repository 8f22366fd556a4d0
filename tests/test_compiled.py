"""The matcher's modules compiled by mypyc (monitor/compiled.py, setup.py): installed compiled
where a C compiler is, the same matches as their Python sources, MONITOR_PURE_PYTHON honoured,
and a stale compiled module noticed."""

from __future__ import annotations

import importlib.machinery
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor import compiled

ROOT = Path(__file__).resolve().parents[1]
_HAS_COMPILER = compiled.compiler_found()


def _python(code: str, *, pure: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MONITOR_PURE_PYTHON"}
    if pure:
        env["MONITOR_PURE_PYTHON"] = "1"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.mark.skipif(not _HAS_COMPILER, reason="no C compiler: installed as plain Python")
@pytest.mark.skipif(compiled.pure_python_requested(), reason="MONITOR_PURE_PYTHON is set")
def test_install_compiled_every_listed_module() -> None:
    assert compiled.compiled_modules() == list(compiled.MODULES)


def test_pure_python_variable_imports_the_sources() -> None:
    code = ("import json; from monitor import compiled; "
            "import monitor.match.matcher as m; "
            "print(json.dumps([compiled.compiled_modules(), m.__file__]))")
    modules, matcher_file = json.loads(_python(code, pure=True).stdout)
    assert modules == []
    assert matcher_file == str(ROOT / "monitor" / "match" / "matcher.py")


@pytest.mark.parametrize("value, pure", [("1", True), ("yes", True), ("0", False),
                                         ("", False), (" ", False)])
def test_pure_python_variable_values(value: str, pure: bool) -> None:
    assert compiled.pure_python_requested({"MONITOR_PURE_PYTHON": value}) is pure
    assert compiled.pure_python_requested({}) is False


_CORPUS = """
import dataclasses, json, random, sys
sys.path.insert(0, "bench")
from pathlib import Path
import matching as bench
from monitor.config import load_config
from monitor.match import Matcher
shipped = load_config(Path("config.yaml"), env={})
entities = bench.synthetic_entities(random.Random(7), 2500) + list(shipped.watchlist)
texts = bench.corpus(random.Random(8), entities, 0.6)
texts += bench.name_dense_corpus(random.Random(9), list(shipped.watchlist), 0.3)
matcher = Matcher(entities, shipped.rules, cross_script=True)
print(json.dumps([[dataclasses.astuple(m) for m in matcher.find(t)] for t in texts]))
"""


def test_compiled_and_python_sources_find_the_same_matches() -> None:
    """Over mixed and name-dense text (English, Arabic, cross-script), with the shipped
    watchlist and synthetic names, every match is the same in both builds."""
    pure = json.loads(_python(_CORPUS, pure=True).stdout)
    built = json.loads(_python(_CORPUS, pure=False).stdout)
    assert sum(map(len, built)) > 3000  # the corpus does exercise the matcher
    assert built == pure


def test_stale_extensions_names_sources_edited_after_the_build(tmp_path: Path) -> None:
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    names = tmp_path / "monitor" / "match" / "names.py"
    names.parent.mkdir(parents=True)
    names.write_text("")
    extension = names.with_name("names" + suffix)
    extension.write_bytes(b"")
    os.utime(names, (1000, 1000))
    os.utime(extension, (2000, 2000))
    assert compiled.stale_extensions(tmp_path) == []  # compiled after the last edit
    os.utime(names, (3000, 3000))
    assert compiled.stale_extensions(tmp_path) == ["monitor/match/names.py"]
    # A rebuild rewrites the group's shared library and may leave the module's own small
    # extension as it was: the source is not stale then.
    library = names.with_name(compiled.GROUP_LIBRARY + suffix)
    library.write_bytes(b"")
    os.utime(library, (4000, 4000))
    assert compiled.stale_extensions(tmp_path) == []
    os.utime(names, (5000, 5000))
    assert compiled.stale_extensions(tmp_path) == ["monitor/match/names.py"]
    extension.unlink()
    assert compiled.stale_extensions(tmp_path) == []  # not compiled: the source is used


def test_setup_compiles_the_listed_modules() -> None:
    """setup.py reads the list from monitor/compiled.py, and each entry is a module file."""
    for name in compiled.MODULES:
        assert compiled.source_of(name).is_file(), name
        assert compiled.source_of(name) == (ROOT / Path(*name.split("."))).with_suffix(".py")
    assert "monitor.match.matcher" in compiled.MODULES
    assert 'runpy.run_path(str(HERE / "monitor" / "compiled.py"))' in (
        ROOT / "setup.py").read_text()


def test_setup_compiles_nothing_when_pure_python_is_asked() -> None:
    code = ("import runpy, setuptools; "
            "setuptools.setup = lambda **kw: print(len(kw['ext_modules'])); "
            "runpy.run_path('setup.py')")
    assert _python(code, pure=True).stdout.strip() == "0"


def test_check_says_which_build_runs() -> None:
    code = ("from monitor.compiled import describe_build; print(describe_build())")
    assert _python(code, pure=True).stdout.strip() == (
        "plain Python (MONITOR_PURE_PYTHON is set)")
    if _HAS_COMPILER and not compiled.pure_python_requested():
        assert _python(code, pure=False).stdout.strip() == (
            f"compiled by mypyc ({len(compiled.MODULES)} modules)")
