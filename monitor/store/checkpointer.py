"""WAL checkpoints on a thread of their own, off the write path.

By default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: that
commit copies the WAL into the database file and waits for the disk (fsync). On a large
database one poll's commit in a few then took 200-2,700 ms instead of 15, holding the
write lock and, since the daemon writes on its event loop, every other poll. A checkpoint
needs no write lock, so here the Store's own connection never checkpoints
(`wal_autocheckpoint = 0`) and this thread, with its own connection, runs a PASSIVE one
every second: it copies what is committed while writers go on appending, and never waits
for a reader.
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
    def __init__(self, path: Path, interval: float | None = None):
        super().__init__(name="wal-checkpointer", daemon=True)
        self.path, self.interval = path, INTERVAL if interval is None else interval
        self.halt = threading.Event()
        self.conn = sqlite3.connect(str(path), timeout=1.0, check_same_thread=False)
        self.checkpoints = 0  # checkpoints that copied pages
        self.longest = 0.0  # seconds of the longest one

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
            self.longest = max(self.longest, seconds)
            log.debug("WAL checkpoint: %d of %d pages in %.0f ms", done, pages, seconds * 1000)
        return (busy, pages, done)

    def run(self) -> None:
        while not self.halt.wait(self.interval):
            self.run_once()

    def stop(self) -> None:
        self.halt.set()
        if self.is_alive():
            self.join()
        self.conn.close()
