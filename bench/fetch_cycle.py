"""Benchmark: one full fetch cycle over 2,000 feeds (50 entries each) on 20 local hosts,
then a second cycle in which 95% of the feeds answer 304 Not Modified.

    python bench/fetch_cycle.py [--feeds 2000] [--entries 50] [--hosts 20]

The feed server runs in its own (spawned) process (asyncio, one listener per host on
127.0.0.1-20), so the figures below are the monitor's own: wall time, CPU time, memory,
requests/s, and the second cycle's bytes and time as a share of the first. Articles are not
fetched (fetch_articles: false): this measures fetch + parse + match + store of every entry.

The monitor is this process plus every parser worker of the pool; all the workers are
started (and checked to be as many as the pool's size) before the timing starts, since a
spawn pool otherwise starts them on demand. Memory is reported three ways:

- sum of per-process peaks (VmHWM): peaks reached at different moments, so at least the
  monitor's simultaneous peak. The RSS target is judged on this figure: nothing is missed.
- peak of summed RSS: a thread samples VmRSS of the monitor's processes every second and
  keeps the largest sum, the monitor's simultaneous footprint (a spike shorter than the
  interval can be missed).
- peak of summed PSS (Pss of /proc/PID/smaps_rollup, same samples): shared pages, such as
  the interpreter's and libraries' code, split between the processes mapping them (any
  process on the machine, not only the monitor's).

Targets (issue 3, 2-core machine): first cycle < 60 s with peak RSS < 300 MB (sum of
per-process peaks); second cycle < 10% of the first's time.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.feedserver import item, response, rss, serve_hosts  # noqa: E402
from monitor.config import Config, FetchSettings, Source, load_config  # noqa: E402

if TYPE_CHECKING:
    from monitor.store import Store
# The monitor's fetching and storing modules are imported in main(), not here: a spawned
# parser worker imports this script as its main module, and a daemon's workers import no
# HTTP client (their main module is monitor.cli).


def feed_body(host: int, feed: int, entries: int, version: int) -> bytes:
    # Version 1 (the 5% that changed) has 10 more entries than version 0.
    return rss(feed, [item(host, feed, e) for e in range(entries + (10 if version else 0))])


def serve(hosts: int, feeds: int, entries: int, ports: mp.Queue, sent: mp.Value,
          phase: mp.Value) -> None:
    """Feed server process. phase 0: every feed 200; phase 1: 95% answer 304."""
    bodies = {f: feed_body(f % hosts, f, entries, 0) for f in range(feeds)}
    changed = {f: feed_body(f % hosts, f, entries, 1) for f in range(0, feeds, 20)}

    def answer(path: str, head: bytes) -> bytes:
        feed = int(path.rsplit("/", 1)[1].split(".")[0])
        etag = f'"{feed}-v1"'.encode()
        if phase.value == 1 and feed not in changed and etag in head:
            out = response("304 Not Modified", etag=etag)
        else:
            body = changed[feed] if phase.value == 1 and feed in changed else bodies[feed]
            out = response("200 OK", body, etag)
        with sent.get_lock():
            sent.value += len(out)
        return out

    serve_hosts(hosts, answer, ports)


def _pid_after(seconds: float) -> int:
    """Run in a worker: block a while (so that the pool must start another worker for the
    next task), then say which worker ran."""
    time.sleep(seconds)
    return os.getpid()


def start_workers(pool) -> list[int]:  # type: ignore[no-untyped-def]
    """Start every worker of a spawn pool (3.11 starts them on demand, one per task while
    none is idle) and wait until each has run its initializer; their pids."""
    size = pool._max_workers
    seen: set[int] = set()
    for _ in range(50):  # each round: `size` blocking tasks submitted at once
        seen.update(f.result() for f in [pool.submit(_pid_after, 0.3) for _ in range(size)])
        if len(seen) == size:
            break
    workers = sorted(pool._processes)
    if len(workers) != size or set(workers) != seen:
        raise SystemExit(f"pool of {size} workers: {len(workers)} processes, "
                         f"{len(seen)} answered")
    return workers


def proc_kb(pid: int | str, field: str, name: str = "status") -> int:
    """One `Field:  N kB` line of /proc/PID/status (or smaps_rollup), in kB."""
    with open(f"/proc/{pid}/{name}", "rb") as f:
        for line in f:
            if line.startswith(field.encode() + b":"):
                return int(line.split()[1])
    raise LookupError(f"{field} not in /proc/{pid}/{name}")


def rss_mb(workers: list[int] = ()) -> float:  # type: ignore[assignment]
    """Sum of the peak RSS (VmHWM) of this process and of each parser worker, in MB: peaks
    reached at different moments, so more than the monitor ever held at once."""
    return sum(proc_kb(pid, "VmHWM") for pid in ["self", *workers]) / 1024


class Sampler(threading.Thread):
    """Every `every` seconds, the sum of VmRSS and the sum of Pss over this process and the
    workers; keeps the largest of each (MB) and the first sample's."""

    # Once a second: reading smaps_rollup makes the kernel walk the process's page tables,
    # CPU charged to the monitor (every 0.2 s it was ~3% of the main process's time).
    def __init__(self, workers: list[int], every: float = 1.0) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.pids, self.every, self.halt = [os.getpid(), *workers], every, threading.Event()
        self.samples, self.rss, self.pss = 0, 0.0, 0.0
        self.rss0, self.pss0 = self.sample()

    def sample(self) -> tuple[float, float]:
        rss = sum(proc_kb(pid, "VmRSS") for pid in self.pids) / 1024
        pss = sum(proc_kb(pid, "Pss", "smaps_rollup") for pid in self.pids) / 1024
        self.samples += 1
        self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)
        return rss, pss

    def run(self) -> None:
        while not self.halt.wait(self.every):
            try:
                self.sample()
            except (OSError, LookupError):  # a worker gone: the pool is shutting down
                return

    def stop(self) -> None:
        self.halt.set()
        self.join()
        self.sample()


def cpu(workers: list[int] = ()) -> list[float]:  # type: ignore[assignment]
    """CPU seconds of this process (all its threads), then of each (still running) parser
    worker process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    times = [usage.ru_utime + usage.ru_stime]
    tick = os.sysconf("SC_CLK_TCK")
    for pid in workers:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        times.append((int(fields[11]) + int(fields[12])) / tick)  # utime, stime
    return times


def cpu_text(before: list[float], after: list[float]) -> str:
    """`cpu 120.3 s (main 80.1, workers 40.2)`"""
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return (f"cpu {sum(spent):.1f} s (main {spent[0]:.1f}, "
            f"worker{'s' if len(spent) > 2 else ''} {sum(spent[1:]):.1f})")


def feedparser_ms(feeds: int, entries: int, hosts: int, sample: int = 200) -> float:
    """feedparser's own CPU ms per entry, plain `feedparser.parse` with its defaults, on
    the bytes of the cycle's first `sample` feeds: the peer figure for the cycle's CPU per
    entry (everything the monitor does per entry, of which parsing is one part)."""
    import io

    import feedparser

    bodies = [feed_body(f % hosts, f, entries, 0) for f in range(min(feeds, sample))]
    feedparser.parse(io.BytesIO(bodies[0]))  # warm-up
    start = time.process_time()
    parsed = sum(len(feedparser.parse(io.BytesIO(body)).entries) for body in bodies)
    return (time.process_time() - start) / parsed * 1000


def reference_ms(rounds: int = 100) -> float:
    """CPU ms per entry to parse one fixed 50-entry feed (the bench's own) in this process,
    best of `rounds`: a rough gauge of the machine's speed at the start of the run. A shared
    host's speed varies from run to run (20% and more here), and the cycle's figures with
    it; the cycle's own CPU seconds for the same work are the surer sign."""
    from monitor.extract.discover import discover_entries

    body = feed_body(0, 0, 50, 0)
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        discover_entries("rss", body, "http://127.0.0.1/feeds/0.xml", "application/rss+xml",
                         None, None)
        best = min(best, time.process_time() - start)
    return best / 50 * 1000


async def cycle(config: Config, store: Store, settings: FetchSettings, parsers  # type: ignore[no-untyped-def]
                ) -> tuple[float, list[str]]:
    """Wall time of one cycle and the errors of the sources that failed (reported, since a
    failure under load is itself a finding)."""
    from monitor.fetch import Fetcher
    from monitor.pipeline import Pipeline

    start = time.perf_counter()
    async with Fetcher(settings) as fetcher:
        pipeline = Pipeline(config, store, fetcher, parsers=parsers)
        reports = await asyncio.gather(*(pipeline.run_source(s) for s in config.sources))
    return time.perf_counter() - start, [r.error for r in reports if r.error]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=FetchSettings().concurrency)
    parser.add_argument("--per-host", type=int, default=FetchSettings().per_host)
    parser.add_argument("--workers", type=int, default=None,
                        help="parser worker processes (default: the monitor's own choice)")
    args = parser.parse_args()
    logging.getLogger("monitor").setLevel(logging.ERROR)  # failures are counted below

    # Spawned, not forked: a forked server would share (copy-on-write) pages with this
    # process, and take a share of them out of the monitor's PSS.
    spawn = mp.get_context("spawn")
    ports: mp.Queue = spawn.Queue()
    sent, phase = spawn.Value("q", 0), spawn.Value("i", 0)
    server = spawn.Process(target=serve, args=(args.hosts, args.feeds, args.entries, ports,
                                               sent, phase), daemon=True)
    server.start()
    port_of = ports.get(timeout=120)
    base = load_config(ROOT / "config.yaml", env={})  # the shipped watchlist
    sources = tuple(Source(name=f"feed-{f}", kind="rss", every=600, fetch_articles=False,
                           robots=False, url=f"http://127.0.0.{f % args.hosts + 1}:"
                           f"{port_of[f % args.hosts]}/feeds/{f}.xml")
                    for f in range(args.feeds))
    # The shipped defaults for concurrency and per-host slots; no politeness pause (one
    # local server) and no retries (a failure should show, not be retried away).
    settings = FetchSettings(allow_private_addresses=True, delay=0, retries=0,
                             concurrency=args.concurrency, per_host=args.per_host)
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(path=base.path, database=Path(tmp) / "bench.db", fetch=settings,
                        sources=sources, watchlist=base.watchlist, channels=(),
                        rules=base.rules)
        from monitor.prepare import worker_pool
        from monitor.store import Store

        with Store(config.database) as store, \
                worker_pool(config.watchlist, config.rules, args.workers) as parsers:
            workers = start_workers(parsers)  # all of them, before timing
            # Both processes at once: a shared host can be slower with both cores busy.
            beside = parsers.submit(reference_ms)
            speed = (reference_ms(), beside.result())
            sampler = Sampler(workers)
            sampler.start()
            cpu0 = cpu(workers)
            first, errors1 = asyncio.run(cycle(config, store, settings, parsers))
            cpu1, bytes1 = cpu(workers), sent.value
            stored = store.db["articles"].count
            phase.value, sent.value = 1, 0
            second, errors2 = asyncio.run(cycle(config, store, settings, parsers))
            cpu2, bytes2 = cpu(workers), sent.value
            stored2 = store.db["articles"].count - stored
            db_mb = config.database.stat().st_size / 1e6
            sampler.stop()
            hwm_sum = rss_mb(workers)
            hwm = {pid: proc_kb(pid, "VmHWM") / 1024 for pid in ["self", *workers]}
    server.terminate()

    print(f"feeds {args.feeds} x {args.entries} entries on {args.hosts} hosts")
    print(f"machine speed: {speed[0]:.3f} / {speed[1]:.3f} ms of CPU to parse a reference feed "
          "entry in the main process / a worker at the same time (same code and data every "
          "run; lower is faster)")
    print(f"cycle 1: wall {first:.1f} s, {cpu_text(cpu0, cpu1)}, {args.feeds / first:.0f} "
          f"requests/s, {bytes1 / 1e6:.1f} MB received, {stored} articles stored")
    print(f"cycle 2: wall {second:.2f} s, {cpu_text(cpu1, cpu2)}, {args.feeds / second:.0f} "
          f"requests/s, {bytes2 / 1e6:.2f} MB received, {stored2} new articles")
    for label, errors in (("cycle 1", errors1), ("cycle 2", errors2)):
        if errors:
            print(f"{label}: {len(errors)} sources FAILED, e.g. {errors[0]}")
    print(f"cycle 2 / cycle 1: time {second / first:.1%}, bytes {bytes2 / bytes1:.1%}")
    per_entry = sum(b - a for a, b in zip(cpu0, cpu1, strict=True)) / stored * 1000
    own = feedparser_ms(args.feeds, args.entries, args.hosts)
    print(f"cycle 1 CPU per entry stored (main and workers): {per_entry:.3f} ms; "
          f"feedparser's own parse of the same bytes: {own:.3f} ms per entry "
          f"(ratio {per_entry / own:.1f}); target 0.45 ms")
    print(f"memory of the monitor: this process and its {len(workers)} parser workers "
          f"(feed server not counted); database {db_mb:.0f} MB")
    print(f"  sum of per-process peaks  {hwm_sum:5.0f} MB  (VmHWM summed; peaks at "
          f"different moments)  <- the RSS target")
    print(f"  peak of summed RSS        {sampler.rss:5.0f} MB  (VmRSS summed, sampled every "
          f"{sampler.every} s, {sampler.samples} samples; at start {sampler.rss0:.0f} MB)")
    print(f"  peak of summed PSS        {sampler.pss:5.0f} MB  (Pss summed, same samples; "
          f"at start {sampler.pss0:.0f} MB)")
    print("  per-process peaks (VmHWM): " + ", ".join(
        f"{'main' if pid == 'self' else f'worker {pid}'} {mb:.0f} MB" for pid, mb in hwm.items()))
    if (args.feeds, args.entries) != (2000, 50):
        print("targets (issue 3) apply to the default size: 2000 feeds x 50 entries")
        return
    print(f"targets: cycle 1 < 60 s: {'met' if first < 60 else 'MISSED'}; peak RSS < 300 MB "
          f"(sum of peaks): {'met' if hwm_sum < 300 else 'MISSED'}; cycle 2 < 10%: "
          f"{'met' if second / first < 0.10 else 'MISSED'}")


if __name__ == "__main__":
    main()
