"""parse_feed on outlet-like RSS/Atom fixtures and over feedparser's own test corpus."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.errors import ExtractError
from monitor.extract import parse_feed
from monitor.models import FeedEntry

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
CORPUS = Path(__file__).parents[2] / "shared" / "corpora" / "feedparser-tests" / "tests"
SHAFAQ_RSS = "https://shafaq.com/en/rss"


def _entries(name: str, url: str, content_type: str | None = None) -> list[FeedEntry]:
    entries, _ = parse_feed((FIXTURES / name).read_bytes(), url, content_type)
    return entries


# --- RSS 2.0 --------------------------------------------------------------------------------

def test_rss_urls_resolved_cleaned_and_unusable_items_dropped() -> None:
    urls = [e.url for e in _entries("shafaq_rss.xml", SHAFAQ_RSS, "application/rss+xml")]
    assert urls == [
        # relative link resolved against the feed URL, "#comments" stripped
        "https://shafaq.com/en/Security/Kataib-Hezbollah-denies-attack",
        # utm_source removed so the same article found elsewhere is the same URL
        "https://shafaq.com/en/Kurdistan/Al-Sudani-meets-Barzani",
        # no <link>: the permalink guid is the address
        "https://shafaq.com/en/Iraq/guid-only-item",
    ]  # the tag: guid item and the javascript: item have no usable URL


def test_rss_fields() -> None:
    first, second, third = _entries("shafaq_rss.xml", SHAFAQ_RSS, "application/rss+xml")
    # escaped HTML in the title is removed, whitespace collapsed
    assert first.title == "Breaking: Kata'ib Hezbollah denies attack on Ain al-Asad"
    assert first.published == "2026-01-03T14:05:00+00:00"  # +0300 -> UTC
    assert first.author == "Shafaq News"
    assert first.summary == ("Shafaq News – Baghdad\n"
                             "The armed faction Kata'ib Hezbollah denied any role.")
    assert second.published is None  # no pubDate at all
    # content:encoded beats the teaser description
    assert second.summary == ("Iraqi Prime Minister Mohammed Shia al-Sudani met Masoud Barzani.\n"
                              "They discussed oil.")
    assert third.published == "2026-01-02T08:00:00+00:00"
    assert third.summary is None


def test_rss_without_content_type_reports_no_problem() -> None:
    entries, problem = parse_feed((FIXTURES / "shafaq_rss.xml").read_bytes(), SHAFAQ_RSS)
    assert len(entries) == 3
    assert problem is None


def test_rss_charset_from_http_header() -> None:
    """A windows-1256 feed with no XML declaration is readable only through the header."""
    xml = ("<rss version='2.0'><channel><title>شفق نيوز</title>"
           "<item><title>كتائب حزب الله تنفي الهجوم</title>"
           "<link>https://shafaq.com/ar/أمن/1</link></item></channel></rss>")
    entries, _ = parse_feed(xml.encode("cp1256"), "https://shafaq.com/ar/rss",
                            "application/rss+xml; charset=windows-1256")
    assert [e.title for e in entries] == ["كتائب حزب الله تنفي الهجوم"]


def test_malformed_rss_still_yields_entries_and_a_problem() -> None:
    xml = (b"<?xml version='1.0'?><rss version='2.0'><channel><title>Shafaq</title>"
           b"<item><title>Oil & gas talks</title><link>https://shafaq.com/en/a?x=1&y=2</link>"
           b"</item></channel></rss>")
    entries, problem = parse_feed(xml, SHAFAQ_RSS, "application/rss+xml")
    assert [e.url for e in entries] == ["https://shafaq.com/en/a?x=1&y=2"]
    assert entries[0].title == "Oil & gas talks"
    assert problem is not None and "SAXParseException" in problem


# --- Atom -----------------------------------------------------------------------------------

def test_atom_entries() -> None:
    first, second = _entries("newregion_atom.xml", "https://thenewregion.com/feed.atom",
                             "application/atom+xml")
    # xml:base resolves "posts/..." and "/posts/..."; the enclosure link is not the article
    assert first.url == "https://thenewregion.com/posts/1482/pmf-commanders-meet"
    assert second.url == "https://thenewregion.com/posts/1479/salaries"
    assert first.title == "Analysis: PMF commanders meet in Baghdad"  # type="html" title
    assert first.published == "2026-01-03T09:00:00+00:00"  # only <updated>, +03:00
    assert second.published == "2026-01-02T20:30:00+00:00"  # <published> beats <updated>
    assert first.author == "Dilan Sirwan"
    assert first.summary == "Senior commanders of the PMF met on Saturday."
    assert second.summary == "Plain text summary & more."


# --- not a feed -----------------------------------------------------------------------------

@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", None])
def test_html_page_is_not_a_feed(content_type: str | None) -> None:
    data = (FIXTURES / "newregion_article.html").read_bytes()
    with pytest.raises(ExtractError, match=r"^not a feed: got text/html"):
        parse_feed(data, "https://thenewregion.com/feed", content_type)


def test_empty_but_valid_feed_is_not_an_error() -> None:
    entries, _ = parse_feed(b"<rss version='2.0'><channel><title>x</title></channel></rss>",
                            SHAFAQ_RSS, "text/html")  # wrong server header, still a feed
    assert entries == []


# --- feedparser's own corpus ----------------------------------------------------------------

def _declared_content_type(data: bytes) -> str | None:
    """Corpus files state the HTTP header they were served with in a leading comment."""
    found = re.search(rb"^\s*Header:\s*Content-type:\s*(.+?)\s*$", data[:2048], re.M | re.I)
    return found.group(1).decode("latin-1") if found else None


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _usable(entry: dict, base: str) -> bool:
    link = (entry.get("link") or "").strip()
    if link and not link.startswith("#") and _is_http(urljoin(base, link)):
        return True
    return _is_http((entry.get("id") or "").strip())


def test_feedparser_corpus() -> None:
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file())
    assert len(files) > 2000
    totals = {"files": 0, "with_entries": 0, "fp_entries": 0, "fp_usable": 0, "ours": 0}
    for path in files:
        data = path.read_bytes()
        content_type = _declared_content_type(data)
        url = f"http://example.org/feeds/{path.name}"
        try:
            entries, _ = parse_feed(data, url, content_type)
        except ExtractError:
            continue  # the one failure parse_feed may report
        totals["files"] += 1
        headers = {"content-location": url, **({"content-type": content_type}
                                                if content_type else {})}
        reference = feedparser.parse(io.BytesIO(data), response_headers=headers)
        if not reference.entries:
            continue
        usable = sum(_usable(e, url) for e in reference.entries)
        assert len(entries) == usable, path
        totals["with_entries"] += 1
        totals["fp_entries"] += len(reference.entries)
        totals["fp_usable"] += usable
        totals["ours"] += len(entries)
    print("feedparser corpus:", totals)
    assert totals["with_entries"] > 1000 and totals["ours"] > 100


_TEXT_PIECES = ["a", "b", " ", "\n", "\r\n", "\t", "é", "ع", "\u00a0", "&amp;", "&lt;", "&gt;",
                "&nbsp;", "&quot;", "&#39;", "&#1593;", "&#x639;", "&eacute;", "&amp", "&copy",
                "&", ";", "#", "&notin;", "&noti", "\u2028", "\u0085"]


@given(st.lists(st.sampled_from(_TEXT_PIECES), max_size=15).map("".join))
def test_tagless_summaries_skip_the_parser_with_the_same_text(text: str) -> None:
    # Most feeds label plain summaries as HTML; without a "<" they are decoded without a
    # parser, and must read exactly as the parser reads them (here: the same text in a span).
    from monitor.extract.feed import _html_to_text
    assert _html_to_text(text) == _html_to_text(f"<span>{text}</span>")


def test_feedparser_speed_ups_leave_its_results_unchanged(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    # parse_feed memoises feedparser's base-URL joins, copies its content parameters
    # directly and joins plain absolute links without urllib
    # (monitor.extract.feed._speed_up_feedparser): feedparser must give the same entries as
    # with its own functions, on the fixtures and a sample of its test corpus.
    import copy

    import feedparser.mixin
    import feedparser.urls

    from monitor.extract.feed import _fast_deepcopy, _fast_urljoin
    files = sorted(FIXTURES.glob("*.xml")) + sorted(p for p in CORPUS.rglob("*")
                                                    if p.is_file())[::7]
    assert len(files) > 300

    def parse_all() -> list[str]:
        out = []
        for path in files:
            for url in (SHAFAQ_RSS, f"http://example.org/feeds/{path.name}"):
                parsed = feedparser.parse(io.BytesIO(path.read_bytes()), sanitize_html=False,
                                          response_headers={"content-location": url},
                                          resolve_relative_uris=False)
                out.append(repr((parsed.get("feed"), parsed.entries, parsed.get("version"))))
        return out

    assert feedparser.mixin.copy.deepcopy is _fast_deepcopy
    assert feedparser.mixin._urljoin is _fast_urljoin
    fast = parse_all()
    monkeypatch.setattr(feedparser.mixin, "make_safe_absolute_uri",
                        feedparser.urls.make_safe_absolute_uri)
    monkeypatch.setattr(feedparser.mixin, "copy", copy)
    monkeypatch.setattr(feedparser.mixin, "_urljoin", feedparser.urls._urljoin)
    assert parse_all() == fast


_URL_PART = st.text(alphabet="aZ09.-_~!$&'()*+,;=:@%/?#[] \t\xe9", max_size=12)


@settings(max_examples=3000, deadline=None)
@given(scheme=st.sampled_from(["http", "https", "HTTP", "ftp", "", "javascript"]),
       host=st.sampled_from(["example.org", "127.0.0.1:8080", "Ex-Ample.ORG", "", "a:b",
                             "[::1]", "h:99999999"]),
       rest=st.lists(_URL_PART, max_size=3).map("".join),
       base=st.sampled_from(["http://example.org/feeds/1.xml", "https://e.org/a/", "",
                             "ftp://x/y"]))
def test_fast_urljoin_joins_as_feedparser_does(scheme: str, host: str, rest: str,
                                               base: str) -> None:
    import feedparser.urls

    from monitor.extract.feed import _fast_urljoin
    for uri in (f"{scheme}://{host}{rest}", f"{scheme}://{host}/{rest}", rest,
                f"//{host}{rest}"):
        assert _fast_urljoin(base, uri) == feedparser.urls._urljoin(base, uri), uri


def test_fast_deepcopy_copies_like_deepcopy() -> None:
    from monitor.extract.feed import _fast_deepcopy
    params = feedparser.FeedParserDict({"type": "text/html", "language": None, "base": "x"})
    twin = _fast_deepcopy(params)
    assert type(twin) is feedparser.FeedParserDict and twin is not params
    assert list(dict.items(twin)) == list(dict.items(params))
    nested = feedparser.FeedParserDict({"type": "text/html", "tags": [{"term": "a"}]})
    copied = _fast_deepcopy(nested)
    assert copied == nested and copied["tags"] is not nested["tags"]  # copy.deepcopy's job
