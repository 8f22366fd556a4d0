"""Schema of the SQLite file, built only through sqlite-utils migrations.

Append new migrations at the end; never edit one that has shipped. Each runs in a
transaction together with the record that it ran.
"""

from __future__ import annotations

import re

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


@migrations()
def m005_delivery_routing(db: Database) -> None:
    # Per-channel routing decides at dispatch time that a queued delivery is not for a
    # channel: it becomes 'skipped' (kept, with the reason in `note`, rather than deleted).
    db["deliveries"].add_column("note", str)
    db["deliveries"].add_column("message_id", int)  # the alert_messages row that carried it
    for event in ("insert", "update"):
        db.execute(f"DROP TRIGGER IF EXISTS deliveries_status_check_{event}")
        db.execute(f"""
            CREATE TRIGGER deliveries_status_check_{event}
            BEFORE {event.upper()} ON deliveries
            WHEN NEW.status NOT IN ('pending','sent','failed','skipped')
            BEGIN SELECT RAISE(ABORT,
                'deliveries.status must be one of pending|sent|failed|skipped'); END
        """)
    # One row per message a channel accepted: the throttle counts the last minute of it
    # (so a restart cannot burst past the limit) and it tells which message carried what.
    db["alert_messages"].create({
        "id": int, "channel": str, "kind": str, "sent": str, "deliveries": int,
        "notices": int,
    }, pk="id", not_null={"channel", "kind", "sent"})
    db["alert_messages"].create_index(["channel", "sent"])
    # Per-channel digest bookkeeping: the end of the period the last digest covered.
    db["channel_state"].create({"channel": str, "last_digest": str}, pk="channel")
    # Finding what a channel already sent about a story.
    db["deliveries"].create_index(["channel", "story_id", "status"])


@migrations()
def m006_story_clustering(db: Database) -> None:
    # Which outlets reported a story: a JSON array, so Datasette and sqlite-utils show it as a
    # list and SQL can filter with json_each; source_count answers "reported by 2+ outlets".
    db["stories"].add_column("sources", str)
    db["stories"].add_column("source_count", int)
    db.execute("""
        UPDATE stories SET
          sources = (SELECT json_group_array(source) FROM
                       (SELECT DISTINCT source FROM articles WHERE story_id = stories.id)),
          source_count = (SELECT count(DISTINCT source) FROM articles
                          WHERE story_id = stories.id)""")
    db["stories"].create_index(["last_seen"])
    # What clustering compares new articles with: a MinHash of the normalised words, the
    # watched entities, and the article's time (published, else fetched; epoch seconds).
    # No foreign key: pruning articles must not have to know about this table (a trigger
    # below follows deletions instead).
    db["story_signatures"].create({
        "article_id": int, "story_id": int, "at": float, "signature": bytes,
        "entities": str, "size": int,
    }, pk="article_id", not_null={"story_id", "at", "signature"})
    db["story_signatures"].create_index(["at"])
    db.execute("""
        CREATE TRIGGER story_signatures_follow_delete AFTER DELETE ON articles
        BEGIN DELETE FROM story_signatures WHERE article_id = OLD.id; END""")


@migrations()
def m007_normalised_search(db: Database) -> None:
    # FTS5 over the NORMALISED title and body (monitor.match.normalize: hamza/alef forms,
    # harakat, taa marbuta, case folded), so Arabic searches find every spelling. The
    # tokenizer cannot call Python, hence a table of its own, filled by the Store on insert.
    from ..match.normalize import normalize_text

    db.execute("CREATE VIRTUAL TABLE articles_search USING fts5(title, body, "
               "tokenize='unicode61 remove_diacritics 2')")
    rows = db.execute("SELECT id, title, body FROM articles").fetchall()
    db.conn.executemany(
        "INSERT INTO articles_search (rowid, title, body) VALUES (?, ?, ?)",
        [(i, normalize_text(t or "").text, normalize_text(b or "").text) for i, t, b in rows])
    # Plain-SQL triggers, so they work from any tool: deleting an article, or pruning its
    # body (retention), removes it from the index too.
    db.execute("""
        CREATE TRIGGER articles_search_delete AFTER DELETE ON articles
        BEGIN DELETE FROM articles_search WHERE rowid = OLD.id; END""")
    db.execute("""
        CREATE TRIGGER articles_search_prune AFTER UPDATE OF body ON articles
        WHEN coalesce(NEW.body, '') = ''
        BEGIN UPDATE articles_search SET body = '' WHERE rowid = NEW.id; END""")


@migrations()
def m008_query_views(db: Database) -> None:
    # The common filters: hits of an entity in a time span, articles in a time span.
    db["articles"].create_index(["fetched"])
    db["hits"].create_index(["entity", "kind", "article_id"])
    db.execute("""
        CREATE VIEW hit_details AS
        SELECT h.id AS hit_id, h.entity, h.kind, h.field, h.matched_text, h.snippet, h.how,
               a.id AS article_id, a.title, a.url, a.source, a.published, a.fetched,
               a.language, a.story_id, s.title AS story_title
        FROM hits h JOIN articles a ON a.id = h.article_id
        LEFT JOIN stories s ON s.id = a.story_id""")
    db.execute("""
        CREATE VIEW story_sources AS
        SELECT a.story_id, a.source, count(*) AS articles,
               min(coalesce(a.published, a.fetched)) AS first_published,
               min(a.fetched) AS first_fetched, min(a.id) AS first_article_id
        FROM articles a WHERE a.story_id IS NOT NULL GROUP BY a.story_id, a.source""")


@migrations()
def m009_daemon_state(db: Database) -> None:
    # One row (id 1) that `monitor run` keeps current: who runs, since when, the last
    # heartbeat and completed poll; `monitor status` and operators read it. Writing the
    # heartbeat is also how /healthz proves the database is writable.
    db["daemon_state"].create({
        "id": int, "pid": int, "started": str, "heartbeat": str, "last_poll": str,
        "stopped": str, "version": str, "config": str,
    }, pk="id")


@migrations()
def m010_fts_rows_written_by_store(db: Database) -> None:
    # The Store writes each batch's articles_fts rows with one statement, as it does for
    # articles_search: the per-row insert trigger cost more than the index itself (about a
    # third of the time to store an article). The update and delete triggers stay, so
    # pruning and edits by any tool keep the index current; rows inserted into `articles` by
    # other tools need `sqlite-utils rebuild-fts monitor.db articles`.
    db.execute("DROP TRIGGER IF EXISTS articles_ai")


@migrations()
def m011_drop_redundant_hit_indexes(db: Database) -> None:
    # Every hit costs a write into each index of `hits`, and storing is the daemon's busiest
    # work. (entity) is the leading column of (entity, kind, article_id), which serves the
    # same lookups; (kind) has four values, so a lookup by kind alone reads a quarter of the
    # table or more through it, slower than the scan SQLite would do instead.
    db.execute("DROP INDEX IF EXISTS idx_hits_entity")
    db.execute("DROP INDEX IF EXISTS idx_hits_kind")


@migrations()
def m012_hit_via(db: Database) -> None:
    # Which alias (as configured) made each hit, so an analyst can see why it happened (and
    # `monitor rematch` backtests can be read per alias). Hits stored before this migration
    # keep NULL: the alias was not recorded then and cannot be told from the row alone
    # (several aliases may normalise alike). The matcher gives every new hit one.
    db["hits"].add_column("via", str)
    db.execute("DROP VIEW IF EXISTS hit_details")
    db.execute("""
        CREATE VIEW hit_details AS
        SELECT h.id AS hit_id, h.entity, h.kind, h.field, h.matched_text, h.snippet, h.how,
               h.via, a.id AS article_id, a.title, a.url, a.source, a.published, a.fetched,
               a.language, a.story_id, s.title AS story_title
        FROM hits h JOIN articles a ON a.id = h.article_id
        LEFT JOIN stories s ON s.id = a.story_id""")


@migrations()
def m017_watchlist_tables_and_views(db: Database) -> None:
    # The watchlist as the daemon last loaded it (written by store/watchlist.py at start and
    # on reload), so that SQL alone (Datasette's canned queries, sqlite3) can take any alias
    # in any case of an entity, and place hits can be put on a map.
    db.execute("CREATE TABLE watch_entities (name TEXT PRIMARY KEY, kind TEXT NOT NULL)")
    db.execute("""CREATE TABLE watch_aliases (
        alias_key TEXT NOT NULL, entity TEXT NOT NULL, alias TEXT NOT NULL,
        PRIMARY KEY (alias_key, entity))""")
    db.execute("""CREATE TABLE places (
        name TEXT PRIMARY KEY, latitude REAL NOT NULL, longitude REAL NOT NULL,
        located TEXT NOT NULL)""")
    # Articles without their bodies: one screen of rows in Datasette, not one row a screen.
    db.execute("""
        CREATE VIEW article_list AS
        SELECT a.id AS article_id, a.fetched, a.published, a.source, a.language, a.title,
               a.url, a.story_id,
               (SELECT count(*) FROM hits h WHERE h.article_id = a.id) AS hits,
               length(a.body) AS body_chars
        FROM articles a""")
    db.execute("""
        CREATE VIEW place_hits AS
        SELECT h.entity AS place, p.latitude, p.longitude, a.fetched, a.published, a.source,
               a.title, a.url, h.snippet,
               (SELECT group_concat(entity, ', ') FROM (
                   SELECT DISTINCT h2.entity FROM hits h2
                   WHERE h2.article_id = a.id AND h2.kind != 'place')) AS entities,
               a.id AS article_id, a.story_id
        FROM hits h JOIN places p ON p.name = h.entity JOIN articles a ON a.id = h.article_id
        WHERE h.kind = 'place'""")


@migrations()
def m014_snippet_marks(db: Database) -> None:
    # Snippets marked the match as **match**, which showed literally in Datasette and
    # scrambled around Arabic words; they now use ⟦match⟧ (monitor/match/snippet.py). Only
    # the four asterisks around the match become the two brackets: the rest of each snippet
    # is kept character for character (a text's own "**" too), and a snippet whose marked
    # match cannot be found is left as it was.
    from ..match.snippet import MARK_CLOSE, MARK_OPEN

    last = 0
    while True:
        rows = db.execute(
            "SELECT id, snippet, matched_text FROM hits WHERE id > ? AND instr(snippet, '**')"
            " ORDER BY id LIMIT 5000", [last]).fetchall()
        if not rows:
            return
        changed = []
        for hit_id, snippet, matched in rows:
            marked = _old_mark(snippet, matched)
            if marked is not None:
                start, end = marked
                changed.append((f"{snippet[:start]}{MARK_OPEN}{snippet[start + 2:end - 2]}"
                                f"{MARK_CLOSE}{snippet[end:]}", hit_id))
        db.conn.executemany("UPDATE hits SET snippet = ? WHERE id = ?", changed)
        last = rows[-1][0]


_OLD_MARK = re.compile(r"\*\*(.+?)\*\*", re.S)
_WHITESPACE = re.compile(r"\s+")


def _old_mark(snippet: str, matched: str | None) -> tuple[int, int] | None:
    """Where "**match**" is in an old snippet: the matched text (whitespace collapsed, as
    the old snippet maker wrote it) between "**"s, else the first "**...**"."""
    if matched:
        written = _WHITESPACE.sub(" ", matched)
        at = snippet.find(f"**{written}**")
        if at >= 0:
            return at, at + len(written) + 4
    found = _OLD_MARK.search(snippet)
    return (found.start(), found.end()) if found else None


@migrations()
def m016_input_hardening(db: Database) -> None:
    # Which encoding each article page was decoded with, and how it was chosen: "detected"
    # marks a page whose declared (or the default UTF-8) charset gave replacement
    # characters, so its text was decoded as the detector said. NULL for articles made
    # from feed text.
    db["articles"].add_column("encoding", str)
    db["articles"].add_column("encoding_source", str)
    # Linked pages that are not articles (a "Document moved" stub, the listing itself, a
    # section front): not stored as articles, not fetched again, kept here with the reason.
    # `final`: 0 for a stub or near-empty page, looked at again a few times (its CMS may
    # not have filled it yet); 1 for the listing, a home page, a page of headlines.
    db["skipped_pages"].create({
        "url": str, "source": str, "reason": str, "first_seen": str, "last_seen": str,
        "times": int, "final": int,
    }, pk="url", not_null={"source", "reason", "first_seen", "last_seen"},
        defaults={"times": 1, "final": 1})
    db["skipped_pages"].create_index(["source", "last_seen"])


@migrations()
def m013_story_spans(db: Database) -> None:
    # Which languages a story spans, beside the outlets (`sources`, m006): a JSON array of
    # language codes in the order they joined ("en", "ar", "ckb"), so Datasette shows it as
    # a list and SQL filters with json_each; language_count answers "reported in 2+
    # languages" as source_count does for outlets. Back-filled from the stories' articles.
    db["stories"].add_column("languages", str)
    db["stories"].add_column("language_count", int)
    db.execute("""
        UPDATE stories SET
          languages = (SELECT json_group_array(language) FROM
                         (SELECT lower(language) AS language FROM articles
                          WHERE story_id = stories.id AND coalesce(language, '') != ''
                          GROUP BY lower(language) ORDER BY min(id))),
          language_count = (SELECT count(DISTINCT lower(language)) FROM articles
                            WHERE story_id = stories.id AND coalesce(language, '') != '')""")
    # What cross-language linking compares (monitor/stories/crosslang.py): the article's
    # language, watched actors, places and incident keywords, and the numbers in its lead,
    # as one JSON object. Back-filled for the recent rows (the story window is 72 hours by
    # default; two weeks covers any sensible one) from their articles and hits, without
    # numbers (those need the text; they are a supporting signal only); older rows stay
    # NULL and are never compared.
    db["story_signatures"].add_column("cross_features", str)
    db.execute("""
        UPDATE story_signatures SET cross_features = (
          SELECT json_object(
            'language', lower(coalesce(a.language, '')),
            'actors', (SELECT json_group_array(DISTINCT entity) FROM hits
                       WHERE article_id = a.id AND kind = 'actor'),
            'places', (SELECT json_group_array(DISTINCT entity) FROM hits
                       WHERE article_id = a.id AND kind = 'place'),
            'incidents', (SELECT json_group_array(DISTINCT entity) FROM hits
                          WHERE article_id = a.id AND kind = 'keyword'),
            'numbers', json_array())
          FROM articles a WHERE a.id = story_signatures.article_id)
        WHERE at >= (SELECT max(at) FROM story_signatures) - 14 * 86400""")


@migrations()
def m018_unpruned_bodies_index(db: Database) -> None:
    # Retention (monitor/housekeeping.py) empties old bodies; this index holds only the
    # articles whose body is not empty yet, so each hourly pass reads just the ones it may
    # prune. Without it a pass re-read every article already pruned (months of them) before
    # finding that nothing was left to do: seconds on the daemon's event loop.
    db.execute("CREATE INDEX IF NOT EXISTS idx_articles_unpruned ON articles (fetched) "
               "WHERE body != ''")


@migrations()
def m019_mentions_daily(db: Database) -> None:
    # Articles a day that mention each watched entity (UTC day of `fetched`): the timeline
    # behind the digest's chart and Datasette's daily_mentions. Counted from `hits` at query
    # time it read four weeks of hits (150,000 rows at a million hits): 380 ms. Kept by
    # triggers, so it follows every write to `hits` by any tool: a hit is counted when it is
    # the first of its (article, entity, kind), and uncounted when it is the last to go
    # (retention deletes hits before their article, `monitor rematch` replaces them).
    db.execute("""
        CREATE TABLE mentions_daily (
          day TEXT NOT NULL, entity TEXT NOT NULL, kind TEXT NOT NULL,
          articles INTEGER NOT NULL,
          PRIMARY KEY (day, entity, kind)) WITHOUT ROWID""")
    db.execute("""
        INSERT INTO mentions_daily (day, entity, kind, articles)
        SELECT substr(a.fetched, 1, 10), h.entity, h.kind, count(DISTINCT a.id)
        FROM hits h JOIN articles a ON a.id = h.article_id
        GROUP BY 1, 2, 3""")
    db.execute("""
        CREATE TRIGGER mentions_daily_count AFTER INSERT ON hits
        WHEN NOT EXISTS (SELECT 1 FROM hits WHERE article_id = NEW.article_id
                         AND entity = NEW.entity AND kind = NEW.kind AND id != NEW.id)
        BEGIN
          INSERT INTO mentions_daily (day, entity, kind, articles)
          SELECT substr(fetched, 1, 10), NEW.entity, NEW.kind, 1 FROM articles
          WHERE id = NEW.article_id
          ON CONFLICT (day, entity, kind) DO UPDATE SET articles = articles + 1;
        END""")
    db.execute("""
        CREATE TRIGGER mentions_daily_uncount AFTER DELETE ON hits
        WHEN NOT EXISTS (SELECT 1 FROM hits WHERE article_id = OLD.article_id
                         AND entity = OLD.entity AND kind = OLD.kind)
        BEGIN
          UPDATE mentions_daily SET articles = articles - 1
          WHERE day = (SELECT substr(fetched, 1, 10) FROM articles WHERE id = OLD.article_id)
            AND entity = OLD.entity AND kind = OLD.kind;
          DELETE FROM mentions_daily
          WHERE day = (SELECT substr(fetched, 1, 10) FROM articles WHERE id = OLD.article_id)
            AND entity = OLD.entity AND kind = OLD.kind AND articles <= 0;
        END""")
