"""The digest timeline: daily article counts per actor, and their PNG."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from monitor.alerts.timeline import Timeline, daily_actor_counts, render_png
from monitor.clock import iso
from monitor.models import Article, Hit
from monitor.store import Store

UNTIL = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)


def _add(store: Store, n: int, when: datetime, *entities: tuple[str, str]) -> None:
    store.add_article(Article(
        url=f"https://x.example/{n}", source="S", title=f"t{n}", body=f"body {n}",
        fetched=iso(when), hits=[Hit(name, kind, name, 0, 1, name) for name, kind in entities]),
        [])


def test_counts_articles_per_actor_and_day(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        sadr, khazali = ("Muqtada al-Sadr", "actor"), ("Qais al-Khazali", "actor")
        for k in range(3):  # a spike on the last day
            _add(store, k, UNTIL - timedelta(hours=k + 1), sadr, ("Maysan", "place"))
        _add(store, 10, UNTIL - timedelta(days=2), sadr, khazali)
        _add(store, 11, UNTIL - timedelta(days=40), khazali)  # outside the 28 days
        _add(store, 12, UNTIL + timedelta(days=1), khazali)  # after `until`
        timeline = daily_actor_counts(store, UNTIL, days=28)
    assert len(timeline.days) == 28 and timeline.days[-1] == date(2026, 3, 28)
    series = dict(timeline.series)
    assert list(series) == ["Muqtada al-Sadr", "Qais al-Khazali"]  # busiest first
    assert series["Muqtada al-Sadr"][-1] == 3 and series["Muqtada al-Sadr"][-3] == 1
    assert sum(series["Qais al-Khazali"]) == 1  # places never count; nor outside the window
    assert timeline


def test_only_the_busiest_actors_are_drawn(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        for k in range(7):
            for j in range(k + 1):
                _add(store, k * 10 + j, UNTIL - timedelta(hours=j), (f"Actor {k}", "actor"))
        timeline = daily_actor_counts(store, UNTIL, top=3)
    assert [name for name, _ in timeline.series] == ["Actor 6", "Actor 5", "Actor 4"]


def test_png_has_the_asked_size() -> None:
    days = tuple(date(2026, 3, 1) + timedelta(days=k) for k in range(28))
    timeline = Timeline(days, (("Muqtada al-Sadr", tuple(range(28))),
                               ("قيس الخزعلي", (1,) * 28)))
    png = render_png(timeline, width_px=600, height_px=220)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (600, 220)
    assert not Timeline(days, (("x", (0,) * 28),))  # nothing to draw
