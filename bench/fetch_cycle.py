"""Benchmark: one full fetch cycle over 2,000 feeds (50 entries each) on 20 local hosts,
then a second cycle in which 95% of the feeds answer 304 Not Modified.

    python bench/fetch_cycle.py [--feeds 2000] [--entries 50] [--hosts 20]

The feed server runs in its own process (asyncio, one listener per host on 127.0.0.1-20),
so the figures below are the monitor's own: wall time, CPU time, peak RSS, requests/s,
and the second cycle's bytes and time as a share of the first. Articles are not fetched
(fetch_articles: false): this measures fetch + parse + match + store of every entry.
Targets (issue 3, 2-core machine): first cycle < 60 s with peak RSS < 300 MB; second
cycle < 10% of the first's time.
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.feedserver import item, response, rss, serve_hosts  # noqa: E402
from monitor.config import Config, FetchSettings, Source, load_config  # noqa: E402
from monitor.fetch import Fetcher  # noqa: E402
from monitor.pipeline import Pipeline  # noqa: E402
from monitor.prepare import worker_pool  # noqa: E402
from monitor.store import Store  # noqa: E402


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


def rss_mb(workers: list[int] = ()) -> float:  # type: ignore[assignment]
    """Peak RSS of this process plus the peaks of its parser workers (VmHWM), in MB."""
    total = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for pid in workers:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return total


def cpu(workers: list[int] = ()) -> float:  # type: ignore[assignment]
    """CPU seconds of this process plus its (still running) parser worker processes."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    total = usage.ru_utime + usage.ru_stime
    tick = os.sysconf("SC_CLK_TCK")
    for pid in workers:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


async def cycle(config: Config, store: Store, settings: FetchSettings, parsers  # type: ignore[no-untyped-def]
                ) -> tuple[float, list[str]]:
    """Wall time of one cycle and the errors of the sources that failed (reported, since a
    failure under load is itself a finding)."""
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
    args = parser.parse_args()
    logging.getLogger("monitor").setLevel(logging.ERROR)  # failures are counted below

    ports: mp.Queue = mp.Queue()
    sent, phase = mp.Value("q", 0), mp.Value("i", 0)
    server = mp.Process(target=serve, args=(args.hosts, args.feeds, args.entries, ports, sent,
                                            phase), daemon=True)
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
        with Store(config.database) as store, \
                worker_pool(config.watchlist, config.rules) as parsers:
            parsers.submit(int).result()  # start the workers before timing
            workers = list(parsers._processes)  # type: ignore[attr-defined]
            rss_start = rss_mb(workers)
            cpu0 = cpu(workers)
            first, errors1 = asyncio.run(cycle(config, store, settings, parsers))
            cpu1, bytes1 = cpu(workers), sent.value
            stored = store.db["articles"].count
            phase.value, sent.value = 1, 0
            second, errors2 = asyncio.run(cycle(config, store, settings, parsers))
            cpu2, bytes2 = cpu(workers), sent.value
            stored2 = store.db["articles"].count - stored
            db_mb = config.database.stat().st_size / 1e6
            peak = rss_mb(workers)
    server.terminate()

    print(f"feeds {args.feeds} x {args.entries} entries on {args.hosts} hosts")
    print(f"cycle 1: wall {first:.1f} s, cpu {cpu1 - cpu0:.1f} s, {args.feeds / first:.0f} "
          f"requests/s, {bytes1 / 1e6:.1f} MB received, {stored} articles stored")
    print(f"cycle 2: wall {second:.2f} s, cpu {cpu2 - cpu1:.2f} s, {args.feeds / second:.0f} "
          f"requests/s, {bytes2 / 1e6:.2f} MB received, {stored2} new articles")
    for label, errors in (("cycle 1", errors1), ("cycle 2", errors2)):
        if errors:
            print(f"{label}: {len(errors)} sources FAILED, e.g. {errors[0]}")
    print(f"cycle 2 / cycle 1: time {second / first:.1%}, bytes {bytes2 / bytes1:.1%}")
    print(f"peak RSS {peak:.0f} MB, monitor process and parser workers together "
          f"(at start {rss_start:.0f} MB); database {db_mb:.0f} MB")
    if (args.feeds, args.entries) != (2000, 50):
        print("targets (issue 3) apply to the default size: 2000 feeds x 50 entries")
        return
    print(f"targets: cycle 1 < 60 s: {'met' if first < 60 else 'MISSED'}; peak RSS < 300 MB: "
          f"{'met' if peak < 300 else 'MISSED'}; cycle 2 < 10%: "
          f"{'met' if second / first < 0.10 else 'MISSED'}")


if __name__ == "__main__":
    main()
