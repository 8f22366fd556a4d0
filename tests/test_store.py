"""The SQLite store: migrations, transactions, idempotency."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from monitor.clock import now_iso
from monitor.errors import StoreError
from monitor.models import Article, Hit
from monitor.store import Poll, Store
from monitor.store.migrations import migrations

TABLES = {"sources", "articles", "hits", "stories", "deliveries", "articles_fts"}


def make_article(url: str = "https://x.example/a/1", title: str = "Khazali in Maysan",
                 hits: list[Hit] | None = None) -> Article:
    return Article(url=url, source="Test", title=title, body="Qais al-Khazali spoke in Maysan.",
                   fetched="2026-01-03T12:00:00+00:00", hits=hits if hits is not None else [
                       Hit("Qais al-Khazali", "actor", "Qais al-Khazali", 0, 15, "**Qais**"),
                       Hit("Maysan", "place", "Maysan", 26, 32, "in **Maysan**")])


def test_migrations_on_empty_database(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        assert set(store.db.table_names()) >= TABLES
        assert store.db.journal_mode == "wal"
        applied = [m.name for m in migrations.applied(store.db)]
        assert applied == [m.name for m in migrations._migrations]
        assert set(store.db["articles"].columns_dict) >= {
            "id", "url", "source", "title", "author", "published", "fetched", "language",
            "body", "content_hash", "story_id"}


def test_migrations_on_existing_database_keep_data(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with Store(path) as store:
        store.add_article(make_article(), ["slack"])
    with Store(path) as store:  # re-open: nothing re-applied, nothing lost
        assert store.db["articles"].count == 1
        assert store.db["_sqlite_migrations"].count == len(migrations._migrations)


def test_hits_keep_only_the_indexes_lookups_use(tmp_path: Path) -> None:
    # Each index of `hits` is a write per hit; a lookup by entity goes through the
    # (entity, kind, article_id) index that replaced the single-column ones.
    with Store(tmp_path / "m.db") as store:
        indexes = {tuple(i.columns) for i in store.db["hits"].indexes}
        plan = " ".join(str(row) for row in store.db.execute(
            "EXPLAIN QUERY PLAN SELECT article_id FROM hits WHERE entity = ?", ["x"]))
    assert indexes == {("article_id", "field", "entity", "start"),
                       ("entity", "kind", "article_id")}
    assert "idx_hits_entity_kind_article_id" in plan


def test_migrations_on_foreign_database_with_other_tables(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    Database(path)["notes"].insert({"text": "mine"})
    with Store(path) as store:
        assert store.db["notes"].count == 1
        assert set(store.db.table_names()) >= TABLES


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open database"):
        Store(path)


def test_add_article_is_idempotent_and_queues_deliveries(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        first = store.add_article(make_article(), ["slack", "email"])
        again = store.add_article(make_article(), ["slack", "email"])
        assert first is not None and again is None
        assert store.db["articles"].count == 1
        assert store.db["hits"].count == 2
        due = store.due_deliveries("slack", now_iso()) + store.due_deliveries("email", now_iso())
        assert len(due) == 2 and {d["article_id"] for d in due} == {first}


def test_place_only_article_queues_no_delivery(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        store.add_article(make_article(hits=[Hit("Maysan", "place", "Maysan", 0, 6, "")]),
                          ["slack"])
        assert store.due_deliveries("slack", now_iso()) == []


def test_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    bad = make_article(hits=[Hit("X", "bogus-kind", "X", 0, 1, "")])
    with Store(tmp_path / "m.db") as store:
        with pytest.raises(sqlite3.IntegrityError):
            store.add_article(bad, ["slack"])
        assert store.db["articles"].count == 0
        assert store.db["stories"].count == 0
        assert store.db["deliveries"].count == 0


def test_delivery_retry_then_fail(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        store.add_article(make_article(), ["slack"])
        (delivery,) = store.due_deliveries("slack", now_iso())
        assert store.mark_failed_attempt(delivery["id"], "HTTP 500", permanent=False) == "pending"
        assert store.due_deliveries("slack", now_iso()) == []  # backed off into the future
        assert store.mark_failed_attempt(delivery["id"], "HTTP 403", permanent=True) == "failed"
        row = store.deliveries()[0]
        assert (row["status"], row["attempts"], row["last_error"]) == ("failed", 2, "HTTP 403")


def test_same_title_joins_story(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        a = store.add_article(make_article("https://a.example/1", "Khazali warns in Maysan"), [])
        b = store.add_article(make_article("https://b.example/2", "KHAZALI warns in Maysan!"), [])
        # Clustering compares text and entities (tests/test_stories.py), not just titles.
        other = make_article("https://c.example/3", "Another event", hits=[])
        other.body = "Floods closed the roads between Basra and Nasiriyah on Tuesday."
        c = store.add_article(other, [])
        story = {r["id"]: r["story_id"] for r in store.query("SELECT id, story_id FROM articles")}
        assert story[a] == story[b] != story[c]
        assert store.query("SELECT article_count FROM stories WHERE id = ?",
                           [story[a]])[0]["article_count"] == 2


def test_full_text_index_follows_writes(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        store.add_article(make_article(), [])
        found = store.query("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'khazali'")
        assert len(found) == 1


def test_source_health_records_failures_and_reset(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        store.record_source("S", "https://s", "rss", Poll(error="HTTP 500"))
        store.record_source("S", "https://s", "rss", Poll(error="timeout after 20 s"))
        (row,) = store.sources_health()
        assert row["consecutive_failures"] == 2 and row["last_error"] == "timeout after 20 s"
        assert row["last_success"] is None
        store.record_source("S", "https://s", "rss", Poll(item_count=7, etag='"e1"'))
        (row,) = store.sources_health()
        assert (row["consecutive_failures"], row["last_error"], row["last_item_count"]) == (
            0, None, 7)
        assert store.source_state("S").etag == '"e1"'


def test_upgrade_from_an_older_schema_keeps_and_indexes_existing_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m005_delivery_routing")  # the schema of an older release
    old["articles"].insert({"url": "https://x.example/old", "source": "Shafaq News (AR)",
                            "title": "قيس الخزعلي في ميسان", "body": "قال قيس الخزعلي إن...",
                            "fetched": "2026-01-03T12:00:00+00:00"})
    old.close()
    with Store(path) as store:
        applied = [m.name for m in migrations.applied(store.db)]
        assert applied == [m.name for m in migrations._migrations]
        assert store.db["articles"].count == 1
        # The normalised search index added later covers the article stored before it.
        found = store.query("SELECT rowid FROM articles_search WHERE articles_search MATCH ?",
                            ["ميسان"])
        assert len(found) == 1
