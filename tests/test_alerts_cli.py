"""Channel configuration (routing, webhook), `monitor test-alert` and `monitor deliveries`,
run as subprocesses against local receivers."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import Routing, WebhookChannel, load_config
from monitor.errors import ConfigError
from monitor.models import Article, Hit
from monitor.store import Store
from tests.receivers import SlackReceiver, SMTPReceiver, unused_port

WATCHLIST = """
watchlists:
  actors:
    - name: Qais al-Khazali
  keywords:
    - name: assassination
      terms: [assassinat*]
sources:
  - {name: Rudaw, kind: rss, url: "https://rudaw.example/rss"}
"""


def write(tmp_path: Path, alerts: str) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(f"database: monitor.db\n{WATCHLIST}\nalerts:\n{alerts}", encoding="utf-8")
    return config


def monitor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})})


# ---------------------------------------------------------------- configuration


def test_routing_and_webhook_config(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, """
  - kind: webhook
    name: teams
    url: https://hooks.example/abc?token=${HOOK_TOKEN}
    headers: {Authorization: "Bearer ${HOOK_TOKEN}", X-Team: analysts}
    entities: [qais al-khazali]
    kinds: [actor]
    sources: [rudaw]
    min_hits: 2
    digest_at: "8:00"
    timezone: Asia/Baghdad
    max_per_minute: 5
"""), env={"HOOK_TOKEN": "tok-123"})
    (channel,) = config.channels
    assert isinstance(channel, WebhookChannel)
    assert channel.url == "https://hooks.example/abc?token=tok-123"
    assert channel.headers == (("Authorization", "Bearer tok-123"), ("X-Team", "analysts"))
    assert channel.routing == Routing(
        entities=("Qais al-Khazali",), kinds=("actor",), sources=("Rudaw",), min_hits=2,
        mode="digest", digest_at="08:00", timezone="Asia/Baghdad", max_per_minute=5)
    assert "tok-123" not in repr(channel)


def test_routing_config_errors_name_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, """
  - kind: slack
    webhook: https://hooks.slack.com/services/T/B/SECRET
    entities: [Qais al-Khazli]
    kinds: [place]
    sources: [Nowhere]
    mode: digest
  - kind: webhook
    name: hook
    url: "ftp://SECRETHOST/x"
    headers: {"Bad Header": x, X-Token: "${MISSING_TOKEN}"}
    digest: 1h
    digest_at: "25:00"
""")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    text = str(info.value)
    for expected in (
            "alerts[0].entities[0]: 'Qais al-Khazli' is not a watchlist entity or rule name "
            "(did you mean 'Qais al-Khazali'?)",
            "alerts[0].kinds[0]: 'place' is not one of: actor, keyword, rule (a place alone "
            "never alerts)",
            "alerts[0].sources[0]: 'Nowhere' is not a source name",
            "alerts[0].mode: digest needs 'digest: 1h' (an interval) or 'digest_at: \"08:00\"'",
            "alerts[1].url: is not an http(s) URL",
            "alerts[1].headers.Bad Header: is not a valid HTTP header name",
            "alerts[1].headers.X-Token: environment variable MISSING_TOKEN is not set",
            "alerts[1].digest_at: '25:00' is not a time of day"):
        assert expected in text, text
    assert "SECRET" not in text


# ---------------------------------------------------------------- test-alert


def test_test_alert_reports_each_channel(tmp_path: Path) -> None:
    with SlackReceiver() as good, SlackReceiver(mode="403") as revoked, \
            SMTPReceiver(username="monitor", password="right") as smtp:
        refused = unused_port()
        config = write(tmp_path, f"""
  - {{kind: slack, name: good-slack, webhook: "{good.url}"}}
  - {{kind: slack, name: revoked-slack, webhook: "{revoked.url}"}}
  - {{kind: email, name: mail, host: {smtp.host}, port: {smtp.port}, security: none,
      username: monitor, password: "${{SMTP_PASSWORD}}", from: m@example.org,
      to: [desk@example.org]}}
  - {{kind: webhook, name: down-hook, url: "http://127.0.0.1:{refused}/hook?k=SECRETK"}}
  - {{kind: webhook, name: dns-hook, url: "https://hooks.nonexistent.invalid/x", timeout: 5s}}
  - {{kind: slack, name: muted, webhook: "${{NO_SUCH_WEBHOOK:-}}"}}
""")
        result = monitor("test-alert", "-c", str(config), env={"SMTP_PASSWORD": "wrong-pw"})
        assert result.returncode == 1, result.stderr
        lines = result.stdout.splitlines()
        assert lines == [
            f"good-slack: ok — test message accepted by slack (127.0.0.1:{good.port})",
            f"revoked-slack: FAILED — slack: HTTP 403 from 127.0.0.1:{revoked.port}: "
            "invalid_token",
            f"mail: FAILED — email: authentication failed at 127.0.0.1:{smtp.port} (SMTP 535)",
            f"down-hook: FAILED — webhook: connection refused by 127.0.0.1:{refused}",
            "dns-hook: FAILED — webhook: cannot resolve hooks.nonexistent.invalid",
            "'muted' (slack): disabled — alerts[5].webhook is empty (set the variable it names, "
            "e.g. SLACK_WEBHOOK_URL)",
        ]
        assert result.stderr.strip() == "Error: 4 of 5 channel(s) failed"
        for secret in ("wrong-pw", "SECRETK", "SECRETTOKEN"):
            assert secret not in result.stdout + result.stderr
        [request] = good.received
        assert request.json["text"].startswith("[TEST] Qais al-Khazali — ")
        assert request.json["blocks"][0]["text"]["text"] == "🧪 TEST ALERT — news-monitor"
        assert not (tmp_path / "monitor.db").exists()  # a test writes nothing

        env = {"SMTP_PASSWORD": "wrong-pw"}
        only = monitor("test-alert", "-c", str(config), "--channel", "good-slack", env=env)
        assert only.returncode == 0 and only.stdout.count("\n") == 1
        assert len(good.received) == 2
        unknown = monitor("test-alert", "-c", str(config), "--channel", "nope", env=env)
        assert unknown.returncode == 1
        assert "no alert channel named 'nope'" in unknown.stderr


def test_test_alert_email_arrives_marked(tmp_path: Path) -> None:
    with SMTPReceiver() as smtp:
        config = write(tmp_path, f"""
  - {{kind: email, host: {smtp.host}, port: {smtp.port}, security: none,
      from: m@example.org, to: [desk@example.org]}}
""")
        result = monitor("test-alert", "-c", str(config))
        assert result.returncode == 0, result.stderr
        assert result.stdout == (f"email: ok — test message accepted by email "
                                 f"(127.0.0.1:{smtp.port} → 1 recipient)\n")
        msg = smtp.received[0].message
    assert msg["Subject"].startswith("[TEST] Qais al-Khazali — ")
    assert "TEST ALERT" in msg.get_body(("plain",)).get_content()
    assert "<strong>TEST ALERT</strong>" in msg.get_body(("html",)).get_content()


# ---------------------------------------------------------------- deliveries


def test_deliveries_list_and_retry(tmp_path: Path) -> None:
    with SlackReceiver(mode="403") as slack:
        config = write(tmp_path, f'  - {{kind: slack, name: s, webhook: "{slack.url}"}}\n')
        with Store(tmp_path / "monitor.db") as store:
            store.add_article(Article(
                url="https://rudaw.example/1", source="Rudaw", title="Khazali speaks",
                body="Qais al-Khazali spoke.", fetched="2026-01-03T12:00:00+00:00",
                hits=[Hit("Qais al-Khazali", "actor", "Qais al-Khazali", 0, 15,
                          "**Qais al-Khazali** spoke.")]), ["s"])
        # A permanent error (403): failed at once, visible.
        flush = [sys.executable, "-c", "import asyncio, sys; from monitor.config import "
                 "load_config; from monitor.store import Store; from monitor.alerts.dispatch "
                 "import dispatch_pending; c = load_config(sys.argv[1]); "
                 "asyncio.run(dispatch_pending(Store(c.database), c.channels))", str(config)]
        subprocess.run(flush, check=True, timeout=60)
        listed = monitor("deliveries", "-c", str(config), "--status", "failed", "--format",
                         "json")
        assert listed.returncode == 0, listed.stderr
        [row] = json.loads(listed.stdout)
        assert row["status"] == "failed" and row["attempts"] == 1
        assert row["last_error"] == f"slack: HTTP 403 from 127.0.0.1:{slack.port}: invalid_token"
        assert "SECRETTOKEN" not in listed.stdout

        retried = monitor("deliveries", "-c", str(config), "--retry", "--format", "csv")
        assert retried.returncode == 0, retried.stderr
        assert retried.stdout.startswith("requeued 1 failed delivery\n")
        assert ",s,1,slack: HTTP 403" in retried.stdout and "Khazali speaks" in retried.stdout
        with sqlite3.connect(tmp_path / "monitor.db") as conn:
            assert conn.execute("SELECT status, attempts, next_attempt FROM deliveries"
                                ).fetchall() == [("pending", 0, None)]
        slack.mode = "ok"
        subprocess.run(flush, check=True, timeout=60)
        assert [r.status for r in slack.received] == [403, 200]
        again = monitor("deliveries", "-c", str(config), "--retry")
        assert again.stdout == "requeued 0 failed deliveries\n"
        table = monitor("deliveries", "-c", str(config), "--format", "csv")
        assert table.stdout.splitlines()[1].startswith("1,s,sent,1,")


@pytest.mark.parametrize(("alerts", "said"), [
    ("""
  - {kind: slack, name: desk, webhook: "${NO_SUCH_WEBHOOK:-}"}
  - {kind: email, name: mail, host: "${NO_SUCH_HOST:-}"}""",
     "Error: every alert channel is disabled: no test message was sent"),
    ("[]", "Error: no alert channel is configured (add one under alerts:)")])
def test_test_alert_with_nothing_to_send_is_not_a_success(tmp_path: Path, alerts: str,
                                                         said: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"database: monitor.db\nalerts: {alerts}\n", encoding="utf-8")
    result = CliRunner(env={"NO_SUCH_WEBHOOK": None, "NO_SUCH_HOST": None}).invoke(
        cli, ["test-alert", "-c", str(config)])
    assert result.exit_code == 1, result.output
    assert said in result.stderr
