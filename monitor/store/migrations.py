"""Schema of the SQLite file, built only through sqlite-utils migrations.

Append new migrations at the end; never edit one that has shipped. Each runs in a
transaction together with the record that it ran.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("news-monitor")


@migrations()
def m001_initial(db: Database) -> None:
    db["sources"].create({
        "name": str, "url": str, "kind": str,
        "last_checked": str, "last_success": str,
        "consecutive_failures": int, "last_error": str,
        "etag": str, "last_modified": str, "last_item_count": int,
    }, pk="name", defaults={"consecutive_failures": 0}, not_null={"url", "kind"})
    db["stories"].create({
        "id": int, "title": str, "title_key": str,
        "first_seen": str, "last_seen": str, "article_count": int,
    }, pk="id", defaults={"article_count": 0})
    db["articles"].create({
        "id": int, "url": str, "canonical_url": str, "source": str,
        "title": str, "author": str, "published": str, "fetched": str,
        "language": str, "body": str, "content_hash": str, "method": str, "story_id": int,
    }, pk="id", not_null={"url", "source", "fetched"},
        foreign_keys=[("story_id", "stories", "id")])
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["canonical_url"])
    db["articles"].create_index(["source", "fetched"])
    db["articles"].create_index(["published"])
    db["articles"].create_index(["story_id"])
    db["hits"].create({
        "id": int, "article_id": int, "entity": str, "kind": str, "field": str,
        "matched_text": str, "snippet": str, "start": int, "end": int, "how": str,
    }, pk="id", not_null={"article_id", "entity", "kind"},
        foreign_keys=[("article_id", "articles", "id")])
    db["hits"].create_index(["article_id", "field", "entity", "start"], unique=True)
    db["hits"].create_index(["entity"])
    db["hits"].create_index(["kind"])
    db["deliveries"].create({
        "id": int, "channel": str, "article_id": int, "story_id": int,
        "status": str, "attempts": int, "last_error": str,
        "created": str, "sent": str, "next_attempt": str,
    }, pk="id", not_null={"channel", "article_id", "status", "created"},
        defaults={"status": "pending", "attempts": 0},
        foreign_keys=[("article_id", "articles", "id"), ("story_id", "stories", "id")])
    db["deliveries"].create_index(["channel", "article_id"], unique=True)
    db["deliveries"].create_index(["status", "next_attempt"])
    # sqlite-utils' FTS5 table with triggers keeps the index in step with every write.
    db["articles"].enable_fts(["title", "body"], fts_version="FTS5", create_triggers=True,
                              tokenize="unicode61 remove_diacritics 2")
    # CHECK constraints are not expressible through create(); enforce the enums by triggers.
    for table, column, allowed in (("hits", "kind", ("actor", "place", "keyword", "rule")),
                                   ("deliveries", "status", ("pending", "sent", "failed"))):
        listed = ",".join(f"'{value}'" for value in allowed)
        for event in ("INSERT", "UPDATE"):
            db.execute(f"""
                CREATE TRIGGER {table}_{column}_check_{event.lower()}
                BEFORE {event} ON {table}
                WHEN NEW.{column} NOT IN ({listed})
                BEGIN SELECT RAISE(ABORT, '{table}.{column} must be one of {"|".join(allowed)}');
                END
            """)


@migrations()
def m002_article_dateline_modified(db: Database) -> None:
    db["articles"].add_column("modified", str)
    db["articles"].add_column("dateline", str)


@migrations()
def m003_fetch_health(db: Database) -> None:
    sources = db["sources"]
    for column, kind in (("body_hash", str), ("next_poll", str), ("failing_since", str),
                         ("last_warning", str), ("down_notified", int), ("links_seen", int),
                         ("links_notified", int)):
        sources.add_column(column, kind)
    # Article pages that failed: retried on later polls a bounded number of times, and
    # kept here (visible) rather than dropped silently.
    db["article_failures"].create({
        "url": str, "source": str, "attempts": int, "last_error": str,
        "first_failed": str, "last_failed": str,
    }, pk="url", not_null={"source", "attempts"})
    # Operator notices (source down / recovered / links broken): an outbox like deliveries.
    db["notices"].create({
        "id": int, "channel": str, "source": str, "kind": str, "message": str,
        "status": str, "attempts": int, "last_error": str, "created": str, "sent": str,
        "next_attempt": str,
    }, pk="id", not_null={"channel", "source", "kind", "message", "status", "created"},
        defaults={"status": "pending", "attempts": 0})
    db["notices"].create_index(["status", "next_attempt"])


@migrations()
def m004_story_lookup_index(db: Database) -> None:
    # Each new article looks up a story by title key within a time window.
    db["stories"].create_index(["title_key", "last_seen"])
