"""Pages built to stall the parser: refused before parsing, cut off by the worker's CPU
limit, or ending their worker (which is replaced) - while healthy sources keep flowing."""

from __future__ import annotations

import asyncio
import gzip
import os
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest

from monitor.config import Source
from monitor.extract import extract_article
from monitor.extract.bounds import MAX_DEPTH, MarkupTooComplex, markup_within_limits
from monitor.extract.feed import parse_feed
from monitor.extract.listing import find_links
from monitor.fetch import Fetcher
from monitor.models import FeedEntry
from monitor.pipeline import MAX_ARTICLE_ATTEMPTS, PARSER_DIED, Pipeline
from monitor.prepare import GiveUp, Prepared, bounded, prepare_page, worker_pool
from monitor.store import Store
from tests.fixture_server import FixtureServer
from tests.test_sources import PAGE, make_config, rss

CORPUS = Path(__file__).resolve().parents[2] / "shared/corpora/article-extraction-benchmark/html"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpora/article-extraction-benchmark/html")

DEEP = "too complex: elements nested more than 2,000 deep"


def nested(depth: int, tag: str = "div") -> str:
    return (f"<html><body>{f'<{tag}>' * depth}Qais al-Khazali spoke in Baghdad."
            f"{f'</{tag}>' * depth}</body></html>")


@pytest.mark.parametrize(("html", "problem"), [
    (nested(MAX_DEPTH), None),
    (nested(MAX_DEPTH + 1), DEEP),
    (nested(MAX_DEPTH + 1, "SPAN"), DEEP),
    ("<p>" * 40_000, None),  # <p> closes the open <p>: no depth
    ("<div></div>" * 50_001, "too complex: more than 50,000 elements"),
    # Text that looks like tags but is not markup is not counted ...
    ("<script>" + "<div>" * 5000 + "</script>", None),
    ("<style>" + "<div>" * 5000 + "</style>", None),
    ("<!--" + "<div>" * 5000 + "-->", None),
    ("<a title='x' data-t=\"<div><div>\">A</a>" * 3000, None),  # quoted "<" in attribute values
    # ... and tricks hiding real markup as such text are seen through:
    ("<div><script>'</div>'</script>" * 3000, DEEP),  # end tags inside a script
    ('<a title="<script>">' + "<div>" * 3000, DEEP),  # a "<script>" that is an attribute
    ('<a b="<!--">' + "<div>" * 3000, DEEP),  # a "<!--" that is an attribute
    ("<!-->" + "<div>" * 3000 + "-->", DEEP),  # "<!-->" is a whole comment
    ("<svg><style>" + "<g>" * 3000, DEEP),  # <style> in SVG holds markup
    ("<script >x</scripts>" + "<div>" * 3000, None),  # </scripts> does not end it
])
def test_markup_limits(html: str, problem: str | None) -> None:
    found = markup_within_limits(html)
    assert (found and found.removeprefix("page ")) == problem


def test_real_pages_are_far_inside_the_limits() -> None:
    pages = sorted(CORPUS.glob("*.html.gz"))
    assert len(pages) > 100
    for page in pages:
        html = gzip.decompress(page.read_bytes()).decode("utf-8", "replace")
        assert markup_within_limits(html, max_depth=100, max_elements=20_000) is None, page


def test_every_parser_entry_refuses_a_deep_page() -> None:
    deep = nested(50_000)  # ~2 s in lexbor and ~15 s in extraction without the bound
    with pytest.raises(MarkupTooComplex, match=DEEP):
        extract_article(deep, "http://example.com/a")
    with pytest.raises(MarkupTooComplex, match=DEEP):
        find_links(deep, "http://example.com/", None, None)
    # A JSON-LD articleBody is parsed as a fragment of its own, and sits in a <script>.
    ld = ('<html><head><script type="application/ld+json">{"@type": "NewsArticle", '
          '"articleBody": "' + "<div>" * 50_000 + '"}</script></head><body><p>x</p></body>'
          '</html>')
    with pytest.raises(MarkupTooComplex, match=DEEP):
        extract_article(ld, "http://example.com/a")
    # A feed's summary is text without its tags then (the rest of the feed is fine).
    feed = rss(("Deep", "http://example.com/a", "&lt;div&gt;" * 50_000 + "Qais spoke"))
    entries, _problem = parse_feed(feed.encode(), "http://example.com/rss", None)
    assert entries[0].summary == "Qais spoke"


SOURCE = Source(name="S", kind="rss", url="http://example.com/rss", every=600)
ENTRY = FeedEntry(url="http://example.com/a")
# Within the markup limits (48,002 elements), but ~0.7 s of extraction.
FLAT = "<html><body>" + "<div><p>Baghdad</p></div>" * 24_000 + "</body></html>"


def _page(html: str) -> tuple[object, ...]:
    return (prepare_page, SOURCE, ENTRY, html.encode(), ENTRY.url, "text/html")


def test_cpu_limit_cuts_off_a_costly_page_and_the_worker_goes_on() -> None:
    healthy = PAGE.format(title="Baghdad", text="Qais al-Khazali spoke in Baghdad today.")
    with worker_pool(workers=1, cpu_limit=0.1) as pool:
        first = pool.submit(os.getpid).result()
        result = pool.submit(bounded, *_page(FLAT)).result(timeout=60)
        assert result == GiveUp("parsing exceeded 0.1 s of CPU")
        ok = pool.submit(bounded, *_page(healthy)).result(timeout=60)
        assert isinstance(ok, Prepared) and ok.article.title == "Baghdad"
        assert pool.submit(os.getpid).result() == first  # the same worker, not replaced


def burn_cpu_in_c() -> int:
    return sum(range(10 ** 11))  # one C call: no signal handler runs until it returns


def test_worker_stuck_in_c_code_ends_itself() -> None:
    with worker_pool(workers=1, cpu_limit=0.2) as pool, pytest.raises(BrokenProcessPool):
        pool.submit(bounded, burn_cpu_in_c).result(timeout=120)


def test_hostile_page_cut_off_while_healthy_sources_flow(tmp_path: Path) -> None:
    with FixtureServer() as site:
        site.add("/hostile/rss", rss(("Deep", site.url("/hostile/1"), "t"),
                                     ("Costly", site.url("/hostile/2"), "t")),
                 content_type="application/rss+xml")
        site.add("/hostile/1", nested(40_000))  # ~15 s of one worker without the bound
        site.add("/hostile/2", FLAT)  # over the CPU limit
        items = [(f"Report {i}", site.url(f"/healthy/{i}"), "t") for i in range(6)]
        site.add("/healthy/rss", rss(*items), content_type="application/rss+xml")
        for i in range(6):
            site.add(f"/healthy/{i}", PAGE.format(title=f"Report {i}",
                                                  text="Qais al-Khazali spoke in Baghdad."))
        config = make_config(tmp_path, f"""\
  - {{name: Hostile, kind: rss, url: '{site.url("/hostile/rss")}'}}
  - {{name: Healthy, kind: rss, url: '{site.url("/healthy/rss")}'}}""")

        async def cycle(store: Store) -> None:
            # One worker: the hostile pages hold the only one while they are cut off.
            with worker_pool(config.watchlist, config.rules, workers=1, cpu_limit=0.1) as pool:
                async with Fetcher(config.fetch) as fetcher:
                    await Pipeline(config, store, fetcher, parsers=pool).run_cycle()

        with Store(tmp_path / "m.db") as store:
            asyncio.run(cycle(store))
            stored = {r["url"] for r in store.query("SELECT url FROM articles")}
            assert stored == {url for _title, url, _text in items}
            failures = {r["url"].rsplit("/", 1)[1]: (r["attempts"], r["last_error"]) for r in
                        store.query("SELECT url, attempts, last_error FROM article_failures")}
            assert failures == {"1": (MAX_ARTICLE_ATTEMPTS, f"page {DEEP}"),
                                "2": (MAX_ARTICLE_ATTEMPTS, "parsing exceeded 0.1 s of CPU")}
            site.routes["/hostile/rss"].etag = None  # (served again in full)
            asyncio.run(cycle(store))
            assert (site.hits("/hostile/1"), site.hits("/hostile/2")) == (1, 1)  # not retried


def test_pipeline_has_a_broken_pool_replaced_once(tmp_path: Path) -> None:
    with FixtureServer() as site:
        site.add("/rss", rss(("A", site.url("/a"), "t")), content_type="application/rss+xml")
        site.add("/a", PAGE.format(title="A", text="Qais al-Khazali spoke in Baghdad."))
        config = make_config(tmp_path, f"  - {{name: S, kind: rss, url: '{site.url('/rss')}'}}")
        source = config.sources[0]

        async def go(store: Store) -> None:
            with worker_pool(config.watchlist, config.rules, workers=1) as broken, \
                    worker_pool(config.watchlist, config.rules, workers=1) as fresh:
                with pytest.raises(BrokenProcessPool):  # its worker is gone (as if killed)
                    broken.submit(os._exit, 1).result()
                async with Fetcher(config.fetch) as fetcher:
                    pipeline = Pipeline(config, store, fetcher, parsers=broken)
                    renewed: list[object] = []

                    def renew(pool: object) -> None:
                        renewed.append(pool)
                        pipeline.parsers = fresh

                    pipeline.renew_parsers = renew
                    with pytest.raises(BrokenProcessPool):  # this poll is lost, not recorded
                        await pipeline.run_source(source)
                    assert renewed == [broken]
                    report = await pipeline.run_source(source)
                    assert report.ok and report.new_articles == 1 and renewed == [broken]

        with Store(tmp_path / "m.db") as store:
            asyncio.run(go(store))


def end_worker() -> None:
    os._exit(1)  # as a worker killed by the OOM killer, or by its hard CPU limit


def test_page_whose_worker_dies_is_a_counted_failure_and_the_pool_renewed(
        tmp_path: Path) -> None:
    with FixtureServer() as site:
        site.add("/rss", rss(("A", site.url("/a"), "t")), content_type="application/rss+xml")
        site.add("/a", PAGE.format(title="A", text="Qais al-Khazali spoke in Baghdad."))
        config = make_config(tmp_path, f"  - {{name: S, kind: rss, url: '{site.url('/rss')}'}}")

        class Killing(Pipeline):
            async def _offload(self, stage: Any, *args: object, matches: bool = True) -> Any:
                if stage is prepare_page:  # this page ends its worker
                    return await super()._offload(end_worker)
                return await super()._offload(stage, *args, matches=matches)

        async def go(store: Store) -> None:
            with worker_pool(config.watchlist, config.rules, workers=1) as first, \
                    worker_pool(config.watchlist, config.rules, workers=1) as second:
                async with Fetcher(config.fetch) as fetcher:
                    pipeline = Killing(config, store, fetcher, parsers=first)
                    renewed: list[object] = []

                    def renew(pool: object) -> None:
                        renewed.append(pool)
                        pipeline.parsers = second

                    pipeline.renew_parsers = renew
                    report = await pipeline.run_source(config.sources[0])
                    assert report.ok and report.failed_articles == [(site.url("/a"), PARSER_DIED)]
                    assert renewed == [first] and pipeline.parsers is second

        with Store(tmp_path / "m.db") as store:
            asyncio.run(go(store))
            (row,) = store.query("SELECT attempts, last_error FROM article_failures")
            assert row == {"attempts": 1, "last_error": PARSER_DIED}  # retried, a few times
