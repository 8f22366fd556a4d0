"""Keeping a months-old database small and quick: retention, PRAGMA optimize, checkpoints.

Retention works in short transactions (each sized to take about STEP_SECONDS) and yields to
the event loop between them, so polls keep running and never wait long for the write lock;
readers (sqlite3, Datasette) are not blocked by the writer at all in WAL mode.

* `bodies`: articles fetched longer ago than this keep their metadata and hits but their
  body becomes '' (the FTS triggers drop the text from the index).
* `articles`: articles fetched longer ago than this are deleted with every row that refers
  to them (hits, deliveries; found through the schema's foreign keys).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from .clock import iso, now
from .config import Retention
from .store import Store

log = logging.getLogger("monitor.housekeeping")

# How long one housekeeping transaction may take: it holds the write lock and, as the daemon
# runs housekeeping on its event loop, delays every poll meanwhile. A fixed 500 rows took
# 250-750 ms per transaction on a 300,000-article database (each pruned body is a delete and
# a re-insert in two FTS5 indexes, and FTS5's merges make some commits several times
# slower), so batches are sized to this as they go.
STEP_SECONDS = 0.05
FIRST_BATCH = 50
MIN_BATCH, MAX_BATCH = 5, 2000


@dataclass
class PruneReport:
    bodies: int = 0
    articles: int = 0
    batches: list[int] = field(default_factory=list)  # rows per transaction
    longest: float = 0.0  # seconds of the longest transaction


class BatchSizer:
    """Rows for the next transaction, from how long the last full one took: shrinks at once
    when a transaction ran over the budget, grows by at most half when it ran under."""

    def __init__(self, budget: float = STEP_SECONDS, first: int = FIRST_BATCH):
        self.budget, self.size = budget, first

    def took(self, rows: int, seconds: float) -> None:
        if rows < self.size and seconds <= self.budget:
            return  # a short last batch says nothing about the cost of a full one
        fitting = int(rows * self.budget * 0.8 / max(seconds, 1e-6))
        self.size = max(MIN_BATCH, min(MAX_BATCH, fitting, self.size + self.size // 2))


def prune_bodies_batch(store: Store, before: str, batch: int) -> int:
    """Empty the bodies of up to `batch` articles fetched before `before`; rows changed.
    Read through the index of articles whose body is not empty (m018): a pass never re-reads
    the bodies already pruned, however many months of them there are."""
    ids = [row[0] for row in store.db.execute(
        "SELECT id FROM articles INDEXED BY idx_articles_unpruned "
        "WHERE fetched < ? AND body != '' ORDER BY fetched LIMIT ?", [before, batch])]
    if not ids:
        return 0
    marks = ",".join("?" * len(ids))
    with store.db.atomic():
        store.db.execute(f"UPDATE articles SET body = '' WHERE id IN ({marks})", ids)
    return len(ids)


def _referencing(store: Store, table: str) -> list[tuple[str, str]]:
    """(table, column) pairs with a foreign key to `table`."""
    found = []
    for name in store.db.table_names():
        for fk in store.db.execute(f"PRAGMA foreign_key_list([{name}])").fetchall():
            if fk[2] == table:  # (id, seq, table, from, to, ...)
                found.append((name, fk[3]))
    return found


def prune_articles_batch(store: Store, before: str, batch: int) -> int:
    """Delete up to `batch` articles fetched before `before`, and the rows citing them."""
    ids = [row[0] for row in store.db.execute(
        "SELECT id FROM articles INDEXED BY idx_articles_fetched WHERE fetched < ? "
        "ORDER BY fetched LIMIT ?", [before, batch])]
    if not ids:
        return 0
    marks = ",".join("?" * len(ids))
    with store.db.atomic():
        for table, column in _referencing(store, "articles"):
            store.db.execute(f"DELETE FROM [{table}] WHERE [{column}] IN ({marks})", ids)
        store.db.execute(f"DELETE FROM articles WHERE id IN ({marks})", ids)
    return len(ids)


def pause_after(seconds: float) -> float:
    """Seconds to leave the write lock free after a transaction that held it `seconds`: as
    long again, up to STEP_SECONDS. Back-to-back transactions let the daemon's own writes in
    (they wait on the event loop), but not another process's: its busy handler sleeps and
    wakes to find the lock taken again (a writer in another process waited 0.9-1.3 s for
    one day's pruning at 300,000 articles)."""
    return min(seconds, STEP_SECONDS)


async def in_steps(step: Callable[[int], int], report: PruneReport, sizer: BatchSizer | None,
                    batch: int, keep_going: Callable[[], bool]) -> int:
    """Run `step(rows)` transaction by transaction until it changes nothing; yield to the
    event loop, and the write lock to other processes, between transactions (pause_after).
    `sizer` None: a fixed `batch`."""
    total = 0
    while keep_going():
        rows = sizer.size if sizer else batch
        started = time.perf_counter()
        n = step(rows)
        seconds = time.perf_counter() - started
        if not n:
            break
        report.longest = max(report.longest, seconds)
        report.batches.append(n)
        total += n
        if sizer:
            sizer.took(n, seconds)
        await asyncio.sleep(pause_after(seconds))
    return total


async def prune(store: Store, retention: Retention, *, batch: int | None = None,
                keep_going: Callable[[], bool] = lambda: True) -> PruneReport:
    """Apply the retention policy transaction by transaction (each sized to STEP_SECONDS,
    or `batch` rows when given), yielding to the loop between them."""
    report = PruneReport()
    moment = now()
    sizer = None if batch else BatchSizer()
    if retention.articles is not None:
        before = iso(moment - timedelta(seconds=retention.articles))
        report.articles = await in_steps(
            lambda rows: prune_articles_batch(store, before, rows), report, sizer,
            batch or 0, keep_going)
    if retention.bodies is not None:
        before = iso(moment - timedelta(seconds=retention.bodies))
        report.bodies = await in_steps(
            lambda rows: prune_bodies_batch(store, before, rows), report, sizer,
            batch or 0, keep_going)
    return report


# Rows ANALYZE reads per index when PRAGMA optimize decides a table needs it: SQLite's
# recommended bound. Unbounded, it read the whole of `hits` (1,000,000 rows) after a
# retention pass: 366 ms on the event loop.
ANALYSIS_LIMIT = 400


def optimize(store: Store) -> None:
    """Let SQLite refresh the statistics its query planner uses (cheap when nothing changed,
    and bounded by ANALYSIS_LIMIT when something did)."""
    store.db.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
    store.db.execute("PRAGMA optimize")


def checkpoint(store: Store) -> tuple[int, int, int]:
    """Copy the WAL back into the database, never waiting for readers (PASSIVE). The WAL
    file itself is cut back to the Store's journal_size_limit when SQLite next reuses it
    from the start: a TRUNCATE checkpoint did the same but waited for readers (up to a
    second, on the event loop) and took 120 ms at 300,000 articles. Returns SQLite's
    (busy, WAL pages, pages checkpointed)."""
    try:
        row = store.db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    except sqlite3.OperationalError as exc:  # e.g. another connection mid-checkpoint
        log.info("WAL checkpoint skipped: %s", exc)
        return (1, -1, -1)
    return tuple(row)  # type: ignore[return-value]


class Housekeeper:
    """One housekeeping pass per call of `run`; the daemon schedules it hourly."""

    def __init__(self) -> None:
        self.runs = 0

    async def run(self, store: Store, retention: Retention,
                  keep_going: Callable[[], bool] = lambda: True) -> PruneReport:
        report = await prune(store, retention, keep_going=keep_going)
        if report.bodies or report.articles:
            log.info("retention: %d article bodies emptied, %d articles deleted (%d "
                     "transactions, the longest %.0f ms)", report.bodies, report.articles,
                     len(report.batches), report.longest * 1000)
        optimize(store)
        self.runs += 1
        if store.checkpointer is None:  # else its thread checkpoints every second
            busy, wal, done = checkpoint(store)
            log.debug("housekeeping: WAL checkpoint busy=%s pages=%s checkpointed=%s",
                      busy, wal, done)
        return report
