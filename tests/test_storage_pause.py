"""`monitor run` on a full disk (issue 16, item 4): the daemon stays alive, pauses polling
and alert sending, retries with back-off, reports it on /healthz and in the log, and does
not fetch again while it cannot store; once there is space it stores what it could not.

The full disk is SQLite's own SQLITE_FULL ("database or disk is full"), brought about with
`PRAGMA max_page_count` on the daemon's connection: the same error, from the same writes,
as a full file system gives.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.daemon import Daemon
from monitor.fetch import Fetcher
from monitor.pipeline import Pipeline
from monitor.storage_pause import StoragePause
from monitor.store import Store
from tests.fixture_server import FixtureServer
from tests.test_store_failures import publish


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_back_off_doubles_up_to_the_cap_and_a_probe_runs_alone() -> None:
    clock = Clock()
    pause = StoragePause(base=60, cap=200, clock=clock)
    assert pause.may_poll() and not pause.probing
    assert pause.trip("full") == 60 and pause.paused
    assert not pause.may_poll()  # within the delay: nothing polls
    clock.now += 60
    assert pause.may_poll() and pause.probing
    assert not pause.may_poll()  # one probe at a time
    assert pause.trip("still full") == 120  # the probe failed
    clock.now += 120
    assert pause.may_poll()
    assert pause.trip("still full") == 200  # capped
    clock.now += 200
    assert pause.may_poll()
    pause.resume()
    assert not pause.paused and pause.may_poll() and pause.status() == {"state": "ok"}
    clock.now += 10
    assert pause.trip("full again") == 200  # soon after resuming: the same outage
    clock.now += 10_000
    pause.may_poll()
    pause.resume()
    clock.now += 10_000
    assert pause.trip("a new outage") == 60  # long after: starts over


def test_a_probe_that_ends_otherwise_waits_a_delay() -> None:
    clock = Clock()
    pause = StoragePause(base=30, clock=clock)
    pause.trip("full")
    clock.now += 30
    assert pause.may_poll()
    pause.end_probe()
    assert pause.paused and not pause.may_poll()
    clock.now += 30
    assert pause.may_poll()


def test_daemon_pauses_on_a_full_disk_reports_it_and_resumes(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="monitor")
    with FixtureServer() as site:
        publish(site, 1)
        path = tmp_path / "config.yaml"
        path.write_text(f"""
database: monitor.db
fetch: {{timeout: 5s, allow_private_addresses: true, delay: 0s, retries: 0}}
sources:
  - {{name: Feed, kind: rss, url: "{site.url('/rss')}", every: 1m}}
watchlists:
  actors: [{{name: Qais al-Khazali}}, {{name: Muqtada al-Sadr}}]
""", encoding="utf-8")
        config = load_config(path, env={})
        clock = Clock()

        async def scenario() -> None:
            daemon = Daemon(config)
            daemon.storage = StoragePause(base=60, clock=clock)
            with Store(config.database) as store:
                daemon.store = store
                async with Fetcher(config.fetch) as fetcher:
                    daemon.fetcher = fetcher
                    daemon.pipeline = Pipeline(config, store, fetcher)
                    await daemon._poll_job("Feed")  # the first article, stored
                    assert count(store) == 1
                    publish(site, 2)  # its long second article needs new pages

                    store.db.execute("VACUUM")
                    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
                    store.db.execute(f"PRAGMA max_page_count = {pages}")  # the disk fills
                    await daemon._poll_job("Feed")  # fails to store: pauses, stays alive
                    assert daemon.storage.paused and count(store) == 1
                    _ok, body = daemon.health()
                    assert body["status"] == "unhealthy"
                    assert body["database"].startswith("full: ")
                    assert "no space left to store data" in body["database"]
                    assert body["storage"]["state"] == "full"
                    assert body["storage"]["polling"] == "paused"
                    assert b"monitor_storage_full 1.0" in daemon.metrics.text()

                    fetched = len(site.requests)
                    clock.now += 30  # within the back-off: nothing is fetched again
                    await daemon._poll_job("Feed")
                    await daemon._dispatch_job()
                    assert len(site.requests) == fetched

                    clock.now += 31  # the probe: still full, the back-off doubles
                    await daemon._poll_job("Feed")
                    assert daemon.storage.paused and daemon.storage.delay == 120

                    store.db.execute("PRAGMA max_page_count = 1073741823")  # space again
                    clock.now += 121
                    await daemon._poll_job("Feed")
                    assert not daemon.storage.paused
                    assert count(store) == 2  # what the full disk held back is stored
                    _ok, body = daemon.health()
                    assert body["database"] == "writable" and body["storage"] == {"state": "ok"}
                    assert b"monitor_storage_full 0.0" in daemon.metrics.text()
                    # The first article was never fetched again.
                    assert sum(r.path == "/a/1" for r in site.requests) == 1

        asyncio.run(scenario())
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2, errors  # the first failure and the failed probe, one line each
    assert "Feed: " in errors[0] and "no space left to store data" in errors[0]
    assert "pausing polling and alert sending, next try in 60 s" in errors[0]
    assert "still pausing" in errors[1] and "next try in 120 s" in errors[1]
    assert all("\n" not in e and "Traceback" not in e for e in errors)
    assert any("database writable again" in r.getMessage() for r in caplog.records)


def count(store: Store) -> int:
    return int(store.db.execute("SELECT count(*) FROM articles").fetchone()[0])


def test_a_full_disk_seen_by_healthz_pauses_polling_before_a_fetch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.config import Config, FetchSettings, Source

    config = Config(path=tmp_path / "config.yaml", database=tmp_path / "monitor.db",
                    fetch=FetchSettings(), watchlist=(), channels=(),
                    sources=(Source(name="A", kind="rss", url="https://a.example/", every=60),))
    daemon = Daemon(config)
    with Store(config.database) as store:
        daemon.store = store
        store.db.execute("VACUUM")
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages}")
        # The heartbeat row does not exist yet: inserting it needs a page the "disk" lacks.
        monkeypatch.setattr("monitor.daemon.record_heartbeat", _insert_heartbeat)
        _ok, body = daemon.health()
    assert daemon.storage.paused and body["storage"]["state"] == "full"
    assert body["database"].startswith("full: ")
    assert not daemon.storage.may_poll()


def _insert_heartbeat(store: Store, _last_poll: str | None) -> None:
    with store.db.atomic():
        store.db.execute("INSERT INTO daemon_state (id, pid, started, heartbeat, version, "
                         "config) VALUES (1, 1, 'x', 'x', ?, ?)", ["v", "x" * 20000])


def test_daemon_logs_a_locked_database_as_one_line_and_polls_on(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    caplog.set_level(logging.INFO, logger="monitor")
    monkeypatch.setattr(Store, "busy_timeout", 0.2)
    with FixtureServer() as site:
        publish(site, 1)
        path = tmp_path / "config.yaml"
        path.write_text(f"""
database: monitor.db
fetch: {{timeout: 5s, allow_private_addresses: true, delay: 0s, retries: 0}}
sources:
  - {{name: Feed, kind: rss, url: "{site.url('/rss')}", every: 1m}}
watchlists:
  actors: [{{name: Qais al-Khazali}}]
""", encoding="utf-8")
        config = load_config(path, env={})

        async def scenario() -> None:
            daemon = Daemon(config)
            with Store(config.database) as store:
                daemon.store = store
                async with Fetcher(config.fetch) as fetcher:
                    daemon.pipeline = Pipeline(config, store, fetcher)
                    holder = sqlite3.connect(config.database, isolation_level=None)
                    holder.execute("BEGIN EXCLUSIVE")  # a sqlite3 shell mid-transaction
                    await daemon._poll_job("Feed")
                    assert not daemon.storage.paused  # locked is not full: no pause
                    holder.rollback()
                    holder.close()
                    await daemon._poll_job("Feed")
                    assert count(store) == 1

        asyncio.run(scenario())
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors
    assert errors[0].startswith("Feed: database error: ")
    assert "the database is locked by another process (waited 0.2 s)" in errors[0]
