"""Session-wide checks before any test runs."""

from __future__ import annotations

import pytest

from monitor.compiled import pure_python_requested, stale_extensions


def pytest_configure(config: pytest.Config) -> None:
    # A compiled module is imported before its .py: after an edit, every test would run the
    # code as it was at the last install.
    stale = stale_extensions()
    if stale and not pure_python_requested():
        raise pytest.UsageError(
            f"{', '.join(stale)} changed after `pip install` compiled it; rebuild with "
            "`pip install -e .` (or set MONITOR_PURE_PYTHON=1 to test the sources as Python)")
