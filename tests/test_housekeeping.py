"""Housekeeping at scale: retention transactions sized to a time budget, passes that do not
re-read what they pruned, a WAL kept small without waiting for readers, and writes that
wait their turn when another process holds the write lock."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from monitor import housekeeping
from monitor.clock import iso, now
from monitor.config import Retention
from monitor.models import Article, Hit
from monitor.store import Store


def article(i: int, age_days: float) -> Article:
    hit = Hit("Qais al-Khazali", "actor", "Qais al-Khazali", 0, 15, "Qais al-Khazali")
    return Article(url=f"https://x.example/{i}", source="X", title=f"Story number {i}",
                   body=f"Qais al-Khazali spoke in Maysan about report {i}. " * 5,
                   fetched=iso(now() - timedelta(days=age_days)), hits=[hit])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "monitor.db") as db:
        yield db


def test_batch_sizer_shrinks_at_once_and_grows_slowly() -> None:
    sizer = housekeeping.BatchSizer(budget=0.05, first=100)
    sizer.took(100, 0.5)  # ten times over the budget
    assert sizer.size == 8  # 100 rows * 0.05 * 0.8 / 0.5
    sizer.took(8, 0.0001)  # far under: at most half again
    assert sizer.size == 12
    sizer.took(5, 0.001)  # a short last batch: no information
    assert sizer.size == 12
    for _ in range(30):
        sizer.took(sizer.size, 0.0)
    assert sizer.size == housekeeping.MAX_BATCH
    sizer.took(sizer.size, 100.0)
    assert sizer.size == housekeeping.MIN_BATCH


def test_retention_transactions_follow_the_time_budget(store: Store,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    store.add_articles([article(i, 200) for i in range(400)], [])
    # Each pruned row "costs" 2 ms: 50 rows (the first batch) take 0.1 s, twice the budget.
    real = housekeeping.prune_bodies_batch
    clock = [0.0]

    def costly(store_: Store, before: str, batch: int) -> int:
        n = real(store_, before, batch)
        clock[0] += 0.002 * n
        return n

    monkeypatch.setattr(housekeeping, "prune_bodies_batch", costly)
    monkeypatch.setattr(housekeeping.time, "perf_counter", lambda: clock[0])
    report = asyncio.run(housekeeping.prune(store, Retention(bodies=180 * 86400.0)))
    assert report.bodies == 400
    assert report.batches[0] == housekeeping.FIRST_BATCH
    assert all(n <= 20 for n in report.batches[1:])  # 20 rows = 40 ms, within 50 ms
    assert report.longest == pytest.approx(0.002 * housekeeping.FIRST_BATCH)


def test_retention_leaves_the_write_lock_free_between_transactions(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Back to back, a writer in another process never got the lock (its busy handler woke
    to find it taken again): 0.9-1.3 s for one day's pruning at 300,000 articles. After each
    transaction the lock stays free as long as it was held, up to the step budget."""
    store.add_articles([article(i, 200) for i in range(400)], [])
    real_prune, real_sleep = housekeeping.prune_bodies_batch, asyncio.sleep
    clock, pauses = [0.0], []

    def costly(store_: Store, before: str, batch: int) -> int:
        n = real_prune(store_, before, batch)
        clock[0] += 0.002 * n
        return n

    async def recorded(seconds: float) -> None:
        pauses.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(housekeeping, "prune_bodies_batch", costly)
    monkeypatch.setattr(housekeeping.time, "perf_counter", lambda: clock[0])
    monkeypatch.setattr(housekeeping.asyncio, "sleep", recorded)
    report = asyncio.run(housekeeping.prune(store, Retention(bodies=180 * 86400.0)))
    assert report.bodies == 400 and len(pauses) >= len(report.batches)
    held = [0.002 * n for n in report.batches]
    assert pauses[:len(held)] == pytest.approx([min(h, housekeeping.STEP_SECONDS)
                                                for h in held])
    assert all(p > 0 for p in pauses[:len(held)])


def test_body_pruning_reads_only_articles_not_pruned_yet(store: Store) -> None:
    store.add_articles([article(i, 200) for i in range(30)], [])
    plan = " ".join(row[3] for row in store.db.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM articles INDEXED BY idx_articles_unpruned "
        "WHERE fetched < ? AND body != '' ORDER BY fetched LIMIT ?", ["9999", 10]))
    assert "idx_articles_unpruned" in plan and "SCAN articles" not in plan
    asyncio.run(housekeeping.prune(store, Retention(bodies=180 * 86400.0)))
    indexed = store.db.execute(
        "SELECT count(*) FROM articles INDEXED BY idx_articles_unpruned "
        "WHERE fetched < '9999' AND body != ''").fetchone()[0]
    assert indexed == 0  # a pruned body leaves the index: the next pass reads nothing


def test_article_pruning_finds_old_articles_through_the_fetched_index(store: Store) -> None:
    plan = " ".join(row[3] for row in store.db.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM articles INDEXED BY idx_articles_fetched "
        "WHERE fetched < ? ORDER BY fetched LIMIT ?", ["9999", 10]))
    assert "idx_articles_fetched" in plan and "TEMP B-TREE" not in plan


def test_the_wal_is_cut_back_after_a_checkpoint(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Store, "journal_size_limit", 256 * 1024)
    wal = tmp_path / "monitor.db-wal"
    with Store(tmp_path / "monitor.db") as store:
        store.add_articles([article(i, 1) for i in range(600)], [])
        assert wal.stat().st_size > 1024 * 1024
        busy, _pages, _done = housekeeping.checkpoint(store)
        assert busy == 0
        store.add_articles([article(1000, 1)], [])  # the next write reuses the WAL
        assert wal.stat().st_size <= 256 * 1024


def test_checkpoint_does_not_wait_for_a_reader(store: Store) -> None:
    store.add_articles([article(i, 1) for i in range(50)], [])
    reader = sqlite3.connect(store.path, timeout=1)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM articles").fetchone()
    started = time.monotonic()
    asyncio.run(housekeeping.Housekeeper().run(store, Retention()))
    assert time.monotonic() - started < 1.0  # never the busy timeout
    reader.rollback()
    reader.close()
    assert housekeeping.checkpoint(store)[0] == 0


def test_a_write_waits_for_another_process_holding_the_write_lock(store: Store) -> None:
    """A deferred transaction reads, then finds its snapshot stale when it comes to write,
    and SQLite fails it at once ('database is locked') however long the busy timeout: the
    Store's transactions take the write lock when they begin, and wait for it there."""
    store.add_articles([article(0, 1)], [])
    other = sqlite3.connect(store.path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE articles SET title = 'edited' WHERE id = 1")
    holding = threading.Thread(target=lambda: (time.sleep(0.3), other.execute("COMMIT")))
    holding.start()
    try:
        ids = store.add_articles([article(1, 1), article(2, 1)], [])
    finally:
        holding.join()
        other.close()
    assert ids == [2, 3]
    assert store.db.execute("SELECT title FROM articles WHERE id = 1").fetchone()[0] == "edited"


def test_background_checkpoints_keep_the_copy_out_of_commits(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    """With background checkpoints no commit copies the WAL into the database file (SQLite's
    automatic checkpoint did, at 1,000 pages, waiting for the disk inside the commit); the
    checkpointer's thread does, and the Store's writes go on meanwhile."""
    monkeypatch.setattr("monitor.store.checkpointer.INTERVAL", 3600.0)  # only when asked
    path = tmp_path / "monitor.db"
    with Store(path, background_checkpoints=True) as store:
        size = path.stat().st_size
        for start in range(0, 3000, 100):  # ~2,500 WAL pages
            store.add_articles([article(i, 1) for i in range(start, start + 100)], [])
        assert path.stat().st_size == size  # no commit checkpointed
        busy, pages, done = store.checkpointer.run_once()
        assert busy == 0 and pages > 1000 and done == pages
        assert path.stat().st_size > size
        store.add_articles([article(5000, 1)], [])  # the WAL starts over
    # Closed: the checkpointer's thread and connection are gone, the data is whole.
    with Store(path) as again:
        assert again.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 3001
        assert again.checkpointer is None


def test_the_checkpointer_runs_by_itself(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("monitor.store.checkpointer.INTERVAL", 0.05)
    with Store(tmp_path / "monitor.db", background_checkpoints=True) as store:
        store.add_articles([article(i, 1) for i in range(200)], [])
        deadline = time.monotonic() + 10
        while store.checkpointer.checkpoints == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.checkpointer.checkpoints >= 1


def test_a_burst_of_commits_does_not_grow_the_wal_without_bound(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Passive checkpoints alone never let the WAL start over while commits keep coming:
    a first cycle of 10,000 sources grew it to 1.2 GB beside a 380 MB database. Past
    `wal_limit` the checkpointer has the next commit start it over."""
    monkeypatch.setattr("monitor.store.checkpointer.INTERVAL", 0.02)
    monkeypatch.setattr(Store, "wal_limit", 256 * 1024)
    monkeypatch.setattr(Store, "journal_size_limit", 256 * 1024)
    path = tmp_path / "monitor.db"
    wal = tmp_path / "monitor.db-wal"
    with Store(path, background_checkpoints=True) as store:
        stop = threading.Event()
        largest = [0]

        def watch() -> None:
            while not stop.is_set():
                largest[0] = max(largest[0], wal.stat().st_size if wal.exists() else 0)
                time.sleep(0.005)

        watcher = threading.Thread(target=watch)
        watcher.start()
        batch = [article(i, 1) for i in range(20)]
        try:
            for n in range(300):  # ~12 MB written to the WAL, commit after commit
                store.add_articles([replace(a, url=f"{a.url}/{n}") for a in batch], [])
        finally:
            stop.set()
            watcher.join()
        assert largest[0] < 4 * 1024 * 1024, largest[0]
        assert store.checkpointer.catch_ups >= 1
        assert store.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 6000
