"""Sitemaps and news sitemaps (sitemaps.org 0.9, Google News 0.9), including indexes."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from xml.etree import ElementTree

from ..errors import ExtractError
from ..models import FeedEntry
from .dates import parse_date
from .listing import clean_url

# Undated entries cannot be judged recent; keep only the first ones of a sitemap.
MAX_UNDATED = 200
MAX_UNCOMPRESSED = 50 * 1024 * 1024  # the sitemaps.org limit


@dataclass
class Sitemap:
    entries: list[FeedEntry] = field(default_factory=list)
    children: list[str] = field(default_factory=list)  # of a sitemap index, newest first


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(element: ElementTree.Element, *names: str) -> str | None:
    for child in element.iter():
        if _local(child.tag) in names and child.text and child.text.strip():
            return child.text.strip()
    return None


def _decompress(data: bytes) -> bytes:
    if not data.startswith(b"\x1f\x8b"):
        return data
    try:
        out = zlib.decompressobj(wbits=31).decompress(data, MAX_UNCOMPRESSED)
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise ExtractError(f"broken gzip sitemap: {exc}") from None
    return out


def _recent(date: str | None, cutoff: datetime) -> bool:
    return date is None or datetime.fromisoformat(date) >= cutoff


def parse_sitemap(data: bytes, url: str, *, max_age: float, now: datetime) -> Sitemap:
    """Recent article entries of a urlset, or the recent child sitemaps of an index."""
    try:
        root = ElementTree.fromstring(_decompress(data))
    except ElementTree.ParseError as exc:
        raise ExtractError(f"not a sitemap: XML error {exc}") from None
    cutoff = now - timedelta(seconds=max_age)
    kind = _local(root.tag)
    result = Sitemap()
    if kind == "sitemapindex":
        dated = []
        for item in root:
            loc = _child_text(item, "loc")
            date = parse_date(_child_text(item, "lastmod"))
            child = clean_url(loc, url) if loc else None
            if child and _recent(date, cutoff):
                dated.append((date or "", child))
        result.children = [loc for _, loc in sorted(dated, reverse=True)]
        return result
    if kind != "urlset":
        raise ExtractError(f"not a sitemap: root element is <{kind}>")
    undated = 0
    for item in root:
        loc = _child_text(item, "loc")
        link = clean_url(loc, url) if loc else None
        date = parse_date(_child_text(item, "publication_date", "lastmod"))
        if not link or not _recent(date, cutoff):
            continue
        if date is None:
            undated += 1
            if undated > MAX_UNDATED:
                continue
        result.entries.append(FeedEntry(url=link, title=_child_text(item, "title"),
                                        published=date))
    return result
