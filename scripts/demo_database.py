"""Make a demo database for screenshots: four weeks of made-up reports, matched for real.

The articles are templates filled with watched names and places; their hits come from the
shipped watchlist through the real Matcher, and they are stored through the real Store (so
stories, search rows and the watchlist tables are what the daemon would write).

    python scripts/demo_database.py demo.db
    datasette demo.db -m datasette.yaml --plugins-dir datasette_plugins   # (rename the
        # database key in datasette.yaml or the file to monitor.db)
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.clock import iso
from monitor.config import load_config
from monitor.match import Matcher
from monitor.models import Article
from monitor.store import Store

ROOT = Path(__file__).resolve().parents[1]

ACTORS = ["Qais al-Khazali", "Muqtada al-Sadr", "Hadi al-Amiri", "Falih al-Fayyadh",
          "Kata'ib Hezbollah", "Saraya al-Salam", "Asa'ib Ahl al-Haq"]
PLACES = ["Maysan", "Amarah", "Basra", "Baghdad", "Najaf", "Karbala", "Nasiriyah", "Kirkuk",
          "Mosul", "Diyala", "Anbar", "Fallujah", "Erbil", "Sinjar", "Tikrit"]
OUTLETS = ["Shafaq News EN", "The New Region", "Kurdistan24 EN", "Iraqi News"]
TEMPLATES = [
    "{a} said on {day} that security forces in {p} arrested suspects after an attack.",
    "Clashes in {p} left two dead; {a} called for calm and blamed outside groups.",
    "{a} met tribal leaders in {p} to discuss the killing of a local commander.",
    "A drone strike near {p} was claimed to target a position linked to {a}.",
]


def main(path: Path) -> None:
    config = load_config(ROOT / "config.yaml", env={})
    matcher = Matcher(config.watchlist, config.rules)
    rng = random.Random(7)
    end = datetime.now(UTC)
    with Store(path) as store:
        store.sync_watchlist(config.watchlist)
        for n in range(400):
            # A spike: Maysan after a killing, the last four days.
            recent = n % 3 == 0
            when = end - timedelta(days=rng.uniform(0, 4) if recent else rng.uniform(0, 28))
            actor = "Muqtada al-Sadr" if recent and rng.random() < 0.6 else rng.choice(ACTORS)
            place = "Maysan" if recent and rng.random() < 0.5 else rng.choice(PLACES)
            body = rng.choice(TEMPLATES).format(a=actor, p=place, day=when.strftime("%A"))
            title = f"{actor} and the situation in {place}"
            hits = matcher.match_article(title, body)
            store.add_article(Article(
                url=f"https://demo.example/{n}", source=rng.choice(OUTLETS), title=title,
                body=body, fetched=iso(when), published=iso(when), language="en",
                hits=hits), [])
    print(f"wrote {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "demo.db"))
