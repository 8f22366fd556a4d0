"""Issue 15 end to end: `monitor once` against three local outlets, a local Slack and a
local SMTP server. One killing in Maysan is reported in English by two outlets and in Arabic
by a third; the same day, the same actors are in a statement on a football final. The
killing is one story in two languages with one alert per channel naming every outlet; the
football statement is a story of its own."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.fixture_server import FixtureServer
from tests.receivers import SlackReceiver, SMTPReceiver
from tests.test_end_to_end import monitor

# Names as config.yaml lists them, with its Arabic aliases.
WATCHLIST = """
watchlists:
  actors:
    - name: Saraya al-Salam
      aliases: [Peace Companies, سرايا السلام]
    - name: Muqtada al-Sadr
      aliases: [Moqtada al-Sadr, مقتدى الصدر]
      exclude: [Sadr City, مدينة الصدر]
  places:
    - name: Maysan
      aliases: [Missan, ميسان]
    - name: Amarah
      aliases: [Amara, مدينة العمارة]
  keywords:
    - name: Assassination
      terms: ["assassinat*", "shot dead", "اغتيال", "اغتيل", "اغتال*"]
"""


def feed(title: str, items: list[tuple[str, str, str, str]]) -> str:
    """An RSS feed of (path, pubDate, title, description) items; pages are not fetched."""
    entries = "".join(
        f"<item><title>{t}</title><link>{{BASE}}{path}</link><pubDate>{when}</pubDate>"
        f"<description>{text}</description></item>" for path, when, t, text in items)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{title}</title><link>{{BASE}}/</link>{entries}</channel></rss>")


SHAFAQ_EN = feed("Shafaq News", [
    ("/en/security/1", "Mon, 02 Mar 2026 09:10:00 +0000",
     "Saraya al-Salam member shot dead in Amarah",
     "Gunmen shot dead a member of Saraya al-Salam on Monday morning in Amarah, the capital "
     "of Maysan province, and wounded three passers-by, a security source said. Muqtada "
     "al-Sadr condemned the assassination and asked the police to find the attackers, who "
     "fled on a motorcycle."),
    ("/en/sport/2", "Mon, 02 Mar 2026 20:30:00 +0000",
     "Muqtada al-Sadr congratulates Al-Shorta on the Iraq Cup final",
     "Muqtada al-Sadr on Monday evening congratulated Al-Shorta on winning the Iraq Cup final "
     "2-1 against Al-Zawraa, and praised the Saraya al-Salam supporters who filled the "
     "stands for a peaceful celebration."),
])
NEW_REGION = feed("The New Region", [
    ("/posts/3001", "Mon, 02 Mar 2026 10:40:00 +0000",
     "Peace Companies fighter assassinated in Maysan",
     "A fighter of Saraya al-Salam was assassinated in Amara on Monday when two men on a "
     "motorcycle opened fire on him, police in Maysan said; three bystanders were wounded. "
     "Sadrist leader Moqtada al-Sadr denounced the killing."),
])
ALSUMARIA = feed("السومرية نيوز", [
    ("/ar/amn/4001", "Mon, 02 Mar 2026 13:05:00 +0300",
     "اغتيال عنصر في سرايا السلام وسط مدينة العمارة",
     "أفاد مصدر أمني في محافظة ميسان، صباح الاثنين، بأن مسلحين مجهولين اغتالوا عنصرا في "
     "سرايا السلام في مدينة العمارة وأصابوا ثلاثة من المارة، فيما دان زعيم التيار الصدري "
     "مقتدى الصدر الحادث وطالب الشرطة بملاحقة الجناة."),
])


def test_one_event_in_two_languages_is_one_story_and_one_alert_per_channel(
        tmp_path: Path) -> None:
    rss = "application/rss+xml; charset=utf-8"
    with FixtureServer() as site, SlackReceiver() as slack, SMTPReceiver() as smtp:
        for path, body in (("/rss/shafaq", SHAFAQ_EN), ("/rss/tnr", NEW_REGION),
                           ("/rss/alsumaria", ALSUMARIA)):
            site.add(path, body.replace("{BASE}", site.base), content_type=rss)
        config = tmp_path / "config.yaml"
        config.write_text(f"""
database: monitor.db
fetch: {{timeout: 5s, allow_private_addresses: true, delay: 0s}}
sources:
  - {{name: Shafaq News (EN), kind: rss, url: "{site.url('/rss/shafaq')}", language: en,
      fetch_articles: false}}
  - {{name: The New Region, kind: rss, url: "{site.url('/rss/tnr')}", language: en,
      fetch_articles: false}}
  - {{name: Alsumaria, kind: rss, url: "{site.url('/rss/alsumaria')}", language: ar,
      fetch_articles: false}}
{WATCHLIST}
alerts:
  - {{kind: slack, webhook: "{slack.url}"}}
  - {{kind: email, host: {smtp.host}, port: {smtp.port}, security: none,
      from: monitor@example.org, to: [analyst@example.org]}}
""", encoding="utf-8")
        result = monitor("once", "-c", str(config))
        assert result.returncode == 0, result.stderr
        assert "4 new articles" in result.stdout, result.stdout

        db = tmp_path / "monitor.db"
        with sqlite3.connect(db) as conn:
            stories = conn.execute(
                "SELECT id, title, sources, languages, source_count, language_count "
                "FROM stories ORDER BY id").fetchall()
            story_of = dict(conn.execute("SELECT url, story_id FROM articles"))
        assert len(stories) == 2, stories
        killing = story_of[site.url("/en/security/1")]
        football = story_of[site.url("/en/sport/2")]
        assert killing != football
        assert story_of[site.url("/posts/3001")] == story_of[site.url("/ar/amn/4001")] == killing
        by_id = {row[0]: row for row in stories}
        _, _, sources, languages, source_count, language_count = by_id[killing]
        assert sorted(json.loads(sources)) == ["Alsumaria", "Shafaq News (EN)",
                                               "The New Region"]
        assert source_count == 3
        assert sorted(json.loads(languages)) == ["ar", "en"] and language_count == 2
        assert json.loads(by_id[football][2]) == ["Shafaq News (EN)"]

        # One alert per channel per story; the killing's names all three outlets.
        assert len(slack.received) == 2 and len(smtp.received) == 2
        killing_slack = [r for r in slack.received if "Sadr congratulates" not in
                         r.json["blocks"][0]["text"]["text"]]
        assert len(killing_slack) == 1
        text = json.dumps(killing_slack[0].json, ensure_ascii=False)
        for outlet in ("Shafaq News (EN)", "The New Region", "Alsumaria"):
            assert outlet in text, outlet
        mails = [str(m.message) for m in smtp.received]
        killing_mail = [m for m in mails if "congratulates" not in m.split("\n\n")[0]]
        assert len(killing_mail) == 1

        listed = monitor("stories", "-c", str(config), "--since", "3650d")
        assert listed.returncode == 0, listed.stderr
        assert "en ar" in listed.stdout or "ar en" in listed.stdout
