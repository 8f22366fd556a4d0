"""The outbox dispatcher against real local receivers: routing filters, one event one alert,
digests, the throttle, retries and the webhook channel. Assertions are on what arrived."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.alerts.dispatch import DispatchReport, dispatch_pending
from monitor.alerts.routing import digest_due
from monitor.clock import iso
from monitor.config import Channel, EmailChannel, Routing, SlackChannel, WebhookChannel
from monitor.models import Article, Hit
from monitor.store import Store
from tests.receivers import SlackReceiver, SMTPReceiver

KHAZALI = ("Qais al-Khazali", "actor")
SADR = ("Muqtada al-Sadr", "actor")
ASSASSINATION = ("assassination", "keyword")
MAYSAN = ("Maysan", "place")

# Titles with no words in common, so that no story clustering can join them by accident.
TITLES = ["Khazali warns of sedition in Maysan", "Parliament budget vote delayed again",
          "Drone strike reported near Jurf al-Sakhar", "Electricity grid failure in Basra",
          "Oil exports through Ceyhan resume", "Kurdistan salaries paid after talks",
          "Sadrists rally in Tahrir Square", "Water shortage hits Dhi Qar farmers",
          "Election commission announces timetable", "Border crossing with Syria reopened"]


def article(n: int, title: str, entities: tuple[tuple[str, str], ...] = (KHAZALI,),
            source: str = "Shafaq News") -> Article:
    hits = [Hit(name, kind, name, 0, len(name), f"Sentence {n} about **{name}** today.")
            for name, kind in entities]
    return Article(url=f"https://news.example/{n}?a=1&b=2", source=source, title=title,
                   body=f"Body of report {n}.", fetched=iso(datetime.now(UTC)),
                   published="2024-05-01T09:30:00Z", language="en", hits=hits)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "monitor.db") as db:
        yield db


@pytest.fixture
def slack() -> Iterator[SlackReceiver]:
    with SlackReceiver() as receiver:
        yield receiver


def slack_channel(receiver: SlackReceiver, name: str = "analysts", **routing: Any
                  ) -> SlackChannel:
    return SlackChannel(name=name, webhook=receiver.url_for(f"/services/T/B/{name}"),
                        timeout=5, routing=Routing(**routing))


def add(store: Store, channels: list[Channel], *articles: Article) -> list[int]:
    ids = [i for i in store.add_articles(list(articles), [c.name for c in channels])
           if i is not None]
    assert len(ids) == len(articles)
    return ids


def same_story(store: Store, *article_ids: int) -> None:
    """Put articles in the first one's story (whatever the clustering decided)."""
    (story,) = store.db.execute("SELECT story_id FROM articles WHERE id = ?",
                                [article_ids[0]]).fetchone()
    for article_id in article_ids[1:]:
        store.db.execute("UPDATE articles SET story_id = ? WHERE id = ?", [story, article_id])
    store.db.conn.commit()


def distinct_stories(store: Store, *article_ids: int) -> None:
    stories = {store.db.execute("SELECT story_id FROM articles WHERE id = ?", [i]).fetchone()[0]
               for i in article_ids}
    assert len(stories) == len(article_ids), "fixture articles were clustered together"


def dispatch(store: Store, channels: list[Channel], now: datetime | None = None
             ) -> DispatchReport:
    return asyncio.run(dispatch_pending(store, tuple(channels), now=now))


def statuses(store: Store, channel: str) -> dict[int, str]:
    return {r["article_id"]: r["status"] for r in store.query(
        "SELECT article_id, status FROM deliveries WHERE channel = ?", [channel])}


def headlines(receiver: SlackReceiver, name: str) -> list[str]:
    return [r.json["blocks"][0]["text"]["text"] for r in receiver.accepted
            if r.path.endswith(f"/{name}")]


def all_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False)


# ---------------------------------------------------------------- routing


def test_routing_filters_entities_kinds_sources_and_min_hits(store: Store,
                                                             slack: SlackReceiver) -> None:
    channels: list[Channel] = [
        slack_channel(slack, "all"),
        slack_channel(slack, "khazali", entities=("qais al-khazali",)),
        slack_channel(slack, "keywords", kinds=("keyword",)),
        slack_channel(slack, "rudaw", sources=("Rudaw",)),
        slack_channel(slack, "busy", min_hits=2),
    ]
    a1, a2, a3 = add(store, channels,
                     article(1, TITLES[0], (KHAZALI, MAYSAN), source="Rudaw"),
                     article(2, TITLES[1], (ASSASSINATION,)),
                     article(3, TITLES[2], (SADR, KHAZALI)))
    add(store, channels, article(4, TITLES[3], (MAYSAN,)))  # a place alone: no delivery
    distinct_stories(store, a1, a2, a3)
    report = dispatch(store, channels)

    got = {c.name: sorted(int(h.split("news.example/")[1].split("?")[0])
                          for h in headlines(slack, c.name)) for c in channels}
    assert got == {"all": [1, 2, 3], "khazali": [1, 3], "keywords": [2], "rudaw": [1],
                   "busy": [3]}
    assert len(slack.received) == 8 and report.messages == 8
    assert report.skipped == 15 - 8
    notes = {(r["channel"], r["article_id"]): r["note"] for r in store.query(
        "SELECT channel, article_id, note FROM deliveries WHERE status = 'skipped'")}
    assert notes[("rudaw", a2)] == "routing: source 'Shafaq News' is not in this channel's sources"
    assert notes[("keywords", a1)] == "routing: no hit of this channel's entities/kinds"
    assert notes[("busy", a1)] == "routing: 1 matching hit(s), min_hits is 2"  # Maysan: context
    assert dispatch(store, channels).messages == 0  # nothing twice


# ---------------------------------------------------------------- one event, one alert


def test_same_story_in_one_round_is_one_alert_with_also_reported_by(
        store: Store, slack: SlackReceiver) -> None:
    channel = slack_channel(slack)
    first, second = add(store, [channel], article(1, TITLES[0]),
                        article(2, "Khazali warns of 'sedition' in Maysan <b>", source="Rudaw"))
    same_story(store, first, second)
    dispatch(store, [channel])

    [request] = slack.received
    text = all_text(request.json)
    assert request.json["blocks"][0]["text"]["text"].startswith(
        "*<https://news.example/1?a=1&amp;b=2|Khazali warns of sedition in Maysan>*")
    also = request.json["blocks"][-1]["text"]["text"]
    assert also == ("*Also reported by:*\n• <https://news.example/2?a=1&amp;b=2|Khazali warns "
                    "of 'sedition' in Maysan &lt;b&gt;> — Rudaw · 2024-05-01 09:30 UTC")
    assert "a later report of" not in text  # it is the same story as the headline
    rows = store.query("SELECT status, message_id, note FROM deliveries ORDER BY id")
    assert [r["status"] for r in rows] == ["sent", "sent"]
    assert rows[0]["message_id"] == rows[1]["message_id"]
    assert [r["note"] for r in rows] == ["alert", "also reported by"]


def test_later_report_rides_on_the_next_message(store: Store, slack: SlackReceiver) -> None:
    channel = slack_channel(slack)
    (first,) = add(store, [channel], article(1, TITLES[0]))
    dispatch(store, [channel])
    (later,) = add(store, [channel], article(2, "Khazali repeats warning", source="Rudaw"))
    same_story(store, first, later)
    assert dispatch(store, [channel]).messages == 0  # no new alert for the same event
    assert statuses(store, "analysts")[later] == "pending"

    (other,) = add(store, [channel], article(3, TITLES[2], (SADR,)))
    distinct_stories(store, first, other)
    dispatch(store, [channel])
    assert len(slack.received) == 2
    payload = slack.received[1].json
    assert "Drone strike" in payload["blocks"][0]["text"]["text"]
    assert payload["blocks"][-1]["text"]["text"] == (
        "*Also reported by:*\n• <https://news.example/2?a=1&amp;b=2|Khazali repeats warning> "
        "— Rudaw · 2024-05-01 09:30 UTC\n"
        "   ↳ a later report of “Khazali warns of sedition in Maysan”, alerted earlier")
    assert set(statuses(store, "analysts").values()) == {"sent"}


def test_later_report_with_a_new_entity_alerts_and_cites_the_earlier_one(
        store: Store, slack: SlackReceiver) -> None:
    channel = slack_channel(slack)
    (first,) = add(store, [channel], article(1, TITLES[0]))
    dispatch(store, [channel])
    (later,) = add(store, [channel], article(2, "Sadr answers Khazali", (KHAZALI, SADR),
                                             source="Rudaw"))
    same_story(store, first, later)
    dispatch(store, [channel])

    assert len(slack.received) == 2
    payload = slack.received[1].json
    assert payload["text"].startswith("Qais al-Khazali, Muqtada al-Sadr — Sadr answers Khazali")
    assert payload["blocks"][-1]["text"]["text"] == (
        "*Earlier report of this story:*\n• <https://news.example/1?a=1&amp;b=2|Khazali warns "
        "of sedition in Maysan> — Shafaq News · 2024-05-01 09:30 UTC")
    assert store.query("SELECT note FROM deliveries WHERE article_id = ?", [later])[0][
        "note"] == "alert (new entity: Muqtada al-Sadr)"


def test_story_grouping_is_per_channel(store: Store, slack: SlackReceiver) -> None:
    """A channel that filtered out the first report still gets the second as an alert."""
    everything = slack_channel(slack, "all")
    rudaw_only = slack_channel(slack, "rudaw", sources=("Rudaw",))
    first, later = add(store, [everything, rudaw_only], article(1, TITLES[0]),
                       article(2, "Khazali again", source="Rudaw"))
    same_story(store, first, later)
    dispatch(store, [everything, rudaw_only])
    assert len(headlines(slack, "all")) == 1 and len(headlines(slack, "rudaw")) == 1
    assert "Khazali again" in headlines(slack, "rudaw")[0]


# ---------------------------------------------------------------- digests


def test_digest_due_interval_and_daily_time_zone() -> None:
    hourly = Routing(mode="digest", digest_every=3600)
    last = datetime(2024, 5, 1, 5, 0, tzinfo=UTC)
    assert not digest_due(hourly, last, last + timedelta(minutes=59))
    assert digest_due(hourly, last, last + timedelta(minutes=60))
    # 08:00 in Baghdad is 05:00 UTC.
    daily = Routing(mode="digest", digest_at="08:00", timezone="Asia/Baghdad")
    assert not digest_due(daily, last, datetime(2024, 5, 2, 4, 59, tzinfo=UTC))
    assert digest_due(daily, last, datetime(2024, 5, 2, 5, 0, tzinfo=UTC))
    assert digest_due(daily, last - timedelta(seconds=1), last)  # the 08:00 just reached
    assert not digest_due(daily, last, last + timedelta(hours=23))


def test_digest_groups_by_story_and_entity_and_is_sent_when_due(
        store: Store, slack: SlackReceiver) -> None:
    channel = slack_channel(slack, "daily", mode="digest", digest_every=3600.0)
    start = datetime.now(UTC)
    assert dispatch(store, [channel], now=start).messages == 0  # the clock starts now
    a, b, c = add(store, [channel], article(1, TITLES[0]),
                  article(2, "Khazali repeats warning", source="Rudaw"),
                  article(3, TITLES[2], (SADR, KHAZALI)))
    same_story(store, a, b)
    distinct_stories(store, a, c)

    assert dispatch(store, [channel], now=start + timedelta(minutes=59)).messages == 0
    assert set(statuses(store, "daily").values()) == {"pending"}
    report = dispatch(store, [channel], now=start + timedelta(minutes=61))
    assert report.messages == 1 and report.sent == 3

    [request] = slack.received
    blocks = request.json["blocks"]
    assert blocks[0]["text"]["text"].startswith("*Digest: 2 stories, 3 reports since ")
    sections = [b["text"]["text"] for b in blocks[1:]]
    assert sections[0] == (
        "*Qais al-Khazali (2 stories)*\n"
        "• <https://news.example/1?a=1&amp;b=2|Khazali warns of sedition in Maysan> — "
        "Shafaq News · 2024-05-01 09:30 UTC\n"
        "   also reported by <https://news.example/2?a=1&amp;b=2|Khazali repeats warning> — "
        "Rudaw · 2024-05-01 09:30 UTC\n"
        "• <https://news.example/3?a=1&amp;b=2|Drone strike reported near Jurf al-Sakhar> — "
        "Shafaq News · 2024-05-01 09:30 UTC")
    assert sections[1].startswith("*Muqtada al-Sadr (1 story)*\n• <https://news.example/3")
    assert set(statuses(store, "daily").values()) == {"sent"}
    # Nothing new: no empty digest, and the next one is an hour later.
    assert dispatch(store, [channel], now=start + timedelta(minutes=125)).messages == 0
    add(store, [channel], article(4, TITLES[3], (SADR,)))
    assert dispatch(store, [channel], now=start + timedelta(minutes=130)).messages == 0
    assert dispatch(store, [channel], now=start + timedelta(minutes=186)).messages == 1


def test_daily_digest_by_moving_the_stored_clock_back(store: Store,
                                                      slack: SlackReceiver) -> None:
    channel = slack_channel(slack, "morning", digest_at="08:00", timezone="Asia/Baghdad",
                            mode="digest")
    add(store, [channel], article(1, TITLES[0]))
    assert dispatch(store, [channel]).messages == 0
    store.set_last_digest("morning", iso(datetime.now(UTC) - timedelta(days=1, minutes=1)))
    assert dispatch(store, [channel]).messages == 1
    assert "Digest: 1 story, 1 report since" in slack.received[0].json["text"]


def test_digest_email_has_both_parts(store: Store) -> None:
    with SMTPReceiver() as smtp:
        channel = EmailChannel(name="mail", host=smtp.host, port=smtp.port, security="none",
                               sender="monitor@example.org", to=("desk@example.org",),
                               timeout=5, routing=Routing(mode="digest", digest_every=60.0))
        store.set_last_digest("mail", iso(datetime.now(UTC) - timedelta(hours=2)))
        a, b = add(store, [channel], article(1, TITLES[0]),
                   article(2, "Khazali & <co> repeat", source="Rudaw"))
        same_story(store, a, b)
        dispatch(store, [channel])
        [mail] = smtp.received
    msg = mail.message
    assert msg["Subject"].startswith("[news-monitor] Digest: 1 story, 2 reports since ")
    plain = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert ("Qais al-Khazali (1 story)\n=========================\n"
            "- Khazali warns of sedition in Maysan — Shafaq News · 2024-05-01 09:30 UTC\n"
            "  https://news.example/1?a=1&b=2\n"
            "  also reported by Khazali & <co> repeat — Rudaw") in plain
    page = msg.get_body(("html",)).get_content()
    assert "<h3>Qais al-Khazali (1 story)</h3>" in page
    # The timeline: a PNG inside multipart/related with the HTML that shows it, its numbers
    # in the alt text and in the plain-text part.
    assert 'src="cid:timeline"' in page and 'alt="Articles a day per watched actor' in page
    related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
    [image] = [p for p in related.iter_parts() if p.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<timeline>"
    assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Articles a day, last four weeks: Qais al-Khazali 2 (2 on " in plain
    assert "Khazali &amp; &lt;co&gt; repeat" in page and "<co>" not in page


# ---------------------------------------------------------------- throttle


def test_throttle_merges_the_overflow_into_one_summary(store: Store,
                                                       slack: SlackReceiver) -> None:
    channel = slack_channel(slack, max_per_minute=3)
    ids = add(store, [channel], *(article(i, TITLES[i]) for i in range(7)))
    distinct_stories(store, *ids)
    report = dispatch(store, [channel])
    assert report.messages == 3 and report.sent == 7

    assert len(slack.received) == 3
    summary = slack.received[2].json
    assert summary["text"] == "5 more alerts (this channel's limit is 3 messages a minute)"
    listed = "\n".join(b["text"]["text"] for b in summary["blocks"][1:])
    for i in range(2, 7):
        assert f"<https://news.example/{i}?a=1&amp;b=2|{TITLES[i]}>" in listed
    assert listed.count("• <") == 5
    assert set(statuses(store, "analysts").values()) == {"sent"}
    notes = [r["note"] for r in store.query("SELECT note FROM deliveries ORDER BY id")]
    assert notes == ["alert"] * 2 + ["in throttle summary (alert)"] * 5

    # The minute is used up: new alerts wait (pending), then go out.
    later = add(store, [channel], article(8, TITLES[8]), article(9, TITLES[9]))
    assert dispatch(store, [channel]).messages == 0
    assert {statuses(store, "analysts")[i] for i in later} == {"pending"}
    assert dispatch(store, [channel], now=datetime.now(UTC) + timedelta(seconds=61)
                    ).messages == 2


# ---------------------------------------------------------------- retries


def test_smtp_451_then_recovery_delivers_once(store: Store) -> None:
    with SMTPReceiver() as smtp:
        channel = EmailChannel(name="mail", host=smtp.host, port=smtp.port, security="none",
                               sender="monitor@example.org", to=("desk@example.org",),
                               timeout=5)
        add(store, [channel], article(1, TITLES[0]))
        smtp.fail(451, count=1, stage="DATA")
        report = dispatch(store, [channel])
        assert (report.retrying, report.sent, len(smtp.received)) == (1, 0, 0)
        row = store.query("SELECT * FROM deliveries")[0]
        assert row["status"] == "pending" and row["attempts"] == 1
        assert "451 4.3.0 try again later" in row["last_error"]
        assert dispatch(store, [channel]).messages == 0  # backing off
        store.db.execute("UPDATE deliveries SET next_attempt = NULL")
        store.db.conn.commit()
        assert dispatch(store, [channel]).sent == 1
        assert len(smtp.received) == 1
        assert dispatch(store, [channel]).messages == 0


def test_slack_429_retry_after_is_honoured(store: Store, slack: SlackReceiver) -> None:
    slack.mode, slack.retry_after = "429", "7200"
    channel = slack_channel(slack)
    add(store, [channel], article(1, TITLES[0]), article(2, TITLES[1]))
    report = dispatch(store, [channel])
    assert len(slack.received) == 1  # stops at the first temporary error
    assert report.retrying == 1
    row = store.query("SELECT next_attempt, last_error FROM deliveries WHERE attempts = 1")[0]
    wait = datetime.fromisoformat(row["next_attempt"]) - datetime.now(UTC)
    assert timedelta(minutes=119) < wait <= timedelta(hours=2)
    assert row["last_error"].startswith("slack: HTTP 429 from 127.0.0.1:")


# ---------------------------------------------------------------- webhook


def test_webhook_payload_headers_and_secret_free_errors(store: Store,
                                                        slack: SlackReceiver) -> None:
    token = "Bearer s3cr3t-header-value"
    url = slack.url_for("/hook/abc?key=SECRETKEY")
    channel = WebhookChannel(name="hook", url=url, headers=(("Authorization", token),),
                             timeout=5)
    first, later = add(store, [channel], article(1, TITLES[0], (KHAZALI, MAYSAN)),
                       article(2, "Khazali again", source="Rudaw"))
    same_story(store, first, later)
    dispatch(store, [channel])

    [request] = slack.received
    assert request.headers["authorization"] == token
    assert request.headers["content-type"] == "application/json"
    assert request.path == "/hook/abc?key=SECRETKEY"
    assert request.json == {
        "type": "alert", "title": TITLES[0], "url": "https://news.example/1?a=1&b=2",
        "source": "Shafaq News", "published": "2024-05-01T09:30:00Z", "language": "en",
        "entities": ["Qais al-Khazali", "Maysan"],
        "hits": [{"entity": "Qais al-Khazali", "kind": "actor", "text": "Qais al-Khazali",
                  "snippet": "Sentence 1 about **Qais al-Khazali** today."},
                 {"entity": "Maysan", "kind": "place", "text": "Maysan",
                  "snippet": "Sentence 1 about **Maysan** today."}],
        "also_reported_by": [{"source": "Rudaw", "title": "Khazali again",
                              "url": "https://news.example/2?a=1&b=2",
                              "published": "2024-05-01T09:30:00Z", "story": None}],
        "earlier_reports": []}

    # A server that echoes the secrets back: none of them reaches the database or report.
    slack.mode = "custom"
    slack.custom_answer = (403, {}, f"denied {url} key=SECRETKEY auth={token}".encode())
    add(store, [channel], article(3, TITLES[2], (SADR,)))
    report = dispatch(store, [channel])
    error = store.query("SELECT last_error FROM deliveries WHERE status = 'failed'")[0][
        "last_error"]
    assert error.startswith(f"webhook: HTTP 403 from 127.0.0.1:{slack.port}: denied")
    everything = error + " ".join(report.errors) + repr(channel)
    for secret in ("SECRETKEY", "s3cr3t", "/hook/abc"):
        assert secret not in everything


def test_webhook_digest_payload(store: Store, slack: SlackReceiver) -> None:
    channel = WebhookChannel(name="hook", url=slack.url_for("/hook"), timeout=5,
                             routing=Routing(mode="digest", digest_every=60.0))
    store.set_last_digest("hook", "2024-05-01T00:00:00+00:00")
    add(store, [channel], article(1, TITLES[0]))
    dispatch(store, [channel])
    payload = slack.received[0].json
    assert payload["type"] == "digest" and payload["reason"] == "digest"
    assert payload["entities"] == ["Qais al-Khazali"]
    assert [s["title"] for s in payload["stories"]] == [TITLES[0]]


# ---------------------------------------------------------------- notices


def test_source_notices_share_the_outbox(store: Store, slack: SlackReceiver) -> None:
    from monitor.store import Poll

    channel = slack_channel(slack)
    store.record_source("Broken", "https://b.example/rss", "rss", Poll(error="HTTP 500"),
                        notices=[("down", "Broken has failed for 6 h: HTTP 500")],
                        channels=["analysts"])
    assert dispatch(store, [channel]).messages == 1
    assert slack.received[0].json["text"] == (
        "Broken has failed for 6 h: HTTP 500 (news-monitor source health)")
    assert store.query("SELECT status FROM notices")[0]["status"] == "sent"


# ---------------------------------------------------------------- Slack limits


def test_slack_limits_hold_with_reports_digests_and_summaries() -> None:
    from monitor.alerts import AlertMessage, DigestMessage, Report, StoryEntry, build_payload
    from monitor.alerts.blockkit import block_kit_problems

    report = Report("Rudaw <&>", "T" * 400, "https://r.example/" + "x" * 300, None, "S" * 400)
    many_hits = tuple(Hit(f"Actor {i}", "actor", "a", 0, 1, f"**Actor {i}** " + "y" * 3000)
                      for i in range(120))
    alert = AlertMessage("Title", "https://a.example/1", "Shafaq", None, many_hits,
                         also=(report,) * 40, earlier=(report,) * 40)
    entries = tuple(StoryEntry(report, (report,) * 3, ("A", "B")) for _ in range(400))
    digest = DigestMessage("Digest", "digest", (("A (400 stories)", entries),
                                                ("B (400 stories)", entries)), (report,) * 30)
    for message in (alert, digest, DigestMessage("400 more alerts", "summary",
                                                 (("", entries),))):
        payload = build_payload(message)
        blocks = payload["blocks"]
        assert len(blocks) <= 50
        for block in blocks:
            texts = [block["text"]["text"]] if "text" in block else [
                e["text"] for e in block.get("elements", [])]
            assert all(len(t) <= 3000 for t in texts)
        assert "more" in all_text(payload)  # what does not fit is counted, not hidden
        assert block_kit_problems(payload) == []
    alert_blocks = build_payload(alert)["blocks"]
    # Each list: a section with the first reports, the rest folded into a context block.
    assert alert_blocks[-4]["text"]["text"].startswith("*Earlier report of this story:*")
    assert alert_blocks[-2]["text"]["text"].startswith("*Also reported by:*")
    assert alert_blocks[-1]["elements"][0]["text"].startswith("*37 more:* Rudaw &lt;&amp;&gt;")
    assert "Rudaw &lt;&amp;&gt;" in alert_blocks[-2]["text"]["text"]
