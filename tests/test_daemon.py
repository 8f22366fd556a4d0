"""`monitor run` as a real subprocess: polls on schedule, stops cleanly, one per database."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixture_server import FixtureServer
from tests.test_end_to_end import WATCHLIST, serve_site


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        serve_site(server)
        yield server


def write_config(tmp_path: Path, site: FixtureServer) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(f"""
fetch: {{timeout: 5s, allow_private_addresses: true, delay: 0s}}
sources:
  - {{name: Shafaq News (EN), kind: rss, url: "{site.url('/rss/en')}", every: 1s}}
{WATCHLIST}
""", encoding="utf-8")
    return config


def start(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "monitor", "run", "-c", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(predicate, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return int(conn.execute(sql).fetchone()[0])
        except sqlite3.OperationalError:  # schema not created yet
            return 0


def test_daemon_polls_repeatedly_and_stops_on_sigterm(tmp_path: Path,
                                                      site: FixtureServer) -> None:
    config = write_config(tmp_path, site)
    db = tmp_path / "monitor.db"
    daemon = start(config)
    try:
        assert wait_for(lambda: site.hits("/rss/en") >= 3), "the feed was not polled on schedule"
        assert count(db, "SELECT count(*) FROM articles") == 3
        # A second daemon on the same database refuses to start, with a clear message.
        second = subprocess.run([sys.executable, "-m", "monitor", "run", "-c", str(config)],
                                capture_output=True, text=True, timeout=30)
        assert second.returncode == 1
        assert "database is in use by a running monitor" in second.stderr
        daemon.send_signal(signal.SIGTERM)
        _out, err = daemon.communicate(timeout=25)
        assert daemon.returncode == 0, err
        assert "stopped" in err
    finally:
        if daemon.poll() is None:
            daemon.kill()
    # Nothing stored twice however many polls ran.
    assert count(db, "SELECT count(*) FROM articles") == 3
    assert count(db, "SELECT count(*) FROM sources WHERE consecutive_failures = 0") == 1
