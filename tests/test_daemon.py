"""`monitor run` as a real subprocess against local servers: polls on schedule, stops cleanly
(SIGTERM with and without running work), survives kill -9, reloads on SIGHUP, answers
/healthz and /metrics, logs JSON, lets readers in while it writes, one per database."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.fixture_server import FixtureServer
from tests.receivers import SlackReceiver, unused_port
from tests.test_end_to_end import WATCHLIST, serve_site

SLOW_ARTICLE = "/en/Iraq/Al-Sadr-urges-restraint"


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        serve_site(server)
        yield server


def write_config(tmp_path: Path, site: FixtureServer, *, every: str = "1s", extra: str = "",
                 sources: str = "", watchlist: str = WATCHLIST) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(f"""
fetch: {{timeout: 15s, allow_private_addresses: true, delay: 0s, retries: 0}}
sources:
  - {{name: Shafaq News (EN), kind: rss, url: "{site.url('/rss/en')}", every: {every}}}
{sources}
{watchlist}
{extra}
""", encoding="utf-8")
    return config


class Daemon:
    """A `monitor run` subprocess whose stderr goes to a file (readable while it runs)."""

    def __init__(self, config: Path, *args: str):
        self.log = config.with_name(f"daemon-{time.monotonic_ns()}.log")
        self._err = self.log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "-c", str(config), *args],
            stdout=subprocess.DEVNULL, stderr=self._err, text=True)

    @property
    def text(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def wait(self, timeout: float) -> int:
        code = self.proc.wait(timeout=timeout)
        self._err.close()
        return code

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._err.close()


@pytest.fixture
def daemons() -> Iterator[Callable[..., Daemon]]:
    started: list[Daemon] = []

    def start(config: Path, *args: str) -> Daemon:
        started.append(Daemon(config, *args))
        return started[-1]

    yield start
    for daemon in started:
        daemon.stop()


def assert_refused(command: str, config: Path) -> None:
    """`monitor COMMAND` beside a running daemon stops at once, saying why."""
    result = subprocess.run([sys.executable, "-m", "monitor", command, "-c", str(config)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "database is in use by a running monitor" in result.stderr


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def count(db: Path, sql: str, params: tuple[Any, ...] = ()) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return int(conn.execute(sql, params).fetchone()[0])
        except sqlite3.OperationalError:  # schema not created yet
            return 0


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def test_daemon_polls_repeatedly_and_stops_on_sigterm(tmp_path: Path, site: FixtureServer,
                                                      daemons: Callable[..., Daemon]) -> None:
    config = write_config(tmp_path, site)
    db = tmp_path / "monitor.db"
    daemon = daemons(config)
    assert wait_for(lambda: site.hits("/rss/en") >= 3), "the feed was not polled on schedule"
    assert count(db, "SELECT count(*) FROM articles") == 3
    # A second daemon on the same database refuses to start, with a clear message.
    assert_refused("run", config)
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=25) == 0, daemon.text
    assert "stopped" in daemon.text
    # Nothing stored twice however many polls ran.
    assert count(db, "SELECT count(*) FROM articles") == 3
    assert count(db, "SELECT count(*) FROM sources WHERE consecutive_failures = 0") == 1
    assert count(db, "SELECT count(*) FROM daemon_state WHERE stopped IS NOT NULL") == 1


def test_sigterm_during_a_poll_lets_it_finish_and_commit(tmp_path: Path, site: FixtureServer,
                                                         daemons: Callable[..., Daemon]) -> None:
    site.routes[SLOW_ARTICLE].delay = 3
    db = tmp_path / "monitor.db"
    daemon = daemons(write_config(tmp_path, site, every="1h"))
    assert wait_for(lambda: site.hits(SLOW_ARTICLE) >= 1), daemon.text
    assert count(db, "SELECT count(*) FROM articles") == 0  # the poll is still running
    signalled = time.monotonic()
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=25) == 0, daemon.text
    assert time.monotonic() - signalled < 20  # within the grace period
    assert re.search(r"waiting up to 20 s for \d+ running jobs", daemon.text)
    # The poll that was running when the signal came is committed: all its articles.
    assert count(db, "SELECT count(*) FROM articles") == 3
    assert count(db, "SELECT count(*) FROM articles WHERE url LIKE ?", (f"%{SLOW_ARTICLE}",)) == 1


def test_grace_period_over_cancels_the_poll_without_half_writes(
        tmp_path: Path, site: FixtureServer, daemons: Callable[..., Daemon]) -> None:
    site.routes[SLOW_ARTICLE].delay = 10
    db = tmp_path / "monitor.db"
    daemon = daemons(write_config(tmp_path, site, every="1h"), "--grace", "1")
    assert wait_for(lambda: site.hits(SLOW_ARTICLE) >= 1), daemon.text
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=15) == 0, daemon.text
    assert "cancelling 1 jobs still running after the grace period" in daemon.text
    # One transaction per poll: the cancelled poll stored nothing, so a restart redoes it.
    assert count(db, "SELECT count(*) FROM articles") == 0
    assert count(db, "SELECT count(*) FROM hits") == 0


def test_kill_9_mid_poll_then_restart_is_consistent_and_alerts_once(
        tmp_path: Path, site: FixtureServer, daemons: Callable[..., Daemon]) -> None:
    db = tmp_path / "monitor.db"
    with SlackReceiver() as slack:
        # A short gathering hold: the kills may land while first alerts are held, which
        # must neither lose nor repeat one (the hold is computed from stored times).
        config = write_config(tmp_path, site, every="2s", extra=f"""
alerts:
  - {{kind: slack, name: slack, webhook: "{slack.url}", gather: 3s}}
""")
        site.routes[SLOW_ARTICLE].delay = 3
        first = daemons(config)
        assert wait_for(lambda: site.hits(SLOW_ARTICLE) >= 1), first.text
        first.signal(signal.SIGKILL)
        first.wait(timeout=10)
        site.routes[SLOW_ARTICLE].delay = 0
        second = daemons(config)  # the lock died with the first: no stale-lock refusal
        queued = "SELECT count(*) FROM deliveries"
        sent = "SELECT count(*) FROM deliveries WHERE status = 'sent'"
        assert wait_for(lambda: count(db, "SELECT count(*) FROM articles") == 3
                        and count(db, queued) > 0 and count(db, sent) == count(db, queued)
                        and len(slack.received) >= count(db, queued), timeout=60), second.text
        # Kill again, at once, and restart once more: still nothing twice.
        second.signal(signal.SIGKILL)
        second.wait(timeout=10)
        third = daemons(config)
        assert wait_for(lambda: site.hits("/rss/en") >= 4 and "not modified" in third.text)
        third.signal(signal.SIGTERM)
        assert third.wait(timeout=25) == 0, third.text
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            urls = [r[0] for r in conn.execute("SELECT url FROM articles")]
            hit_rows = conn.execute("SELECT article_id, field, entity, start FROM hits").fetchall()
            alerting = [r[0] for r in conn.execute(
                "SELECT DISTINCT a.url FROM articles a JOIN deliveries d ON d.article_id = a.id")]
        assert len(urls) == len(set(urls)) == 3
        assert len(hit_rows) == len(set(hit_rows)) > 0
        # Every alert reached Slack exactly once.
        bodies = [r.body.decode() for r in slack.received]
        for url in alerting:
            assert sum(url in body for body in bodies) == 1, url


def test_kill_9_while_first_alerts_gather_then_restart_sends_each_once(
        tmp_path: Path, site: FixtureServer, daemons: Callable[..., Daemon]) -> None:
    db = tmp_path / "monitor.db"
    with SlackReceiver() as slack:
        config = write_config(tmp_path, site, every="2s", extra=f"""
alerts:
  - {{kind: slack, name: slack, webhook: "{slack.url}", gather: 12s}}
""")
        first = daemons(config)
        queued = "SELECT count(*) FROM deliveries"
        assert wait_for(lambda: count(db, queued) > 0, timeout=30), first.text
        time.sleep(1)  # a dispatch round or two: the hold keeps the alerts back
        assert count(db, "SELECT count(*) FROM deliveries WHERE status = 'sent'") == 0
        assert slack.received == []
        first.signal(signal.SIGKILL)
        first.wait(timeout=10)
        second = daemons(config)
        sent = "SELECT count(*) FROM deliveries WHERE status = 'sent'"
        assert wait_for(lambda: count(db, sent) == count(db, queued), timeout=60), second.text
        second.signal(signal.SIGTERM)
        assert second.wait(timeout=25) == 0, second.text
        with sqlite3.connect(db) as conn:
            alerting = [r[0] for r in conn.execute(
                "SELECT DISTINCT a.url FROM articles a JOIN deliveries d ON d.article_id = a.id")]
            waited = conn.execute("SELECT min(julianday(sent) - julianday(created)) * 86400 "
                                  "FROM deliveries").fetchone()[0]
        assert waited >= 11.5  # held for the whole window, across the restart
        bodies = [r.body.decode() for r in slack.received]
        for url in alerting:
            assert sum(url in body for body in bodies) == 1, url


def test_sighup_reloads_a_valid_config_and_keeps_the_old_on_a_bad_one(
        tmp_path: Path, site: FixtureServer, daemons: Callable[..., Daemon]) -> None:
    config = write_config(tmp_path, site)
    daemon = daemons(config)
    assert wait_for(lambda: site.hits("/rss/en") >= 1), daemon.text
    # Valid: a new source is picked up, at once.
    write_config(tmp_path, site, sources=f"""
  - {{name: Shafaq News (AR), kind: rss, url: "{site.url('/rss/ar')}", every: 1s,
      fetch_articles: false}}""")
    daemon.signal(signal.SIGHUP)
    assert wait_for(lambda: site.hits("/rss/ar") >= 2), daemon.text
    assert "config reloaded: 2 sources (1 added, 0 removed, 0 changed)" in daemon.text
    # Invalid: the problem is named in the log and the running config keeps working.
    config.write_text(config.read_text().replace("every: 1s", "every: 5 minutes", 1))
    daemon.signal(signal.SIGHUP)
    assert wait_for(lambda: "config reload failed" in daemon.text), daemon.text
    line = next(x for x in daemon.text.splitlines() if "config reload failed" in x)
    assert "every: '5 minutes' is not a duration" in line
    before = site.hits("/rss/ar"), site.hits("/rss/en")
    assert wait_for(lambda: site.hits("/rss/ar") > before[0] and site.hits("/rss/en") > before[1])
    assert daemon.proc.poll() is None
    # Removing a source stops its polls.
    write_config(tmp_path, site)
    daemon.signal(signal.SIGHUP)
    assert wait_for(lambda: "1 removed" in daemon.text), daemon.text
    time.sleep(1.5)  # a poll already queued may still finish
    settled = site.hits("/rss/ar")
    time.sleep(2.5)
    assert site.hits("/rss/ar") == settled
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=25) == 0


def test_sighup_with_a_new_watchlist_entry_matches_it_in_the_workers(
        tmp_path: Path, site: FixtureServer, daemons: Callable[..., Daemon]) -> None:
    # Matching runs in worker processes built with the watchlist: a reload that changes it
    # must replace them, or new articles would be matched against the old list.
    db = tmp_path / "monitor.db"
    daemon = daemons(write_config(tmp_path, site))
    assert wait_for(lambda: count(db, "SELECT count(*) FROM articles") >= 1), daemon.text
    alaq = WATCHLIST.replace("    - name: Hadi al-Amiri\n", "    - name: Hussein al-Alaq\n"
                             "      aliases: [حسين العلاق]\n    - name: Hadi al-Amiri\n")
    write_config(tmp_path, site, watchlist=alaq, sources=f"""
  - {{name: Shafaq News (AR), kind: rss, url: "{site.url('/rss/ar')}", every: 1s,
      fetch_articles: false}}""")
    daemon.signal(signal.SIGHUP)
    new_hits = "SELECT count(*) FROM hits WHERE entity = 'Hussein al-Alaq'"
    assert wait_for(lambda: count(db, new_hits) == 1), daemon.text
    assert "12 watchlist entries" in daemon.text
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=25) == 0, daemon.text


def metric_values(text: str) -> dict[str, float]:
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return values


def test_healthz_metrics_json_logs_and_status(tmp_path: Path, site: FixtureServer,
                                              daemons: Callable[..., Daemon]) -> None:
    port = unused_port()
    config = write_config(tmp_path, site, sources=f"""
  - {{name: Broken Outlet, kind: rss, url: "{site.url('/rss/broken')}", every: 2s}}""",
        extra=f"status: {{listen: '127.0.0.1:{port}'}}\nlog_format: json")
    daemon = daemons(config)
    base = f"http://127.0.0.1:{port}"
    assert wait_for(lambda: get(f"{base}/healthz")[0] == 200 and site.hits("/rss/en") >= 2
                    and site.hits("/rss/broken") >= 1), daemon.text
    status, body = get(f"{base}/healthz")
    health = json.loads(body)
    assert status == 200 and health["status"] == "ok" and health["database"] == "writable"
    assert health["failing_sources"] == ["Broken Outlet"]
    assert health["last_poll"] and health["last_cycle"]
    status, text = get(f"{base}/metrics")
    assert status == 200
    values = metric_values(text)
    assert values["monitor_fetches_total{status=ok}"] >= 1
    assert values["monitor_fetches_total{status=error}"] >= 1
    assert values["monitor_articles_total"] == 3
    assert values["monitor_hits_total"] >= 1
    assert values["monitor_cycles_total"] >= 1
    assert values["monitor_queue_depth"] == 0
    assert values["monitor_sources{state=failing}"] == 1
    for name in ("monitor_alerts_total{status=sent}", "monitor_alerts_total{status=failed}",
                 "monitor_poll_duration_seconds_count", "monitor_cycle_duration_seconds_count",
                 "monitor_schedule_lag_seconds_count", "monitor_dispatch_duration_seconds_count"):
        assert name in values, name
    assert get(f"{base}/nothing")[0] == 404
    # `monitor status` while the daemon runs.
    result = subprocess.run([sys.executable, "-m", "monitor", "status", "-c", str(config),
                             "--format", "json"], capture_output=True, text=True, timeout=60)
    summary = json.loads(result.stdout)
    assert summary["daemon"]["running"] and summary["daemon"]["pid"] == daemon.proc.pid
    assert summary["daemon"]["uptime_seconds"] >= 0
    assert summary["sources"]["failing"] == ["Broken Outlet"]
    assert summary["sources"]["healthy"] == 1
    assert summary["today"]["articles"] == 3 and summary["today"]["hits"] >= 1
    table = subprocess.run([sys.executable, "-m", "monitor", "status", "-c", str(config)],
                           capture_output=True, text=True, timeout=60).stdout
    assert f"running (pid {daemon.proc.pid})" in table and "1 failing" in table
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=25) == 0
    # Every line is one JSON object; poll lines carry their source.
    records = [json.loads(line) for line in daemon.text.splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    polls = [r for r in records if r["logger"] == "monitor.pipeline"]
    assert any(r.get("source") == "Broken Outlet" and r["level"] == "WARNING" for r in polls)
    assert any(r.get("source") == "Shafaq News (EN)" and "3 new articles" in r["message"]
               for r in polls)
    stopped = subprocess.run([sys.executable, "-m", "monitor", "status", "-c", str(config),
                              "--format", "json"], capture_output=True, text=True, timeout=60)
    assert json.loads(stopped.stdout)["daemon"]["running"] is False


def test_failing_source_backs_off(tmp_path: Path, site: FixtureServer,
                                  daemons: Callable[..., Daemon]) -> None:
    config = write_config(tmp_path, site, sources=f"""
  - {{name: Broken Outlet, kind: rss, url: "{site.url('/rss/broken')}", every: 1s}}""")
    config.write_text(config.read_text().replace("retries: 0", "retries: 0, backoff_cap: 8s"))
    daemon = daemons(config)
    assert wait_for(lambda: site.hits("/rss/en") >= 12, timeout=40), daemon.text
    # Polled at 0, 1, 3, 7, 15 s ... rather than every second like the healthy feed.
    assert site.hits("/rss/broken") <= 7
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=25) == 0


def test_readers_are_not_blocked_while_the_daemon_writes(
        tmp_path: Path, site: FixtureServer, daemons: Callable[..., Daemon]) -> None:
    db = tmp_path / "monitor.db"
    daemon = daemons(write_config(tmp_path, site))
    assert wait_for(lambda: count(db, "SELECT count(*) FROM articles") == 3), daemon.text
    # Like Datasette: a read-only connection, here holding one read transaction open.
    reader = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
    reader.execute("BEGIN")
    seen = reader.execute("SELECT last_checked FROM sources").fetchone()[0]
    checked = "SELECT count(*) FROM sources WHERE last_checked > ?"
    # The daemon keeps committing polls meanwhile (WAL), and readers keep reading.
    assert wait_for(lambda: count(db, checked, (seen,)) == 1, timeout=20), daemon.text
    assert reader.execute("SELECT last_checked FROM sources").fetchone()[0] == seen
    assert reader.execute("SELECT count(*) FROM articles").fetchone()[0] == 3
    reader.rollback()
    reader.close()
    if os.path.exists("/usr/bin/sqlite3"):
        out = subprocess.run(["sqlite3", str(db), "SELECT count(*) FROM articles"],
                             capture_output=True, text=True, timeout=10)
        assert out.stdout.strip() == "3", out.stderr
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=25) == 0


def test_once_refuses_to_run_beside_a_daemon(tmp_path: Path, site: FixtureServer,
                                             daemons: Callable[..., Daemon]) -> None:
    config = write_config(tmp_path, site)
    daemon = daemons(config)
    assert wait_for(lambda: site.hits("/rss/en") >= 1)
    assert_refused("once", config)
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=25) == 0, daemon.text
