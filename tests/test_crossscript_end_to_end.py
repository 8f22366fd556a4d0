"""End to end: a watchlist with only the Latin name `Hussein al-Allaq` gets a hit and an
alert from an Arabic feed (a local fixture server) that writes حسين العلاق, and no hit from
Arabic articles that hold only the trap words (another Hussein, علاقة "relationship",
العلاقات "relations", a bare العلاق, صدر "was issued")."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.fixture_server import FixtureServer
from tests.receivers import SlackReceiver

ITEMS = [
    ("hit", "مقتل قيادي في العمارة",
     "أعلنت مصادر أمنية مقتل القيادي حسين العلاق، الملقب بالدعلج، في مدينة العمارة."),
    ("trap-hussein", "اجتماع في بغداد",
     "قال حسين الخزعلي إن العلاقة مع الحكومة جيدة، وصدر قرار بتشكيل لجنة."),
    ("trap-relations", "العلاقات مع الجوار",
     "بحث الوزير العلاقات الثنائية وأكد أن علاقة البلدين متينة."),
    ("trap-surname", "عشيرة العلاق",
     "استقبل شيوخ عشيرة العلاق وفدا من المحافظة، وحضر حسين علي الاجتماع."),
]


def feed(base: str) -> str:
    items = "".join(
        f"<item><title>{title}</title><link>{base}/ar/{slug}</link>"
        f"<pubDate>Sat, 03 Jan 2026 17:00:00 +0300</pubDate>"
        f"<description>{text}</description></item>"
        for slug, title, text in ITEMS)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>شفق نيوز</title><link>{base}/ar</link><description>x</description>"
            f"{items}</channel></rss>")


def test_latin_name_finds_its_arabic_spelling_and_alerts(tmp_path: Path) -> None:
    with FixtureServer() as site, SlackReceiver() as slack:
        site.add("/rss/ar", feed(site.base), content_type="application/rss+xml")
        config = tmp_path / "config.yaml"
        config.write_text(f"""
database: monitor.db
fetch: {{timeout: 5s, allow_private_addresses: true, delay: 0s}}
sources:
  - {{name: Shafaq News (AR), kind: rss, url: "{site.url('/rss/ar')}", language: ar,
      fetch_articles: false}}
watchlists:
  actors:
    - name: Hussein al-Allaq
alerts:
  - kind: slack
    webhook: {slack.url}
""", encoding="utf-8")
        run = subprocess.run([sys.executable, "-m", "monitor", "once", "-c", str(config)],
                             capture_output=True, text=True, timeout=120, env=dict(os.environ))
        assert run.returncode == 0, run.stderr
        with sqlite3.connect(tmp_path / "monitor.db") as db:
            articles = db.execute("SELECT count(*) FROM articles").fetchone()[0]
            hits = db.execute("SELECT a.url, h.entity, h.matched_text, h.how FROM hits h "
                              "JOIN articles a ON a.id = h.article_id").fetchall()
        assert articles == len(ITEMS)
        assert [(url.rsplit("/", 1)[1], entity, text, how) for url, entity, text, how in hits] \
            == [("hit", "Hussein al-Allaq", "حسين العلاق", "transliterated")]
        assert len(slack.received) == 1
        assert "Hussein al-Allaq" in json.dumps(slack.received[0].json, ensure_ascii=False)
