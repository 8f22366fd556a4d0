"""RSS / Atom / JSON Feed bytes -> FeedEntry records, through feedparser."""

from __future__ import annotations

import copy
import html
import io
import re
import time
from datetime import UTC, datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import feedparser
import feedparser.urls
from selectolax.lexbor import LexborHTMLParser

from monitor.errors import ExtractError
from monitor.extract.bounds import markup_within_limits
from monitor.extract.calendars import plausible
from monitor.extract.dates import parse_date
from monitor.extract.listing import PLAIN_ABSOLUTE_URL, clean_url
from monitor.models import FeedEntry

__all__ = ["entry_url", "parse_feed"]

_HTML_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
    rb"<(?:!doctype\s+html|html|head|body)\b",
    re.IGNORECASE | re.DOTALL,
)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
_PROBLEM_MAX = 200
_SCALAR_TYPES = (str, int, float, bool, type(None))
_feedparser_urljoin = getattr(feedparser.urls, "_urljoin", None)


def _fast_deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """copy.deepcopy for what feedparser copies per element (its content parameters: a
    FeedParserDict of strings), without deepcopy's generic machinery; a copy alike in type,
    keys and values. Anything else goes to copy.deepcopy."""
    if (type(value) is feedparser.FeedParserDict and not value.__dict__
            and all(type(v) in _SCALAR_TYPES for v in dict.values(value))):
        twin = feedparser.FeedParserDict()
        for key, item in dict.items(value):
            twin[key] = item  # through __setitem__, as deepcopy rebuilds it
        return twin
    return copy.deepcopy(value, memo)


# An absolute http(s) URL that urllib's urljoin gives back unchanged: listing's plain
# absolute URL (lowercase scheme, a host and port right after "//", no params) with, here,
# a query if it is not empty; no fragment.
_PLAIN_ABSOLUTE = re.compile(PLAIN_ABSOLUTE_URL + r"(?:\?[A-Za-z0-9._~!$&'()*+,=:@%/?-]+)?")


def _fast_urljoin(base: str, uri: str) -> str:
    """feedparser's _urljoin (every entry's link and guid is resolved against the feed's
    URL), returning plain absolute URLs, nearly all of them, as they are without urllib's
    parse and unparse: for those urljoin returns them unchanged whatever the base."""
    if _PLAIN_ABSOLUTE.fullmatch(uri):
        return uri
    return _feedparser_urljoin(base, uri)


def _speed_up_feedparser() -> None:
    """Three of feedparser's per-element costs, with results unchanged (~35% of a parse).

    * Every start tag joins the element's xml:base with the current base URL through
      make_safe_absolute_uri (urllib urljoin and urlparse), nearly always the same two
      strings (the feed's URL): a pure function of its arguments, so memoised.
    * Every title, summary and content copies the parser's content parameters with
      copy.deepcopy: `_fast_deepcopy` copies those directly.
    * Every link and guid is joined with the base URL: `_fast_urljoin`.

    Both replace names that feedparser 6's element handlers (feedparser.mixin) look up at
    call time; with another layout there is nothing to replace and feedparser runs as is.
    """
    mixin = getattr(feedparser, "mixin", None)
    if mixin is None:
        return
    join = getattr(mixin, "make_safe_absolute_uri", None)
    if callable(join) and not hasattr(join, "cache_info"):
        mixin.make_safe_absolute_uri = lru_cache(maxsize=1024)(join)
    if getattr(mixin, "copy", None) is copy:
        mixin.copy = SimpleNamespace(**{**vars(copy), "deepcopy": _fast_deepcopy})
    if getattr(mixin, "_urljoin", None) is _feedparser_urljoin:
        mixin._urljoin = _fast_urljoin


_speed_up_feedparser()


def parse_feed(
    data: bytes, url: str, content_type: str | None = None
) -> tuple[list[FeedEntry], str | None]:
    """Entries of a feed and a short description of what was wrong with it (or None).

    Raises ExtractError when the bytes are an HTML page rather than a feed, which is
    what a site serves when a feed URL has moved or sits behind a bot wall.
    """
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # A BytesIO, not bytes: feedparser tries to open() bytes as a local file name first.
    # We keep only plain text and resolve entry links ourselves, so feedparser's HTML
    # sanitising and in-content URI rewriting are pure cost (about a quarter of its time).
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=False,
                              resolve_relative_uris=False)
    if not parsed.entries and not parsed.get("version") and _looks_like_html(data, content_type):
        raise ExtractError(f"not a feed: got text/html page{_page_title(data)} from {url}")
    entries = [e for e in (_to_entry(raw, url) for raw in parsed.entries) if e is not None]
    return entries, _problem(parsed, content_type)


def entry_url(raw: Any, base_url: str) -> str | None:
    """The article URL of a raw feedparser entry: its link, else an http(s) guid."""
    link = (_get(raw, "link") or "").strip()
    # A fragment-only link points back at the feed itself, not at an article.
    if link and not link.startswith("#"):
        absolute = clean_url(link, base_url)
        if absolute:
            return absolute
    guid = (_get(raw, "id") or "").strip()
    return clean_url(guid, base_url) if _is_http(guid) else None


def _to_entry(raw: Any, base_url: str) -> FeedEntry | None:
    url = entry_url(raw, base_url)
    if url is None:
        return None
    return FeedEntry(
        url=url,
        title=" ".join(_detail_text(raw, "title").split()) or None,
        published=_published(raw),
        author=_author(raw),
        summary=_summary(raw),
    )


def _get(raw: Any, key: str, default: Any = None) -> Any:
    """raw.get(key) for the keys read here, none of which FeedParserDict maps to another
    (as it maps "updated" to "published", read with raw.get): the plain dict lookup, without
    the Python-level mapping and the KeyError it raises and catches for a missing key."""
    return dict.get(raw, key, default) if isinstance(raw, dict) else raw.get(key, default)


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _published(raw: Any) -> str | None:
    """feedparser's *_parsed fields are already UTC; fall back to our own parser."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed: time.struct_time | None = _get(raw, key)
        if parsed:
            try:
                moment = datetime(*parsed[:6], tzinfo=UTC)
            except ValueError:
                continue
            if plausible(moment):  # else a Hijri year or a wrong date: parse_date below
                return moment.isoformat()
    for key in ("published", "updated", "created"):
        found = parse_date(raw.get(key))
        if found:
            return found
    return None


def _author(raw: Any) -> str | None:
    detail = _get(raw, "author_detail") or {}
    name = _get(detail, "name") or _get(raw, "author") or ""
    return _plain(name) or None


def _summary(raw: Any) -> str | None:
    """Full content when the feed carries it (more text to match), else the summary."""
    for content in _get(raw, "content") or []:
        text = _html_to_text(_get(content, "value") or "")
        if text:
            return text
    return _detail_text(raw, "summary") or None


def _detail_text(raw: Any, key: str) -> str:
    """Plain text of title/summary; feedparser tells whether the value is HTML or text."""
    value = _get(raw, key) or ""
    kind = _get(_get(raw, f"{key}_detail") or {}, "type", "")
    if "html" in kind:
        return _html_to_text(value)
    return _plain(value)


# Marks where a block or <br> ends, told apart from the fragment's own (meaningless) line
# breaks; LINE SEPARATOR means just that, and a feed practically never contains one.
_LINE_BREAK = "\u2028"


def _plain(value: str) -> str:
    """Text that should be plain but often carries stray tags or entities anyway."""
    if _TAG.search(value):
        return " ".join(_html_to_text(value).split())
    return " ".join(html.unescape(value).split())


def _html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment, one line per block element or <br>.

    The fragment's own line breaks are whitespace, as in a browser: a summary wrapped in
    the source is one line, not a sentence cut in two (see extract/content.py).
    """
    if not fragment.strip():
        return ""
    if "<" not in fragment:
        # Feeds label plain summaries as HTML all the time; without a tag there is nothing
        # for a parser to do but decode entities (~20x cheaper than parsing). Read as HTML
        # all the same: its line breaks are spaces.
        return _lines(html.unescape(fragment).split(_LINE_BREAK))
    if markup_within_limits(fragment) is not None:
        # Too deep or large to parse safely (hostile): its text without the tags will do.
        return _lines([html.unescape(_TAG.sub(" ", fragment))])
    tree = LexborHTMLParser(f"<div>{fragment}</div>")
    for node in tree.css("script, style"):
        node.decompose()
    # Block elements and <br> separate lines; inline ones must not split words.
    for node in tree.css("br, p, div, li, h1, h2, h3, h4, h5, h6, tr, blockquote"):
        node.insert_after(_LINE_BREAK)
    root = tree.body or tree.root
    text = root.text(separator="") if root is not None else ""
    return _lines(text.split(_LINE_BREAK))


def _lines(parts: list[str]) -> str:
    lines = (" ".join(part.split()) for part in parts)
    return "\n".join(line for line in lines if line)


def _problem(parsed: Any, content_type: str | None) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    # Without a header feedparser always complains about it; that says nothing of the feed.
    if content_type is None and isinstance(exc, feedparser.NonXMLContentType):
        return None
    summary = f"{type(exc).__name__}: {exc}" if exc is not None else "malformed feed"
    summary = " ".join(summary.split())
    return summary if len(summary) <= _PROBLEM_MAX else summary[: _PROBLEM_MAX - 1] + "…"


def _looks_like_html(data: bytes, content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media in _HTML_TYPES or bool(_HTML_START.match(data[:2048]))


def _page_title(data: bytes) -> str:
    found = re.search(rb"<title[^>]*>(.*?)</title>", data[:65536], re.IGNORECASE | re.DOTALL)
    if not found:
        return ""
    title = " ".join(html.unescape(found.group(1).decode("utf-8", "replace")).split())
    return f" ({title[:80]!r})" if title else ""
