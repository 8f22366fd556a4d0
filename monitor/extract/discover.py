"""Entries of a feed or article links of a listing page, from plain arguments.

Runs in the parser worker processes: it takes and returns only plain data, so a worker
imports the extract stage alone, not the fetcher, store or matcher.
"""

from __future__ import annotations

from ..errors import ExtractError
from ..models import FeedEntry
from .binary import binary_reason
from .encoding import decode_html
from .feed import parse_feed
from .listing import find_links


def discover_entries(kind: str, body: bytes, url: str, content_type: str | None,
                     links: str | None, link_pattern: str | None
                     ) -> tuple[list[FeedEntry], str | None]:
    binary = binary_reason(body)
    if binary is not None:
        # Parsed, it is a page without links: the source would look healthy with 0 items.
        raise ExtractError(f"{'not a feed' if kind == 'rss' else 'not HTML'}: {binary}")
    if kind == "rss":
        return parse_feed(body, url, content_type)
    html = decode_html(body, content_type)
    found = find_links(html, url, links, link_pattern)
    return [FeedEntry(url=link) for link in found], None
