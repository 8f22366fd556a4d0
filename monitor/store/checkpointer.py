"""WAL checkpoints on a thread of their own, off the write path.

By default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: that
commit copies the WAL into the database file and waits for the disk (fsync). On a large
database one poll's commit in a few then took 200-2,700 ms instead of 15, holding the
write lock and, since the daemon writes on its event loop, every other poll. A checkpoint
needs no write lock, so here the Store's own connection never checkpoints
(`wal_autocheckpoint = 0`) and this thread, with its own connection, runs a PASSIVE one
every second: it copies what is committed while writers go on appending, and never waits
for a reader.

A PASSIVE checkpoint never lets the WAL start over while commits keep coming (the writer
restarts it only when it begins a transaction with everything copied, and a burst of
commits, such as a first cycle of 10,000 sources, leaves no such moment): the WAL grew to
1.2 GB beside a 380 MB database. A RESTART checkpoint from this thread did not help: it
waits for a moment without a writer, and a busy writer re-takes its lock before the busy
handler looks again. So past `wal_limit` bytes the thread raises `wal_long`, and the
writer, before its next transaction, runs a PASSIVE checkpoint itself (`catch_up`): with no
transaction open anywhere it copies the pages this thread has not copied yet (about one
INTERVAL of writes) and the transaction then starts the WAL over.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

log = logging.getLogger("monitor.store")

INTERVAL = 1.0  # seconds between checkpoints


class Checkpointer(threading.Thread):
    def __init__(self, path: Path, interval: float | None = None, *,
                 wal_limit: int = 128 * 1024 * 1024):
        super().__init__(name="wal-checkpointer", daemon=True)
        self.path, self.interval = path, INTERVAL if interval is None else interval
        self.halt = threading.Event()
        self.wal_long = threading.Event()  # past wal_limit: the writer catches up
        self.conn = sqlite3.connect(str(path), timeout=1.0, check_same_thread=False)
        page_size = self.conn.execute("PRAGMA page_size").fetchone()[0]
        self.wal_limit_pages = max(1, wal_limit // page_size)
        self.checkpoints = 0  # checkpoints that copied pages
        self.catch_ups = 0  # the writer's checkpoints that let a long WAL start over

    def run_once(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint: SQLite's (busy, WAL pages, pages checkpointed)."""
        started = time.perf_counter()
        try:
            busy, pages, done = self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:  # locked by a checkpoint elsewhere, a full disk: later
            log.debug("background WAL checkpoint skipped: %s", exc)
            return (1, -1, -1)
        if done > 0:
            seconds = time.perf_counter() - started
            self.checkpoints += 1
            log.debug("WAL checkpoint: %d of %d pages in %.0f ms", done, pages, seconds * 1000)
        if pages > self.wal_limit_pages:
            self.wal_long.set()
        return (busy, pages, done)

    def catch_up(self, writer: sqlite3.Connection) -> None:
        """On the writer's connection, before it begins a transaction: when the WAL is past
        its limit, copy the rest of it so that the transaction starts it over."""
        if not self.wal_long.is_set():
            return
        self.wal_long.clear()
        started = time.perf_counter()
        try:
            busy, pages, done = writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:  # this thread's checkpoint is running: next time
            log.debug("WAL catch-up checkpoint skipped: %s", exc)
            self.wal_long.set()
            return
        seconds = time.perf_counter() - started
        if not busy and done == pages:
            self.catch_ups += 1
        else:
            self.wal_long.set()
        log.debug("WAL catch-up checkpoint: %d of %d pages in %.0f ms", done, pages,
                  seconds * 1000)

    def run(self) -> None:
        while not self.halt.wait(self.interval):
            self.run_once()

    def stop(self) -> None:
        self.halt.set()
        if self.is_alive():
            self.join()
        self.conn.close()
