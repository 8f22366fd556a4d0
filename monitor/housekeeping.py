"""Keeping a months-old database small and quick: retention, PRAGMA optimize, checkpoints.

Retention works in small batches (BATCH rows per transaction) and yields to the event loop
between batches, so polls keep running and a reader (sqlite3, Datasette) never waits long:
in WAL mode readers are not blocked by the writer at all, and each write transaction is
short.

* `bodies`: articles fetched longer ago than this keep their metadata and hits but their
  body becomes '' (the FTS triggers drop the text from the index).
* `articles`: articles fetched longer ago than this are deleted with every row that refers
  to them (hits, deliveries; found through the schema's foreign keys).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from .clock import iso, now
from .config import Retention
from .store import Store

log = logging.getLogger("monitor.housekeeping")

BATCH = 500
# Every Nth run truncates the WAL file (a passive checkpoint only reuses it).
TRUNCATE_EVERY = 24


@dataclass
class PruneReport:
    bodies: int = 0
    articles: int = 0
    batches: list[int] = field(default_factory=list)  # rows per transaction


def prune_bodies_batch(store: Store, before: str, after_id: int, batch: int = BATCH
                       ) -> tuple[int, int]:
    """Empty the bodies of up to `batch` articles fetched before `before` with id > after_id.
    Returns (rows changed, highest id seen) — the id cursor keeps each pass linear."""
    ids = [row[0] for row in store.db.execute(
        "SELECT id FROM articles WHERE id > ? AND fetched < ? AND body IS NOT NULL "
        "AND body != '' ORDER BY id LIMIT ?", [after_id, before, batch])]
    if not ids:
        return 0, after_id
    marks = ",".join("?" * len(ids))
    with store.db.atomic():
        store.db.execute(f"UPDATE articles SET body = '' WHERE id IN ({marks})", ids)
    return len(ids), ids[-1]


def _referencing(store: Store, table: str) -> list[tuple[str, str]]:
    """(table, column) pairs with a foreign key to `table`."""
    found = []
    for name in store.db.table_names():
        for fk in store.db.execute(f"PRAGMA foreign_key_list([{name}])").fetchall():
            if fk[2] == table:  # (id, seq, table, from, to, ...)
                found.append((name, fk[3]))
    return found


def prune_articles_batch(store: Store, before: str, batch: int = BATCH) -> int:
    """Delete up to `batch` articles fetched before `before`, and the rows citing them."""
    ids = [row[0] for row in store.db.execute(
        "SELECT id FROM articles WHERE fetched < ? ORDER BY id LIMIT ?", [before, batch])]
    if not ids:
        return 0
    marks = ",".join("?" * len(ids))
    with store.db.atomic():
        for table, column in _referencing(store, "articles"):
            store.db.execute(f"DELETE FROM [{table}] WHERE [{column}] IN ({marks})", ids)
        store.db.execute(f"DELETE FROM articles WHERE id IN ({marks})", ids)
    return len(ids)


async def prune(store: Store, retention: Retention, *, batch: int = BATCH,
                keep_going: Callable[[], bool] = lambda: True) -> PruneReport:
    """Apply the retention policy in batches, yielding to the loop between them."""
    report = PruneReport()
    moment = now()
    if retention.articles is not None:
        before = iso(moment - timedelta(seconds=retention.articles))
        while keep_going() and (n := prune_articles_batch(store, before, batch)):
            report.articles += n
            report.batches.append(n)
            await asyncio.sleep(0)
    if retention.bodies is not None:
        before = iso(moment - timedelta(seconds=retention.bodies))
        cursor = 0
        while keep_going():
            n, cursor = prune_bodies_batch(store, before, cursor, batch)
            if not n:
                break
            report.bodies += n
            report.batches.append(n)
            await asyncio.sleep(0)
    return report


def optimize(store: Store) -> None:
    """Let SQLite refresh the statistics its query planner uses (cheap when nothing changed)."""
    store.db.execute("PRAGMA optimize")


def checkpoint(store: Store, truncate: bool = False) -> tuple[int, int, int]:
    """Copy the WAL back into the database. PASSIVE never waits for readers; TRUNCATE also
    shrinks the WAL file, waiting at most a second for readers (never the 30 s busy timeout:
    the event loop would stall). Returns SQLite's (busy, wal pages, checkpointed pages)."""
    mode = "TRUNCATE" if truncate else "PASSIVE"
    if truncate:
        store.db.execute("PRAGMA busy_timeout = 1000")
    try:
        row = store.db.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    except sqlite3.OperationalError as exc:  # a reader held on: try again next time
        log.info("WAL checkpoint (%s) skipped: %s", mode, exc)
        return (1, -1, -1)
    finally:
        if truncate:
            store.db.execute("PRAGMA busy_timeout = 30000")
    return tuple(row)  # type: ignore[return-value]


class Housekeeper:
    """One housekeeping pass per call of `run`; the daemon schedules it hourly."""

    def __init__(self) -> None:
        self.runs = 0

    async def run(self, store: Store, retention: Retention,
                  keep_going: Callable[[], bool] = lambda: True) -> PruneReport:
        report = await prune(store, retention, keep_going=keep_going)
        if report.bodies or report.articles:
            log.info("retention: %d article bodies emptied, %d articles deleted (%d batches)",
                     report.bodies, report.articles, len(report.batches))
        optimize(store)
        self.runs += 1
        busy, wal, done = checkpoint(store, truncate=self.runs % TRUNCATE_EVERY == 0)
        log.debug("housekeeping: WAL checkpoint busy=%s pages=%s checkpointed=%s",
                  busy, wal, done)
        return report
