"""The delivery guarantee under SIGKILL and outages, with `monitor once` as a subprocess.

What "arrived" means: a request the Slack stand-in answered with 200 (`accepted`). A
request it received while hanging was never answered, so the monitor never learned it was
accepted: resending it is the guarantee working, not a duplicate. The kills below happen
while the receiver hangs or before dispatch starts, i.e. outside the documented window
(between a channel's acceptance and the commit of `sent`), so each alert must arrive
exactly once.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fixture_server import FixtureServer
from tests.receivers import SlackReceiver, SMTPReceiver
from tests.test_end_to_end import WATCHLIST, serve_site

ALERTING_ARTICLES = 4  # in the fixture site: articles with an actor or keyword hit
# The kill points below need several messages: the Arabic source is given no language, so
# its report (of the same killing as the English ones) is not linked across languages and
# the four reports stay four stories, four messages.


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        serve_site(server)
        yield server


def write_config(tmp_path: Path, site: FixtureServer, extra_source: str = "",
                 email: SMTPReceiver | None = None) -> Path:
    mail = "" if email is None else f"""
  - {{kind: email, host: {email.host}, port: {email.port}, security: none, timeout: 5s,
      from: monitor@example.org, to: [analyst@example.org]}}"""
    config = tmp_path / "config.yaml"
    config.write_text(f"""
database: monitor.db
fetch: {{timeout: 20s, allow_private_addresses: true, delay: 0s}}
sources:
  - {{name: Shafaq News (EN), kind: rss, url: "{site.url('/rss/en')}", language: en}}
  - {{name: Shafaq News (AR), kind: rss, url: "{site.url('/rss/ar')}",
      fetch_articles: false}}
  - {{name: The New Region, kind: html, url: "{site.url('/')}", links: 'a[href*="/posts/"]'}}
{extra_source}
{WATCHLIST}
alerts:
  - {{kind: slack, webhook: "${{SLACK_WEBHOOK_URL}}", timeout: 30s}}{mail}
""", encoding="utf-8")
    return config


def start_monitor(config: Path, slack_url: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "monitor", "once", "-c", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "SLACK_WEBHOOK_URL": slack_url})


def run_monitor(config: Path, slack_url: str) -> str:
    process = start_monitor(config, slack_url)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out


def kill_when(process: subprocess.Popen[str], condition: Callable[[], bool],
              timeout: float = 60) -> None:
    """SIGKILL the monitor as soon as `condition` holds (it must not have exited first)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"monitor exited before the kill point: " \
                                       f"{process.communicate()}"
        assert time.monotonic() < deadline, "kill point never reached"
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def assert_each_alert_arrived_once(slack: SlackReceiver, db: Path) -> None:
    """Every delivery is sent, each accepted Slack message is one recorded message, and no
    headline was accepted twice."""
    assert rows(db, "SELECT DISTINCT status FROM deliveries WHERE channel = 'slack'") == [
        ("sent",)]
    assert rows(db, "SELECT count(*) FROM deliveries WHERE channel = 'slack'") == [
        (ALERTING_ARTICLES,)]
    headlines = Counter(r.json["blocks"][0]["text"]["text"] for r in slack.accepted)
    assert max(headlines.values()) == 1, headlines
    messages = rows(db, "SELECT count(DISTINCT message_id) FROM deliveries "
                        "WHERE channel = 'slack'")[0][0]
    assert len(slack.accepted) == messages
    titles = [str(t) for (t,) in rows(
        db, "SELECT a.title FROM deliveries d JOIN articles a ON a.id = d.article_id "
            "WHERE d.channel = 'slack' AND d.note LIKE 'alert%'")]
    for title in titles:  # every alert's headline arrived, once
        assert sum(title.replace("&", "&amp;") in h for h in headlines) == 1, title


def test_kill_while_slack_hangs_mid_dispatch_then_restart(tmp_path: Path,
                                                          site: FixtureServer) -> None:
    with SlackReceiver(hang_seconds=120) as slack:
        config = write_config(tmp_path, site)
        db = tmp_path / "monitor.db"
        # The first message is accepted, the second hangs: kill while it hangs.
        slack.script = ["ok", "hang"]
        kill_when(start_monitor(config, slack.url), lambda: len(slack.received) >= 2)
        assert len(slack.accepted) == 1
        assert rows(db, "SELECT status, count(*) FROM deliveries GROUP BY status") == [
            ("pending", ALERTING_ARTICLES - 1), ("sent", 1)]

        # Restarted, it hangs again on its first message: a second kill.
        slack.script = ["hang"]
        kill_when(start_monitor(config, slack.url), lambda: len(slack.received) >= 3)
        assert len(slack.accepted) == 1

        out = run_monitor(config, slack.url)
        assert "0 new articles" in out  # nothing fetched twice: the outbox held the alerts
        assert_each_alert_arrived_once(slack, db)
        # The two hung messages were sent again after the restart, and accepted once.
        hung = [r.json for r in slack.received if not r.accepted]
        assert len(hung) == 2 and all(h in [r.json for r in slack.accepted] for h in hung)


def test_kill_after_the_fetch_phase_before_dispatch(tmp_path: Path,
                                                    site: FixtureServer) -> None:
    # One slow source keeps the cycle in its fetch phase after the others stored their
    # articles, hits and deliveries.
    site.add("/rss/slow", "<rss version='2.0'><channel><title>x</title></channel></rss>",
             content_type="application/rss+xml", delay=60)
    slow = f'  - {{name: Slow Outlet, kind: rss, url: "{site.url("/rss/slow")}"}}'
    with SlackReceiver() as slack:
        config = write_config(tmp_path, site, extra_source=slow)
        db = tmp_path / "monitor.db"

        def all_queued() -> bool:
            if not db.exists():
                return False
            try:
                return rows(db, "SELECT count(*) FROM deliveries")[0][0] == ALERTING_ARTICLES
            except sqlite3.OperationalError:  # not migrated yet
                return False

        kill_when(start_monitor(config, slack.url), all_queued)
        assert slack.received == []
        site.routes["/rss/slow"].delay = 0
        run_monitor(config, slack.url)
        assert_each_alert_arrived_once(slack, db)
        assert len(slack.received) == len(slack.accepted)  # nothing was ever resent


def test_outage_for_a_cycle_then_every_alert_arrives(tmp_path: Path,
                                                     site: FixtureServer) -> None:
    with SlackReceiver() as slack, SMTPReceiver() as smtp:
        slack_port, smtp_port, url = slack.port, smtp.port, slack.url
        config = write_config(tmp_path, site, email=smtp)
        db = tmp_path / "monitor.db"
        slack.stop()  # both down for a whole cycle: connections refused
        smtp.stop()
        out = run_monitor(config, url)
        assert "2 to retry" in out  # one attempt per channel, then each backs off
        assert rows(db, "SELECT DISTINCT status FROM deliveries") == [("pending",)]

        with SlackReceiver(port=slack_port) as back, SMTPReceiver(port=smtp_port) as mail:
            with sqlite3.connect(db) as conn:  # due now instead of after the back-off
                conn.execute("UPDATE deliveries SET next_attempt = NULL")
            assert back.url == url
            run_monitor(config, url)
            assert_each_alert_arrived_once(back, db)
            assert rows(db, "SELECT DISTINCT status FROM deliveries") == [("sent",)]
            assert len(mail.received) == len(back.accepted)
