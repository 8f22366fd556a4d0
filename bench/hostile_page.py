"""Hostile pages against the parser workers, healthy sources polled at the same time.

    python bench/hostile_page.py                # default workers (1 on a 2-core machine)
    python bench/hostile_page.py --workers 2
    python bench/hostile_page.py --cpu-limit 0.3  # the costly page over the CPU limit

Two local servers: 20 healthy RSS sources with 5 article pages each on 127.0.0.1, and two
hostile sources on 127.0.0.2: one page of 900,000 nested <div>s (9.9 MB, under the 10 MB
size limit: refused by the markup scan before parsing) and one of 49,000 flat elements, the
costliest kind the markup limits let through (cut off by the CPU limit if it is lower
than what that page costs).
One cycle with the healthy sources alone, then one (fresh database) with all of them; for
each, the wall time of every source's poll (fetch, parse, store) and the CPU seconds of
this process and of the workers. Prints how long each hostile page took to be cut off and
the healthy sources' poll latency beside the baseline's.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.fetch_cycle import cpu, cpu_text, start_workers  # noqa: E402
from monitor.config import Config, load_config  # noqa: E402
from monitor.fetch import Fetcher  # noqa: E402
from monitor.match import Matcher  # noqa: E402
from monitor.models import FeedEntry  # noqa: E402
from monitor.pipeline import Pipeline  # noqa: E402
from monitor.prepare import (  # noqa: E402
    PAGE_CPU_LIMIT,
    default_workers,
    prepare_page,
    worker_pool,
)
from monitor.store import Store  # noqa: E402
from tests.fixture_server import FixtureServer  # noqa: E402

HEALTHY_SOURCES, ARTICLES = 20, 5
DEEP = 900_000
FLAT = 24_500  # two elements each: 49,000 (the limit is 50,000)

PAGE = ("<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        "<p>Qais al-Khazali spoke in Baghdad on {title}.</p><p>A second paragraph with more "
        "words about the {title} report from Basra and Maysan.</p></article></body></html>")


def rss(links: list[str]) -> str:
    items = "".join(f"<item><title>T {i}</title><link>{link}</link></item>"
                    for i, link in enumerate(links))
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>F</title>{items}" \
           "</channel></rss>"


def deep_page() -> str:
    return "<html><body>" + "<div>" * DEEP + "x" + "</div>" * DEEP + "</body></html>"


def refusal_cpu(cfg: Config) -> None:
    """CPU a worker spends on the deep page (decoding, the markup scan), in this process."""
    body = deep_page().encode()
    source, entry = cfg.sources[0], FeedEntry(url="http://127.0.0.2/deep")
    matcher = Matcher(cfg.watchlist, cfg.rules)
    start = time.process_time()
    result = prepare_page(source, entry, body, entry.url, "text/html", matcher=matcher)
    print(f"deep page in a worker: {result} after {time.process_time() - start:.3f} s CPU")


def serve(healthy: FixtureServer, hostile: FixtureServer) -> None:
    for s in range(HEALTHY_SOURCES):
        links = [healthy.add(f"/{s}/{a}", PAGE.format(title=f"report {s}-{a}"))
                 for a in range(ARTICLES)]
        healthy.add(f"/{s}/rss", rss(links), content_type="application/rss+xml")
    deep = deep_page()
    flat = "<html><body>" + "<div><p>Baghdad</p></div>" * FLAT + "</body></html>"
    print(f"hostile pages: {DEEP:,} nested <div>s {len(deep) / 1e6:.1f} MB; "
          f"{2 * FLAT:,} flat elements {len(flat) / 1e6:.1f} MB")
    hostile.add("/deep", deep)
    hostile.add("/flat", flat)
    hostile.add("/deep/rss", rss([hostile.url("/deep")]), content_type="application/rss+xml")
    hostile.add("/flat/rss", rss([hostile.url("/flat")]), content_type="application/rss+xml")


def config(directory: Path, healthy: FixtureServer, hostile: FixtureServer | None) -> Config:
    sources = [f"  - {{name: healthy{s}, kind: rss, url: '{healthy.url(f'/{s}/rss')}'}}"
               for s in range(HEALTHY_SOURCES)]
    if hostile is not None:
        sources += [f"  - {{name: {name}, kind: rss, url: '{hostile.url(f'/{name}/rss')}'}}"
                    for name in ("deep", "flat")]
    path = directory / "config.yaml"
    path.write_text("fetch: {allow_private_addresses: true, delay: 0s, retries: 0}\n"
                    "sources:\n" + "\n".join(sources) +
                    "\nwatchlists:\n  actors: [{name: Qais al-Khazali}]\n")
    return load_config(path, env={})


async def timed_cycle(cfg: Config, store: Store, parsers: object) -> dict[str, float]:
    async with Fetcher(cfg.fetch) as fetcher:
        pipeline = Pipeline(cfg, store, fetcher, parsers=parsers)  # type: ignore[arg-type]
        start = time.perf_counter()

        async def one(source: object) -> tuple[str, float]:
            report = await pipeline.run_source(source)  # type: ignore[arg-type]
            if report.error:
                print(f"  {report.name}: {report.error}")
            return report.name, time.perf_counter() - start

        return dict(await asyncio.gather(*(one(s) for s in cfg.sources)))


def run(label: str, cfg: Config, workers: int, cpu_limit: float, directory: Path
        ) -> dict[str, float]:
    with worker_pool(cfg.watchlist, cfg.rules, workers=workers, cpu_limit=cpu_limit) as parsers:
        pids = start_workers(parsers)
        with Store(directory / f"{label}.db") as store:
            before = cpu(pids)
            done = asyncio.run(timed_cycle(cfg, store, parsers))
            after = cpu(pids)
            stored = store.query("SELECT count(*) AS n FROM articles")[0]["n"]
            failures = store.query("SELECT url, last_error FROM article_failures")
    healthy = [t for name, t in done.items() if name.startswith("healthy")]
    print(f"{label}: {stored} articles stored; healthy sources done after p50 "
          f"{statistics.median(healthy):.2f} s, max {max(healthy):.2f} s; "
          f"{cpu_text(before, after)}")
    for failure in failures:
        print(f"  failed {failure['url'].rsplit('/', 1)[1]}: {failure['last_error']}")
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--cpu-limit", type=float, default=PAGE_CPU_LIMIT)
    args = parser.parse_args()
    print(f"{args.workers} parser worker(s), CPU limit per page {args.cpu_limit:g} s")
    with FixtureServer("127.0.0.1") as healthy, FixtureServer("127.0.0.2") as hostile, \
            tempfile.TemporaryDirectory() as tmp:
        serve(healthy, hostile)
        directory = Path(tmp)
        run("baseline (healthy only)", config(directory, healthy, None), args.workers,
            args.cpu_limit, directory)
        refusal_cpu(config(directory, healthy, None))
        done = run("with hostile pages", config(directory, healthy, hostile), args.workers,
                   args.cpu_limit, directory)
        print(f"hostile polls done (start -> page refused or stored): deep page "
              f"{done['deep']:.2f} s, costly page {done['flat']:.2f} s")


if __name__ == "__main__":
    main()
