"""Benchmark housekeeping on a large database while another process writes to it.

Not a test. Run:  python bench/housekeeping.py [--db BIG.db] [--articles 300000]
                  (--db: a database made by `python bench/query.py --keep BIG.db`; it is
                  copied, never changed. Without it one is built: ~70 s, 1.4 GB.)

Measures what issue 18 asks of housekeeping (monitor/housekeeping.py), on a copy of the
300,000-article / 1,000,000-hit database of bench/query.py:
  - the longest time one housekeeping step holds the write lock (target < 100 ms): each
    retention transaction (sized to monitor.housekeeping.STEP_SECONDS as it goes), PRAGMA
    optimize, the WAL checkpoint. Both connections checkpoint in the background, as the
    daemon's does. The steps run
    on the daemon's event loop, so a step's length is also how long polls wait to start;
  - meanwhile a second process stores an article every 20 ms through Store.add_article
    (the daemon's write path) and records how long each took: what a poll's store step
    waits while housekeeping writes;
  - the time to prune a day of old bodies, and a day of old articles (with their hits);
  - database size per 100,000 articles with bodies and without (every body pruned), each
    after VACUUM INTO, so free pages do not count.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.query import NOW, build  # noqa: E402
from monitor.clock import iso  # noqa: E402
from monitor.housekeeping import (  # noqa: E402
    STEP_SECONDS,
    BatchSizer,
    PruneReport,
    in_steps,
    optimize,
    prune_articles_batch,
    prune_bodies_batch,
)
from monitor.models import Article, Hit  # noqa: E402
from monitor.store import Store  # noqa: E402

WRITE_EVERY = 0.02  # s between the writer's articles


def writer(path: str, stop: mp.Event, ready: mp.Event, out: mp.Queue) -> None:
    """Store an article every WRITE_EVERY seconds until `stop`; report each one's seconds."""
    times: list[float] = []
    with Store(Path(path), background_checkpoints=True) as store:  # as the daemon's
        n = 0

        def report(n: int) -> Article:
            return Article(
                url=f"https://writer.example/{n}", source="Writer", title=f"Report {n}",
                body=f"Qais al-Khazali spoke in Maysan about report {n}. " * 20,
                fetched=iso(NOW + timedelta(seconds=n)),
                hits=[Hit("Qais al-Khazali", "actor", "Qais al-Khazali", 0, 15, "Qais")])

        # The first store loads the story window from the database (seconds at 300,000
        # articles, once per daemon start): not a wait that housekeeping causes.
        store.add_article(report(0), [])
        ready.set()
        while not stop.is_set():
            n += 1
            article = report(n)
            start = time.perf_counter()
            store.add_article(article, [])
            times.append(time.perf_counter() - start)
            if times[-1] > 0.1:
                print(f"  writer: article {n} took {times[-1] * 1000:.0f} ms", flush=True)
            time.sleep(WRITE_EVERY)
    out.put(times)


def timed_steps(label: str, step, limit_s: float = 300.0) -> tuple[list[float], int]:
    """Run `step(rows)` (returns rows changed, 0 when done) through the daemon's own loop
    (housekeeping.in_steps: its batch sizing and its pauses) until done; the seconds of
    each transaction, the last look that finds nothing included (it holds the loop too)."""
    times: list[float] = []

    def timed(rows: int) -> int:
        start = time.perf_counter()
        n = step(rows)
        times.append(time.perf_counter() - start)
        return n

    deadline = time.monotonic() + limit_s
    report = PruneReport()
    rows = asyncio.run(in_steps(timed, report, BatchSizer(), 0,
                                lambda: time.monotonic() < deadline))
    sizes = report.batches
    ms = sorted(t * 1000 for t in times)
    print(f"{label:46s} {rows:7,} rows in {len(sizes):4} transactions, {sum(times):6.2f} s; "
          f"per transaction median {statistics.median(ms):5.1f} ms, p99 "
          f"{ms[int(len(ms) * 0.99)]:5.1f} ms, max {ms[-1]:5.1f} ms; rows each "
          f"{min(sizes, default=0)}-{max(sizes, default=0)}")
    return times, rows


def size_per_100k(path: Path, scratch: Path) -> None:
    """File size per 100,000 articles after VACUUM INTO, with bodies and without."""
    conn = sqlite3.connect(path)
    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    conn.close()
    with_bodies = scratch / "with.db"
    start = time.perf_counter()
    sqlite3.connect(path).execute(f"VACUUM INTO '{with_bodies}'")
    vacuum_s = time.perf_counter() - start
    store = Store(with_bodies)
    start = time.perf_counter()
    while prune_bodies_batch(store, iso(NOW + timedelta(days=3650)), 5000):
        pass
    prune_all_s = time.perf_counter() - start
    store.close()
    without = scratch / "without.db"
    sqlite3.connect(with_bodies).execute(f"VACUUM INTO '{without}'")
    per = 100_000 / articles / 1e6
    print(f"database size per 100,000 articles (after VACUUM INTO, {articles:,} articles): "
          f"with bodies {with_bodies.stat().st_size * per:6.0f} MB, without "
          f"{without.stat().st_size * per:6.0f} MB")
    print(f"  (VACUUM INTO {vacuum_s:.1f} s; emptying every body in batches of 5,000: "
          f"{prune_all_s:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a database from bench/query.py --keep")
    parser.add_argument("--articles", type=int, default=300_000)
    parser.add_argument("--hits", type=int, default=1_000_000)
    parser.add_argument("--no-size", action="store_true", help="skip the size measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.db.parent if args.db else None) as tmp:
        scratch = Path(tmp)
        path = scratch / "bench.db"
        if args.db:
            shutil.copyfile(args.db, path)
        else:
            start = time.perf_counter()
            build(path, args.articles, args.hits)
            print(f"built in {time.perf_counter() - start:.0f} s")
        for suffix in ("-wal", "-shm"):
            if args.db and Path(f"{args.db}{suffix}").exists():
                shutil.copyfile(f"{args.db}{suffix}", f"{path}{suffix}")

        # The copy's pages on disk first: else the first checkpoint's fsync writes the whole
        # 1.4 GB copy out, seconds charged to whichever step comes first.
        os.sync()
        spawn = mp.get_context("spawn")
        stop, ready, out = spawn.Event(), spawn.Event(), spawn.Queue()
        proc = spawn.Process(target=writer, args=(str(path), stop, ready, out))
        proc.start()
        ready.wait(600)
        time.sleep(1.0)  # the writer's own steady pace first
        store = Store(path, background_checkpoints=True)
        oldest = store.db.execute("SELECT min(fetched) FROM articles").fetchone()[0]
        day_end = iso(datetime_from(oldest) + timedelta(days=1))
        print(f"retention on a copy ({path.stat().st_size / 1e9:.1f} GB), transactions sized "
              f"to {STEP_SECONDS * 1000:.0f} ms, a writer storing an article every "
              f"{WRITE_EVERY * 1000:.0f} ms:")
        body_times, _ = timed_steps("prune a day of old bodies",
                                    lambda rows: prune_bodies_batch(store, day_end, rows))
        next_day = iso(datetime_from(oldest) + timedelta(days=2))
        article_times, _ = timed_steps(
            "prune two days of old articles (and their hits)",
            lambda rows: prune_articles_batch(store, next_day, rows))
        start = time.perf_counter()
        optimize(store)
        optimize_s = time.perf_counter() - start
        keeper = store.checkpointer
        print(f"PRAGMA optimize {optimize_s * 1000:.1f} ms; WAL checkpoints on their own "
              f"thread (neither the event loop nor the write lock): {keeper.checkpoints}, "
              f"the longest {keeper.longest * 1000:.0f} ms")
        longest = max([*body_times, *article_times, optimize_s])
        print(f"longest housekeeping step (event loop and write lock): {longest * 1000:.1f} ms "
              "(target < 100 ms)")
        stop.set()
        time.sleep(0.2)  # the writer's last article, before this connection closes
        closing = time.perf_counter()
        store.close()
        print(f"closing the housekeeping connection: "
              f"{(time.perf_counter() - closing) * 1000:.0f} ms")
        writes = out.get(timeout=60)
        proc.join(30)
        writes_ms = sorted(t * 1000 for t in writes)
        print(f"the writer's Store.add_article meanwhile ({len(writes):,} articles): median "
              f"{statistics.median(writes_ms):.1f} ms, p99 "
              f"{writes_ms[int(len(writes_ms) * 0.99)]:.1f} ms, max {writes_ms[-1]:.1f} ms")
        if not args.no_size:
            size_per_100k(path, scratch)


def datetime_from(stamp: str):
    from datetime import datetime
    return datetime.fromisoformat(stamp)


if __name__ == "__main__":
    main()
