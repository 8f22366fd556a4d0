"""Sources through the whole pipeline against a fault-injecting local server."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config import Config, load_config
from monitor.fetch import Fetcher
from monitor.pipeline import CycleReport, Pipeline, run_once
from monitor.store import Store
from tests.fixture_server import FixtureServer
from tests.receivers import SlackReceiver

RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>
{items}</channel></rss>"""
ITEM = "<item><title>{title}</title><link>{link}</link><description>{text}</description></item>"
PAGE = """<html lang="en"><head><title>{title}</title></head><body><nav>Menu</nav>
<article><h1>{title}</h1><p>{text}</p><p>Second paragraph of the report with more words.</p>
</article><footer>(c)</footer></body></html>"""


def rss(*items: tuple[str, str, str]) -> str:
    return RSS.format(items="".join(ITEM.format(title=t, link=u, text=x) for t, u, x in items))


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        yield server


def make_config(tmp_path: Path, sources: str, extra: str = "") -> Config:
    path = tmp_path / "config.yaml"
    path.write_text(f"""
fetch: {{timeout: 2s, allow_private_addresses: true, delay: 0s, retries: 0}}
sources:
{sources}
watchlists:
  actors: [{{name: Qais al-Khazali}}]
{extra}
""", encoding="utf-8")
    return load_config(path, env={})


def cycle(config: Config, store: Store) -> CycleReport:
    return asyncio.run(run_once(config, store))


def by_name(report: CycleReport) -> dict[str, object]:
    return {s.name: s for s in report.sources}


def test_healthy_sources_unaffected_by_broken_ones(tmp_path: Path, site: FixtureServer) -> None:
    site.add("/good", rss(("Khazali speaks", site.url("/a/1"), "Qais al-Khazali spoke.")),
             content_type="application/rss+xml")
    site.add("/a/1", PAGE.format(title="Khazali speaks", text="Qais al-Khazali spoke."))
    site.add("/slow", rss(), delay=5)
    site.add("/bomb", gzip.compress(b"\0" * (20 << 20)), headers={"Content-Encoding": "gzip"})
    site.add("/html", "<html><title>Just a page</title><p>hello</p></html>")
    site.add("/cf", "<title>Just a moment...</title>", status=403)
    site.add("/reset", reset=True)
    config = make_config(tmp_path, "\n".join(
        f"  - {{name: {n}, kind: rss, url: '{site.url(p)}'}}" for n, p in (
            ("Good", "/good"), ("Slow", "/slow"), ("Bomb", "/bomb"), ("Html", "/html"),
            ("Cloudflare", "/cf"), ("Reset", "/reset"))) +
        "\n", "")
    config = Config(**{**config.__dict__,
                       "fetch": config.fetch.__class__(**{**config.fetch.__dict__,
                                                          "max_bytes": 1 << 20})})
    with Store(tmp_path / "m.db") as store:
        report = by_name(cycle(config, store))
        assert report["Good"].new_articles == 1 and report["Good"].hits == 1
        assert report["Slow"].error == "timeout after 2 s"
        assert "larger than 1 MB" in report["Bomb"].error
        assert report["Html"].error.startswith("not a feed")
        assert "Cloudflare/anti-bot challenge" in report["Cloudflare"].error
        assert report["Reset"].error.startswith("connection broken")
        health = {r["name"]: r for r in store.sources_health()}
        assert health["Good"]["consecutive_failures"] == 0
        assert health["Cloudflare"]["last_error"] == \
            "HTTP 403 (blocked? Cloudflare/anti-bot challenge page)"


def test_unchanged_body_is_not_parsed_again(tmp_path: Path, site: FixtureServer) -> None:
    feed = rss(("One", site.url("/a/1"), "text"))
    site.add("/rss", feed, content_type="application/rss+xml")  # no validators sent
    site.add("/a/1", PAGE.format(title="One", text="Text one."))
    config = make_config(tmp_path, f"  - {{name: S, kind: rss, url: '{site.url('/rss')}'}}")
    with Store(tmp_path / "m.db") as store:
        assert cycle(config, store).sources[0].entries == 1
        second = cycle(config, store).sources[0]
        assert second.not_modified and second.entries == 0
        site.add("/rss", rss(("One", site.url("/a/1"), "t"), ("Two", site.url("/a/2"), "t")),
                 content_type="application/rss+xml")
        site.add("/a/2", PAGE.format(title="Two", text="Text two."))
        third = cycle(config, store).sources[0]
        assert (third.entries, third.new_articles) == (2, 1)


def test_failing_source_backs_off_and_recovers(tmp_path: Path, site: FixtureServer) -> None:
    site.add("/rss", "down", status=503)
    config = make_config(tmp_path, f"  - {{name: S, kind: rss, url: '{site.url('/rss')}', "
                                   "every: 10m}")
    with Store(tmp_path / "m.db") as store, Store(tmp_path / "m.db") as reader:
        async def poll_twice() -> list[bool]:
            async with Fetcher(config.fetch) as fetcher:
                pipeline = Pipeline(config, store, fetcher)
                source = config.sources[0]
                await pipeline.run_source(source)
                first_due = pipeline.due(source)
                await pipeline.run_source(source)  # `once` polls regardless of back-off
                return [first_due, pipeline.due(source)]

        assert asyncio.run(poll_twice()) == [False, False]
        state = reader.source_state("S")
        assert state.consecutive_failures == 2
        wait = datetime.fromisoformat(state.next_poll) - datetime.now(UTC)
        assert timedelta(minutes=15) < wait <= timedelta(minutes=20)  # 2 × every
        site.add("/rss", rss(), content_type="application/rss+xml")
        cycle(config, store)
        state = reader.source_state("S")
        assert (state.consecutive_failures, state.next_poll) == (0, None)


def test_source_down_and_recovered_alert_once(tmp_path: Path, site: FixtureServer) -> None:
    site.add("/rss", "nope", status=500)
    with SlackReceiver() as slack:
        config = make_config(
            tmp_path, f"  - {{name: Outlet, kind: rss, url: '{site.url('/rss')}'}}",
            f"alerts: [{{kind: slack, webhook: '{slack.url}'}}]")
        config = Config(**{**config.__dict__, "fetch": config.fetch.__class__(
            **{**config.fetch.__dict__, "down_after": 3600.0})})
        with Store(tmp_path / "m.db") as store:
            cycle(config, store)
            assert slack.received == []  # failing, but not for long yet
            store.db.execute("UPDATE sources SET failing_since = ?",
                             [(datetime.now(UTC) - timedelta(hours=2)).isoformat()])
            store.db.conn.commit()
            cycle(config, store)
            cycle(config, store)  # still down: no second notice
            texts = [r.json["text"] for r in slack.received]
            assert len(texts) == 1 and "Source down: Outlet has failed every poll" in texts[0]
            assert "HTTP 500" in texts[0]
            site.add("/rss", rss(), content_type="application/rss+xml")
            cycle(config, store)
            cycle(config, store)
            texts = [r.json["text"] for r in slack.received]
            assert len(texts) == 2 and "Source recovered: Outlet" in texts[1]


def test_listing_that_stops_yielding_links_raises_one_notice(tmp_path: Path,
                                                             site: FixtureServer) -> None:
    listing = '<html><body><a href="/posts/1/a">A</a><a href="/posts/2/b">B</a></body></html>'
    site.add("/", listing)
    for n in (1, 2):
        site.add(f"/posts/{n}/{'ab'[n - 1]}", PAGE.format(title=f"P{n}", text="Words here."))
    with SlackReceiver() as slack:
        config = make_config(
            tmp_path, f"  - {{name: TNR, kind: html, url: '{site.url('/')}', "
                      "link_pattern: '/posts/\\d+'}",
            f"alerts: [{{kind: slack, webhook: '{slack.url}'}}]")
        with Store(tmp_path / "m.db") as store:
            assert cycle(config, store).sources[0].new_articles == 2
            site.add("/", "<html><body><div class='new-layout'>Nothing</div></body></html>")
            cycle(config, store)
            site.add("/", "<html><body><div class='new-layout'>Still nothing</div></body></html>")
            cycle(config, store)
            texts = [r.json["text"] for r in slack.received]
            assert len(texts) == 1 and "Selectors broken? TNR" in texts[0]
            site.add("/", listing)
            cycle(config, store)
            assert "yields article links again" in slack.received[-1].json["text"]


def test_off_domain_article_links_are_not_followed(tmp_path: Path) -> None:
    with FixtureServer("127.0.0.1") as own, FixtureServer("127.0.0.2") as other:
        own.add("/rss", rss(("Here", own.url("/a/1"), "t"), ("There", other.url("/a/2"), "t")),
                content_type="application/rss+xml")
        own.add("/a/1", PAGE.format(title="Here", text="Own article."))
        other.add("/a/2", PAGE.format(title="There", text="Elsewhere."))
        source = f"  - {{name: S, kind: rss, url: '{own.url('/rss')}'"
        with Store(tmp_path / "m.db") as store:
            report = cycle(make_config(tmp_path, source + "}"), store).sources[0]
            assert (report.new_articles, report.off_domain) == (1, 1)
            assert other.requests == []
            allowed = source + ", follow_domains: [127.0.0.2]}"
            report = cycle(make_config(tmp_path, allowed), store).sources[0]
            assert other.hits("/a/2") == 1


def test_robots_disallow_is_a_clear_error_and_opt_out_works(tmp_path: Path,
                                                            site: FixtureServer) -> None:
    site.add("/robots.txt", "User-agent: *\nDisallow: /feeds/\n", content_type="text/plain")
    site.add("/feeds/rss", rss(), content_type="application/rss+xml")
    source = f"  - {{name: S, kind: rss, url: '{site.url('/feeds/rss')}'"
    with Store(tmp_path / "m.db") as store:
        report = cycle(make_config(tmp_path, source + "}"), store).sources[0]
        assert report.error.startswith("disallowed by robots.txt")
        assert site.hits("/feeds/rss") == 0
        report = cycle(make_config(tmp_path, source + ", robots: false}"), store).sources[0]
        assert report.ok and site.hits("/feeds/rss") == 1


def test_failed_article_retried_a_bounded_number_of_times(tmp_path: Path,
                                                          site: FixtureServer) -> None:
    site.add("/rss", rss(("Broken", site.url("/a/broken"), "t")),
             content_type="application/rss+xml", etag='"v1"')
    site.add("/a/broken", "oops", status=500)
    config = make_config(tmp_path, f"  - {{name: S, kind: rss, url: '{site.url('/rss')}'}}")
    with Store(tmp_path / "m.db") as store:
        for _ in range(7):
            cycle(config, store)
        assert site.hits("/a/broken") == 5
        (row,) = store.query("SELECT attempts, last_error FROM article_failures")
        assert row == {"attempts": 5, "last_error": "HTTP 500"}
        assert store.sources_health()[0]["failed_articles"] == 1


def test_article_404_and_410_are_recorded_once_and_not_retried(tmp_path: Path,
                                                                site: FixtureServer) -> None:
    site.add("/rss", rss(("Gone", site.url("/a/gone"), "t"), ("Lost", site.url("/a/lost"), "t"),
                         ("Flaky", site.url("/a/flaky"), "t")),
             content_type="application/rss+xml", etag='"v1"')
    site.add("/a/gone", "gone", status=410)
    site.add("/a/flaky", "oops", status=503)  # /a/lost is not served: 404
    config = make_config(tmp_path, f"  - {{name: S, kind: rss, url: '{site.url('/rss')}'}}")
    with Store(tmp_path / "m.db") as store:
        for _ in range(3):
            report = cycle(config, store).sources[0]
            assert report.ok  # an article's 404 is not the source's failure
        assert (site.hits("/a/gone"), site.hits("/a/lost"), site.hits("/a/flaky")) == (1, 1, 3)
        rows = {r["url"].rsplit("/", 1)[1]: (r["attempts"] >= 5, r["last_error"])
                for r in store.query("SELECT url, attempts, last_error FROM article_failures")}
        assert rows == {"gone": (True, "HTTP 410"), "lost": (True, "HTTP 404"),
                        "flaky": (False, "HTTP 503")}
        assert store.sources_health()[0]["consecutive_failures"] == 0


def test_feed_404_counts_toward_the_source_health(tmp_path: Path, site: FixtureServer) -> None:
    config = make_config(tmp_path, f"  - {{name: S, kind: rss, url: '{site.url('/gone')}'}}")
    with Store(tmp_path / "m.db") as store:
        for expected in (1, 2):
            store.db.execute("UPDATE sources SET next_poll = NULL")  # skip the back-off
            assert cycle(config, store).sources[0].error == "HTTP 404"
            assert store.sources_health()[0]["consecutive_failures"] == expected


def test_news_sitemap_and_index(tmp_path: Path, site: FixtureServer) -> None:
    recent = datetime.now(UTC).isoformat(timespec="seconds")
    old = (datetime.now(UTC) - timedelta(days=30)).isoformat(timespec="seconds")
    urlset = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>{site.url('/a/new')}</loc><news:news><news:publication_date>{recent}
  </news:publication_date><news:title>New one</news:title></news:news></url>
  <url><loc>{site.url('/a/old')}</loc><lastmod>{old}</lastmod></url>
</urlset>"""
    index = f"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{site.url('/sitemap-new.xml.gz')}</loc><lastmod>{recent}</lastmod></sitemap>
  <sitemap><loc>{site.url('/sitemap-2019.xml')}</loc><lastmod>{old}</lastmod></sitemap>
</sitemapindex>"""
    site.add("/sitemap.xml", index, content_type="application/xml")
    site.add("/sitemap-new.xml.gz", gzip.compress(urlset.encode()),
             content_type="application/x-gzip")
    site.add("/a/new", PAGE.format(title="New one", text="Qais al-Khazali said."))
    config = make_config(tmp_path, f"  - {{name: Map, kind: sitemap, "
                                   f"url: '{site.url('/sitemap.xml')}', max_age: 2d}}")
    with Store(tmp_path / "m.db") as store:
        report = cycle(config, store).sources[0]
        assert report.ok, report.error
        assert (report.entries, report.new_articles) == (1, 1)
        assert site.hits("/sitemap-2019.xml") == 0 and site.hits("/a/old") == 0
        assert store.query("SELECT title FROM articles") == [{"title": "New one"}]


def test_arabic_windows_1256_page_through_pipeline(tmp_path: Path, site: FixtureServer) -> None:
    page = ('<html lang="ar" dir="rtl"><head><meta charset="windows-1256"><title>خبر</title>'
            '</head><body><article><h1>خبر عاجل</h1><p>قال قيس الخزعلي إن الوضع في ميسان '
            'هادئ.</p><p>وأضاف أن القوات الأمنية انتشرت في المدينة.</p></article></body>'
            '</html>').encode("windows-1256")
    site.add("/rss", rss(("خبر", site.url("/ar/1"), "")), content_type="application/rss+xml")
    site.add("/ar/1", page, content_type="text/html")  # charset only in <meta>
    path = tmp_path / "ar.yaml"
    path.write_text(f"""
fetch: {{allow_private_addresses: true, delay: 0s}}
sources: [{{name: AR, kind: rss, url: '{site.url('/rss')}'}}]
watchlists: {{actors: [{{name: Qais al-Khazali, aliases: [قيس الخزعلي]}}]}}
""", encoding="utf-8")
    with Store(tmp_path / "m.db") as store:
        report = cycle(load_config(path, env={}), store).sources[0]
        assert report.hits == 1
        (row,) = store.query("SELECT body, language FROM articles")
        assert "قيس الخزعلي" in row["body"] and row["language"] == "ar"


def test_last_modified_sent_back_and_304_costs_no_parsing(tmp_path: Path,
                                                          site: FixtureServer) -> None:
    stamp = "Sat, 03 Jan 2026 12:00:00 GMT"
    site.add("/rss", rss(("One", site.url("/a/1"), "t")), content_type="application/rss+xml",
             last_modified=stamp)
    site.add("/a/1", PAGE.format(title="One", text="Text."))
    config = make_config(tmp_path, f"  - {{name: S, kind: rss, url: '{site.url('/rss')}'}}")
    with Store(tmp_path / "m.db") as store:
        cycle(config, store)
        second = cycle(config, store).sources[0]
        assert second.not_modified
        assert site.requests[-1].headers["if-modified-since"] == stamp
        assert store.source_state("S").last_modified == stamp


def test_malformed_feed_keeps_entries_and_records_the_problem(tmp_path: Path,
                                                              site: FixtureServer) -> None:
    broken = rss(("One & only", site.url("/a/1"), "Qais al-Khazali <b>spoke")) \
        .replace("</channel></rss>", "")  # unclosed elements, bare ampersand
    site.add("/rss", broken, content_type="application/rss+xml")
    site.add("/a/1", PAGE.format(title="One", text="Qais al-Khazali spoke."))
    config = make_config(tmp_path, f"  - {{name: S, kind: rss, url: '{site.url('/rss')}'}}")
    with Store(tmp_path / "m.db") as store:
        report = cycle(config, store).sources[0]
        assert report.ok and report.new_articles == 1
        (row,) = store.sources_health()
        assert row["last_warning"] and row["consecutive_failures"] == 0


def _feeds_of_one_item(tmp_path: Path, site: FixtureServer, count: int) -> Config:
    """`count` feeds of one item each, read from the feed alone."""
    for n in range(count):
        site.add(f"/f{n}", rss((f"Item {n}", site.url(f"/a/{n}"), "Qais al-Khazali spoke.")),
                 content_type="application/rss+xml")
    return make_config(tmp_path, "\n".join(
        f"  - {{name: F{n}, kind: rss, url: '{site.url(f'/f{n}')}', fetch_articles: false}}"
        for n in range(count)))


def test_polls_past_their_fetch_are_bounded(tmp_path: Path, site: FixtureServer,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # When parsing and writing lag behind fetching, fetched polls wait instead of all
    # holding their entries and articles in memory at once.
    import monitor.pipeline as pipeline_module
    monkeypatch.setattr(pipeline_module, "MAX_POLLS_PROCESSING", 2)
    config = _feeds_of_one_item(tmp_path, site, 6)
    busy, most = 0, 0
    ingest = Pipeline._ingest

    async def counted(self: Pipeline, *args: object) -> None:
        nonlocal busy, most
        busy += 1
        most = max(most, busy)
        await asyncio.sleep(0.05)  # long enough for every other poll to arrive meanwhile
        try:
            await ingest(self, *args)  # type: ignore[arg-type]
        finally:
            busy -= 1

    monkeypatch.setattr(Pipeline, "_ingest", counted)
    with Store(tmp_path / "m.db") as store:
        report = cycle(config, store)
        assert [s.new_articles for s in report.sources] == [1] * 6
    assert most == 2


def test_polls_in_flight_are_bounded_from_their_fetch(tmp_path: Path, site: FixtureServer,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # Fetching does not run ahead of processing: a poll holds its slot from before its
    # fetch until it is stored, so fetched bodies never pile up waiting.
    import monitor.pipeline as pipeline_module
    monkeypatch.setattr(pipeline_module, "MAX_POLLS_IN_FLIGHT", 3)
    config = _feeds_of_one_item(tmp_path, site, 8)
    fetched_waiting, most = 0, 0
    get, ingest = Fetcher.get, Pipeline._ingest

    async def counted_get(self: Fetcher, *args: object, **kwargs: object) -> object:
        nonlocal fetched_waiting, most
        response = await get(self, *args, **kwargs)  # type: ignore[arg-type]
        fetched_waiting += 1
        most = max(most, fetched_waiting)
        return response

    async def slow_ingest(self: Pipeline, *args: object) -> None:
        nonlocal fetched_waiting
        await asyncio.sleep(0.05)  # processing lags: every other fetch could finish
        await ingest(self, *args)  # type: ignore[arg-type]
        fetched_waiting -= 1

    monkeypatch.setattr(Fetcher, "get", counted_get)
    monkeypatch.setattr(Pipeline, "_ingest", slow_ingest)
    with Store(tmp_path / "m.db") as store:
        report = cycle(config, store)
        assert [s.new_articles for s in report.sources] == [1] * 8
    assert most == 3


def test_latin_and_arabic_spellings_reach_the_alert_from_the_canonical_name_alone(
        tmp_path: Path, site: FixtureServer) -> None:
    # Issue 5's promise: the config holds only the canonical name and its Arabic alias; one
    # outlet writes "Moqtada al-Sadr", another "مُقتدى الصدر" (with a damma), and both reach
    # the alert for Muqtada al-Sadr.
    site.add("/en", rss(("Moqtada al-Sadr urges calm in Amarah", site.url("/en/1"),
                         "The cleric Moqtada al-Sadr called on his followers to stay calm.")),
             content_type="application/rss+xml")
    site.add("/ar", rss(("مُقتدى الصدر يدعو إلى التهدئة", site.url("/ar/1"),
                         "دعا زعيم التيار مُقتدى الصدر أنصاره إلى ضبط النفس.")),
             content_type="application/rss+xml")
    with SlackReceiver() as slack:
        path = tmp_path / "config.yaml"
        path.write_text(f"""
fetch: {{timeout: 2s, allow_private_addresses: true, delay: 0s, retries: 0}}
sources:
  - {{name: English outlet, kind: rss, url: '{site.url('/en')}', fetch_articles: false}}
  - {{name: Arabic outlet, kind: rss, url: '{site.url('/ar')}', fetch_articles: false}}
watchlists:
  actors:
    - name: Muqtada al-Sadr
      aliases: [مقتدى الصدر]
alerts: [{{kind: slack, webhook: '{slack.url}'}}]
""", encoding="utf-8")
        config = load_config(path, env={})
        with Store(tmp_path / "m.db") as store:
            cycle(config, store)
            found = {(r["url"], r["matched_text"], r["how"]) for r in store.db.query(
                "SELECT a.url, h.matched_text, h.how FROM hits h JOIN articles a "
                "ON a.id = h.article_id WHERE h.entity = 'Muqtada al-Sadr' AND h.field = 'body'")}
        assert found == {(site.url("/en/1"), "Moqtada al-Sadr", "variant"),
                         (site.url("/ar/1"), "مُقتدى الصدر", "normalised")}
        texts = [json.dumps(r.json, ensure_ascii=False) for r in slack.received]
        assert texts and all("Muqtada al-Sadr" in t for t in texts)
        for url in (site.url("/en/1"), site.url("/ar/1")):
            assert any(url in t for t in texts), url
