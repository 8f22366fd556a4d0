"""find_links on a New Region-like section page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.extract import find_links

LISTING = (Path(__file__).parent / "fixtures" / "extract" / "listing_page.html").read_text()
PAGE_URL = "https://thenewregion.com/category/security"
ARTICLES = [
    "https://thenewregion.com/posts/1482/pmf-commanders-meet",
    "https://thenewregion.com/posts/1479/salaries?page=2&ref=home",
    "https://thenewregion.com/posts/1477/erbil-water",
    "https://thenewregion.com/posts/1475/dohuk",
]


def test_selector_on_cards_takes_links_inside_them() -> None:
    links = find_links(LISTING, PAGE_URL, ".post-card", None)
    # The image link and the headline link of card 1 are one article (utm + fragment
    # removed); mailto:, javascript:, tel: and "#comments" in the last card are dropped.
    assert links == ARTICLES


def test_pattern_alone_scans_every_link_on_the_page() -> None:
    links = find_links(LISTING, PAGE_URL, None, r"/posts/\d+/")
    assert links == [*ARTICLES, "https://thenewregion.com/posts/1400/old-story"]


def test_selector_and_pattern_narrow_each_other() -> None:
    # "h3 a" leaves out the footer's 1400, the pattern leaves out 1475
    assert find_links(LISTING, PAGE_URL, "h3 a", r"/posts/14(8\d|7[7-9])/") == ARTICLES[:3]


def test_pattern_sees_the_absolute_cleaned_url() -> None:
    # "//thenewregion.com/..." and "posts/..." only match once made absolute
    assert find_links(LISTING, PAGE_URL, None, r"^https://thenewregion\.com/posts/14(75|79)/") \
        == [ARTICLES[1], ARTICLES[3]]
    # tracking parameters are gone before the pattern runs
    assert find_links(LISTING, PAGE_URL, None, r"utm_|fbclid|gclid") == []


def test_base_href_is_relative_to_the_page() -> None:
    html = '<base href="/en/"><a href="Iraq/story-1">1</a><a href="/ar/story-2">2</a>'
    assert find_links(html, "https://shafaq.com/section/x", "a", None) == [
        "https://shafaq.com/en/Iraq/story-1", "https://shafaq.com/ar/story-2"]


def test_without_base_href_links_resolve_against_the_page_url() -> None:
    html = '<div class="item"><a href="story-1?utm_campaign=x&amp;id=7&amp;mc_cid=1">1</a></div>'
    assert find_links(html, "https://shafaq.com/en/Iraq/", ".item", None) == [
        "https://shafaq.com/en/Iraq/story-1?id=7"]


def test_non_http_schemes_dropped() -> None:
    html = ('<a href="ftp://x.org/a">a</a><a href="data:text/html,hi">b</a>'
            '<a href="JavaScript:alert(1)">c</a><a href=" https://x.org/ok ">d</a><a>no href</a>')
    assert find_links(html, "https://x.org/", None, None) == ["https://x.org/ok"]


def test_query_encoding_is_preserved() -> None:
    html = '<a href="/search?q=%D8%B4%D9%81%D9%82&amp;utm_source=tw&amp;tag=a+b">s</a>'
    assert find_links(html, "https://shafaq.com/", "a", None) == [
        "https://shafaq.com/search?q=%D8%B4%D9%81%D9%82&tag=a+b"]


def test_invalid_pattern_raises_re_error() -> None:
    with pytest.raises(re.error):
        find_links(LISTING, PAGE_URL, None, r"/posts/(")


def _clean_url_by_urllib(href: str, base: str) -> str | None:
    """clean_url as it was before its shortcut for URLs it leaves unchanged: the reference."""
    from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

    from monitor.extract.listing import _strip_tracking
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    try:
        parts = urlsplit(urldefrag(urljoin(base, href)).url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit(parts._replace(query=_strip_tracking(parts.query)))


_URL_PIECES = ["http://", "https://", "HTTP://", "ftp://", "//", "a", "Z", "0", ".", "-", "_",
               "~", "/", "/../", "/./", ":", ":80", "@", "%2F", "&", "=", "+", ";", "?", "#",
               "[", "]", " ", "\t", "\n", "é", "utm_source=x"]
_BASES = ["https://x.org/a/b", "http://127.0.0.1:8000/feeds/1.xml", "", "http://[bad/",
          "http://a]b/", "https://é.example/", "ftp://x.org/", "mailto:someone"]


@given(st.lists(st.sampled_from(_URL_PIECES), max_size=12).map("".join),
       st.sampled_from(_BASES))
@settings(max_examples=3000)
def test_clean_url_shortcut_agrees_with_urllib(href: str, base: str) -> None:
    from monitor.extract.listing import clean_url
    assert clean_url(href, base) == _clean_url_by_urllib(href, base)
    absolute = "https://host-1.example" + href.replace(" ", "").replace("#", "")
    assert clean_url(absolute, base) == _clean_url_by_urllib(absolute, base)
