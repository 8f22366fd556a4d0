"""mentions_daily: articles a day per watched entity, kept by triggers in step with `hits`
(whoever writes them), back-filled on upgrade, and equal to counting the hits at any time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from monitor import housekeeping
from monitor.clock import iso
from monitor.config import Retention
from monitor.models import Article, Hit
from monitor.store import Store
from monitor.store.migrations import migrations

DAY = datetime(2026, 3, 1, 12, tzinfo=UTC)
RECOUNT = ("SELECT substr(a.fetched, 1, 10) AS day, h.entity, h.kind, "
           "count(DISTINCT a.id) AS articles FROM hits h JOIN articles a ON a.id = h.article_id "
           "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
SUMMARY = "SELECT day, entity, kind, articles FROM mentions_daily ORDER BY 1, 2, 3"


def hit(entity: str, start: int = 0, kind: str = "actor") -> Hit:
    return Hit(entity, kind, entity, start, start + len(entity), entity)


def article(i: int, day: int, hits: list[Hit]) -> Article:
    return Article(url=f"https://x.example/{i}", source="X", title=f"Report {i}",
                   body="text", fetched=iso(DAY + timedelta(days=day)), hits=hits)


def rows(store: Store, sql: str) -> list[tuple]:
    return [tuple(r) for r in store.db.execute(sql).fetchall()]


def test_an_article_counts_once_per_entity_and_day(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        store.add_articles([
            article(1, 0, [hit("Qais al-Khazali"), hit("Qais al-Khazali", 40),
                           hit("Maysan", 60, "place")]),
            article(2, 0, [hit("Qais al-Khazali")]),
            article(3, 1, [hit("Qais al-Khazali")]),
        ], [])
        assert rows(store, SUMMARY) == [
            ("2026-03-01", "Maysan", "place", 1),
            ("2026-03-01", "Qais al-Khazali", "actor", 2),
            ("2026-03-02", "Qais al-Khazali", "actor", 1),
        ]
        # The same article stored again (its url is known) changes nothing.
        store.add_articles([article(1, 0, [hit("Qais al-Khazali")])], [])
        assert rows(store, SUMMARY) == rows(store, RECOUNT)


def test_retention_uncounts_the_articles_it_deletes(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        old = [article(i, -400, [hit("Qais al-Khazali"), hit("Maysan", 30, "place")])
               for i in range(12)]
        store.add_articles([*old, article(99, 0, [hit("Qais al-Khazali")])], [])
        keep = datetime.now(UTC) - (DAY - timedelta(days=200))  # older than that goes
        asyncio.run(housekeeping.prune(
            store, Retention(bodies=None, articles=keep.total_seconds()), batch=5))
        assert rows(store, SUMMARY) == [("2026-03-01", "Qais al-Khazali", "actor", 1)]


def test_removing_one_of_two_hits_keeps_the_article_counted(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        store.add_articles([article(1, 0, [hit("Qais al-Khazali"),
                                           hit("Qais al-Khazali", 40)])], [])
        store.db.execute("DELETE FROM hits WHERE start = 40")
        assert rows(store, SUMMARY) == [("2026-03-01", "Qais al-Khazali", "actor", 1)]
        store.db.execute("DELETE FROM hits")
        assert rows(store, SUMMARY) == []


def test_an_older_database_is_back_filled(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m019_mentions_daily")
    for n, day in ((1, 0), (2, 0), (3, 2)):
        old["articles"].insert({"id": n, "url": f"https://x.example/{n}", "source": "X",
                                "fetched": iso(DAY + timedelta(days=day)), "body": "b"})
        old["hits"].insert_all([
            {"article_id": n, "entity": "Qais al-Khazali", "kind": "actor", "field": "body",
             "start": 0, "end": 15},
            {"article_id": n, "entity": "Qais al-Khazali", "kind": "actor", "field": "title",
             "start": 0, "end": 15}])
    old.close()
    with Store(path) as store:
        assert rows(store, SUMMARY) == [("2026-03-01", "Qais al-Khazali", "actor", 2),
                                        ("2026-03-03", "Qais al-Khazali", "actor", 1)]


ENTITIES = ("Qais al-Khazali", "Maysan", "Muqtada al-Sadr")
operations = st.lists(st.one_of(
    st.tuples(st.just("add"), st.integers(0, 30), st.integers(0, 2),
              st.lists(st.tuples(st.sampled_from(ENTITIES), st.integers(0, 3)), max_size=4)),
    st.tuples(st.just("delete_hit"), st.integers(0, 200)),
    st.tuples(st.just("delete_article"), st.integers(0, 30)),
), max_size=25)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations)
def test_the_summary_always_equals_a_recount(tmp_path_factory, ops: list[tuple]) -> None:
    with Store(tmp_path_factory.mktemp("db") / "m.db") as store:
        for op in ops:
            if op[0] == "add":
                _, i, day, found = op
                store.add_articles([article(i, day, [hit(e, 20 * s) for e, s in found])], [])
            elif op[0] == "delete_hit":
                store.db.execute("DELETE FROM hits WHERE id = ?", [op[1]])
            else:
                with store.db.atomic():
                    for table in ("hits", "deliveries"):
                        store.db.execute(f"DELETE FROM {table} WHERE article_id = ?", [op[1]])
                    store.db.execute("DELETE FROM articles WHERE id = ?", [op[1]])
            assert rows(store, SUMMARY) == rows(store, RECOUNT)
