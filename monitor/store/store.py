"""The SQLite file: the user's record. Every write that belongs together is one transaction.

The most important one is `add_article`: the article, its hits and its pending deliveries
(the alert outbox) are committed together, so after a crash at any point either all of them
exist or none do, and a restart re-fetches the article and queues its alerts exactly once.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ..clock import iso, now, now_iso
from ..config import Entity
from ..errors import StoreError
from ..models import ALERTING_KINDS, Article
from ..stories.assign import Assignment, StoryAssigner, article_features
from ..stories.features import Features
from .checkpointer import Checkpointer
from .failures import remember_database, store_failure
from .migrations import migrations
from .queries import Page, QueryMixin
from .skipped import SkippedPagesMixin

STORY_WINDOW = timedelta(hours=72)
DELIVERY_MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class SourceState:
    etag: str | None = None
    last_modified: str | None = None
    consecutive_failures: int = 0
    body_hash: str | None = None
    next_poll: str | None = None
    failing_since: str | None = None
    down_notified: bool = False
    links_seen: int = 0
    links_notified: bool = False


@dataclass(frozen=True)
class Poll:
    """The outcome of one poll of a source, as recorded."""

    error: str | None = None
    item_count: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    next_poll: str | None = None
    warning: str | None = None
    down_notified: bool | None = None  # None: unchanged
    links_notified: bool | None = None


def _outbox(table: str) -> str:
    if table not in ("deliveries", "notices"):  # table names cannot be bound parameters
        raise ValueError(f"not an outbox table: {table}")
    return table


@dataclass
class _Rows:
    """What a batch writes besides its article rows, written with one statement per table
    at the end of its transaction (per-article statements cost more than the rows)."""

    texts: list[tuple[object, ...]] = field(default_factory=list)  # articles_fts rows
    search: list[tuple[object, ...]] = field(default_factory=list)  # articles_search rows
    signatures: list[tuple[object, ...]] = field(default_factory=list)  # story_signatures
    hits: list[tuple[object, ...]] = field(default_factory=list)
    deliveries: list[tuple[object, ...]] = field(default_factory=list)
    stored_urls: list[tuple[str]] = field(default_factory=list)

    def add(self, article: Article, article_id: int, assignment: Assignment,
            channels: list[str]) -> None:
        story_id = assignment.story_id
        search, signature = StoryAssigner.rows(article_id, assignment)
        self.search.append(search)
        self.signatures.append(signature)
        self.stored_urls.append((article.url,))
        self.texts.append((article_id, article.title, article.body))
        self.hits.extend((article_id, h.entity, h.kind, h.field, h.matched_text, h.snippet,
                          h.start, h.end, h.how, h.via) for h in article.hits)
        if any(h.kind in ALERTING_KINDS for h in article.hits):
            created = now_iso()
            self.deliveries.extend((channel, article_id, story_id, created)
                                   for channel in channels)

    def write(self, db: Database) -> None:
        db.conn.executemany("DELETE FROM article_failures WHERE url = ?", self.stored_urls)
        # A stub looked at again that is an article now.
        db.conn.executemany("DELETE FROM skipped_pages WHERE url = ?", self.stored_urls)
        db.conn.executemany("INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
                            self.texts)
        db.conn.executemany("INSERT INTO articles_search (rowid, title, body) VALUES (?, ?, ?)",
                            self.search)
        db.conn.executemany(
            "INSERT OR REPLACE INTO story_signatures (article_id, story_id, at, signature, "
            "entities, size, cross_features) VALUES (?, ?, ?, ?, ?, ?, ?)", self.signatures)
        db.conn.executemany(
            'INSERT OR IGNORE INTO hits (article_id, entity, kind, field, matched_text, snippet, '
            'start, "end", how, via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', self.hits)
        db.conn.executemany(
            "INSERT OR IGNORE INTO deliveries (channel, article_id, story_id, status, "
            "attempts, created) VALUES (?, ?, ?, 'pending', 0, ?)", self.deliveries)


class ImmediateDatabase(Database):
    """sqlite-utils' Database whose outermost `atomic()` begins IMMEDIATE. A deferred
    transaction reads first; if another process (an analyst's sqlite-utils, a second
    monitor command) commits before it comes to write, its snapshot is stale and SQLite
    fails it at once with "database is locked", whatever the busy timeout. Taking the write
    lock at BEGIN makes such a write wait its turn there instead."""

    # Called with the connection before an outermost transaction begins (the Store's
    # checkpointer catching up on a long WAL).
    before_write: Callable[[sqlite3.Connection], None] | None = None

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Database]:
        if self.conn.in_transaction:  # nested: sqlite-utils' savepoints
            with super().atomic() as db:
                yield db
            return
        if self.before_write is not None:
            self.before_write(self.conn)
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class Store(QueryMixin, SkippedPagesMixin):
    """Open (creating and migrating as needed) the database at `path`."""

    # Articles further apart than this (seconds) are never one story; the pipeline sets it
    # from `stories.window` in the config.
    story_window: float = STORY_WINDOW.total_seconds()
    _story_assigner: StoryAssigner | None = None
    # Seconds a write waits for another process's lock before "database is locked".
    busy_timeout: float = 30.0
    # Bytes the WAL file is cut back to when SQLite starts it over after a checkpoint (a busy
    # hour can grow it to hundreds of MB, which it would otherwise keep).
    journal_size_limit: int = 64 * 1024 * 1024
    # With background checkpoints, the WAL size past which the checkpointer has the next
    # commit start it over (store/checkpointer.py): a burst of commits never lets it.
    wal_limit: int = 128 * 1024 * 1024

    def __init__(self, path: str | Path, *, background_checkpoints: bool = False):
        """`background_checkpoints`: WAL checkpoints on a thread of their own instead of in
        the commit that fills the WAL (store/checkpointer.py): for the long-running writers,
        `monitor run` and `monitor once`."""
        self.path = Path(path)
        self.checkpointer: Checkpointer | None = None
        remember_database(self.path, self.busy_timeout)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=self.busy_timeout,
                                   check_same_thread=False)
            self.db = ImmediateDatabase(conn)
            self.db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            self.db.enable_wal()
            self.db.execute(f"PRAGMA journal_size_limit = {int(self.journal_size_limit)}")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            migrations.apply(self.db)
            if background_checkpoints:
                self.db.execute("PRAGMA wal_autocheckpoint = 0")
                self.checkpointer = Checkpointer(self.path, wal_limit=self.wal_limit)
                self.db.before_write = self.checkpointer.catch_up
                self.checkpointer.start()
        except sqlite3.DatabaseError as exc:
            raise self.failure(exc) or StoreError(
                f"{self.path}: cannot open database: {exc}") from None
        except OSError as exc:
            raise self.failure(exc) or StoreError(
                f"{self.path}: cannot create database: {exc}") from None

    def failure(self, exc: BaseException) -> StoreError | None:
        """`exc` as a locked / full / read-only StoreError of this database, if it is one."""
        return store_failure(exc, self.path, busy_timeout=self.busy_timeout)

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.db.close()

    def sync_watchlist(self, entities: Iterable[Entity]) -> None:
        """Write the watchlist's entities, aliases and place coordinates (store/watchlist.py)."""
        from .watchlist import sync_watchlist

        sync_watchlist(self.db, entities)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params))

    # ------------------------------------------------------------ sources

    def source_state(self, name: str) -> SourceState:
        rows = self.query(
            "SELECT etag, last_modified, consecutive_failures, body_hash, next_poll, "
            "failing_since, down_notified, links_seen, links_notified "
            "FROM sources WHERE name = ?", [name])
        if not rows:
            return SourceState()
        r = rows[0]
        return SourceState(r["etag"], r["last_modified"], r["consecutive_failures"] or 0,
                           r["body_hash"], r["next_poll"], r["failing_since"],
                           bool(r["down_notified"]), r["links_seen"] or 0,
                           bool(r["links_notified"]))

    def next_polls(self) -> dict[str, str]:
        """Every source's stored next poll (set while it backs off), by name: one query for
        the daemon's start instead of one per source."""
        return {r["name"]: r["next_poll"] for r in self.query(
            "SELECT name, next_poll FROM sources WHERE next_poll IS NOT NULL")}

    def record_source(self, name: str, url: str, kind: str, poll: Poll,
                      notices: Iterable[tuple[str, str]] = (),
                      channels: Iterable[str] = ()) -> None:
        """Record one poll of a source, and queue its health notices, in one transaction."""
        stamp = now_iso()
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO sources (name, url, kind, consecutive_failures) VALUES (?, ?, ?, 0) "
                "ON CONFLICT(name) DO UPDATE SET url = excluded.url, kind = excluded.kind",
                [name, url, kind])
            if poll.error is None:
                self.db.execute(
                    "UPDATE sources SET last_checked = ?, last_success = ?, "
                    "consecutive_failures = 0, last_error = NULL, failing_since = NULL, "
                    "etag = coalesce(?, etag), last_modified = coalesce(?, last_modified), "
                    "body_hash = coalesce(?, body_hash), last_warning = ?, "
                    "last_item_count = coalesce(?, last_item_count), "
                    "links_seen = max(coalesce(links_seen, 0), coalesce(?, 0)) WHERE name = ?",
                    [stamp, stamp, poll.etag, poll.last_modified, poll.body_hash, poll.warning,
                     poll.item_count, poll.item_count, name])
            else:
                self.db.execute(
                    "UPDATE sources SET last_checked = ?, last_error = ?, "
                    "failing_since = coalesce(failing_since, ?), "
                    "consecutive_failures = consecutive_failures + 1 WHERE name = ?",
                    [stamp, poll.error, stamp, name])
            self.db.execute(
                "UPDATE sources SET next_poll = ?, "
                "down_notified = coalesce(?, down_notified), "
                "links_notified = coalesce(?, links_notified) WHERE name = ?",
                [poll.next_poll, poll.down_notified, poll.links_notified, name])
            names = list(channels)
            for kind_, message in notices:
                self.db["notices"].insert_all({
                    "channel": channel, "source": name, "kind": kind_, "message": message,
                    "status": "pending", "attempts": 0, "created": stamp} for channel in names)

    # ------------------------------------------------------------ article failures

    def record_article_failure(self, url: str, source: str, error: str,
                               at_least: int = 1) -> int:
        """Count a failed article fetch; returns how many times it has failed. `at_least`
        raises the count at once (a permanent failure is counted as the last attempt)."""
        stamp = now_iso()
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO article_failures (url, source, attempts, last_error, first_failed, "
                "last_failed) VALUES (?, ?, max(1, ?), ?, ?, ?) ON CONFLICT(url) DO UPDATE SET "
                "attempts = max(attempts + 1, excluded.attempts), "
                "last_error = excluded.last_error, last_failed = excluded.last_failed",
                [url, source, at_least, error, stamp, stamp])
            return int(self.db.execute("SELECT attempts FROM article_failures WHERE url = ?",
                                       [url]).fetchone()[0])

    def given_up_urls(self, urls: Iterable[str], max_attempts: int) -> set[str]:
        wanted = list(urls)
        marks = ",".join("?" * len(wanted))
        if not wanted:
            return set()
        return {row[0] for row in self.db.execute(
            f"SELECT url FROM article_failures WHERE attempts >= ? AND url IN ({marks})",
            [max_attempts, *wanted])}

    def retryable_failures(self, source: str, max_attempts: int) -> list[str]:
        return [row[0] for row in self.db.execute(
            "SELECT url FROM article_failures WHERE source = ? AND attempts < ? ORDER BY "
            "last_failed", [source, max_attempts])]

    # ------------------------------------------------------------ notices (operator outbox)

    def pending_notices(self, channels: Iterable[str]) -> list[dict[str, Any]]:
        names = list(channels)
        if not names:
            return []
        marks = ",".join("?" * len(names))
        return self.query(
            f"SELECT * FROM notices WHERE status = 'pending' AND channel IN ({marks}) "
            "AND (next_attempt IS NULL OR next_attempt <= ?) ORDER BY id", [*names, now_iso()])

    def sources_health(self) -> list[dict[str, Any]]:
        return self.query(
            "SELECT s.name, s.kind, s.url, s.last_checked, s.last_success, "
            "s.consecutive_failures, s.last_error, s.last_item_count, s.next_poll, "
            "s.last_warning, "
            "(SELECT count(*) FROM articles a WHERE a.source = s.name) AS articles, "
            "(SELECT count(*) FROM article_failures f WHERE f.source = s.name) "
            "AS failed_articles, "
            "(SELECT count(*) FROM skipped_pages k WHERE k.source = s.name) AS skipped_pages "
            "FROM sources s ORDER BY s.name")

    # ------------------------------------------------------------ articles

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """Which of `urls` are stored already, as an article url or canonical url."""
        wanted = list(dict.fromkeys(urls))
        known: set[str] = set()
        for i in range(0, len(wanted), 400):  # stay under SQLite's parameter limit
            chunk = wanted[i:i + 400]
            marks = ",".join("?" * len(chunk))
            for (url,) in self.db.execute(
                    f"SELECT url FROM articles WHERE url IN ({marks}) "
                    f"UNION SELECT canonical_url FROM articles WHERE canonical_url IN ({marks})",
                    chunk + chunk):
                known.add(url)
        return known

    def add_article(self, article: Article, channels: Iterable[str]) -> int | None:
        """Store an article with its hits and queue one delivery per channel if any hit alerts.

        Returns the new article id, or None when its url (or canonical url) is stored already.
        """
        return self.add_articles([article], channels)[0]

    def add_articles(self, articles: list[Article], channels: Iterable[str],
                     features: Sequence[Features | None] | None = None) -> list[int | None]:
        """`add_article` for a batch, in one transaction: all of them are stored or none.

        `features`: each article's story features if already computed (by the worker that
        matched it); computed here otherwise."""
        given = features or [None] * len(articles)
        ids: list[int | None] = [None] * len(articles)
        new_ids: list[int] = []
        try:
            with self.db.atomic():
                # One lookup for the batch; `known` then grows with what the batch stores.
                known = self.known_urls(u for a in articles for u in (a.url, a.canonical_url)
                                        if u)
                fresh = []  # (position in the batch, article, its features)
                for position, (article, f) in enumerate(zip(articles, given, strict=True)):
                    urls = {article.url, article.canonical_url or article.url}
                    if not known & urls:
                        known |= urls
                        fresh.append((position, article, f or article_features(article)))
                if fresh:
                    # Ids given here (as SQLite would: one above the largest), so that the
                    # stories are decided, and their rows written, before the articles'.
                    first = (self.db.execute("SELECT max(id) FROM articles").fetchone()[0]
                             or 0) + 1
                    new_ids = list(range(first, first + len(fresh)))
                    self._insert_articles(fresh, new_ids, list(channels))
                    for (position, _, _), article_id in zip(fresh, new_ids, strict=True):
                        ids[position] = article_id
        except BaseException:
            self._stories().forget(new_ids)  # rolled back: not in the story index either
            raise
        return ids

    def _insert_articles(self, fresh: list[tuple[int, Article, Features]], ids: list[int],
                         channels: list[str]) -> None:
        articles = [article for _, article, _ in fresh]
        assignments = self._stories().assign(articles, ids, [f for _, _, f in fresh])
        self.db.conn.executemany(
            "INSERT INTO articles (id, url, canonical_url, source, title, author, published, "
            "fetched, language, body, content_hash, method, story_id, modified, dateline, "
            "encoding, encoding_source) VALUES (" + ", ".join("?" * 17) + ")",
            [(article_id, a.url, a.canonical_url, a.source, a.title, a.author, a.published,
              a.fetched, a.language, a.body, content_hash(a.body), a.method,
              assignment.story_id, a.modified, a.dateline, a.encoding, a.encoding_source)
             for article_id, a, assignment in zip(ids, articles, assignments, strict=True)])
        rows = _Rows()
        for article_id, article, assignment in zip(ids, articles, assignments, strict=True):
            rows.add(article, article_id, assignment, channels)
        rows.write(self.db)

    def _stories(self) -> StoryAssigner:
        # Built on first use, so the pipeline can set `story_window` from the config first.
        if self._story_assigner is None:
            self._story_assigner = StoryAssigner(self.db, self.story_window)
        self._story_assigner.index.window = self.story_window
        return self._story_assigner

    def article(self, article_id: int) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM articles WHERE id = ?", [article_id])
        return rows[0] if rows else None

    def hits_for(self, article_id: int) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM hits WHERE article_id = ? ORDER BY field DESC, start",
                          [article_id])

    def recent_hits(self, *, since: str | None = None, entity: str | None = None,
                    source: str | None = None, limit: int = 100,
                    kind: str | None = None, published_since: str | None = None
                    ) -> Page:
        where, params = ["1 = 1"], []
        if published_since:
            where.append("coalesce(a.published, a.fetched) >= ?")
            params.append(published_since)
        if kind:
            where.append("h.kind = ?")
            params.append(kind)
        if since:
            where.append("a.fetched >= ?")
            params.append(since)
        if entity:  # (commands resolve the name: = uses the entity index, NOCASE would not)
            where.append("h.entity = ?")
            params.append(entity)
        if source:
            where.append("a.source = ? COLLATE NOCASE")
            params.append(source)
        return self._page(
            "SELECT h.id, a.fetched, a.published, a.source, h.entity, h.kind, h.how, h.via, "
            "h.matched_text, h.snippet, a.title, a.url, h.article_id, a.story_id "
            "FROM hits h JOIN articles a ON a.id = h.article_id "
            f"WHERE {' AND '.join(where)} ORDER BY a.fetched DESC, h.article_id DESC, h.start",
            params, limit)

    # ------------------------------------------------------------ deliveries (the outbox)

    def mark_failed_attempt(self, delivery_id: int, error: str, *, permanent: bool,
                            retry_after: float | None = None, table: str = "deliveries") -> str:
        """Record a failed send. Returns the new status: 'pending' (will retry) or 'failed'."""
        table = _outbox(table)
        with self.db.atomic():
            (attempts,) = self.db.execute(
                f"SELECT attempts FROM {table} WHERE id = ?", [delivery_id]).fetchone()
            attempts += 1
            give_up = permanent or attempts >= DELIVERY_MAX_ATTEMPTS
            delay = max(retry_after or 0.0, min(60.0 * 2 ** (attempts - 1), 6 * 3600.0))
            self.db.execute(
                f"UPDATE {table} SET attempts = ?, last_error = ?, status = ?, "
                "next_attempt = ? WHERE id = ?",
                [attempts, error, "failed" if give_up else "pending",
                 None if give_up else iso(now() + timedelta(seconds=delay)), delivery_id])
            return "failed" if give_up else "pending"

    def deliveries(self, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        where = "WHERE d.status = ?" if status else ""
        params: list[Any] = [status] if status else []
        return self.query(
            "SELECT d.id, d.channel, d.status, d.attempts, d.last_error, d.created, d.sent, "
            "d.next_attempt, d.note, d.message_id, a.source, a.title, a.url "
            "FROM deliveries d JOIN articles a ON a.id = d.article_id "
            f"{where} ORDER BY d.id DESC LIMIT ?", [*params, limit])

    def due_deliveries(self, channel: str, moment: str) -> list[dict[str, Any]]:
        """A channel's pending deliveries due at `moment`, with the article fields routing
        and rendering need, oldest first."""
        return self.query(
            "SELECT d.id, d.article_id, d.attempts, d.created, a.story_id, a.source, a.title, "
            "a.url, a.published, a.language FROM deliveries d "
            "JOIN articles a ON a.id = d.article_id "
            "WHERE d.channel = ? AND d.status = 'pending' "
            "AND (d.next_attempt IS NULL OR d.next_attempt <= ?) ORDER BY d.id",
            [channel, moment])

    def hits_by_article(self, article_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
        wanted = list(dict.fromkeys(article_ids))
        found: dict[int, list[dict[str, Any]]] = {i: [] for i in wanted}
        for i in range(0, len(wanted), 400):  # stay under SQLite's parameter limit
            chunk = wanted[i:i + 400]
            marks = ",".join("?" * len(chunk))
            for row in self.query(f"SELECT * FROM hits WHERE article_id IN ({marks}) "
                                  "ORDER BY article_id, field DESC, start", chunk):
                found[row["article_id"]].append(row)
        return found

    def sent_in_stories(self, channel: str, story_ids: Iterable[int]) -> list[dict[str, Any]]:
        """What `channel` already delivered about these stories (for "one event, one
        alert")."""
        wanted = [s for s in dict.fromkeys(story_ids) if s is not None]
        rows: list[dict[str, Any]] = []
        for i in range(0, len(wanted), 400):
            chunk = wanted[i:i + 400]
            marks = ",".join("?" * len(chunk))
            rows += self.query(
                "SELECT d.id, d.article_id, d.sent, a.story_id, a.source, a.title, a.url, "
                "a.published FROM deliveries d JOIN articles a ON a.id = d.article_id "
                f"WHERE d.channel = ? AND d.status = 'sent' AND a.story_id IN ({marks}) "
                "ORDER BY d.id", [channel, *chunk])
        return rows

    def mark_carried(self, channel: str, kind: str, deliveries: dict[int, str],
                     notices: Iterable[int] = (), moment: str | None = None,
                     last_digest: str | None = None) -> int:
        """Record that `channel` accepted one message carrying these deliveries (id -> note)
        and notices: all of them are marked sent, the message logged (and, for a digest,
        the digest clock advanced) in ONE transaction, so a crash leaves either all of them
        pending or none."""
        stamp = moment or now_iso()
        notice_ids = list(notices)
        with self.db.atomic():
            if last_digest is not None:
                self.set_last_digest(channel, last_digest)  # a savepoint inside this one
            message_id = self.db.execute(
                "INSERT INTO alert_messages (channel, kind, sent, deliveries, notices) "
                "VALUES (?, ?, ?, ?, ?)",
                [channel, kind, stamp, len(deliveries), len(notice_ids)]).lastrowid
            self.db.conn.executemany(
                "UPDATE deliveries SET status = 'sent', sent = ?, attempts = attempts + 1, "
                "last_error = NULL, next_attempt = NULL, note = ?, message_id = ? "
                "WHERE id = ?",
                [(stamp, note, message_id, delivery_id)
                 for delivery_id, note in deliveries.items()])
            self.db.conn.executemany(
                "UPDATE notices SET status = 'sent', sent = ?, attempts = attempts + 1, "
                "last_error = NULL WHERE id = ?", [(stamp, n) for n in notice_ids])
        return int(message_id)

    def mark_skipped(self, skipped: dict[int, str]) -> None:
        """Deliveries this channel's routing does not want: kept with the reason."""
        with self.db.atomic():
            self.db.conn.executemany(
                "UPDATE deliveries SET status = 'skipped', note = ?, next_attempt = NULL "
                "WHERE id = ? AND status = 'pending'",
                [(note, delivery_id) for delivery_id, note in skipped.items()])

    def messages_since(self, channel: str, since: str) -> int:
        """Messages `channel` accepted at or after `since` (the throttle's window)."""
        return int(self.db.execute(
            "SELECT count(*) FROM alert_messages WHERE channel = ? AND sent >= ?",
            [channel, since]).fetchone()[0])

    def last_digest(self, channel: str, default: str) -> str:
        """When this channel's last digest period ended; `default` (stored) the first time,
        so a new digest channel sends its first digest one period after it appeared."""
        with self.db.atomic():
            self.db.execute("INSERT OR IGNORE INTO channel_state (channel, last_digest) "
                            "VALUES (?, ?)", [channel, default])
            return str(self.db.execute("SELECT last_digest FROM channel_state WHERE "
                                       "channel = ?", [channel]).fetchone()[0])

    def set_last_digest(self, channel: str, stamp: str) -> None:
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO channel_state (channel, last_digest) VALUES (?, ?) "
                "ON CONFLICT(channel) DO UPDATE SET last_digest = excluded.last_digest",
                [channel, stamp])

    def requeue_failed(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Failed deliveries back to pending with a fresh retry budget; returns them."""
        where = "d.status = 'failed'" + (" AND d.channel = ?" if channel else "")
        params = [channel] if channel else []
        with self.db.atomic():
            rows = self.query(
                "SELECT d.id, d.channel, d.attempts, d.last_error, a.source, a.title, a.url "
                f"FROM deliveries d JOIN articles a ON a.id = d.article_id WHERE {where} "
                "ORDER BY d.id", params)
            self.db.conn.executemany(
                "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt = NULL "
                "WHERE id = ?", [(r["id"],) for r in rows])
        return rows
