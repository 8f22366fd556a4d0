"""`monitor once` as a subprocess against local outlets, a local Slack and a local SMTP server.

The fixture site is laid out like the real outlets: a Shafaq-like RSS feed with article pages
(JSON-LD, nav, "Most Read" sidebars full of watched names), a New Region-like HTML listing
page, an Arabic feed read without fetching pages, a dead article and a broken source.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixture_server import FixtureServer
from tests.receivers import SlackReceiver, SMTPReceiver

SITE = Path(__file__).parent / "fixtures" / "site"

WATCHLIST = """
watchlists:
  actors:
    - name: Asa'ib Ahl al-Haq
      aliases: [AAH, Asaib Ahl al-Haq, عصائب أهل الحق]
    - name: Muqtada al-Sadr
      aliases: [Moqtada al-Sadr, مقتدى الصدر]
      exclude: [Sadr City, مدينة الصدر]
    - name: Qais al-Khazali
      aliases: [Qais Khazali, قيس الخزعلي]
    - name: Saraya al-Salam
      aliases: [Peace Companies, سرايا السلام]
    - name: Hadi al-Amiri
    - name: Kata'ib Hezbollah
    - name: Mohammed Shia al-Sudani
    - name: Nouri al-Maliki
  places:
    - name: Maysan
      aliases: [Missan, ميسان]
    - name: Erbil
  keywords:
    - name: assassination
      terms: [assassinat*, shot dead, اغتيال]
"""


def serve_site(site: FixtureServer) -> None:
    def page(name: str) -> str:
        return (SITE / name).read_text(encoding="utf-8").replace("{{BASE}}", site.base)

    rss = "application/rss+xml; charset=utf-8"
    site.add("/rss/en", page("shafaq_rss.xml"), content_type=rss, etag='"feed-v1"')
    site.add("/rss/ar", page("shafaq_ar_rss.xml"), content_type=rss)
    site.add("/en/Iraq/Asaib-Ahl-Al-Haq-calls-for-rule-of-law", page("shafaq_article_aah.html"))
    site.add("/en/Iraq/Al-Sadr-urges-restraint", page("shafaq_article_sadr.html"))
    site.add("/en/Sport/Al-Shorta-beat-Al-Zawraa", page("shafaq_article_sport.html"))
    site.add("/", page("tnr_home.html"))
    site.add("/posts/4157/maysan-tensions-after-killing-of-sadrist-commander",
             page("tnr_4157.html"))
    site.add("/posts/4156/kurdistan-region-power-outages", page("tnr_4156.html"))
    site.add("/rss/broken", "<h1>Internal error</h1>", status=500)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[FixtureServer, SlackReceiver, SMTPReceiver, Path]]:
    with FixtureServer() as site, SlackReceiver() as slack, SMTPReceiver() as smtp:
        serve_site(site)
        config = tmp_path / "config.yaml"
        config.write_text(f"""
database: monitor.db
fetch:
  timeout: 5s
  allow_private_addresses: true
  delay: 0s
sources:
  - {{name: Shafaq News (EN), kind: rss, url: "{site.url('/rss/en')}", language: en}}
  - {{name: Shafaq News (AR), kind: rss, url: "{site.url('/rss/ar')}", language: ar,
      fetch_articles: false}}
  - name: The New Region
    kind: html
    url: "{site.url('/')}"
    links: 'a[href*="/posts/"]'
    link_pattern: '/posts/\\d+'
  - {{name: Broken Outlet, kind: rss, url: "{site.url('/rss/broken')}"}}
{WATCHLIST}
alerts:
  - kind: slack
    webhook: ${{SLACK_WEBHOOK_URL}}
  - kind: email
    host: {smtp.host}
    port: {smtp.port}
    security: none
    from: monitor@example.org
    to: [analyst@example.org]
""", encoding="utf-8")
        yield site, slack, smtp, config


def monitor(*args: str, env: dict[str, str] | None = None,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True,
                          text=True, input=stdin, timeout=120,
                          env={**os.environ, **(env or {})})


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def entities_by_article(db: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for url, entity in rows(db, "SELECT a.url, h.entity FROM articles a "
                                "LEFT JOIN hits h ON h.article_id = a.id"):
        path = "/" + str(url).split("/", 3)[3]
        found.setdefault(path, set())
        if entity:
            found[path].add(str(entity))
    return found


def test_one_cycle_end_to_end_then_nothing_twice(world) -> None:  # type: ignore[no-untyped-def]
    site, slack, smtp, config = world
    env = {"SLACK_WEBHOOK_URL": slack.url}
    first = monitor("once", "-c", str(config), env=env)
    assert first.returncode == 0, first.stderr
    db = config.parent / "monitor.db"

    # Each failure is printed and recorded, and does not stop the cycle.
    assert "Broken Outlet: FAILED: HTTP 500" in first.stdout
    assert "article failed:" in first.stdout and "/en/Iraq/gone" in first.stdout
    assert "4 sources (1 failed), 6 new articles" in first.stdout

    found = entities_by_article(db)
    aah = found["/en/Iraq/Asaib-Ahl-Al-Haq-calls-for-rule-of-law"]
    assert aah == {"Asa'ib Ahl al-Haq", "Qais al-Khazali", "Maysan", "assassination"}
    sadr = found["/en/Iraq/Al-Sadr-urges-restraint"]
    assert sadr == {"Muqtada al-Sadr", "Saraya al-Salam", "Asa'ib Ahl al-Haq", "Maysan"}
    assert found["/en/Sport/Al-Shorta-beat-Al-Zawraa"] == set()
    tnr = found["/posts/4157/maysan-tensions-after-killing-of-sadrist-commander"]
    assert tnr == {"Saraya al-Salam", "Muqtada al-Sadr", "Asa'ib Ahl al-Haq", "Maysan",
                   "assassination", "Erbil"}
    assert found["/posts/4156/kurdistan-region-power-outages"] == {"Erbil"}
    arabic = next(v for k, v in found.items() if k.startswith("/ar/"))
    assert arabic == {"Muqtada al-Sadr", "Asa'ib Ahl al-Haq", "Maysan", "assassination"}

    # Sidebars, newsletters and related lists never reach the stored text.
    bodies = " ".join(str(r[0]) for r in rows(db, "SELECT body FROM articles"))
    for leaked in ("Hadi al-Amiri", "Kata'ib Hezbollah", "Nouri al-Maliki", "Most Read"):
        assert leaked not in bodies
    # "Sadr City" is excluded, yet the article's real mentions are found.
    assert rows(db, "SELECT count(*) FROM hits WHERE matched_text LIKE '%Sadr City%'") == [(0,)]

    # Offsets index the stored field.
    for field, text, start, end, body, title in rows(
            db, "SELECT h.field, h.matched_text, h.start, h.end, a.body, a.title "
                "FROM hits h JOIN articles a ON a.id = h.article_id"):
        assert (body if field == "body" else title)[start:end] == text

    # The four articles with an actor/keyword hit (Erbil alone alerts not) are reports of
    # one killing in Maysan and the reactions to it, in English and Arabic; how many stories
    # they make depends on the order they are stored in (the outlets are polled
    # concurrently), but each story is ONE message per channel, and every report is in
    # exactly one of them.
    alerting_urls = [str(r[0]) for r in rows(
        db, "SELECT DISTINCT a.url FROM articles a JOIN deliveries d ON d.article_id = a.id")]
    assert len(alerting_urls) == 4
    (alerting,) = rows(db, "SELECT count(DISTINCT a.story_id) FROM articles a "
                           "JOIN deliveries d ON d.article_id = a.id")[0]
    assert 1 <= alerting < 4  # the Arabic report is in an English report's story
    assert len(slack.received) == alerting
    assert len(smtp.received) == alerting
    payloads = [json.dumps(r.json, ensure_ascii=False) for r in slack.received]
    for url in alerting_urls:
        assert sum(url.replace("&", "&amp;") in p or url in p for p in payloads) == 1, url
    assert rows(db, "SELECT status, count(*) FROM deliveries GROUP BY status") == [
        ("sent", 4 * 2)]

    # Source health is recorded.
    health = dict(rows(db, "SELECT name, consecutive_failures FROM sources"))
    assert health == {"Shafaq News (EN)": 0, "Shafaq News (AR)": 0, "The New Region": 0,
                      "Broken Outlet": 1}

    # Second run: nothing stored twice, nothing sent twice; the feed answers 304.
    tnr_page = "/posts/4157/maysan-tensions-after-killing-of-sadrist-commander"
    article_pages_before = site.hits(tnr_page)
    second = monitor("once", "-c", str(config), env=env)
    assert second.returncode == 0, second.stderr
    assert "0 new articles" in second.stdout
    # The feed answered 304; the article page that answered 404 is not tried again.
    assert "Shafaq News (EN): not modified\n" in second.stdout
    assert site.hits("/en/Iraq/gone") == 1
    assert rows(db, "SELECT count(*) FROM articles") == [(6,)]
    assert len(slack.received) == alerting and len(smtp.received) == alerting
    assert site.hits(tnr_page) == article_pages_before
    assert dict(rows(db, "SELECT name, consecutive_failures FROM sources"))["Broken Outlet"] == 2

    # The read commands work on what was stored.
    listed = monitor("hits", "-c", str(config), "--since", "7d", "--format", "json",
                     "--entity", "qais al-khazali", env=env)
    assert listed.returncode == 0, listed.stderr
    assert {h["entity"] for h in json.loads(listed.stdout)} == {"Qais al-Khazali"}
    health_out = monitor("sources", "-c", str(config), "--format", "csv", env=env)
    assert "Broken Outlet,rss,failing" in health_out.stdout
    assert "HTTP 500" in health_out.stdout


def test_slack_outage_then_recovery_delivers_every_alert(world) -> None:  # type: ignore[no-untyped-def]
    _site, slack, smtp, config = world
    env = {"SLACK_WEBHOOK_URL": slack.url}
    slack.mode = "500"
    first = monitor("once", "-c", str(config), env=env)
    assert first.returncode == 0
    # The channel is not hammered during its outage: one refused message (its reports to
    # retry), then nothing more.
    assert re.search(r"\b[1-4] to retry", first.stdout), first.stdout
    assert len(slack.received) == 1
    db = config.parent / "monitor.db"
    # Make the retry due now instead of after the back-off.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE deliveries SET next_attempt = NULL WHERE status = 'pending'")
    slack.mode = "ok"
    second = monitor("once", "-c", str(config), env=env)
    assert second.returncode == 0
    (stories,) = rows(db, "SELECT count(DISTINCT a.story_id) FROM articles a "
                          "JOIN deliveries d ON d.article_id = a.id")[0]
    assert len(smtp.received) == stories
    # One refused attempt during the outage, then each story's one alert exactly once.
    assert len(slack.received) == 1 + stories
    delivered = [json.dumps(r.json, sort_keys=True) for r in slack.received[1:]]
    assert len(set(delivered)) == stories
    assert json.dumps(slack.received[0].json, sort_keys=True) in delivered
    assert rows(db, "SELECT status, count(*) FROM deliveries GROUP BY status") == [("sent", 8)]


def test_config_error_exits_2_with_key_path(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("sources:\n  - {name: A, kind: rss, url: 'https://a.example/', "
                      "every: 5 minutes}\n", encoding="utf-8")
    result = monitor("once", "-c", str(config))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"Error: {config}: sources[0].every: '5 minutes' is not "
                                     "a duration (use 15m, 30s, 6h or 1d)")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "monitor.db").exists()


def test_match_command_prints_json_lines(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(WATCHLIST, encoding="utf-8")
    text_file = tmp_path / "a.txt"
    text = "Moqtada al-Sadr met AAH leaders in Missan.\nمُقتدى الصدر"
    text_file.write_text(text, encoding="utf-8")
    result = monitor("match", "-c", str(config), str(text_file), "-", stdin="nothing here")
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["input"] == str(text_file)
    assert [(m["entity"], m["kind"]) for m in first["matches"]] == [
        ("Muqtada al-Sadr", "actor"), ("Asa'ib Ahl al-Haq", "actor"), ("Maysan", "place"),
        ("Muqtada al-Sadr", "actor")]
    for m in first["matches"]:
        assert text[m["start"]:m["end"]] == m["text"]
    assert second == {"input": "-", "matches": []}


def test_check_command_summarises(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(WATCHLIST + "alerts:\n  - {kind: slack, webhook: '${NO_SUCH_VAR:-}'}\n",
                      encoding="utf-8")
    result = monitor("check", "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert "watchlist actors: 8" in result.stdout
    assert "'slack' (slack) is disabled" in result.stdout
    assert result.stdout.strip().endswith("OK")


def test_read_commands_without_database_explain(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(WATCHLIST, encoding="utf-8")
    result = monitor("hits", "-c", str(config))
    assert result.returncode == 1
    assert "no database at" in result.stderr and "monitor once" in result.stderr
