"""`monitor --help` starts fast: the heavy libraries load only in the commands that use
them (issue 17: it took 0.5-0.9 s importing numpy, sqlite_utils and rich up front)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HEAVY = ("numpy", "sqlite_utils", "rich", "httpx", "feedparser", "selectolax", "yaml",
         "asyncio", "apscheduler", "ahocorasick_rs", "prometheus_client")


def imported_by(*args: str) -> set[str]:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "monitor", *args],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", result.stderr, re.M)
    assert "monitor.cli" in names  # the parse found the import list
    return {name.split(".")[0] for name in names}


def test_help_imports_no_heavy_library() -> None:
    assert imported_by("--help") & set(HEAVY) == set()


def test_a_command_help_imports_no_heavy_library() -> None:
    assert imported_by("hits", "--help") & set(HEAVY) == set()


def test_the_import_list_is_read_right() -> None:
    # The same parse sees a heavy library where a command does load it.
    shipped = Path(__file__).parent.parent / "config.yaml"
    assert "yaml" in imported_by("sources", "export", "-c", str(shipped))
