"""Pages that are not articles, and bodies that are not text (issue 16, items 6 and 9).

6: binary garbage served as text/html on a listing source was recorded as a healthy
   source with 0 items. It is now a failure of the source: "not HTML: binary content".
9: a "Document moved" stub served with 200, or a listing/home page linked as an article,
   became an article. They are now skipped with a reason (table `skipped_pages`), not
   stored, and not fetched again; short real articles, English and Arabic, are stored.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config import Config, Source, load_config
from monitor.extract import extract_article
from monitor.extract.binary import binary_reason
from monitor.extract.not_article import not_article_reason
from monitor.match import Matcher
from monitor.models import FeedEntry
from monitor.pipeline import run_once
from monitor.prepare import Prepared, Skipped, prepare_page
from monitor.store import Store
from tests.fixture_server import FixtureServer

LISTING = "https://outlet.example/news"
SOURCE = Source(name="Outlet", kind="html", url=LISTING, every=600, links="a")


def garbage(size: int = 6000, seed: int = 16) -> bytes:
    return random.Random(seed).randbytes(size)


# ------------------------------------------------------------------ item 6: binary bodies

@pytest.mark.parametrize(("data", "reason"), [
    (garbage(), "binary content"),
    (b"\x89PNG\r\n\x1a\n" + garbage(500), "binary content (a PNG image)"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "binary content (a PDF document)"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "binary content (a JPEG image)"),
    (b"<html><body>" + bytes(range(1, 9)) * 40 + b"</body></html>", "binary content"),
])
def test_binary_bodies_are_named(data: bytes, reason: str) -> None:
    assert binary_reason(data) == reason


@pytest.mark.parametrize("data", [
    b"<html><body><p>plain</p></body></html>",
    "<html><body><p>كتائب حزب الله</p></body></html>".encode("utf-16"),  # NULs, but text
    "<html><body><p>كتائب حزب الله</p></body></html>".encode("utf-16-le"),
    "<p>كتائب حزب الله</p>".encode("cp1256"),
    b"<p>one stray \x01 control byte in a long page</p>" + b"<p>text</p>" * 300,
    b"<p>a CMS left a NUL \x00 here</p>" + b"<p>text</p>" * 300,
    b"\x1b$B<p>ISO-2022-JP escapes are text</p>",
    b"",
])
def test_text_is_not_binary(data: bytes) -> None:
    assert binary_reason(data) is None


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        yield server


def make_config(tmp_path: Path, sources: str) -> Config:
    path = tmp_path / "config.yaml"
    path.write_text(f"""
fetch: {{timeout: 2s, allow_private_addresses: true, delay: 0s, retries: 0}}
sources:
{sources}
watchlists:
  actors: [{{name: Qais al-Khazali, aliases: [قيس الخزعلي]}}]
""", encoding="utf-8")
    return load_config(path, env={})


def test_binary_listing_is_a_failing_source(tmp_path: Path, site: FixtureServer) -> None:
    site.add("/news", garbage(), content_type="text/html")
    config = make_config(tmp_path, f"  - {{name: Garbage, kind: html, url: '{site.url('/news')}',"
                                   " links: 'a'}")
    with Store(tmp_path / "m.db") as store:
        report = asyncio.run(run_once(config, store))
        (row,) = store.sources_health()
    assert report.sources[0].error == "not HTML: binary content"
    assert row["consecutive_failures"] == 1 and row["last_error"] == "not HTML: binary content"
    assert row["last_success"] is None


def test_binary_article_page_is_a_failed_article() -> None:
    entry = FeedEntry(url="https://outlet.example/news/1")
    result = prepare_page(SOURCE, entry, b"\x89PNG\r\n\x1a\n" + garbage(900), entry.url,
                          "text/html", matcher=Matcher([], []))
    assert result == "not HTML: binary content (a PNG image)"


# ------------------------------------------------------------------ item 9: not articles

EN_SHORT = ("<p>BAGHDAD – A roadside bomb struck a logistics convoy near Abu Ghraib on "
            "Tuesday, security sources said.</p><p>No casualties were reported.</p>"
            "<p>Qais al-Khazali condemned the attack in a statement.</p>")
AR_SHORT = ("<p>شفق نيوز – بغداد</p><p>انفجرت عبوة ناسفة على رتل للدعم اللوجستي قرب "
            "أبو غريب يوم الثلاثاء.</p><p>ولم تسجل إصابات.</p>")
AR_FLASH = "<p>عاجل | انفجار في الكرادة وسط بغداد وأنباء عن إصابات</p>"
STUB = ("<html><head><title>Document Moved</title></head><body><h1>Object Moved</h1>"
        'This document may be found <a href="/x">here</a></body></html>')
NAV = "".join(f'<li><a href="/news/{i}">Section {i}</a></li>' for i in range(40))


def html(title: str, body: str, nav: str = NAV) -> str:
    return (f"<html><head><title>{title}</title></head><body><nav><ul>{nav}</ul></nav>"
            f"<article><h1>{title}</h1>{body}</article><footer>(c) Outlet</footer>"
            "</body></html>")


def headlines(n: int, arabic: bool = False) -> str:
    text = "اجتماع لقادة الحشد الشعبي في بغداد لبحث الانسحاب رقم {i}" if arabic else \
        "PMF commanders meet in Baghdad as the US drawdown looms, part {i}"
    return "".join(f'<div class="card"><h2><a href="/news/{100 + i}">{text.format(i=i)}'
                   f"</a></h2></div>" for i in range(n))


def verdict(page: str, url: str = "https://outlet.example/news/7",
            fetched_from: str | None = None) -> str | None:
    extracted = extract_article(page, fetched_from or url)
    found = not_article_reason(extracted, (url, fetched_from or url), LISTING)
    return None if found is None else found.reason


@pytest.mark.parametrize(("name", "page", "url", "fetched_from", "reason"), [
    ("IIS redirect stub", "<html><head><title>Document Moved</title></head><body><h1>Object "
     'Moved</h1>This document may be found <a href="/news/7">here</a></body></html>',
     None, None, "a stub page"),
    ("Apache stub", "<html><head><title>301 Moved Permanently</title></head><body><h1>Moved "
     'Permanently</h1><p>The document has moved <a href="/x">here</a>.</p></body></html>',
     None, None, "a stub page"),
    ("Arabic stub", "<html><body><p>تم نقل الصفحة إلى عنوان جديد</p></body></html>",
     None, None, "a stub page"),
    ("script wall", "<html><body><p>Please enable JavaScript to view this site.</p>"
     "</body></html>", None, None, "a stub page"),
    ("the listing itself", html("Latest news", headlines(12)), "https://outlet.example/news/",
     None, "the source's listing page"),
    ("listing over http", html("Latest news", headlines(12)), "http://www.outlet.example/news",
     None, "the source's listing page"),
    ("home page", html("Outlet", headlines(12)), "https://outlet.example/", None,
     "a site's home page"),
    ("redirected to home", html("Outlet", headlines(12)), "https://outlet.example/news/404",
     "https://outlet.example/", "a site's home page"),
    ("Arabic home page", html("شفق نيوز", headlines(12, arabic=True)),
     "https://outlet.example/ar", None, "a site's home page"),
    ("section front", html("Politics", headlines(12)), "https://outlet.example/politics",
     None, "mostly links"),
    ("Arabic section front", html("سياسة", headlines(12, arabic=True)),
     "https://outlet.example/ar/politics", None, "mostly links"),
    ("one-headline teaser", html("Politics", headlines(1)), "https://outlet.example/tag/pmf",
     None, "mostly links"),
    ("empty shell", html("Outlet", "<p>Loading…</p>"), None, None, "too little text"),
])
def test_pages_that_are_not_articles(name: str, page: str, url: str | None,
                                     fetched_from: str | None, reason: str) -> None:
    found = verdict(page, url or "https://outlet.example/news/7", fetched_from)
    assert found is not None and found.startswith(f"not an article: {reason}"), (name, found)


@pytest.mark.parametrize(("name", "page"), [
    ("three-paragraph English breaking news", html("Bomb hits convoy", EN_SHORT)),
    ("three-paragraph Arabic breaking news", html("انفجار عبوة قرب أبو غريب", AR_SHORT)),
    ("Arabic one-line flash", html("عاجل", AR_FLASH)),
    ("article quoting a stub phrase", html("Ministry site", EN_SHORT * 6 + "<p>The old page "
                                           "now says 'Document moved' to visitors.</p>")),
    ("article with a related-links box", html("Bomb hits convoy", EN_SHORT +
                                              '<p>Related: <a href="/news/9">Earlier attack '
                                              "on the same road</a></p>")),
    ("article with heavy navigation", html("Bomb hits convoy", EN_SHORT, NAV * 5)),
    ("canonical points at the home page", html("Bomb hits convoy", EN_SHORT).replace(
        "<head>", '<head><link rel="canonical" href="https://outlet.example/">')),
])
def test_real_short_articles_are_kept(name: str, page: str) -> None:
    assert verdict(page) is None, name


def test_prepare_page_skips_with_the_reason() -> None:
    entry = FeedEntry(url="https://outlet.example/news/7")
    page = ("<html><head><title>Document Moved</title></head><body><h1>Object Moved</h1>"
            'This document may be found <a href="/news/8">here</a></body></html>')
    result = prepare_page(SOURCE, entry, page.encode(), entry.url, "text/html",
                          matcher=Matcher([], []))
    assert isinstance(result, Skipped) and "stub page" in result.reason
    assert not result.final  # a stub may be passing: looked at again later
    kept = prepare_page(SOURCE, entry, html("Bomb", EN_SHORT).encode(), entry.url,
                        "text/html", matcher=Matcher([], []))
    assert isinstance(kept, Prepared)


def test_skipped_pages_are_recorded_not_stored_not_refetched(tmp_path: Path,
                                                             site: FixtureServer) -> None:
    listing = (f'<html><body><a href="{site.url("/news")}">All news</a>'
               f'<a href="/news/1">One</a><a href="/news/2">Two</a>'
               f'<a href="/news/3">Three</a><a href="/">Home</a></body></html>')
    site.add("/news", listing)
    site.add("/news/1", html("Bomb hits convoy", EN_SHORT))
    site.add("/news/2", STUB)
    site.add("/news/3", html("انفجار عبوة قرب أبو غريب", AR_SHORT))
    site.add("/", html("Outlet", headlines(12)))
    config = make_config(tmp_path, f"  - {{name: Outlet, kind: html, url: '{site.url('/news')}'"
                                   ", links: 'a'}")
    with Store(tmp_path / "m.db") as store:
        report = asyncio.run(run_once(config, store)).sources[0]
        stored = {r["url"] for r in store.query("SELECT url FROM articles")}
        skipped = {r["url"]: r for r in store.query("SELECT * FROM skipped_pages")}
        (health,) = store.sources_health()
        assert stored == {site.url("/news/1"), site.url("/news/3")}
        assert set(skipped) == {site.url("/news"), site.url("/news/2"), site.url("/")}
        assert skipped[site.url("/news/2")]["reason"].startswith("not an article: a stub page")
        assert [skipped[site.url(p)]["final"] for p in ("/news", "/news/2", "/")] == [1, 0, 1]
        assert report.ok and report.new_articles == 2 and len(report.skipped) == 3
        assert "3 pages skipped (not articles)" in report.summary()
        assert health["skipped_pages"] == 3 and health["failed_articles"] == 0
        # Later polls (the listing changed, so it is read again) fetch neither the listing
        # nor the home page again; the stub is looked at twice more, then no longer.
        fetched = []
        for poll in range(4):
            site.add("/news", listing + f"<!-- changed {poll} -->")
            before = len(site.requests)
            asyncio.run(run_once(config, store))
            fetched.append([r.path for r in site.requests[before:] if r.path != "/robots.txt"])
        assert fetched == [["/news", "/news/2"], ["/news", "/news/2"], ["/news"], ["/news"]]
        assert store.query("SELECT times FROM skipped_pages WHERE url = ?",
                           [site.url("/news/2")])[0]["times"] == 3


def test_a_stub_that_becomes_an_article_is_stored(tmp_path: Path, site: FixtureServer) -> None:
    # A feed announcing a page its CMS has not filled yet: empty at first, an article later.
    site.add("/news", '<html><body><a href="/news/9">Nine</a></body></html>')
    site.add("/news/9", html("Outlet", "<p>Loading…</p>"))
    config = make_config(tmp_path, f"  - {{name: Outlet, kind: html, url: '{site.url('/news')}'"
                                   ", links: 'a'}")
    with Store(tmp_path / "m.db") as store:
        first = asyncio.run(run_once(config, store)).sources[0]
        assert first.skipped == [(site.url("/news/9"),
                                  "not an article: too little text (2 words)")]
        site.add("/news/9", html("Bomb hits convoy", EN_SHORT))
        site.add("/news", '<html><body><a href="/news/9">Nine</a> </body></html>')
        second = asyncio.run(run_once(config, store)).sources[0]
        assert second.new_articles == 1
        assert store.query("SELECT count(*) AS n FROM skipped_pages")[0]["n"] == 0

def test_monitor_extract_names_a_binary_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli

    image = tmp_path / "saved.html"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + garbage(900))
    page = tmp_path / "page.html"
    page.write_text(html("Bomb hits convoy", EN_SHORT), encoding="utf-8")
    result = CliRunner().invoke(cli, ["extract", str(image), str(page)])
    assert result.exit_code == 1
    assert f"Error: {image}: not HTML: binary content (a PNG image)" in result.stderr
    assert '"title": "Bomb hits convoy"' in result.stdout


def test_monitor_once_lists_the_skipped_pages(tmp_path: Path, site: FixtureServer) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli

    site.add("/news", '<html><body><a href="/news/2">Two</a></body></html>')
    site.add("/news/2", "<html><head><title>Document Moved</title></head><body><h1>Object "
                        'Moved</h1>This document may be found <a href="/x">here</a>'
                        "</body></html>")
    config = tmp_path / "config.yaml"
    config.write_text(f"""
database: monitor.db
fetch: {{timeout: 5s, allow_private_addresses: true, delay: 0s, retries: 0}}
sources:
  - {{name: Outlet, kind: html, url: "{site.url('/news')}", links: a}}
watchlists:
  actors: [{{name: Qais al-Khazali}}]
""", encoding="utf-8")
    result = CliRunner().invoke(cli, ["once", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert "Outlet: 1 entry, 0 new articles, 0 hits, 1 page skipped (not articles)" in \
        result.stdout
    assert "cycle done: 1 source (0 failed), 0 new articles, 0 hits, 0 alerts sent" \
        in result.stdout
    assert f"  skipped: {site.url('/news/2')}: not an article: a stub page" in result.stdout
